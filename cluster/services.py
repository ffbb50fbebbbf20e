"""The shared services on loopback: started when down, prepared for the cluster.

The start commands are this machine's own (Debian packages run without
systemd). Every wait is bounded; a service that cannot start raises
ServiceUnavailable with the reason.
"""

import os
import socket
import subprocess
import time
from pathlib import Path
from typing import List

from settings import get_settings

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
        return [
            [
                "redis-server",
                "--daemonize",
                "yes",
                "--bind",
                HOST,
                "-::1",
                "--port",
                "6379",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                "/var/lib/redis",
                "--logfile",
                "/var/log/redis/redis-server.log",
            ]
        ]
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


def ensure_running(name: str, seconds: float = 60) -> bool:
    """Starts ``name`` if nothing listens on its port; raises if it cannot.
    True when it started it."""
    port = PORTS[name]
    if port_open(port):
        return False
    for command in start_commands(name):
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=seconds)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise ServiceUnavailable(f"{name}: cannot run {command[0]}: {error}") from error
        if result.returncode != 0:
            raise ServiceUnavailable(
                f"{name}: {' '.join(command)} failed: "
                f"{(result.stderr or result.stdout).strip()[-300:]}"
            )
    if not wait_for_port(port, seconds):
        raise ServiceUnavailable(
            f"{name}: started, but nothing listens on {HOST}:{port} after {seconds:.0f}s"
        )
    if name == "rabbitmq":  # the port opens a little before it accepts logins
        time.sleep(3)
    return True


def _admin_connection(host: str, port: int):
    """As PostgreSQL's superuser (PGADMIN, default postgres; loopback is trusted here)."""
    import psycopg2

    settings = get_settings()
    password = settings.pgadmin_password
    connection = psycopg2.connect(
        host=host,
        port=port,
        dbname="postgres",
        user=settings.pgadmin,
        password=password.get_secret_value() if password else None,
        connect_timeout=5,
    )
    connection.autocommit = True
    return connection


def _safe(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"unsafe PostgreSQL name {name!r}")
    return name


def create_database(
    name: str,
    user: str = "postgres",
    password: str = "",
    host: str = HOST,
    port: int = PORTS["postgresql"],
) -> None:
    """Creates ``user`` (with ``password``) and database ``name`` on the server
    at ``host:port`` if missing; Rasa creates the table itself."""
    connection = _admin_connection(host, port)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (user,))
            if cursor.fetchone() is None:
                cursor.execute(
                    f'CREATE ROLE "{_safe(user)}" LOGIN PASSWORD %s', (password or None,)
                )
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{_safe(name)}" OWNER "{_safe(user)}"')
    finally:
        connection.close()


def drop_database(name: str, host: str = HOST, port: int = PORTS["postgresql"]) -> None:
    """Drops database ``name`` (a run's own), closing its connections first."""
    connection = _admin_connection(host, port)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{_safe(name)}" WITH (FORCE)')
    finally:
        connection.close()


def amqp_url(user: str = "guest", password: str = "guest") -> str:
    return f"amqp://{user}:{password}@{HOST}:{PORTS['rabbitmq']}/"


def delete_queue_and_exchange(
    queue: str, exchange: str, user: str = "guest", password: str = "guest"
) -> None:
    """Deletes a run's own RabbitMQ queue and exchange."""
    import asyncio

    import aio_pika

    async def delete() -> None:
        connection = await aio_pika.connect(amqp_url(user, password))
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(queue)
            await channel.exchange_delete(exchange)

    asyncio.run(delete())


def delete_redis_keys(db: int, prefix: str) -> None:
    """Deletes a run's own Redis keys: those under ``prefix:``."""
    import redis

    client = redis.Redis(host=HOST, port=PORTS["redis"], db=db)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
