"""The resources a running API process shares between requests."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from arq.connections import ArqRedis
from redis.asyncio import Redis

from app.core.scripts import Scripts
from app.core.settings import Settings


@dataclass
class Resources:
    settings: Settings
    pool: asyncpg.Pool
    redis: Redis
    scripts: Scripts
    arq: ArqRedis
