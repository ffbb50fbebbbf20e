"""The backstop on PostgreSQL (the cluster's tracker store): what is stored is
sealed, a wrong key opens nothing and the store refuses to start with it, and
rotation re-seals every row. On the tests' own PostgreSQL; SQLite, the event
broker's copy and the key's life: tests/stores/test_sealing.py."""

import asyncio
import json

import pytest
from cryptography.fernet import Fernet

import patches
from stores import sealing
from stores.tracker import StrictSQLTrackerStore
from tests.support.sealing import DOMAIN, MISSED, conversation, use_key


@pytest.fixture(autouse=True)
def _patched():
    patches.install()


def store(postgres, database) -> StrictSQLTrackerStore:
    return StrictSQLTrackerStore(
        DOMAIN,
        dialect="postgresql",
        host=postgres.host,
        port=postgres.port,
        db=database,
        username="postgres",
    )


def resting(postgres, database):
    connection = postgres.connect(database)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT data FROM events ORDER BY id")
            return [json.loads(data) for (data,) in cursor.fetchall()]
    finally:
        connection.close()


def test_postgresql_keeps_only_sealed_events_and_a_wrong_key_opens_nothing(
    postgres, database, monkeypatch
):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    use_key(monkeypatch, old)
    asyncio.run(store(postgres, database).save(conversation()))
    rows = resting(postgres, database)
    assert [r["event"] for r in rows] == ["action", "user", "slot", "bot"]
    assert all(set(r) <= {"event", "timestamp", "name", "sealed"} for r in rows)
    assert MISSED not in json.dumps(rows)
    read = asyncio.run(store(postgres, database).retrieve("staff-1"))
    assert read.get_slot("org_type") == MISSED

    use_key(monkeypatch, Fernet.generate_key().decode())
    with pytest.raises(sealing.KeyProblem, match="sealed with another key"):
        store(postgres, database)
    use_key(monkeypatch, None)
    with pytest.raises(sealing.KeyProblem, match="AT_REST_KEY is not set"):
        store(postgres, database)

    use_key(monkeypatch, new, previous=old)
    assert sealing.rotate(store(postgres, database).engine, sealing.from_settings()) == 4
    use_key(monkeypatch, new)
    assert asyncio.run(store(postgres, database).retrieve("staff-1")).get_slot("org_type") == MISSED
    with pytest.raises(sealing.KeyProblem):
        sealing.Sealer(old).open(resting(postgres, database)[1])
