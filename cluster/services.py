"""The shared services on loopback: started when down, prepared for the cluster.

The start commands are this machine's own (Debian packages run without
systemd). Every wait is bounded; a service that cannot start raises
ServiceUnavailable with the reason.
"""
import asyncio
import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Dict, List

HOST = "127.0.0.1"
PORTS = {"postgresql": 5432, "redis": 6379, "rabbitmq": 5672}


class ServiceUnavailable(RuntimeError):
    pass


def postgres_version() -> str:
    versions = sorted(os.listdir("/etc/postgresql")) if Path("/etc/postgresql").is_dir() else []
    if not versions:
        raise ServiceUnavailable("PostgreSQL is not installed (no /etc/postgresql)")
    return versions[-1]


def start_commands(name: str) -> List[List[str]]:
    if name == "postgresql":
        return [["pg_ctlcluster", "--skip-systemctl-redirect", postgres_version(), "main", "start"]]
    if name == "redis":
        return [["redis-server", "--daemonize", "yes", "--bind", HOST, "-::1", "--port", "6379",
                 "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
                 "--logfile", "/var/log/redis/ci.log"]]
    if name == "rabbitmq":
        return [["rabbitmq-server", "-detached"]]
    raise ValueError(name)


def port_open(port: int, host: str = HOST) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((host, port)) == 0


def wait_for_port(port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if port_open(port):
            return True
        time.sleep(0.5)
    return False


def ensure_running(name: str, seconds: float = 60) -> None:
    """Starts ``name`` if nothing listens on its port; raises if it cannot."""
    port = PORTS[name]
    if port_open(port):
        return
    for command in start_commands(name):
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=seconds)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise ServiceUnavailable(f"{name}: cannot run {command[0]}: {error}")
        if result.returncode != 0:
            raise ServiceUnavailable(f"{name}: {' '.join(command)} failed: "
                                     f"{(result.stderr or result.stdout).strip()[-300:]}")
    if not wait_for_port(port, seconds):
        raise ServiceUnavailable(f"{name}: started, but nothing listens on {HOST}:{port} "
                                 f"after {seconds:.0f}s")
    if name == "rabbitmq":  # the port opens a little before it accepts logins
        time.sleep(3)


def postgres(command: str, seconds: float = 60) -> None:
    """``pg_ctlcluster`` stop, start or restart for this machine's cluster."""
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", postgres_version(), "main",
                    command], check=True, capture_output=True, timeout=seconds)
    if command != "stop" and not wait_for_port(PORTS["postgresql"], seconds):
        raise ServiceUnavailable(f"PostgreSQL did not come back after {command}")


def _admin_connection():
    """As PostgreSQL's superuser (PGADMIN, default postgres; loopback is trusted here)."""
    import psycopg2

    connection = psycopg2.connect(host=HOST, port=PORTS["postgresql"], dbname="postgres",
                                  user=os.environ.get("PGADMIN", "postgres"),
                                  password=os.environ.get("PGADMIN_PASSWORD") or None,
                                  connect_timeout=5)
    connection.autocommit = True
    return connection


def _safe(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"unsafe PostgreSQL name {name!r}")
    return name


def create_database(name: str, user: str = "postgres", password: str = "") -> None:
    """Creates ``user`` (with ``password``) and database ``name`` if missing;
    Rasa creates the table itself."""
    connection = _admin_connection()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (user,))
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE ROLE "{_safe(user)}" LOGIN PASSWORD %s', (password or None,))
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{_safe(name)}" OWNER "{_safe(user)}"')
    finally:
        connection.close()


def drop_database(name: str) -> None:
    connection = _admin_connection()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{_safe(name)}" WITH (FORCE)')
    finally:
        connection.close()


def _amqp_url(user: str, password: str) -> str:
    return f"amqp://{user}:{password}@{HOST}:{PORTS['rabbitmq']}/"


def read_queue(queue: str, user: str = "guest", password: str = "guest",
               quiet_seconds: float = 2.0, limit_seconds: float = 30.0) -> List[Dict]:
    """Every message in ``queue`` (consumed), once none arrived for ``quiet_seconds``."""
    import json

    import aio_pika

    async def drain() -> List[Dict]:
        connection = await aio_pika.connect(_amqp_url(user, password))
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


def delete_queue_and_exchange(queue: str, exchange: str, user: str = "guest",
                              password: str = "guest") -> None:
    import aio_pika

    async def delete() -> None:
        connection = await aio_pika.connect(_amqp_url(user, password))
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(queue)
            await channel.exchange_delete(exchange)

    asyncio.run(delete())
