"""The fan app's proof-of-work solver (a Web Worker) finds nonces the server's rule accepts:
SHA-256(challenge ":" nonce) starting with `difficulty` zero bits (app/core/pow.py's rule)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from app.core.settings import Settings
from tests.browser.conftest import Phone
from tests.support.servers import api_process

pytestmark = pytest.mark.timeout(120)


def zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte:
            return bits + 8 - byte.bit_length()
        bits += 8
    return bits


async def test_worker_solves_challenges_with_honest_progress(
    settings: Settings, phone: Any
) -> None:
    ph: Phone = await phone("en-US")
    with api_process(settings) as base:
        await ph.page.goto(base + "/")
        for challenge, difficulty in (("v1.abc.def", 8), ("another-challenge", 14)):
            result = await ph.page.evaluate(
                """async ([challenge, difficulty]) => {
                    const { solve } = await import("/assets/fan/pow.js");
                    const seen = [];
                    const nonce = await solve(challenge, difficulty, (p) => seen.push(p));
                    return { nonce, seen };
                }""",
                [challenge, difficulty],
            )
            digest = hashlib.sha256(f"{challenge}:{result['nonce']}".encode()).digest()
            assert zero_bits(digest) >= difficulty
            seen = result["seen"]
            assert seen[-1] == 1
            assert seen == sorted(seen)
    assert ph.errors == []
