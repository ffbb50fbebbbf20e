"""Retention on the cluster's PostgreSQL tracker store: `make purge
ENDPOINTS=endpoints.cluster.yml` deletes the conversations idle for longer
than RETENTION_DAYS and keeps the others, on a real database (the tests' own
PostgreSQL), with the tables Rasa's SQLTrackerStore creates."""

import asyncio
import os
import subprocess
import sys
import time

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from tests.support.servers import ROOT

DAY = 86_400


def store(postgres, name):
    return SQLTrackerStore(
        Domain.empty(),
        dialect="postgresql",
        host=postgres.host,
        port=postgres.port,
        db=name,
        username="postgres",
    )


def test_make_purge_deletes_old_conversations_from_postgresql_and_keeps_recent_ones(
    postgres, database
):
    tracker_store = store(postgres, database)
    now = time.time()
    ages = {"old": [45, 40], "recent": [45, 2], "new": [0], "edge": [31]}

    async def save_all():
        for sender, days in ages.items():
            events = [UserUttered("hello", timestamp=now - age * DAY) for age in days]
            await tracker_store.save(DialogueStateTracker.from_events(sender, events))

    asyncio.run(save_all())
    env = dict(
        os.environ,
        RETENTION_DAYS="30",
        PGHOST=postgres.host,
        PGPORT=str(postgres.port),
        PGDATABASE=database,
        PGUSER="postgres",
        # The tests' server trusts loopback; the endpoints file still names one.
        PGPASSWORD="unused-by-trust-auth",
    )
    result = subprocess.run(
        [sys.executable, "scripts/purge.py", "--endpoints", "endpoints.cluster.yml"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "purge: deleted 2 conversation(s) idle for more than 30 days"
    assert sorted(asyncio.run(tracker_store.keys())) == ["new", "recent"]
    # A conversation still in use keeps every event, its old ones too.
    assert len(asyncio.run(tracker_store.retrieve("recent")).events) == 2


def test_make_purge_passes_the_endpoints_file_on():
    result = subprocess.run(
        ["make", "-n", "purge", "ENDPOINTS=endpoints.cluster.yml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "scripts/purge.py --endpoints endpoints.cluster.yml" in result.stdout
