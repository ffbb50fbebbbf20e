"""What the stores keep is sealed: no user text is readable at rest without the key.

The detector (nlp/secrets.py) masks the secrets it finds before anything is
kept, but every detector misses something: a passphrase of ordinary words, a
spelling said aloud, a name. This is the backstop behind it. Every event the
tracker store writes (SQLite or PostgreSQL) and the event broker publishes
(RabbitMQ) keeps only its type, its time and its action or slot name in
clear, so purge by timestamp, counting and routing need no key::

    {"event": "user", "timestamp": 1765152000.1, "sealed": "gAAAAAB..."}

Everything else (the text, the parse data and its entities, slot values,
metadata, the assistant's replies) is inside ``sealed``: a Fernet token of the
whole event (AES-128-CBC and HMAC-SHA256, from the ``cryptography`` package,
already a dependency), so a token that is altered or sealed under another key
is refused, never half read.

The key comes from the environment (``AT_REST_KEY``, settings.py). Every Rasa
server refuses to start without it (rasa_server.py), and the store refuses to
start with a key that cannot open what it holds. ``make run`` uses a
development key kept in git-ignored var/ (``dev-key`` below). Rotation:
``AT_REST_KEY`` is the new key and ``AT_REST_PREVIOUS_KEYS`` the old ones,
which still open what they sealed; ``rotate`` re-seals every stored event
under the new key, after which the old ones can go (docs/security.md).

    python -m stores.sealing new-key         a new key, printed
    python -m stores.sealing dev-key         the development key (var/at-rest.key), made if missing
    python -m stores.sealing rotate [--endpoints endpoints.yml]
                                             re-seal every stored event under AT_REST_KEY
    python -m stores.sealing rotate-dev      (make rotate-key) a new development key, all re-sealed
"""

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

ROOT = Path(__file__).resolve().parent.parent
DEV_KEY_FILE = ROOT / "var" / "at-rest.key"
SEALED = "sealed"
# In clear: what purge, the report's query and a broker's routing read. None
# of it is typed by a person (an action's or a slot's name, never its value).
CLEAR = ("event", "timestamp", "name")
BATCH = 500


class KeyProblem(RuntimeError):
    """The key is missing, or cannot open what is stored: nothing is read or written."""


class Sealer:
    """Seals and opens event dicts with the current key and any previous ones."""

    def __init__(self, key: str, previous: Sequence[str] = ()) -> None:
        keys = [key] + [k for k in previous if k]
        self._fernet = MultiFernet([Fernet(k.strip().encode()) for k in keys])

    def seal(self, event: Mapping[str, Any]) -> Dict[str, Any]:
        sealed = {k: event[k] for k in CLEAR if k in event}
        sealed[SEALED] = self._fernet.encrypt(json.dumps(event).encode()).decode()
        return sealed

    def open(self, stored: Mapping[str, Any]) -> Dict[str, Any]:
        """The whole event. An event stored before sealing began is returned as it is."""
        token = stored.get(SEALED)
        if token is None:
            return dict(stored)
        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise KeyProblem(
                "AT_REST_KEY cannot open the stored conversations: they were sealed with "
                "another key. Set the key they were sealed with (during a rotation, the old "
                "one in AT_REST_PREVIOUS_KEYS)."
            ) from None

    def reseal(self, stored: Mapping[str, Any]) -> Dict[str, Any]:
        """``stored`` sealed under the current key (an unsealed one is sealed)."""
        token = stored.get(SEALED)
        if token is None:
            return self.seal(stored)
        try:
            return {**stored, SEALED: self._fernet.rotate(token.encode()).decode()}
        except InvalidToken:
            return {**stored, SEALED: self.open(stored)}  # raises KeyProblem


def new_key() -> str:
    return Fernet.generate_key().decode()


def from_settings(settings: Any = None) -> Sealer:
    """The servers' sealer: AT_REST_KEY, and nothing else will do."""
    if settings is None:
        from settings import get_settings

        settings = get_settings()
    if settings.at_rest_key is None:
        raise KeyProblem(
            "AT_REST_KEY is not set: conversations are sealed at rest and this server "
            "will not start without the key. `make run` makes a development key; a "
            "production server takes it from its secret store "
            "(`python -m stores.sealing new-key` prints a new one)."
        )
    previous = settings.at_rest_previous_keys
    return Sealer(
        settings.at_rest_key.get_secret_value(),
        previous.get_secret_value().split(",") if previous is not None else (),
    )


def for_tools(settings: Any = None) -> Sealer:
    """The sealer of a command run by hand (report, export, rotate): AT_REST_KEY,
    else the development key in var/ if this machine has one."""
    if settings is None:
        from settings import get_settings

        settings = get_settings()
    if settings.at_rest_key is None and DEV_KEY_FILE.exists():
        return Sealer(DEV_KEY_FILE.read_text().strip())
    return from_settings(settings)


def dev_key(path: Optional[Path] = None) -> str:
    """The development key, made (readable by its owner only) if missing."""
    path = path or DEV_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(new_key() + "\n")
    return path.read_text().strip()


def verify(engine: sa.engine.Engine, sealer: Sealer) -> None:
    """Raises KeyProblem unless ``sealer`` opens the newest sealed event stored."""
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("events"):
            return
        row = connection.execute(
            sa.text("SELECT data FROM events WHERE data LIKE :sealed ORDER BY id DESC LIMIT 1"),
            {"sealed": f'%"{SEALED}"%'},
        ).first()
    if row is not None:
        sealer.open(json.loads(row[0]))


def rotate(engine: sa.engine.Engine, sealer: Sealer) -> int:
    """Re-seals every stored event under the sealer's current key, in batches
    of BATCH rows, each batch one transaction, then compacts the table;
    returns how many."""
    done = last = 0
    while True:
        with engine.begin() as connection:
            if not sa.inspect(connection).has_table("events"):
                return 0
            rows = connection.execute(
                sa.text("SELECT id, data FROM events WHERE id > :last ORDER BY id LIMIT :n"),
                {"last": last, "n": BATCH},
            ).fetchall()
            for row_id, data in rows:
                connection.execute(
                    sa.text("UPDATE events SET data = :data WHERE id = :id"),
                    {"id": row_id, "data": json.dumps(sealer.reseal(json.loads(data)))},
                )
        if not rows:
            compact(engine)
            return done
        done += len(rows)
        last = rows[-1][0]


def compact(engine: sa.engine.Engine) -> None:
    """Rewrites the events table's files, so that the bytes of what was
    re-sealed (the old tokens, and any event stored in clear before sealing
    began) are not left behind in free pages, a write-ahead log or dead rows."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if engine.url.get_backend_name() == "sqlite":
            connection.execute(sa.text("VACUUM"))
            connection.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
        else:
            connection.execute(sa.text("VACUUM FULL events"))


def _engine(endpoints: Path) -> sa.engine.Engine:
    from settings import get_settings
    from stores.endpoints import tracker_store_url

    return sa.create_engine(tracker_store_url(endpoints, get_settings(), ROOT))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["new-key", "dev-key", "rotate", "rotate-dev"])
    parser.add_argument("--endpoints", type=Path, default=ROOT / "endpoints.yml")
    args = parser.parse_args(argv)
    try:
        if args.command == "new-key":
            print(new_key())
        elif args.command == "dev-key":
            print(dev_key())
        elif args.command == "rotate":
            count = rotate(_engine(args.endpoints), from_settings())
            print(f"rotate: {count} stored event(s) sealed under AT_REST_KEY")
        else:
            old, new = dev_key(), new_key()
            count = rotate(_engine(args.endpoints), Sealer(new, [old]))
            DEV_KEY_FILE.write_text(new + "\n")
            print(
                f"rotate-dev: a new key in {DEV_KEY_FILE}; {count} stored event(s) sealed "
                "under it. Start the assistant again (it was to be stopped first) to use it."
            )
    except KeyProblem as problem:
        print(f"{args.command}: {problem}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
