"""Redis for the channel-state tests: a private redis-server the test starts
and stops (to take Redis away without touching the machine's), and the
machine's Redis with a key prefix of the test's own, its keys deleted after.

The private server listens on 127.0.0.1 on a free port, keeps nothing on disk
(``--save '' --appendonly no``) and runs in its own temporary directory.
"""

import secrets
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from typing import Iterator, Optional

import redis

from cluster import services
from tests.support.servers import free_port
from tests.support.services import unavailable

REDIS_SERVER = "/usr/bin/redis-server"
# The database the cluster's lock store and channel state use.
DB = 1


class PrivateRedis:
    """``start()``; then ``stop()`` and ``start()`` again on the same port at will."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server") or REDIS_SERVER
        if not shutil.which(binary):
            unavailable(f"needs {REDIS_SERVER} (apt-get install redis-server)")
        self.binary, self.port = binary, free_port()
        self.directory = tempfile.mkdtemp(prefix="test-redis-")
        self.process: Optional[subprocess.Popen] = None

    def start(self) -> "PrivateRedis":
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.directory,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_timeout=1)
        deadline = time.monotonic() + 15
        while True:
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        f"redis-server did not start on port {self.port}"
                    ) from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
        self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


@contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis().start()
    try:
        yield server
    finally:
        server.remove()


@contextmanager
def machine_redis_prefix() -> Iterator[str]:
    """A key prefix of the test's own on the machine's Redis (database 1);
    every key under it is deleted after. Skips (fails in CI) when that Redis
    does not answer; it is never started, stopped or flushed here."""
    client = redis.Redis(host=services.HOST, port=services.PORTS["redis"], db=DB, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as problem:
        unavailable(f"needs the machine's Redis at {services.HOST}: {problem}")
    prefix = f"test-state-{secrets.token_hex(4)}"
    try:
        yield prefix
    finally:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        client.close()


def keys_under(prefix: str, port: int = services.PORTS["redis"]) -> list:
    """The keys under ``prefix`` on the Redis at ``port`` (database 1), as text."""
    client = redis.Redis(host=services.HOST, port=port, db=DB, socket_timeout=2)
    try:
        return sorted(k.decode() for k in client.scan_iter(f"{prefix}:*"))
    finally:
        client.close()
