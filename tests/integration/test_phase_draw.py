"""Registration draws over HTTP: verified registrants only, a seeded draw of 10,000
registrations for 1,000 codes reproduced by `onsale phases verify-draw`, winners' codes
bound to them, and unused codes refilled from the list."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from app.core.settings import Settings
from app.notifications import content
from tests.support.api import Api, assert_problem, bulk_fans
from tests.support.phases import close_registration, join, move_phases, phase, verify_emails, window


def _draw_phase(minutes_to_deadline: float = 10) -> dict[str, object]:
    now = datetime.now(UTC)
    return {
        "name": "Verified fan",
        "audience": "draw",
        **window(minutes_to_deadline + 1, 120),
        "registration_closes_at": (now + timedelta(minutes=minutes_to_deadline)).isoformat(),
    }


async def test_draw_registration_result_codes_and_refill(api: Api, settings: Settings) -> None:
    org = await api.user("organizer")
    eid = (await api.event(org))["event_id"]
    # Registration closes in ten minutes; the phase opens a minute later (moved below).
    p = await phase(api, org, eid, **_draw_phase())
    pid, base = p["phase_id"], f"/api/v1/events/{eid}/phases/{p['phase_id']}"
    assert p.get("seed") is None
    assert len(p["seed_sha256"]) == 64
    fans = [await api.user() for _ in range(6)]
    unverified = fans[0]
    r = await api.client.post(f"{base}/registrations", json={}, headers=unverified.headers)
    assert_problem(r, 403, "email_unverified")
    await verify_emails(settings.database_url, fans)
    for fan in fans:
        r = await api.client.post(
            f"{base}/registrations", json={"quantity": 2, "section": "FLOOR"}, headers=fan.headers
        )
        assert r.status_code == 201, r.text
        assert r.json()["state"] == "registered"
    again = await api.client.post(
        f"{base}/registrations", json={"quantity": 1}, headers=fans[0].headers
    )
    assert again.status_code == 200
    assert again.json()["quantity"] == 1
    assert_problem(
        await api.client.post(f"{base}/draw", json={"codes": 2}, headers=org.headers),
        409,
        "draw_not_due",
    )
    report = (await api.client.get(f"{base}/draw")).json()
    assert report["drawn"] is False
    assert report.get("seed") is None

    await close_registration(settings.database_url, pid)
    assert_problem(
        await api.client.post(f"{base}/registrations", json={}, headers=fans[0].headers),
        409,
        "registration_closed",
    )
    r = await api.client.post(f"{base}/draw", json={"codes": 2}, headers=org.headers)
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["registrations"], report["winners"], report["drawn"]) == (6, 2, True)
    # A rerun changes nothing.
    rerun = await api.client.post(f"{base}/draw", json={"codes": 5}, headers=org.headers)
    assert rerun.json()["order"] == report["order"]
    assert rerun.json()["winners"] == 2
    by_id = {f.user_id: f for f in fans}
    states = {}
    for fan in fans:
        mine = (await api.client.get(f"{base}/registration", headers=fan.headers)).json()
        states[fan.user_id] = mine
    winners = [by_id[u] for u in report["order"][:2]]
    listed = [by_id[u] for u in report["order"][2:]]
    assert all(states[w.user_id]["state"] == "won" for w in winners)
    assert [states[f.user_id]["rank"] for f in listed] == [3, 4, 5, 6]
    # Each winner's code goes out through the outbox, in the fan's language.
    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.set_type_codec(
            "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )
        rows = await conn.fetch("SELECT payload FROM outbox WHERE kind = 'draw_won'")
        assert {r["payload"]["user_id"] for r in rows} == {w.user_id for w in winners}
        mine = next(r["payload"] for r in rows if r["payload"]["user_id"] == winners[0].user_id)
        assert mine["code"] == states[winners[0].user_id]["code"]
        message = await content.build(conn, "draw_won", mine, "de", "Alex")
        assert message.subject.startswith("Du bist dabei")
        assert mine["code"] in " ".join(message.paragraphs)
    finally:
        await conn.close()

    # The phase opens: a winner's code is theirs alone.
    await move_phases(
        settings.database_url,
        settings.redis_url,
        eid,
        "UPDATE event_phases SET opens_at = now() - interval '1 minute' WHERE phase_id = $1",
        uuid.UUID(pid),
    )
    w0, w1 = winners
    assert_problem(await join(api, eid, listed[0], states[w0.user_id]["code"]), 403, "code_invalid")
    assert_problem(await join(api, eid, listed[0]), 403, "code_required")
    assert (await join(api, eid, w0, states[w0.user_id]["code"])).status_code == 201
    # w1 never uses the code: a refill voids it and sends one to the first on the list.
    r = await api.client.post(f"{base}/draw/refill", json={}, headers=org.headers)
    assert r.json() == {"voided": 1, "issued": 1}
    assert_problem(await join(api, eid, w1, states[w1.user_id]["code"]), 403, "code_invalid")
    first = (await api.client.get(f"{base}/registration", headers=listed[0].headers)).json()
    assert first["state"] == "won"
    assert (await join(api, eid, listed[0], first["code"])).status_code == 201
    conn = await asyncpg.connect(settings.database_url)
    try:
        sent = await conn.fetchval(
            "SELECT count(*) FROM outbox WHERE kind = 'draw_won' AND dedup_key LIKE $1",
            f"%:{listed[0].user_id}",
        )
    finally:
        await conn.close()
    assert sent == 1
    second = (await api.client.get(f"{base}/registration", headers=listed[1].headers)).json()
    assert second["state"] == "listed"


async def test_ten_thousand_registrations_for_a_thousand_codes_reproduced_by_anyone(
    api: Api, settings: Settings, tmp_path: Path
) -> None:
    org = await api.user("organizer")
    eid = (await api.event(org))["event_id"]
    p = await phase(api, org, eid, **_draw_phase())
    pid = p["phase_id"]
    fans = await bulk_fans(settings, 10_000)
    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.execute(
            "INSERT INTO phase_registrations (phase_id, user_id)"
            " SELECT $1, u FROM unnest($2::uuid[]) AS t (u)",
            uuid.UUID(pid),
            [uuid.UUID(f.user_id) for f in fans],
        )
    finally:
        await conn.close()
    await close_registration(settings.database_url, pid)
    base = f"/api/v1/events/{eid}/phases/{pid}"
    r = await api.client.post(f"{base}/draw", json={"codes": 1000}, headers=org.headers)
    assert r.status_code == 200, r.text
    public = await api.client.get(f"{base}/draw")  # no sign-in: anyone may check it
    report = public.json()
    assert (report["registrations"], report["winners"]) == (10_000, 1_000)
    assert report["seed"] is not None
    saved = tmp_path / "draw.json"
    saved.write_text(public.text)
    cli = [sys.executable, "-c", "from app.cli import main; main()", "phases", "verify-draw"]
    ok = subprocess.run([*cli, str(saved)], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "checks out: 10000 registrations" in ok.stdout
    # One registration changed (another account in place of one): the proof fails.
    forged = dict(report, registrants=[str(uuid.uuid4()), *report["registrants"][1:]])
    saved.write_text(json.dumps(forged))
    bad = subprocess.run([*cli, str(saved)], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1
    assert "registrations_sha256" in bad.stdout
    codes = await api.client.get(f"{base}/codes", headers=org.headers)
    assert codes.text.count(",draw,") == 1000


async def _past_payment(
    database_url: str, event_id: str, user_id: str, fingerprint: str, *, charge: bool
) -> None:
    """A paid order of `user_id` whose Stripe webhook carried the card's fingerprint (on
    the charge, or on the PaymentIntent's charges, as older API versions send it)."""
    intent = f"pi_{uuid.uuid4().hex[:20]}"
    card = {"payment_method_details": {"card": {"fingerprint": fingerprint}}}
    obj: dict[str, object] = (
        {"object": "charge", "payment_intent": intent, **card}
        if charge
        else {"object": "payment_intent", "id": intent, "charges": {"data": [card]}}
    )
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "INSERT INTO orders (order_id, event_id, user_id, hold_id, section_code, quantity,"
            " status, amount_cents, currency, payment_intent_id)"
            " VALUES ($1, $2, $3, $4, 'FLOOR', 1, 'confirmed', 5000, 'EUR', $5)",
            uuid.uuid4(),
            uuid.UUID(event_id),
            uuid.UUID(user_id),
            f"h-{uuid.uuid4()}",
            intent,
        )
        await conn.execute(
            "INSERT INTO webhook_events (stripe_event_id, type, payment_intent_id, payload)"
            " VALUES ($1, $2, $3, $4::jsonb)",
            f"evt_{uuid.uuid4().hex[:20]}",
            "charge.succeeded" if charge else "payment_intent.succeeded",
            intent,
            json.dumps({"data": {"object": obj}}),
        )
    finally:
        await conn.close()


async def test_the_draw_takes_one_account_per_phone_and_per_payment_card(
    api: Api, settings: Settings, tmp_path: Path
) -> None:
    org = await api.user("organizer")
    earlier = (await api.event(org))["event_id"]
    eid = (await api.event(org))["event_id"]
    p = await phase(api, org, eid, **_draw_phase())
    pid, base = p["phase_id"], f"/api/v1/events/{eid}/phases/{p['phase_id']}"
    fans = [await api.user() for _ in range(7)]
    await verify_emails(settings.database_url, fans)
    conn = await asyncpg.connect(settings.database_url)
    try:
        # fans[0] and fans[2]: one phone, written two ways; fans[5] has a phone of its own.
        phones = (
            (fans[0], "+49 170 1234567"),
            (fans[2], "0049-170-123 45 67"),
            (fans[5], "+33 6 12 34 56 78"),
        )
        for fan, phone in phones:
            await conn.execute(
                "INSERT INTO notification_prefs (user_id, phone) VALUES ($1, $2)",
                uuid.UUID(fan.user_id),
                phone,
            )
    finally:
        await conn.close()
    # fans[1] and fans[3] paid with the same card; fans[3] and fans[4] share another
    # (a chain: one person); fans[6] paid with a card nobody else used.
    await _past_payment(settings.database_url, earlier, fans[1].user_id, "fpA", charge=True)
    await _past_payment(settings.database_url, earlier, fans[3].user_id, "fpA", charge=False)
    await _past_payment(settings.database_url, earlier, fans[3].user_id, "fpB", charge=True)
    await _past_payment(settings.database_url, earlier, fans[4].user_id, "fpB", charge=True)
    await _past_payment(settings.database_url, earlier, fans[6].user_id, "fpC", charge=True)
    for fan in fans:  # in this order: the first account of a person keeps its registration
        r = await api.client.post(f"{base}/registrations", json={}, headers=fan.headers)
        assert r.status_code == 201, r.text
    await close_registration(settings.database_url, pid)
    r = await api.client.post(f"{base}/draw", json={"codes": 10}, headers=org.headers)
    assert r.status_code == 200, r.text
    report = r.json()
    kept = {fans[i].user_id for i in (0, 1, 5, 6)}
    assert set(report["registrants"]) == kept
    assert (report["registrations"], report["winners"]) == (4, 4)
    for i, fan in enumerate(fans):
        mine = (await api.client.get(f"{base}/registration", headers=fan.headers)).json()
        assert mine["state"] == ("won" if fan.user_id in kept else "duplicate"), (i, mine)
    # The published report still checks out: its registrants are the accounts kept.
    saved = tmp_path / "draw.json"
    saved.write_text(json.dumps(report))
    cli = [sys.executable, "-c", "from app.cli import main; main()", "phases", "verify-draw"]
    ok = subprocess.run([*cli, str(saved)], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
