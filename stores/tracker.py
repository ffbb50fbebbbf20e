"""The SQL tracker store for several Rasa servers sharing one database.

Rasa's SQLTrackerStore, with three changes that matter once servers share
PostgreSQL:

- reconnects: pooled connections are tested before use (``pool_pre_ping``),
  so a database restart costs no turn, and a read or write that fails on a
  lost connection is retried for ``retry_seconds`` (the restart's downtime);
- fails loudly: after that, it raises TrackerStoreUnavailable. Rasa wraps every
  tracker store in a FailSafeTrackerStore that would swallow the error, start
  a fresh conversation and keep it in memory: the reply is out of context and
  the turn is lost to the other servers. patches/fail_loud.py gives that
  wrapper ``refuse_turn`` as its error callback, so the channel answers 503
  ("unavailable") and the conversation stays whole in the database;
- publishes after storing: events go to the event broker only once they are
  committed (Rasa publishes first, then writes), so a refused turn sends no
  analytics event and a retried write never sends one twice;
- masks at the boundary: every user event's text, and the parse data's copy
  of it, is masked (nlp/privacy.py) in the context of the conversation before
  it is written or published. Messages are masked inside Rasa already
  (channels/disclosure.py); this covers whatever reaches the store another
  way, such as events posted to the HTTP API;
- seals what it keeps: every event is written and published sealed with
  AT_REST_KEY (stores/sealing.py), so what the masking missed is still not
  readable at rest; it refuses to start without the key, or with a key that
  cannot open what is stored;
- counts what was not answered: once the new events are committed, each user
  message read as ``nlu_fallback`` or ``out_of_scope`` is counted
  (metrics.py). The store sees every handled message's final intent once,
  after the turn, and never a refused or resent one.

endpoints.cluster.yml: ``tracker_store: type: stores.tracker.StrictSQLTrackerStore``.
"""

import asyncio
import json
import logging
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, TypeVar

import sqlalchemy as sa
import sqlalchemy.exc
from rasa.core.tracker_store import (
    SQLTrackerStore,
    TrackerStore,
    create_engine_kwargs,
)
from rasa.shared.core.events import SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

import metrics
from nlp.privacy import latest_exchange, mask_new_events
from stores import sealing

logger = logging.getLogger(__name__)

T = TypeVar("T")
RETRY_PAUSE_SECONDS = 0.5


class TrackerStoreUnavailable(RuntimeError):
    """The conversation store cannot be read or written: refuse the turn."""


def is_connection_error(error: Exception) -> bool:
    """True for a lost or refused connection (worth a retry), not a bad query."""
    return isinstance(error, (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)) or (
        isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated
    )


def sqlite_engine(url: Any) -> sa.engine.Engine:
    """SQLite for one machine's conversations, with its connections kept.

    SQLAlchemy 1.4 pools nothing for a SQLite file: Rasa's engine opens and
    closes a connection for every query of every turn (py-spy).
    The journal is a write-ahead log, so readers and the writer do not block
    each other when several Sanic workers share the file; every commit is
    still synced (synchronous=FULL): measured, skipping that sync gains
    nothing once connections are kept, and a power cut then loses no turn.
    """
    # timeout: how long a write waits for another worker's (SQLite's busy timeout).
    engine = sa.create_engine(
        url,
        poolclass=sa.pool.QueuePool,
        pool_size=4,
        max_overflow=4,
        connect_args={"timeout": 30, "check_same_thread": False},
    )

    @sa.event.listens_for(engine, "connect")
    def _pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    return engine


class StrictSQLTrackerStore(SQLTrackerStore):
    engine: sa.engine.Engine

    def __init__(
        self, *args: Any, retry_seconds: float = 5.0, connect_timeout: int = 3, **kwargs: Any
    ) -> None:
        # Imported here: patches/fail_loud.py imports this module.
        from patches import require_installed

        require_installed(["fail_loud"], by="The tracker store")
        super().__init__(*args, **kwargs)
        self.retry_seconds = float(retry_seconds)
        url = self.engine.url
        engine_kwargs = create_engine_kwargs(url)
        if url.get_backend_name() == "postgresql":
            engine_kwargs.setdefault("connect_args", {})["connect_timeout"] = int(connect_timeout)
        # Rasa's engine keeps dead connections after a database restart.
        self.engine.dispose()
        if url.get_backend_name() == "sqlite":
            self.engine = sqlite_engine(url)
        else:
            self.engine = sa.create_engine(url, pool_pre_ping=True, **engine_kwargs)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self.sealer = sealing.from_settings()
        sealing.verify(self.engine, self.sealer)
        self._statements()

    async def _retrying(self, what: Text, attempt: Callable[[], Awaitable[T]]) -> T:
        deadline = time.monotonic() + self.retry_seconds
        while True:
            try:
                return await attempt()
            except sqlalchemy.exc.DBAPIError as error:
                if not is_connection_error(error):
                    raise
                if time.monotonic() >= deadline:
                    logger.error(
                        "Tracker store unavailable (%s), turn refused: %s",
                        what,
                        error.orig or error,
                    )
                    raise TrackerStoreUnavailable(f"cannot {what} the conversation") from error
                logger.warning("Tracker store connection lost (%s); retrying.", what)
                await asyncio.sleep(RETRY_PAUSE_SECONDS)

    def _statements(self) -> None:
        """Rasa's two per-turn queries (the latest session's events; how many
        of them are stored) in SQLAlchemy Core, built once.

        Rasa builds them with the ORM on every call; that building, not the
        database, is most of the store's time in a turn (py-spy, `make
        bench`). Same SQL meaning: the sender's events from the latest
        ``session_started`` on (all of them if there is none), by id.
        """
        events = self.SQLEvent.__table__
        sender = sa.bindparam("sender_id")
        session_start = (
            sa.select(sa.func.max(events.c.timestamp))
            .where(events.c.sender_id == sender, events.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        latest_session = sa.and_(
            events.c.sender_id == sender,
            sa.or_(events.c.timestamp >= session_start, session_start.is_(None)),
        )
        self._latest_session_data = (
            sa.select(events.c.data).where(latest_session).order_by(events.c.id)
        )
        self._latest_session_count = (
            sa.select(sa.func.count()).select_from(events).where(latest_session)
        )
        self._all_sessions_data = (
            sa.select(events.c.data).where(events.c.sender_id == sender).order_by(events.c.id)
        )
        self._insert_event = events.insert()

    async def _retrieve(
        self, sender_id: Text, fetch_events_from_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        query = (
            self._all_sessions_data
            if fetch_events_from_all_sessions
            else (self._latest_session_data)
        )

        async def read() -> Optional[DialogueStateTracker]:
            with self.engine.connect() as connection:
                rows = connection.execute(query, {"sender_id": sender_id}).all()
            if not (self.domain and rows):
                return None
            return DialogueStateTracker.from_dict(
                sender_id,
                [self.sealer.open(json.loads(data)) for (data,) in rows],
                self.domain.slots,
            )

        return await self._retrying("read", read)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Stores the new events, masked, then publishes exactly those to the broker."""

        async def write() -> List[Dict[str, Any]]:
            return self._store_new_events(tracker)

        new_events = await self._retrying("write", write)
        if self.event_broker is not None and new_events:
            await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)

    async def _stream_new_events(
        self, event_broker: Any, new_events: List[Dict[str, Any]], sender_id: Text
    ) -> None:
        """Publishes the stored (masked and sealed) event dicts, not the tracker's events."""
        for data in new_events:
            event_broker.publish({"sender_id": sender_id, **data})

    def _store_new_events(self, tracker: DialogueStateTracker) -> List[Dict[str, Any]]:
        """Stores the events not stored yet (Rasa's rule: those after the
        count already stored for the latest session), masked and sealed, in one
        transaction; returns them sealed, as stored."""
        with self.engine.begin() as connection:
            stored = connection.execute(
                self._latest_session_count, {"sender_id": tracker.sender_id}
            ).scalar()
            events = list(tracker.events)
            masked = mask_new_events(
                (event.as_dict() for event in events[stored:]), latest_exchange(events[:stored])
            )
            rows, sealed = [], []
            for event, data in zip(events[stored:], masked):
                sealed.append(self.sealer.seal(data))
                rows.append(
                    {
                        "sender_id": tracker.sender_id,
                        "type_name": event.type_name,
                        "timestamp": data.get("timestamp"),
                        # Events posted to the HTTP API may carry no parse data.
                        "intent_name": ((data.get("parse_data") or {}).get("intent") or {}).get(
                            "name"
                        ),
                        "action_name": data.get("name"),
                        "data": json.dumps(sealed[-1]),
                    }
                )
            if rows:
                connection.execute(self._insert_event, rows)
        # Committed: count what was not answered.
        previous = next((e for e in reversed(events[:stored]) if isinstance(e, UserUttered)), None)
        metrics.count_stored(masked, previous.as_dict() if previous else None)
        return sealed

    def ping(self) -> None:
        """Raises if the database cannot answer a trivial query now."""
        with self.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))


def refuse_turn(error: Exception) -> None:
    """FailSafeTrackerStore's error callback (patches/fail_loud.py): re-raises,
    so the turn is refused instead of kept in memory."""
    logger.error(
        "Tracker store failed; refusing the turn instead of keeping it in memory: %s", error
    )
    if isinstance(error, TrackerStoreUnavailable):
        raise error
    raise TrackerStoreUnavailable(str(error)) from error


def primary(tracker_store: TrackerStore) -> TrackerStore:
    """The store behind Rasa's wrappers (FailSafe, Awaitable)."""
    while hasattr(tracker_store, "_tracker_store"):
        tracker_store = tracker_store._tracker_store
    return tracker_store
