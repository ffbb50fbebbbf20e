"""The cluster tests' servers: two Rasa servers and two action servers behind
nginx, started once per test run with the project's own code
(cluster/launch.py, endpoints.cluster.yml).

PostgreSQL is the tests' own (tests/support/postgres.py): the tests stop and
restart it, so it must not be the machine's. It is removed at the end, and
the machine's PostgreSQL is checked to be running still, never restarted.
Redis and RabbitMQ are the machine's: each run gets its own Redis key prefix,
RabbitMQ queue and exchange, removed at the end; one that is down is started
for the run and stopped after it. A service or tool that is missing skips
these tests with the reason, or fails them when CI is set.
"""

import secrets
import time

import pytest

from cluster import nginx, services
from cluster.launch import MODEL, Cluster, Settings
from tests.support.cluster import say
from tests.support.measured import MEASURED
from tests.support.postgres import PostgresUnavailable, PrivatePostgres, machine_postmaster_started
from tests.support.servers import free_port, free_ports_in_a_row
from tests.support.services import machine_services, unavailable

RUN_ID = secrets.token_hex(4)
UNLIMITED = "1000000"


@pytest.fixture(scope="session")
def machine_postgresql_left_alone():
    """Fails the run if the machine's PostgreSQL (127.0.0.1:5432) stopped or
    restarted while the cluster tests ran: it must accept connections after
    them with the start time it had before."""
    before = machine_postmaster_started()
    yield before
    after = machine_postmaster_started()
    assert after == before, (
        f"the machine's PostgreSQL started at {before}, and at {after} "
        "after the cluster tests (None: not accepting connections)"
    )


@pytest.fixture(scope="session")
def postgres(machine_postgresql_left_alone):
    """The tests' own PostgreSQL on a free port, which tests may stop and restart."""
    try:
        server = PrivatePostgres(free_port())
    except PostgresUnavailable as problem:
        unavailable(f"cluster tests need their own PostgreSQL: {problem}")
    try:
        try:
            server.start()
        except PostgresUnavailable as problem:
            unavailable(f"cluster tests need their own PostgreSQL: {problem}")
        yield server
    finally:
        server.remove()


@pytest.fixture
def database(postgres):
    """A database of one test's own on the tests' PostgreSQL, dropped after it."""
    name = f"test_{secrets.token_hex(4)}"
    admin = postgres.connect()
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield name
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="session")
def machine_redis_and_rabbitmq():
    try:
        with machine_services("redis", "rabbitmq"):
            yield
    except services.ServiceUnavailable as problem:
        unavailable(f"cluster tests need it: {problem}")


@pytest.fixture(scope="session")
def cluster(tmp_path_factory, postgres, machine_redis_and_rabbitmq):
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test does it first)")
    try:
        nginx.binary()
    except FileNotFoundError as problem:
        unavailable(f"cluster tests need it: {problem}")
    settings = Settings(
        directory=tmp_path_factory.mktemp("cluster"),
        port=free_port(),
        actions_port=free_port(),
        rasa_ports=[free_port(), free_port()],
        action_ports=[free_port(), free_port()],
        database=f"nhsmail_test_{RUN_ID}",
        pg_host=postgres.host,
        pg_port=postgres.port,
        redis_db=1,
        redis_prefix=f"test{RUN_ID}",
        queue=f"nhsmail_test_{RUN_ID}",
        exchange=f"nhsmail_test_{RUN_ID}",
        lock_lifetime=8,
        retry_seconds=2,
        metrics_port=free_ports_in_a_row(2),  # Rasa server i: metrics_port + i
        extra_env={"CHAT_RATE_PER_SENDER": UNLIMITED, "CHAT_RATE_PER_ADDRESS": UNLIMITED},
    )
    cluster = Cluster(settings)
    try:
        cluster.prepare()
        started = time.monotonic()
        cluster.start()
        cluster.wait_ready()
        for i in range(len(settings.rasa_ports)):  # the first turn of a server is slow
            say(cluster.rasa_url(i), f"warm-up-{i}", "hello")
        MEASURED.append(
            f"cluster: 2 Rasa servers, 2 action servers and nginx ready in "
            f"{time.monotonic() - started:.0f}s"
        )
        yield cluster
    finally:
        cluster.stop()
        # The database goes with the tests' PostgreSQL; the rest is the machine's.
        services.delete_queue_and_exchange(settings.queue, settings.exchange)
        services.delete_redis_keys(settings.redis_db, settings.redis_prefix)
