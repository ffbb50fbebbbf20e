"""The backstop behind the detector: what the tracker store keeps and the event
broker gets is sealed (stores/sealing.py). A message the masking misses is
stored and published, and then looked for in the SQLite file's bytes, in the
rows, and in what was published: it is nowhere readable without the key, and
nothing opens it with a wrong one. PostgreSQL: tests/cluster/test_sealing_postgres.py."""

import asyncio
import json
import os
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from rasa.shared.core.trackers import DialogueStateTracker

import patches
import settings
from stores import sealing
from stores.tracker import StrictSQLTrackerStore
from tests.support.sealing import DOMAIN, MISSED, conversation, use_key

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _patched():
    patches.install()


def store(db: Path, broker=None) -> StrictSQLTrackerStore:
    return StrictSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(db), event_broker=broker)


class Broker:
    def __init__(self):
        self.published = []

    def publish(self, event):
        self.published.append(event)


def raw_rows(db: Path):
    with sqlite3.connect(db) as connection:
        return [json.loads(d) for (d,) in connection.execute("SELECT data FROM events")]


def resting_bytes(db: Path) -> bytes:
    """Every byte of the database as it rests: the file and its write-ahead log."""
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))


def test_what_is_stored_and_published_is_sealed_and_opens_with_the_key(tmp_path, monkeypatch):
    key = Fernet.generate_key().decode()
    use_key(monkeypatch, key)
    broker, db = Broker(), tmp_path / "tracker.db"
    asyncio.run(store(db, broker).save(conversation()))

    rows = raw_rows(db)
    assert [r["event"] for r in rows] == ["action", "user", "slot", "bot"]
    for row in rows + broker.published:
        assert set(row) <= {"sender_id", "event", "timestamp", "name", "sealed"}, row
    assert MISSED.encode() not in resting_bytes(db)
    assert MISSED.split()[1] not in json.dumps(broker.published)
    assert [r["name"] for r in rows if r["event"] == "slot"] == ["org_type"]

    read = asyncio.run(store(db).retrieve("staff-1"))
    assert read.latest_message.text == f"our lounge is {MISSED} now"
    assert read.get_slot("org_type") == MISSED
    assert [sealing.Sealer(key).open(e) for e in broker.published] == [
        sealing.Sealer(key).open(r) for r in rows
    ]
    full = asyncio.run(store(db).retrieve_full_tracker("staff-1"))
    assert full.latest_message.text == read.latest_message.text


def test_without_the_key_no_server_starts_and_nothing_is_read(tmp_path, monkeypatch):
    use_key(monkeypatch, Fernet.generate_key().decode())
    db = tmp_path / "tracker.db"
    asyncio.run(store(db).save(conversation()))
    use_key(monkeypatch, None)
    with pytest.raises(sealing.KeyProblem, match="AT_REST_KEY is not set"):
        store(db)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AT_REST")}
    started = subprocess.run(
        [sys.executable, "-m", "rasa_server", "run", "-m", "models/none.tar.gz"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode != 0
    assert "AT_REST_KEY is not set" in started.stderr


def test_a_wrong_key_opens_nothing_and_the_store_refuses_to_start(tmp_path, monkeypatch):
    use_key(monkeypatch, Fernet.generate_key().decode())
    db = tmp_path / "tracker.db"
    asyncio.run(store(db).save(conversation()))
    wrong = sealing.Sealer(Fernet.generate_key().decode())
    for row in raw_rows(db):
        with pytest.raises(sealing.KeyProblem, match="sealed with another key"):
            wrong.open(row)
    use_key(monkeypatch, Fernet.generate_key().decode())
    with pytest.raises(sealing.KeyProblem, match="sealed with another key"):
        store(db)


def test_an_altered_event_is_refused_not_half_read(monkeypatch):
    sealer = sealing.Sealer(Fernet.generate_key().decode())
    sealed = sealer.seal({"event": "user", "text": MISSED})
    token = sealed["sealed"]
    altered = {**sealed, "sealed": token[:40] + ("A" if token[40] != "A" else "B") + token[41:]}
    with pytest.raises(sealing.KeyProblem):
        sealer.open(altered)


def test_rotation_reseals_everything_under_the_new_key(tmp_path, monkeypatch):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    use_key(monkeypatch, old)
    db = tmp_path / "tracker.db"
    asyncio.run(store(db).save(conversation("a")))
    # An event stored in clear before sealing began is sealed by the rotation too.
    with sqlite3.connect(db) as connection:
        connection.execute(
            "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, ?, ?, ?)",
            ("b", "user", time.time(), json.dumps({"event": "user", "text": MISSED})),
        )
    use_key(monkeypatch, new, previous=old)  # the servers' settings during a rotation
    assert asyncio.run(store(db).retrieve("a")).get_slot("org_type") == MISSED
    engine = store(db).engine
    assert sealing.rotate(engine, sealing.from_settings()) == 5
    use_key(monkeypatch, new)
    assert asyncio.run(store(db).retrieve("a")).get_slot("org_type") == MISSED
    rows = raw_rows(db)
    assert all("sealed" in r for r in rows)
    assert sealing.Sealer(new).open(rows[-1])["text"] == MISSED
    with pytest.raises(sealing.KeyProblem):
        sealing.Sealer(old).open(rows[0])
    assert MISSED.encode() not in resting_bytes(db)


def test_purge_deletes_by_time_without_the_key(tmp_path, monkeypatch):
    use_key(monkeypatch, Fernet.generate_key().decode())
    db = tmp_path / "tracker.db"
    old = conversation("old")
    for event in old.events:
        event.timestamp = time.time() - 45 * 86_400
    asyncio.run(store(db).save(DialogueStateTracker.from_events("old", list(old.events))))
    asyncio.run(store(db).save(conversation("new")))
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        f"tracker_store:\n  type: stores.tracker.StrictSQLTrackerStore\n  dialect: sqlite\n"
        f"  db: {db}\n"
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AT_REST")}
    purged = subprocess.run(
        [sys.executable, "scripts/purge.py", "--days", "30", "--endpoints", str(endpoints)],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert purged.returncode == 0, purged.stderr
    assert "deleted 1 conversation(s)" in purged.stdout
    with sqlite3.connect(db) as connection:
        senders = {s for (s,) in connection.execute("SELECT DISTINCT sender_id FROM events")}
    assert senders == {"new"}


def test_the_development_key_is_made_once_and_only_its_owner_reads_it(tmp_path):
    path = tmp_path / "var" / "at-rest.key"
    key = sealing.dev_key(path)
    assert sealing.dev_key(path) == key
    Fernet(key.encode())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_development_key_rotates_with_everything_it_sealed(tmp_path, monkeypatch):
    key_file = tmp_path / "at-rest.key"
    monkeypatch.setattr(sealing, "DEV_KEY_FILE", key_file)
    old = sealing.dev_key(key_file)
    use_key(monkeypatch, old)
    db = tmp_path / "tracker.db"
    asyncio.run(store(db).save(conversation()))
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        f"tracker_store:\n  type: stores.tracker.StrictSQLTrackerStore\n  dialect: sqlite\n"
        f"  db: {db}\n"
    )
    assert sealing.main(["rotate-dev", "--endpoints", str(endpoints)]) == 0
    new = key_file.read_text().strip()
    assert new != old
    use_key(monkeypatch, new)
    assert asyncio.run(store(db).retrieve("staff-1")).get_slot("org_type") == MISSED


def test_a_key_that_is_not_a_fernet_key_is_refused_by_name():
    with pytest.raises(settings.SettingsError, match="AT_REST_KEY=\\(secret, not shown\\)"):
        settings.load({"AT_REST_KEY": "hunter2"})
