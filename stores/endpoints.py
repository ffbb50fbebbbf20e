"""The SQL tracker store an endpoints file names, for the tools that read or
tidy it outside Rasa (`make report`, `make purge`).

``${VARIABLE}`` in the file is filled from the settings object, as Rasa fills
it from the environment, so a tool reaches the store the servers write to:
the single machine's SQLite file or the cluster's PostgreSQL.
"""

import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from settings import Settings

# Rasa's own, and ours (stores/tracker.py: the same table).
SQL_STORES = ("SQL", "stores.tracker.StrictSQLTrackerStore")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand(value: Any, settings: Settings) -> Any:
    """``${VARIABLE}`` in ``value`` filled from the settings."""
    if not isinstance(value, str):
        return value
    known = settings.by_variable()

    def fill(match: "re.Match[str]") -> str:
        name = match.group(1)
        if known.get(name) is None:
            raise ValueError(f"{name} is not set (docs/settings.md)")
        return str(known[name])

    return _VARIABLE.sub(fill, value)


def tracker_store_url(path: Path, settings: Settings, root: Path) -> sa.engine.URL:
    """The database URL of the SQL tracker store ``path`` names; a relative
    SQLite file is relative to ``root``. ValueError when it is not SQL."""
    raw = (yaml.safe_load(path.read_text()) or {}).get("tracker_store") or {}
    store = {key: expand(value, settings) for key, value in raw.items()}
    if store.get("type") not in SQL_STORES:
        raise ValueError(
            f"{path}: only the SQL tracker stores {SQL_STORES} are read, not {store.get('type')!r}"
        )
    dialect = store.get("dialect", "sqlite")
    if dialect == "sqlite":
        db = Path(store.get("db", "rasa.db"))
        return sa.engine.URL.create("sqlite", database=str(db if db.is_absolute() else root / db))
    return sa.engine.URL.create(
        dialect,
        username=store.get("username"),
        password=store.get("password"),
        host=store.get("url"),
        port=int(store["port"]) if store.get("port") else None,
        database=store.get("db"),
    )
