"""What the tests need of the machine's services and tools: a reason to skip
(or, in CI, to fail) when one is missing; the machine's Redis and RabbitMQ
running for a while and left as they were found; RabbitMQ's queue read."""

import asyncio
import json
import os
import subprocess
import time
from contextlib import contextmanager
from typing import Dict, Iterator, List

import pytest

from cluster import services

STOP_COMMANDS = {
    "redis": [
        "redis-cli",
        "-h",
        services.HOST,
        "-p",
        str(services.PORTS["redis"]),
        "shutdown",
        "nosave",
    ],
    "rabbitmq": ["rabbitmqctl", "stop"],
}


def unavailable(reason: str) -> None:
    """Skips the test with ``reason``; fails it when CI is set, where nothing may be missing."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


@contextmanager
def machine_services(*names: str) -> Iterator[None]:
    """The machine's ``names`` (redis, rabbitmq) running for the block. One
    that is down is started for it and stopped after it, so the machine is
    left as it was; one that runs already is never stopped. Raises
    ServiceUnavailable when one cannot start."""
    started: List[str] = []
    try:
        for name in names:
            if services.ensure_running(name):
                started.append(name)
        yield
    finally:
        for name in reversed(started):
            subprocess.run(STOP_COMMANDS[name], capture_output=True, timeout=120)


def read_queue(
    queue: str,
    user: str = "guest",
    password: str = "guest",
    quiet_seconds: float = 2.0,
    limit_seconds: float = 30.0,
) -> List[Dict]:
    """Every message in ``queue`` (consumed), once none arrived for ``quiet_seconds``."""
    import aio_pika

    async def drain() -> List[Dict]:
        connection = await aio_pika.connect(services.amqp_url(user, password))
        async with connection:
            channel = await connection.channel()
            q = await channel.declare_queue(queue, durable=True, passive=True)
            found: List[Dict] = []
            deadline = time.monotonic() + limit_seconds
            quiet_since = time.monotonic()
            while time.monotonic() < deadline and time.monotonic() - quiet_since < quiet_seconds:
                message = await q.get(no_ack=True, fail=False)
                if message is None:
                    await asyncio.sleep(0.1)
                    continue
                found.append(json.loads(message.body))
                quiet_since = time.monotonic()
            return found

    return asyncio.run(drain())
