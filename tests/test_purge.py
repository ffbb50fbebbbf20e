"""Retention: `make purge` deletes conversations idle for longer than the period."""

import asyncio
import sys
import time
from pathlib import Path

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from purge import engine_from_endpoints, purge  # noqa: E402

DAY = 86_400


def store_conversations(db: Path, ages_in_days: dict) -> SQLTrackerStore:
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(db))
    now = time.time()

    async def save_all():
        for sender, ages in ages_in_days.items():
            events = [UserUttered("hello", timestamp=now - age * DAY) for age in ages]
            await store.save(DialogueStateTracker.from_events(sender, events))

    asyncio.run(save_all())
    return store


def senders(store: SQLTrackerStore):
    return sorted(asyncio.run(store.keys()))


def test_conversations_idle_past_the_period_are_deleted_whole(tmp_path):
    db = tmp_path / "tracker.db"
    store = store_conversations(db, {"old": [45, 40], "recent": [45, 2], "new": [0]})
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {db}\n")
    assert purge(engine_from_endpoints(endpoints), days=30) == 1
    assert senders(store) == ["new", "recent"]
    # the recent conversation keeps all its events, old ones included
    assert len(asyncio.run(store.retrieve("recent")).events) == 2


def test_nothing_to_purge_in_an_empty_store(tmp_path):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {tmp_path / 'none.db'}\n"
    )
    assert purge(engine_from_endpoints(endpoints), days=30) == 0


def test_the_projects_own_endpoints_are_purgeable(tmp_path):
    """endpoints.yml names stores.tracker.StrictSQLTrackerStore: same table."""
    db = tmp_path / "tracker.db"
    store = store_conversations(db, {"old": [45], "new": [0]})
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text((ROOT / "endpoints.yml").read_text().replace("var/tracker.db", str(db)))
    assert purge(engine_from_endpoints(endpoints), days=30) == 1
    assert senders(store) == ["new"]
