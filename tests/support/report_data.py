"""A tracker store of known conversations for the report's tests: rows
written straight into Rasa's own ``events`` table (SQLTrackerStore's model),
each event as Rasa serialises it."""

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import List, Tuple

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted, SlotSet, UserUttered

from settings import load as load_settings
from stores import sealing

# The report's "now" in these tests: the retention period (30 days) starts
# on 2025-02-10 at noon.
NOW = datetime(2025, 3, 12, 12, 0, tzinfo=timezone.utc)
DAY1 = datetime(2025, 3, 10, 9, 0, tzinfo=timezone.utc)
DAY2 = datetime(2025, 3, 11, 14, 0, tzinfo=timezone.utc)
OLD = datetime(2025, 1, 20, 9, 0, tzinfo=timezone.utc)
SENDERS = ("sender-alpha-7f3a", "sender-bravo-91c2", "sender-charlie-5d0e")
HTML_TEXT = "why does <b>html</b> show in my signature"


# The first lines of make report's terminal summary for these conversations,
# worked out by hand from them (whatever store holds them).
SUMMARY = [
    "Report 2025-02-10 to 2025-03-12 (UTC)",
    "  conversations: 3",
    "  questions: 8 (and 3 button clicks)",
    "  fallback: 3 (37.5%)",
    "  out of scope: 1 (12.5%)",
    "  votes: 1 helpful, 1 unhelpful",
]


def _user(text: str, intent: str, channel: str, at: datetime) -> UserUttered:
    return UserUttered(
        text,
        intent={"name": intent, "confidence": 0.9},
        input_channel=channel,
        timestamp=at.timestamp(),
    )


def _topic(topic: str, at: datetime) -> SlotSet:
    return SlotSet("last_topic", topic, timestamp=at.timestamp())


def conversations() -> List[Tuple[str, List[Event]]]:
    alpha, bravo, charlie = SENDERS
    m = timedelta(minutes=1)
    return [
        # The website, day 1: a topic, a helpful vote, a fallback logged twice
        # (the two-stage fallback), an out-of-scope question.
        (
            alpha,
            [
                SessionStarted(timestamp=DAY1.timestamp()),
                _user("how do I reset my password", "reset_password", "socketio", DAY1),
                _topic("reset_password", DAY1 + 0.1 * m),
                _user("/feedback_yes", "feedback_yes", "socketio", DAY1 + m),
                _user("can i print the rota", "nlu_fallback", "socketio", DAY1 + 2 * m),
                _user("can i print the rota", "nlu_fallback", "socketio", DAY1 + 3 * m),
                _user("the guest wifi code", "out_of_scope", "socketio", DAY1 + 4 * m),
            ],
        ),
        # REST, day 1 and day 2: a button click, a "No" and what followed it,
        # the same fallback reworded, and markup in a message.
        (
            bravo,
            [
                _user("a new starter needs an account", "add_user", "rest", DAY1 + 10 * m),
                _topic("add_user", DAY1 + 10.1 * m),
                _user("/leaver", "leaver", "rest", DAY1 + 11 * m),
                _topic("leaver", DAY1 + 11.1 * m),
                _user("/feedback_no", "feedback_no", "rest", DAY1 + 12 * m),
                _user("I wanted to remove someone who left", "leaver", "rest", DAY1 + 13 * m),
                _topic("leaver", DAY1 + 13.1 * m),
                _user("Can I print the rota?", "nlu_fallback", "rest", DAY2),
                _user(HTML_TEXT, "nlu_fallback", "rest", DAY2 + m),
            ],
        ),
        # Day 2, and one event older than the retention period.
        (
            charlie,
            [
                _user("secret question from last year", "nlu_fallback", "rest", OLD),
                _user("what is the helpdesk number", "helpdesk_contact", "socketio", DAY2 + 5 * m),
                _topic("helpdesk_contact", DAY2 + 5.1 * m),
            ],
        ),
    ]


def seed(db: Path) -> Path:
    """Writes the conversations to a SQLite file; returns an endpoints.yml naming it."""
    write(sa.create_engine(f"sqlite:///{db}"))
    endpoints = db.parent / "endpoints.yml"
    endpoints.write_text(
        "tracker_store:\n  type: stores.tracker.StrictSQLTrackerStore\n"
        f"  dialect: sqlite\n  db: {db}\n"
    )
    return endpoints


def write(engine: sa.engine.Engine) -> None:
    """Writes the conversations to the database ``engine`` opens, in Rasa's table."""
    table = SQLTrackerStore.SQLEvent.__table__
    table.metadata.create_all(engine, tables=[table])
    # Sealed as the assistant's store seals them, with the tests' key.
    sealer = sealing.from_settings(load_settings(os.environ))
    with engine.begin() as connection:
        for sender, events in conversations():
            for event in events:
                data = event.as_dict()
                connection.execute(
                    table.insert().values(
                        sender_id=sender,
                        type_name=event.type_name,
                        timestamp=event.timestamp,
                        intent_name=data.get("parse_data", {}).get("intent", {}).get("name"),
                        action_name=None,
                        data=json.dumps(sealer.seal(data)),
                    )
                )
    engine.dispose()
