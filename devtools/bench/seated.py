"""The `seated_holds` and `seated_best` scenarios: POST /holds on a seated section, beside GA.

`seated_holds` picks one named seat per request (`{section, seats: [id]}`), each request a
seat no other request names: the section has a row per wrk thread and wrk's script puts
`<thread>x<request number>` where the body says `@seat`. `seated_best` asks for the best
single seat (`{section, quantity: 1, best_available: true}`) in one of 16 sections of 1,000
seats (40 rows of 25), round robin. Both pay what a fan pays: auth, admission token,
Idempotency-Key and the one hold script, which for seats also checks and marks them (and
for best available scans the section's rows and applies the orphan rule).

Every run starts from an empty map (`reset`, outside the measured time), so each request
finds its seat free: what is measured is a hold that succeeds, as in the GA scenario.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import httpx
import msgspec

from app.core import keys
from app.core.ids import new_id
from app.core.redis import create_redis
from app.core.scripts import Scripts
from app.seating.scripts import seat_scripts
from devtools.bench.scenarios import JSON, admitted_fans, open_event
from devtools.bench.stack import BenchStack
from devtools.bench.wrk import WrkResult, run_wrk, write_requests

THREADS = 2  # run_wrk's wrk threads: a row of picked seats each
PICK_SEATS = 9_000  # per thread (row): more than a run of a few seconds takes
BEST_SECTIONS = 16
BEST_ROWS, BEST_PER_ROW = 40, 25


def _pick_map() -> str:
    lines = ["section,row,seat,category,x,y,accessible,seat_id"]
    for t in range(1, THREADS + 1):
        for k in range(1, PICK_SEATS + 1):
            lines.append(f"PICK,T{t},{k},main,{k},{t * 10},false,{t}x{k}")
    return "\n".join(lines) + "\n"


def _best_map(code: str) -> str:
    lines = ["section,row,seat,category,x,y,accessible"]
    for r in range(BEST_ROWS):
        for n in range(1, BEST_PER_ROW + 1):
            lines.append(f"{code},R{r + 1},{n},main,{n * 20},{(r + 1) * 20},false")
    return "\n".join(lines) + "\n"


async def _seated_event(stack: BenchStack, fans: int) -> tuple[str, list[str]]:
    best = [f"B{i + 1}" for i in range(BEST_SECTIONS)]
    sections: list[dict[str, object]] = [
        {"code": "PICK", "name": "Picked", "price_cents": 5000, "capacity": 1}
    ] + [{"code": c, "name": c, "price_cents": 5000, "capacity": 1} for c in best]
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=60) as client:
        event_id, auth = await open_event(stack, client, "Bench Seats", sections)
        for code, body in [("PICK", _pick_map()), *((c, _best_map(c)) for c in best)]:
            r = await client.put(
                f"/api/v1/events/{event_id}/sections/{code}/seatmap",
                content=body,
                headers={**auth, "Content-Type": "text/csv"},
            )
            r.raise_for_status()
    return event_id, await admitted_fans(stack, event_id, fans)


def requests(stack: BenchStack, work: Path, fans: int = 2000) -> tuple[Path, Path]:
    """The wrk request files (picked, best) of the seated scenarios, made once per run."""
    pick, best = work / "seated-pick.tsv", work / "seated-best.tsv"
    if pick.exists() and best.exists():
        return pick, best
    # Fans of their own per scenario: wrk's Idempotency-Keys repeat from run to run (its
    # random numbers are not seeded), and one key with two scenarios' bodies is a conflict.
    event_id, creds = asyncio.run(_seated_event(stack, 2 * fans))
    picked, bests = [], []
    pick_body = msgspec.json.encode({"section": "PICK", "seats": ["@seat"]}).decode()
    for i in range(fans):
        bearer, admission = creds[i].split("\t")
        other_bearer, other_admission = creds[fans + i].split("\t")
        headers = {
            **JSON,
            "Authorization": bearer,
            "X-Admission-Token": admission,
            "Idempotency-Key": "@unique",
        }
        path = f"/api/v1/events/{event_id}/holds"
        picked.append(("POST", path, headers, pick_body))
        section = f"B{i % BEST_SECTIONS + 1}"
        body = {"section": section, "quantity": 1, "best_available": True}
        other = {**headers, "Authorization": other_bearer, "X-Admission-Token": other_admission}
        bests.append(("POST", path, other, msgspec.json.encode(body).decode()))
    write_requests(picked, work).rename(pick)
    write_requests(bests, work).rename(best)
    (work / "seated-event.txt").write_text(event_id)
    return pick, best


async def _reset(redis_url: str, event_id: str) -> None:
    """Every seat free again and nobody holding any (the bench's own event only)."""
    redis = create_redis(redis_url)
    try:
        inventory: dict[str, str] = await redis.hgetall(keys.inventory(event_id))  # type: ignore[misc]
        fields: dict[str, int] = {}
        for field, value in inventory.items():
            code, _, name = field.rpartition(":")
            if name == "capacity":
                fields |= {f"{code}:available": int(value), f"{code}:held": 0, f"{code}:sold": 0}
        pipe = redis.pipeline(transaction=False)
        pipe.delete(keys.seat_states(event_id), keys.user_seats(event_id))
        pipe.delete(keys.hold_expiry(event_id))
        pipe.hset(keys.inventory(event_id), mapping=fields)
        await pipe.execute()
        # Every row's free count back to its seats, as the hold scripts expect them.
        seats = seat_scripts(Scripts(redis))
        for code in ("PICK", *(f"B{i + 1}" for i in range(BEST_SECTIONS))):
            await seats.recount(event_id, code)
    finally:
        await redis.aclose()


def _run(stack: BenchStack, work: Path, path: Path, connections: int, duration_s: int) -> WrkResult:
    asyncio.run(_reset(stack.settings.redis_url, (work / "seated-event.txt").read_text().strip()))
    result = run_wrk(
        stack.base_url,
        path,
        connections=connections,
        duration_s=duration_s,
        server_pids=stack.worker_pids(),
        threads=THREADS,
    )
    if result.non_2xx:
        print(f"  {path.stem}: {result.non_2xx} non-2xx; one request now: {_probe(stack, path)}")
    return result


def _probe(stack: BenchStack, path: Path) -> str:
    """What 64 of the file's requests at once answer now (what the non-2xx were, roughly)."""
    lines = path.read_text().splitlines()[:64]

    async def probe() -> str:
        async with httpx.AsyncClient(base_url=stack.base_url, timeout=30) as client:

            async def one(i: int, line: str) -> httpx.Response:
                method, url_path, header_text, body = line.split("\t")
                headers = dict(h.split(": ", 1) for h in header_text.split("||"))
                headers["Idempotency-Key"] = new_id()
                body = body.replace("@seat", f"2x{9000 - i}")
                return await client.request(method, url_path, headers=headers, content=body)

            answers = await asyncio.gather(*(one(i, line) for i, line in enumerate(lines)))
        codes = Counter(r.status_code for r in answers)
        bad = next((r.text[:300] for r in answers if r.status_code >= 300), "")
        return f"{dict(codes)} {bad}"

    return asyncio.run(probe())


def seated_holds(stack: BenchStack, work: Path, connections: int, duration_s: int) -> WrkResult:
    """End to end POST /holds naming one free seat."""
    pick, _ = requests(stack, work)
    return _run(stack, work, pick, connections, duration_s)


def seated_best(stack: BenchStack, work: Path, connections: int, duration_s: int) -> WrkResult:
    """End to end POST /holds asking for the best available seat of a 1,000-seat section."""
    _, best = requests(stack, work)
    return _run(stack, work, best, connections, duration_s)
