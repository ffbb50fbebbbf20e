"""What staff asked, from the tracker store's ``events`` table.

The one place that says what counts as what:

- a question is a ``user`` event whose text is not a button payload; a text
  starting with "/" is a click, counted apart;
- the topic answered is the ``last_topic`` slot the assistant sets after a
  message and before the next one;
- a fallback is intent ``nlu_fallback`` (the two-stage fallback can log the
  same text twice in a row: it counts once), out of scope is ``out_of_scope``;
- a vote is a ``feedback_yes``/``feedback_no`` event, on the latest topic
  answered before it;
- unanswered: fallbacks, out-of-scope questions, and the question that
  follows a "No";
- an unhelpful answer is a "No" with the latest question that got the topic
  voted on;
- an out-of-scope message from a visitor, or an urgent or distressing one
  (nlp/kinds.py's SENSITIVE kinds, as nlp/open_world.py read them), is
  counted by kind and its text left out: it carries residents' names and
  health.

The store holds masked text only (stores/tracker.py masks before writing);
nothing here unmasks or reads logs. Sender ids are used to follow a
conversation and never leave this module.
"""

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import sqlalchemy as sa

from nlp import intents, kinds
from nlp.privacy import is_payload
from settings import Settings
from stores.endpoints import tracker_store_url
from stores.sealing import Sealer

FEEDBACK_YES = intents.FEEDBACK_YES
FEEDBACK_NO = intents.FEEDBACK_NO

TOPIC_SLOT = "last_topic"
DAY_SECONDS = 86_400

FALLBACK = "fallback"
OUT_OF_SCOPE = "out of scope"
AFTER_NO = 'after a "No"'
UNKNOWN_CHANNEL = "unknown"


@dataclass
class Message:
    """One user event of the period."""

    sender: str
    timestamp: float
    channel: str
    intent: Optional[str]
    text: str
    # The last_topic the reply set; None when the reply answered no topic.
    topic: Optional[str] = None
    # Out of scope: who was asking (nlp/kinds.py), as the parse read it.
    scope_kind: Optional[str] = None

    @property
    def day(self) -> date:
        return datetime.fromtimestamp(self.timestamp, timezone.utc).date()

    @property
    def is_click(self) -> bool:
        return is_payload(self.text)


@dataclass(frozen=True)
class Vote:
    day: date
    helpful: bool
    topic: Optional[str]
    # The latest question whose answer was the topic voted on (None: a button got it).
    question: Optional[str]


@dataclass(frozen=True)
class Unanswered:
    day: date
    kind: str
    text: str


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    # The --from asked for, when the retention period cut it short.
    asked_start: Optional[date] = None


@dataclass
class Activity:
    period: Period
    messages: List[Message] = field(default_factory=list)
    votes: List[Vote] = field(default_factory=list)
    unanswered: List[Unanswered] = field(default_factory=list)
    # Out-of-scope messages of a sensitive kind: counted, their text never kept.
    sensitive: Dict[str, int] = field(default_factory=dict)

    @property
    def questions(self) -> List[Message]:
        return [m for m in self.messages if not m.is_click]

    @property
    def clicks(self) -> List[Message]:
        return [m for m in self.messages if m.is_click]

    def conversations(self, day: Optional[date] = None) -> int:
        return len({m.sender for m in self.messages if day is None or m.day == day})

    def days(self) -> List[date]:
        count = (self.period.end - self.period.start).days + 1
        return [self.period.start + timedelta(days=i) for i in range(count)]


def period(
    now: datetime, retention_days: float, start: Optional[date], end: Optional[date]
) -> Tuple[Period, float, float]:
    """The period to report and its bounds as timestamps: never older than
    the retention period, whatever ``start`` asks."""
    cutoff = now.timestamp() - retention_days * DAY_SECONDS
    earliest = datetime.fromtimestamp(cutoff, timezone.utc).date()
    end = end or now.date()
    asked = start
    start = start or earliest
    clipped = start < earliest
    if clipped:
        start = earliest
    if end < start:
        raise ValueError(f"--to {end} is before --from {start}")
    low = max(_midnight(start), cutoff)
    high = _midnight(end + timedelta(days=1))
    return Period(start, end, asked if clipped else None), low, high


def _midnight(day: date) -> float:
    return datetime.combine(day, time(0), timezone.utc).timestamp()


def read_activity(
    engine: sa.engine.Engine, span: Period, low: float, high: float, sealer: Sealer
) -> Activity:
    """The period's messages, votes and unanswered questions from ``engine``,
    opened with ``sealer``."""
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("events"):
            return Activity(span)
        rows = connection.execute(
            sa.text(
                "SELECT sender_id, type_name, data FROM events "
                "WHERE timestamp >= :low AND timestamp < :high "
                "AND type_name IN ('user', 'slot', 'session_started') "
                "ORDER BY sender_id, timestamp, id"
            ),
            {"low": low, "high": high},
        ).fetchall()
    return activity(span, ((row[0], row[1], sealer.open(json.loads(row[2]))) for row in rows))


def activity(span: Period, rows: Iterable[Tuple[str, str, Mapping[str, Any]]]) -> Activity:
    """Applies the definitions above to (sender, type, event data) rows in
    conversation and time order."""
    result = Activity(span)
    by_sender: Dict[str, List[Tuple[str, Mapping[str, Any]]]] = {}
    for sender, kind, data in rows:
        by_sender.setdefault(sender, []).append((kind, data))
    for sender, events in by_sender.items():
        _conversation(result, sender, events)
    return result


def _conversation(
    result: Activity, sender: str, events: Sequence[Tuple[str, Mapping[str, Any]]]
) -> None:
    topic: Optional[str] = None
    latest: Optional[Message] = None
    asked: List[Message] = []
    after_no = False
    for kind, data in events:
        if kind == "session_started":
            topic, latest = None, None
        elif kind == "slot" and data.get("name") == TOPIC_SLOT:
            topic = data.get("value")
            if latest is not None:
                latest.topic = topic
        elif kind == "user":
            message = _message(sender, data)
            if latest is not None and intents.logged_again(
                message.intent, message.text, latest.intent, latest.text
            ):
                continue
            latest = message
            result.messages.append(message)
            if message.intent in (FEEDBACK_YES, FEEDBACK_NO):
                question = next((q.text for q in reversed(asked) if q.topic == topic), None)
                helpful = message.intent == FEEDBACK_YES
                result.votes.append(Vote(message.day, helpful, topic, question))
                after_no = not helpful
                continue
            if message.is_click:
                continue
            asked.append(message)
            label = _unanswered_kind(message.intent, after_no)
            after_no = False
            if label == OUT_OF_SCOPE and message.scope_kind in kinds.SENSITIVE:
                result.sensitive[message.scope_kind] = (
                    result.sensitive.get(message.scope_kind, 0) + 1
                )
            elif label:
                result.unanswered.append(Unanswered(message.day, label, message.text))


# The report's words for nlp/intents.py's kinds of unanswered message.
LABELS = {"fallback": FALLBACK, "out_of_scope": OUT_OF_SCOPE}


def _unanswered_kind(intent: Optional[str], after_no: bool) -> Optional[str]:
    kind = intents.unanswered_kind(intent)
    if kind:
        return LABELS[kind]
    return AFTER_NO if after_no else None


def _message(sender: str, data: Mapping[str, Any]) -> Message:
    parse = data.get("parse_data") or {}
    intent = (parse.get("intent") or {}).get("name")
    verdict = parse.get("open_world")
    scope_kind = verdict.get("kind") if isinstance(verdict, Mapping) else None
    text = " ".join(str(data.get("text") or "").split())
    if intent == intents.OUT_OF_SCOPE:
        # The danger words decide as the dialogue does, whatever the parse kept.
        scope_kind = kinds.decide(scope_kind if scope_kind in kinds.KINDS else None, text)
    return Message(
        sender=sender,
        timestamp=float(data.get("timestamp") or 0),
        channel=data.get("input_channel") or UNKNOWN_CHANNEL,
        intent=intent,
        text=text,
        scope_kind=scope_kind,
    )


# --- the tracker store --------------------------------------------------------


def engine_from_endpoints(path: Path, settings: Settings, root: Path) -> sa.engine.Engine:
    """A read connection to the SQL tracker store that ``path`` names."""
    url = tracker_store_url(path, settings, root)
    if url.get_backend_name() != "sqlite":
        return sa.create_engine(url)
    db = Path(url.database or "")
    if not db.exists():
        raise ValueError(f"no conversations yet: {db} does not exist")
    # Read-only: the report never writes to the servers' store.
    return sa.create_engine(f"sqlite:///file:{db}?mode=ro&uri=true")
