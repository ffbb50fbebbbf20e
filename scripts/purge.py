"""Deletes conversations older than the retention period from the tracker store.

A conversation is deleted, every event of it, when its newest event is older
than RETENTION_DAYS (default 30). Works on the SQL tracker store named in
endpoints.yml (SQLite by default, PostgreSQL for the cluster).

Usage: python scripts/purge.py [--days N] [--endpoints endpoints.yml]   (make purge)
Schedule: once a day, e.g. cron `15 3 * * * cd /srv/nhsmail && make purge`.
"""

import argparse
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from settings import get_settings  # noqa: E402  (the project's root, as for `make purge`)
from stores.endpoints import tracker_store_url  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def engine_from_endpoints(path: Path) -> sa.engine.Engine:
    """The SQL tracker store ``path`` names: SQLite, or the cluster's
    PostgreSQL with endpoints.cluster.yml (its ${...} from the settings)."""
    try:
        return sa.create_engine(tracker_store_url(path, get_settings(), ROOT))
    except ValueError as problem:
        sys.exit(f"purge: {problem}")


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
