"""Deletes conversations older than the retention period from the tracker store.

A conversation is deleted, every event of it, when its newest event is older
than RETENTION_DAYS (default 30). Works on the SQL tracker store named in
endpoints.yml (SQLite by default, PostgreSQL for the cluster).

Usage: python scripts/purge.py [--days N] [--endpoints endpoints.yml]   (make purge)
Schedule: once a day, e.g. cron `15 3 * * * cd /srv/nhsmail && make purge`.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import sqlalchemy as sa
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from settings import get_settings  # noqa: E402  (the project's root, as for `make purge`)

ROOT = Path(__file__).resolve().parent.parent


# Rasa's own, and ours (stores/tracker.py: the same table).
SQL_STORES = ("SQL", "stores.tracker.StrictSQLTrackerStore")


def engine_from_endpoints(path: Path) -> sa.engine.Engine:
    store = (yaml.safe_load(path.read_text()) or {}).get("tracker_store") or {}
    if store.get("type") not in SQL_STORES:
        sys.exit(
            f"{path}: purge works on the SQL tracker stores {SQL_STORES}, not {store.get('type')!r}"
        )
    dialect = store.get("dialect", "sqlite")
    if dialect == "sqlite":
        db = Path(os.path.expandvars(store.get("db", "rasa.db")))
        return sa.create_engine(f"sqlite:///{db if db.is_absolute() else ROOT / db}")
    url = sa.engine.URL.create(
        dialect,
        username=store.get("username"),
        password=store.get("password"),
        host=store.get("url"),
        port=store.get("port"),
        database=store.get("db"),
    )
    return sa.create_engine(url)


def purge(engine: sa.engine.Engine, days: float, now: float | None = None) -> int:
    """Deletes whole conversations idle for ``days``; returns how many."""
    cutoff = (time.time() if now is None else now) - days * 86_400
    with engine.begin() as connection:
        if not sa.inspect(connection).has_table("events"):
            return 0
        old = [
            row[0]
            for row in connection.execute(
                sa.text(
                    "SELECT sender_id FROM events GROUP BY sender_id "
                    "HAVING MAX(timestamp) < :cutoff"
                ),
                {"cutoff": cutoff},
            )
        ]
        for sender in old:
            connection.execute(sa.text("DELETE FROM events WHERE sender_id = :s"), {"s": sender})
    return len(old)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=get_settings().retention_days)
    parser.add_argument("--endpoints", type=Path, default=ROOT / "endpoints.yml")
    args = parser.parse_args()
    deleted = purge(engine_from_endpoints(args.endpoints), args.days)
    print(f"purge: deleted {deleted} conversation(s) idle for more than {args.days:g} days")


if __name__ == "__main__":
    main()
