"""Locust load test of a whole onsale, over HTTP only (imports nothing of the app).

Fans register, join the waiting room, poll at the `poll_after_s` the server
asks for, hold 1-4 seats once admitted, check out with a test card and poll
their order; a share abandon their hold. One organizer polls the stats.

Run headless against `onsale dev --demo` (see docs/contributors/load-testing.md):

    locust -f loadtest/locustfile.py --headless -u 200 -r 50 -t 60s \
        --host http://127.0.0.1:8000 --csv loadtest/results/run --html loadtest/results/run.html

Rate limits: each simulated fan sends its own X-Forwarded-For address
(10.x.y.z), which the API believes only from ONSALE_TRUSTED_PROXIES (loopback
under `onsale dev`); so per-address limits see many clients, as they would
behind a real load balancer. A 429 is honoured by waiting `Retry-After`. When
the event asks for proof of work, fans solve it (SHA-256, leading zero bits).
An access token that expires in a long queue is renewed with the refresh token.

Environment: ONSALE_LOADTEST_EVENT (event id; default: the first published
event on sale), ONSALE_LOADTEST_ORGANIZER_EMAIL / _PASSWORD (defaults: the
demo organizer), ONSALE_LOADTEST_ABANDON (share of fans who abandon, 0.2).
"""

from __future__ import annotations

import hashlib
import os
import random
import time
import uuid
from typing import Any

from locust import HttpUser, between, events, task
from locust.exception import StopUser

ABANDON_SHARE = float(os.environ.get("ONSALE_LOADTEST_ABANDON", "0.2"))
ORGANIZER = (
    os.environ.get("ONSALE_LOADTEST_ORGANIZER_EMAIL", "organizer@demo.onsale.dev"),
    os.environ.get("ONSALE_LOADTEST_ORGANIZER_PASSWORD", "demo-organizer-pass"),
)
_event: dict[str, Any] = {}


def _pick_event(client: Any) -> dict[str, Any]:
    """The event under test, looked up once per process."""
    if _event:
        return _event
    wanted = os.environ.get("ONSALE_LOADTEST_EVENT")
    r = client.get("/api/v1/events", name="/api/v1/events")
    items = r.json().get("items", []) if r.ok else []
    for item in items:
        if (wanted and item["event_id"] == wanted) or (not wanted and item.get("on_sale")):
            _event.update(item)
            return _event
    raise StopUser("no event on sale: start `onsale dev --demo` or set ONSALE_LOADTEST_EVENT")


def solve_pow(challenge: str, difficulty: int) -> str:
    """A nonce whose SHA-256(challenge ":" nonce) starts with `difficulty` zero bits."""
    prefix = challenge.encode() + b":"
    nonce = 0
    while True:
        value = int.from_bytes(hashlib.sha256(prefix + str(nonce).encode()).digest(), "big")
        if value >> (256 - difficulty) == 0:
            return str(nonce)
        nonce += 1


def post_patiently(client: Any, path: str, body: dict[str, Any]) -> Any:
    """POST, waiting out 429s (Retry-After) as a polite client does; a 429 is an answer."""
    for _ in range(20):
        with client.post(path, json=body, name=path, catch_response=True) as r:
            if r.status_code == 429:
                r.success()
        if r.status_code != 429:
            return r
        time.sleep(min(float(r.headers.get("Retry-After", "1")), 30))
    return r


@events.test_start.add_listener
def _reset(**_: Any) -> None:
    _event.clear()


class Fan(HttpUser):
    """One fan's whole onsale: register, queue, hold, pay (or abandon), order."""

    weight = 20
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        # One client address per simulated fan (believed only from a trusted proxy).
        ip = random.getrandbits(24)
        self.client.headers["X-Forwarded-For"] = f"10.{ip >> 16}.{(ip >> 8) & 255}.{ip & 255}"
        self.event = _pick_event(self.client)
        self.event_id = self.event["event_id"]
        email = f"fan-{uuid.uuid4().hex[:12]}@load.onsale.dev"
        password = "load test password"
        post_patiently(self.client, "/api/v1/auth/register", {"email": email, "password": password})
        r = post_patiently(
            self.client, "/api/v1/auth/login", {"email": email, "password": password}
        )
        self.refresh_token = r.json()["refresh_token"]
        self.auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
        self.done = False

    def _refresh(self) -> bool:
        r = self.client.post(
            "/api/v1/auth/refresh", json={"refresh_token": self.refresh_token},
            name="/api/v1/auth/refresh",
        )  # fmt: skip
        if not r.ok:
            return False
        self.refresh_token = r.json()["refresh_token"]
        self.auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return True

    def _join(self, path: str) -> Any:
        r = self.client.post(path, headers=self.auth, name="/api/v1/events/{id}/queue [join]")
        if r.status_code == 403 and r.json().get("code") == "pow_required":
            c = self.client.get(
                f"{path}/challenge", headers=self.auth, name="/api/v1/events/{id}/queue/challenge"
            ).json()
            solution = {
                "X-PoW-Challenge": c["challenge"],
                "X-PoW-Nonce": solve_pow(c["challenge"], int(c["difficulty"])),
            }
            r = self.client.post(
                path, headers={**self.auth, **solution}, name="/api/v1/events/{id}/queue [join]"
            )
        return r

    def _queue_until_admitted(self) -> str | None:
        path = f"/api/v1/events/{self.event_id}/queue"
        r = self._join(path)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if r.status_code == 401 and self._refresh():
                r = self.client.get(
                    path, headers=self.auth, name="/api/v1/events/{id}/queue [poll]"
                )
            status = r.json() if r.ok else {}
            state = status.get("state")
            if state == "admitted":
                token: str = status["admission_token"]
                return token
            if state in ("closed", "expired") or not r.ok:
                return None
            time.sleep(min(float(status.get("poll_after_s", 2)), 10))
            r = self.client.get(path, headers=self.auth, name="/api/v1/events/{id}/queue [poll]")
        return None

    @task
    def buy(self) -> None:
        if self.done:
            time.sleep(5)
            return
        self.done = True
        token = self._queue_until_admitted()
        if token is None:
            return
        section = random.choice(self.event["sections"])["code"]
        headers = {**self.auth, "X-Admission-Token": token, "Idempotency-Key": uuid.uuid4().hex}
        with self.client.post(
            f"/api/v1/events/{self.event_id}/holds",
            json={"section": section, "quantity": random.randint(1, 4)},
            headers=headers,
            name="/api/v1/events/{id}/holds",
            catch_response=True,
        ) as r:
            if r.status_code == 409:
                r.success()  # sold out or over the limit is an answer, not a failure
                return
        if not r.ok:
            return
        hold_id = r.json()["hold_id"]
        if random.random() < ABANDON_SHARE:
            if random.random() < 0.5:
                self.client.delete(f"/api/v1/holds/{hold_id}", headers=self.auth,
                                   name="/api/v1/holds/{id} [release]")  # fmt: skip
            return  # the other half just walks away: expiry gives the seats back
        r = self.client.post(
            f"/api/v1/holds/{hold_id}/checkout",
            json={"payment_method": "pm_card_visa"},
            headers={**self.auth, "Idempotency-Key": uuid.uuid4().hex},
            name="/api/v1/holds/{id}/checkout",
        )
        if not r.ok:
            return
        order_id = r.json()["order_id"]
        for _ in range(30):
            o = self.client.get(f"/api/v1/orders/{order_id}", headers=self.auth,
                                name="/api/v1/orders/{id}")  # fmt: skip
            if o.ok and o.json()["status"] != "pending":
                return
            time.sleep(1)


class Organizer(HttpUser):
    """The organizer watching live stats during the sale."""

    weight = 1
    fixed_count = 1
    wait_time = between(2, 3)

    def on_start(self) -> None:
        self.event_id = _pick_event(self.client)["event_id"]
        r = post_patiently(
            self.client, "/api/v1/auth/login", {"email": ORGANIZER[0], "password": ORGANIZER[1]}
        )
        self.auth = {"Authorization": f"Bearer {r.json()['access_token']}"}

    @task
    def stats(self) -> None:
        self.client.get(f"/api/v1/events/{self.event_id}/stats", headers=self.auth,
                        name="/api/v1/events/{id}/stats")  # fmt: skip
