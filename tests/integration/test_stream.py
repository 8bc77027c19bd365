"""The event stream on a real RabbitMQ (a node of the run's own, tests/conftest.py): the
outbox published with confirms, nothing marked without one, a consumer killed and
restarted misses nothing, a broker restart keeps what it confirmed."""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from importlib import resources as package_files
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import jsonschema_rs
import msgspec
import pytest

from app.core.clock import now_ms
from app.core.settings import Settings
from app.holds import lifecycle
from app.holds.scripts import hold_scripts
from app.orders import finalize, refunds
from app.stream import consumer, messages
from app.stream.publisher import Publisher, count_hold_moves, publish_all, publish_once
from devtools.embedded import EmbeddedRabbitMQ, free_port
from tests.support import checkout as h
from tests.support.api import Api, User
from tests.support.tickets import live_code, scan, scanner_of

SCHEMA = json.loads(
    package_files.files("app.stream").joinpath("message.v1.schema.json").read_text()
)


@pytest.fixture
def settings(settings: Settings, stripe_base: str, amqp_url: str) -> Settings:
    # A fresh exchange per test: tests share the run's broker, never each other's messages.
    return msgspec.structs.replace(
        h.with_stripe(settings, stripe_base),
        amqp_url=amqp_url,
        stream_exchange=f"onsale.test.{uuid.uuid4().hex[:12]}",
    )


@pytest.fixture
async def publisher(settings: Settings) -> AsyncIterator[Publisher]:
    p = Publisher(settings.amqp_url, settings.stream_exchange, confirm_timeout_s=5)
    yield p
    await p.close()


async def durable_queue(settings: Settings, name: str, **arguments: Any) -> None:
    """A consumer's durable queue bound to everything on the exchange (exists before any
    publish, as an integrator's does)."""
    connection = await aio_pika.connect_robust(settings.amqp_url)
    try:
        channel = await connection.channel()
        from app.stream.publisher import declare_exchange

        ex = await declare_exchange(channel, settings.stream_exchange)
        queue = await channel.declare_queue(name, durable=True, arguments=arguments or None)
        await queue.bind(ex, routing_key="#")
    finally:
        await connection.close()


async def drain(
    settings: Settings, name: str, idle_s: float = 1.0
) -> list[aio_pika.IncomingMessage]:
    """Every message now in a durable queue (acknowledged)."""
    got: list[aio_pika.IncomingMessage] = []
    connection = await aio_pika.connect_robust(settings.amqp_url)
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(name, durable=True, passive=True)
        while True:
            incoming = await queue.get(fail=False, timeout=5)
            if incoming is None:
                await asyncio.sleep(idle_s)
                incoming = await queue.get(fail=False, timeout=5)
                if incoming is None:
                    return got
            got.append(incoming)
            await incoming.ack()
    finally:
        await connection.close()


async def buy(api: Api, resources: Any, event_id: str, fan: User, quantity: int = 1) -> str:
    r = await h.hold(api.client, event_id, fan, quantity)
    assert r.status_code == 201, r.text
    r = await h.checkout(api.client, fan, r.json()["hold_id"])
    assert r.status_code == 201, r.text
    assert await finalize.finalize_payment(resources, r.json()["payment_intent_id"]) == "confirmed"
    order_id: str = r.json()["order_id"]
    return order_id


async def unpublished(database_url: str) -> list[str]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT kind FROM outbox WHERE published_at IS NULL ORDER BY 1")
    finally:
        await conn.close()
    return [r["kind"] for r in rows]


async def insert_outbox(database_url: str, rows: list[tuple[str, str, dict[str, Any]]]) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.set_type_codec(
            "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )
        await conn.executemany(
            "INSERT INTO outbox (kind, dedup_key, payload) VALUES ($1, $2, $3)", rows
        )
    finally:
        await conn.close()


async def test_a_sales_orders_arrive_once_each_by_id_in_the_documented_schema(
    api: Api, settings: Settings, resources: Any, publisher: Publisher
) -> None:
    await durable_queue(settings, "crm")
    org = await api.user("organizer")
    event = await api.event(org, name="Stream night")
    r = await api.client.post(f"/api/v1/events/{event['event_id']}/pause", headers=org.headers)
    assert r.status_code == 200, r.text
    r = await api.client.post(f"/api/v1/events/{event['event_id']}/resume", headers=org.headers)
    assert r.status_code == 200, r.text
    fans = [await api.user("fan") for _ in range(3)]
    event_id = event["event_id"]
    orders = [await buy(api, resources, event_id, fan, 1 + i) for i, fan in enumerate(fans)]
    r = await api.client.post(f"/api/v1/orders/{orders[0]}/refund", json={}, headers=org.headers)
    assert r.status_code == 202, r.text
    assert await refunds.refund_order(resources, orders[0]) == "refunded"

    assert await publish_all(resources.pool, publisher) >= 4
    assert await unpublished(settings.database_url) == []
    assert await publish_all(resources.pool, publisher) == 0  # nothing twice

    got = await drain(settings, "crm")
    bodies = [json.loads(m.body) for m in got]
    validator = jsonschema_rs.validator_for(SCHEMA)
    for body, incoming in zip(bodies, got, strict=True):
        validator.validate(body)
        assert incoming.message_id == body["id"]
        assert incoming.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
        assert incoming.routing_key == f"{org.user_id}.{event['event_id']}.{body['type']}"
    ids = [b["id"] for b in bodies]
    assert len(ids) == len(set(ids))
    # The event's publication went out in the transaction that published it.
    (published,) = [b for b in bodies if b["type"] == "event.published"]
    assert published["data"] == {"status": "published"}
    assert [b["type"] for b in bodies if b["type"].startswith("event.")][:3] == [
        "event.published",
        "event.paused",
        "event.resumed",
    ]
    confirmed = {b["data"]["order_id"]: b for b in bodies if b["type"] == "order.confirmed"}
    assert sorted(confirmed) == sorted(orders)
    assert [confirmed[o]["data"]["quantity"] for o in orders] == [1, 2, 3]
    assert all(b["data"]["amount_cents"] > 0 for b in confirmed.values())
    (refunded,) = [b for b in bodies if b["type"] == "order.refunded"]
    assert refunded["data"]["order_id"] == orders[0]
    assert refunded["data"]["amount_cents"] == confirmed[orders[0]]["data"]["amount_cents"]
    # No address, name or ticket code of a fan on the stream.
    raw = b"".join(m.body for m in got).decode()
    assert all(fan.email not in raw for fan in fans)
    assert "code" not in raw


async def test_nothing_is_marked_published_without_the_brokers_confirm(
    settings: Settings, resources: Any, publisher: Publisher
) -> None:
    """A queue that refuses what overflows makes the broker nack those publishes: only the
    acknowledged rows are marked, the rest go out on a later tick, none twice."""
    await durable_queue(settings, "small", **{"x-max-length": 2, "x-overflow": "reject-publish"})
    event_id = str(uuid.uuid4())
    await insert_outbox(
        settings.database_url,
        [
            ("order_cancelled", f"t:{i}", {"order_id": str(uuid.uuid4()), "event_id": event_id})
            for i in range(5)
        ],
    )
    assert await publish_once(resources.pool, publisher) == 2
    assert len(await unpublished(settings.database_url)) == 3
    first = await drain(settings, "small")
    assert len(first) == 2
    for _ in range(3):
        await publish_once(resources.pool, publisher)
        first += await drain(settings, "small", idle_s=0.2)
    assert await unpublished(settings.database_url) == []
    ids = [m.message_id for m in first]
    assert len(ids) == 5
    assert len(set(ids)) == 5


async def test_a_broker_that_is_down_leaves_every_row_for_later(
    settings: Settings, resources: Any, publisher: Publisher
) -> None:
    await durable_queue(settings, "later")
    down = Publisher(f"amqp://guest:guest@127.0.0.1:{free_port()}/", settings.stream_exchange)
    await insert_outbox(
        settings.database_url,
        [("sale_sold_out", f"s:{i}", {"event_id": str(uuid.uuid4()), "sold": i}) for i in range(3)],
    )
    for _ in range(2):
        with pytest.raises(Exception):  # noqa: B017 - any connection error
            await publish_once(resources.pool, down)
        assert len(await unpublished(settings.database_url)) == 3
    await down.close()
    assert await publish_all(resources.pool, publisher) == 3
    assert len(await drain(settings, "later")) == 3


async def test_admissions_are_one_message_per_event_and_second(
    settings: Settings, resources: Any, publisher: Publisher
) -> None:
    await durable_queue(settings, "room")
    event_id = str(uuid.uuid4())
    await insert_outbox(
        settings.database_url,
        [
            ("your_turn", f"y:{i}", {"event_id": event_id, "user_id": str(uuid.uuid4())})
            for i in range(40)
        ]
        + [("password_reset", "p:1", {"user_id": str(uuid.uuid4())})],
    )
    assert await publish_all(resources.pool, publisher) == 41
    bodies = [json.loads(m.body) for m in await drain(settings, "room")]
    assert {b["type"] for b in bodies} == {"queue.admitted"}
    assert sum(b["data"]["count"] for b in bodies) == 40
    assert all("user_id" not in b["data"] for b in bodies)
    validator = jsonschema_rs.validator_for(SCHEMA)
    for body in bodies:
        validator.validate(body)


async def test_entries_at_the_door_and_hold_counts_reach_the_stream_once(
    api: Api, settings: Settings, resources: Any, publisher: Publisher
) -> None:
    """A ticket's entry is announced by the statement that admitted it (online, offline and
    a re-entry; a refused scan announces nothing), and the holds ledger's starts and
    expiries are counted per event and second: each hold once, however often the counter
    runs."""
    await durable_queue(settings, "door")
    org = await api.user("organizer")
    event = await api.event(org, name="Door night", max_per_user=6)
    event_id = event["event_id"]
    fans = [await api.user("fan") for _ in range(3)]
    orders = [await buy(api, resources, event_id, fan, 2) for fan in fans[:2]]
    # The third fan holds 3 seats and lets the hold run out.
    r = await h.hold(api.client, event_id, fans[2], 3)
    assert r.status_code == 201, r.text
    lapsed = r.json()["hold_id"]
    expired = await hold_scripts(resources.scripts).expire(event_id, [lapsed], now_ms() + 3_600_000)
    assert expired == (1, 3)
    await lifecycle.write_ledger(resources.redis, resources.pool, event_id)

    tickets = []
    for order_id, fan in zip(orders, fans, strict=False):
        r = await api.client.get(f"/api/v1/orders/{order_id}", headers=fan.headers)
        tickets += r.json()["tickets"]
    scanner = await scanner_of(api, org, event_id)
    assert (await scan(api, scanner, live_code(tickets[0]), gate="North"))["result"] == "admitted"
    refused = await scan(api, scanner, live_code(tickets[0]), gate="South")
    assert refused["result"] == "already_in"
    r = await api.client.post(
        "/api/v1/checkins/sync",
        json={
            "device_id": "dev-A",
            "scans": [
                {
                    "code": live_code(tickets[1]),
                    "gate": "East",
                    "scanned_at": dt.datetime.now(dt.UTC).isoformat(),
                    "local_result": "admitted",
                }
            ],
        },
        headers=scanner.headers,
    )
    assert r.json()["results"][0]["result"] == "admitted", r.text
    # A list with re-entry: in, out, in again offline is a second entry.
    r = await api.client.post(
        f"/api/v1/events/{event_id}/checkin-lists",
        json={"name": "Floor, re-entry", "sections": ["FLOOR"], "reentry": True},
        headers=org.headers,
    )
    floor = r.json()["list_id"]
    for direction in ("in", "out"):
        await scan(api, scanner, live_code(tickets[2]), list_id=floor, direction=direction)
    r = await api.client.post(
        "/api/v1/checkins/sync",
        json={
            "device_id": "dev-B",
            "list_id": floor,
            "scans": [
                {
                    "code": live_code(tickets[2]),
                    "gate": "Floor",
                    "scanned_at": dt.datetime.now(dt.UTC).isoformat(),
                    "local_result": "admitted",
                }
            ],
        },
        headers=scanner.headers,
    )
    assert r.json()["results"][0]["result"] == "admitted", r.text

    # 3 holds made (2 converted by their orders, 1 expired); counted once however often.
    assert await count_hold_moves(resources.pool) == 3
    assert await count_hold_moves(resources.pool, batch=1) == 0
    assert await publish_all(resources.pool, publisher) > 0
    assert await unpublished(settings.database_url) == []
    got = await drain(settings, "door")
    bodies = [json.loads(m.body) for m in got]
    validator = jsonschema_rs.validator_for(SCHEMA)
    for body, incoming in zip(bodies, got, strict=True):
        validator.validate(body)
        assert incoming.routing_key == f"{org.user_id}.{event_id}.{body['type']}"
    entries = [b["data"] for b in bodies if b["type"] == "ticket.checked_in"]
    assert [(e["ticket_id"], e["gate"], e["entry"], e["offline"]) for e in entries] == [
        (tickets[0]["ticket_id"], "North", 1, False),
        (tickets[1]["ticket_id"], "East", 1, True),
        (tickets[2]["ticket_id"], "main", 1, False),
        (tickets[2]["ticket_id"], "Floor", 2, True),
    ]
    assert entries[3]["list_id"] == floor
    assert all(e["section"] == "FLOOR" for e in entries)
    assert "code" not in b"".join(m.body for m in got).decode()

    def totals(type_: str) -> tuple[int, int]:
        counted = [b for b in bodies if b["type"] == type_]
        assert all(b["occurred_at"].endswith("Z") and len(b["occurred_at"]) == 20 for b in counted)
        return sum(b["data"]["count"] for b in counted), sum(b["data"]["seats"] for b in counted)

    assert totals("hold.created") == (3, 7)
    assert totals("hold.expired") == (1, 3)
    # Counting again after a hold moves on adds only the move.
    r = await h.hold(api.client, event_id, fans[2], 1)
    assert r.status_code == 201, r.text
    await lifecycle.write_ledger(resources.redis, resources.pool, event_id)
    assert await count_hold_moves(resources.pool) == 1
    await publish_all(resources.pool, publisher)
    more = [json.loads(m.body) for m in await drain(settings, "door")]
    assert [(b["type"], b["data"]) for b in more] == [("hold.created", {"count": 1, "seats": 1})]


def tail(settings: Settings, cwd: Path, queue: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "ONSALE_AMQP_URL": settings.amqp_url,
        "ONSALE_STREAM_EXCHANGE": settings.stream_exchange,
        "ONSALE_DATABASE_URL": settings.database_url,
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.cli",
            "stream",
            "tail",
            "--queue",
            queue,
            "--type",
            "order.cancelled",
        ],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


async def read_lines(process: subprocess.Popen[str], n: int, timeout_s: float = 60) -> list[str]:
    assert process.stdout is not None
    lines: list[str] = []
    loop = asyncio.get_running_loop()
    while len(lines) < n:
        reading = loop.run_in_executor(None, process.stdout.readline)
        line = await asyncio.wait_for(reading, timeout_s)
        if not line:
            break
        lines.append(line)
    return lines


async def test_a_tail_killed_mid_stream_and_restarted_misses_nothing(
    settings: Settings, resources: Any, publisher: Publisher, tmp_path: Path
) -> None:
    """`onsale stream tail --queue` in a real process, SIGKILLed after part of the stream;
    what it had not acknowledged comes again after the restart (same ids), nothing is lost."""
    process = tail(settings, tmp_path, "tailer")
    assert process.stderr is not None
    loop = asyncio.get_running_loop()
    ready = await asyncio.wait_for(loop.run_in_executor(None, process.stderr.readline), 60)
    assert "tailing" in ready
    event_id = str(uuid.uuid4())

    async def publish(start: int, n: int) -> None:
        await insert_outbox(
            settings.database_url,
            [
                ("order_cancelled", f"k:{i}", {"order_id": str(uuid.uuid4()), "event_id": event_id})
                for i in range(start, start + n)
            ]
            + [("sale_sold_out", f"other:{start}", {"event_id": event_id})],  # filtered out
        )
        await publish_all(resources.pool, publisher)

    await publish(0, 30)
    seen = await read_lines(process, 10)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)
    # What it printed before it died, still in the pipe, was received.
    assert process.stdout is not None
    seen += process.stdout.readlines()
    await publish(30, 30)  # while no consumer is connected
    restarted = tail(settings, tmp_path, "tailer")
    try:
        # Whatever was not acknowledged before the kill comes again, then the 30 new ones.
        counts = collections.Counter(json.loads(line)["id"] for line in seen)
        while len(counts) < 60:
            more = await read_lines(restarted, 1, timeout_s=30)
            assert more, f"{len(counts)} of 60 arrived"
            seen += more
            counts[json.loads(more[0])["id"]] += 1
    finally:
        os.killpg(restarted.pid, signal.SIGKILL)
        restarted.wait(10)
    bodies = [json.loads(line) for line in seen]
    assert {b["type"] for b in bodies} == {"order.cancelled"}
    assert len(counts) == 60
    # A message seen twice (delivered, killed before its ack) is the same message.
    for body in bodies:
        assert body == next(b for b in bodies if b["id"] == body["id"])


async def test_a_broker_restart_keeps_every_confirmed_message(
    settings: Settings, resources: Any, tmp_path: Path
) -> None:
    broker = EmbeddedRabbitMQ(tmp_path / "broker")
    url = broker.start()
    settings = msgspec.structs.replace(settings, amqp_url=url)
    pub = Publisher(url, settings.stream_exchange, confirm_timeout_s=5)
    try:
        await durable_queue(settings, "books")
        await insert_outbox(
            settings.database_url,
            [("sale_sold_out", f"r:{i}", {"event_id": str(uuid.uuid4())}) for i in range(20)],
        )
        assert await publish_all(resources.pool, pub) == 20
        await pub.close()
        broker.stop()
        # While it is down the rows of new changes wait in the outbox.
        await insert_outbox(
            settings.database_url,
            [("sale_sold_out", f"r2:{i}", {"event_id": str(uuid.uuid4())}) for i in range(5)],
        )
        with pytest.raises(Exception):  # noqa: B017 - any connection error
            await publish_once(resources.pool, pub)
        assert len(await unpublished(settings.database_url)) == 5
        broker.start()
        assert await publish_all(resources.pool, pub) == 5
        got = await drain(settings, "books")
        assert len({m.message_id for m in got}) == 25
    finally:
        await pub.close()
        broker.stop()


def test_the_binding_key_selects_by_event_and_type() -> None:
    assert consumer.binding_key() == "*.*.#"
    assert consumer.binding_key("e1") == "*.e1.#"
    assert consumer.binding_key(type_="order.confirmed") == "*.*.order.confirmed"
    assert messages.routing_key(None, "e", "event.sold_out") == "_.e.event.sold_out"
