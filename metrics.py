"""Prometheus metrics of one Rasa server process, on its own loopback port.

Every metric the assistant exports is defined here, and counted where the
thing happens:

- ``channels/turn.py`` (``Turns.run``): each turn handed to Rasa, its time,
  and each refused turn with its reason (the content file's key of the reply);
- ``stores/tracker.py``: each stored user message that Rasa read as
  ``nlu_fallback`` or ``out_of_scope`` (counted once committed, so a refused
  turn or a resent message counts nothing);
- ``patches/action_errors.py``: each custom action that Rasa failed to run on
  the action server.

Labels are bounded: a channel's name, a refusal's key, an action of the
domain. Nothing personal is a label (no text, no sender id, no address).

``serve(port)`` starts Prometheus' own HTTP server on 127.0.0.1 in a daemon
thread; ``rasa_server.py`` calls it when METRICS_PORT is set, before Sanic
forks its workers. With several workers, PROMETHEUS_MULTIPROC_DIR is set and
each worker counts in its own files there; the server adds them up at each
scrape, so one port shows the whole server. nginx never
proxies it (cluster/nginx.py): it is for a scraper on the same machine.
"""

import os
from typing import Iterable, Optional, Sequence, Tuple

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    multiprocess,
    start_http_server,
)

from channels.guard import REFUSALS
from nlp import intents
from nlp.privacy import is_payload

# Loopback only: the metrics are for a scraper on this machine.
ADDRESS = "127.0.0.1"
# The project's channels (their ``name()``); anything else counts as "other".
CHANNELS = ("rest", "socketio", "teams", "slack")
OTHER = "other"
# A turn takes tens of milliseconds when warm and seconds when the action
# server or the database is slow; 10 s is past any client's patience.
TURN_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# Each counter's _created series would double the output for nothing a
# dashboard uses.
disable_created_metrics()

TURNS = Counter(
    "nhsmail_turns_total",
    "Messages handed to Rasa, by channel (a refused message is not a turn).",
    ["channel"],
)
TURN_SECONDS = Histogram(
    "nhsmail_turn_seconds",
    "Time Rasa took to handle a turn, in seconds, by channel (failed turns included).",
    ["channel"],
    buckets=TURN_BUCKETS,
)
REFUSED = Counter(
    "nhsmail_refused_turns_total",
    "Messages answered with a polite refusal instead of an answer, by reason "
    "(input_empty, input_too_long, rate_limited; unavailable when Rasa failed) and channel.",
    ["reason", "channel"],
)
FALLBACKS = Counter(
    "nhsmail_fallback_answers_total",
    "Typed messages Rasa did not understand (intent nlu_fallback), stored, by channel.",
    ["channel"],
)
OUT_OF_SCOPE = Counter(
    "nhsmail_out_of_scope_answers_total",
    "Typed messages answered as out of scope (intent out_of_scope), stored, by channel.",
    ["channel"],
)
ACTION_ERRORS = Counter(
    "nhsmail_action_server_errors_total",
    "Custom actions Rasa failed to run on the action server (unreachable, an error "
    "status, a reply it refused), by action.",
    ["action"],
)

for _channel in CHANNELS:
    # Every series exists from the start, at 0, so a rate is defined before
    # the first event.
    TURNS.labels(_channel)
    TURN_SECONDS.labels(_channel)
    FALLBACKS.labels(_channel)
    OUT_OF_SCOPE.labels(_channel)
    for _reason in REFUSALS:
        REFUSED.labels(_reason, _channel)


def channel_label(channel: Optional[str]) -> str:
    """The channel as a label: one of the project's channels, else "other"."""
    return channel if channel in CHANNELS else OTHER


def count_turn(channel: str, seconds: float) -> None:
    label = channel_label(channel)
    TURNS.labels(label).inc()
    TURN_SECONDS.labels(label).observe(seconds)


def count_refused(reason: str, channel: str) -> None:
    REFUSED.labels(reason if reason in REFUSALS else OTHER, channel_label(channel)).inc()


def _intent(event: dict) -> Optional[str]:
    return ((event.get("parse_data") or {}).get("intent") or {}).get("name")


def unanswered(
    stored: Sequence[dict], previous: Optional[dict] = None
) -> Iterable[Tuple[str, str]]:
    """(kind, channel label) for each stored user event that got the fallback
    or the out-of-scope answer: "fallback" or "out_of_scope".

    ``stored`` are the event dicts just written, in order; ``previous`` the
    user event stored before them. The definitions are the report's
    (nlp/intents.py, shared with reports/tracker_data.py): a click (a
    "/intent" payload) is not a typed question, and a fallback logged again
    with the same text right after itself counts once.
    """
    for event in stored:
        if event.get("event") != "user":
            continue
        intent, text = _intent(event), event.get("text") or ""
        repeat = previous is not None and intents.logged_again(
            intent, text, _intent(previous), previous.get("text") or ""
        )
        previous = event
        kind = intents.unanswered_kind(intent)
        if kind and not repeat and not is_payload(text):
            yield kind, channel_label(event.get("input_channel"))


def count_stored(stored: Sequence[dict], previous: Optional[dict] = None) -> None:
    """Counts the fallbacks and out-of-scope answers among events just stored."""
    for kind, channel in unanswered(stored, previous):
        (FALLBACKS if kind == "fallback" else OUT_OF_SCOPE).labels(channel).inc()


def count_action_error(action: str, domain_actions: Iterable[str]) -> None:
    """One failed custom action; its name is the label when the domain has it."""
    ACTION_ERRORS.labels(action if action in domain_actions else OTHER).inc()


def serve(port: int) -> None:
    """Prometheus' HTTP server on 127.0.0.1:``port``, in a daemon thread.

    In multiprocess mode it serves the sum over the workers' files (only
    counters and histograms are defined here, which add up across processes).
    Raises OSError when the port cannot be had.
    """
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        start_http_server(port, addr=ADDRESS, registry=registry)
    else:
        start_http_server(port, addr=ADDRESS)
