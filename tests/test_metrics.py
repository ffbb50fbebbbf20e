"""metrics.py and where it is counted, without a server: a turn in
channels/turn.py, the tracker store's commit, Rasa's custom-action call.

The counters are process-wide, so each test reads them before and after."""

import asyncio

import pytest
from prometheus_client import generate_latest
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

import metrics
import patches
from channels.limits import RateLimiter
from channels.turn import Refused, TurnFailed, Turns
from tests.support.metrics import parse, value
from tests.support.servers import free_port

DOMAIN = Domain.from_dict({"actions": ["action_answer_topic", "action_explain_scope"]})


@pytest.fixture(autouse=True)
def rasa_patches():
    """The patches in force, as rasa_server.py puts them; then as they were."""
    before = patches.installed()
    patches.install()
    yield
    patches.install(without=[p.name for p in patches.PATCHES if p.name not in before])


def read():
    return parse(generate_latest().decode())


def increase(before, after, name, **labels):
    return value(after, name, **labels) - value(before, name, **labels)


def user(text, intent, channel="rest"):
    return {
        "event": "user",
        "text": text,
        "input_channel": channel,
        "parse_data": {"text": text, "intent": {"name": intent, "confidence": 0.4}},
    }


# --- what counts as unanswered ---------------------------------------------------


def test_fallbacks_and_out_of_scope_are_the_reports_typed_questions():
    stored = [
        user("blorp wibble", "nlu_fallback"),
        {"event": "action", "name": "action_two_stage_fallback"},
        user("the guest wifi code", "out_of_scope", channel="socketio"),
        user("/out_of_scope", "out_of_scope"),  # a click on "Something else"
        user("how do I reset my password", "reset_password"),
        user("zzz", "nlu_fallback", channel="cmdline"),
        user("zzz", "nlu_fallback", channel="cmdline"),  # logged again: once
        {"event": "user", "text": "posted without parse data"},
    ]
    assert list(metrics.unanswered(stored)) == [
        ("fallback", "rest"),
        ("out_of_scope", "socketio"),
        ("fallback", "other"),
    ]


def test_a_fallback_repeating_the_stored_one_before_it_counts_nothing():
    previous = user("blorp", "nlu_fallback")
    assert list(metrics.unanswered([user("blorp", "nlu_fallback")], previous)) == []
    assert list(metrics.unanswered([user("blorp again", "nlu_fallback")], previous)) == [
        ("fallback", "rest")
    ]


def test_the_metrics_and_the_report_count_the_same_messages_as_unanswered():
    """One conversation, read by both: a resend with other spacing is the same
    question, a click is none, and each kind is counted alike."""
    from datetime import date

    from reports.tracker_data import Period, activity

    stored = [
        user("blorp  wibble", "nlu_fallback"),
        user("blorp wibble", "nlu_fallback"),  # resent, spacing aside
        user("/out_of_scope", "out_of_scope"),
        user("the guest wifi code", "out_of_scope"),
        user("how do I reset my password", "reset_password"),
        user("zzz", "nlu_fallback"),
    ]
    counted = [kind for kind, _ in metrics.unanswered(stored)]
    span = Period(date(2026, 12, 1), date(2026, 12, 1))
    read = activity(span, [("sender", "user", event) for event in stored])
    reported = [u.kind for u in read.unanswered]
    assert counted == ["fallback", "out_of_scope", "fallback"]
    assert reported == ["fallback", "out of scope", "fallback"]


def test_labels_are_bounded_whatever_a_caller_passes():
    before = read()
    metrics.count_refused("a new reason", "my-own-channel")
    metrics.count_action_error("action_not_in_the_domain", DOMAIN.action_names_or_texts)
    after = read()
    assert (
        increase(before, after, "nhsmail_refused_turns_total", reason="other", channel="other") == 1
    )
    assert increase(before, after, "nhsmail_action_server_errors_total", action="other") == 1
    assert not [labels for _, labels in after if ("channel", "my-own-channel") in labels]


# --- a turn (channels/turn.py) -----------------------------------------------------


def run_turn(turns, text, on_new_message, sender="s1"):
    return asyncio.run(
        turns.run(
            on_new_message, CollectingOutputChannel(), sender=sender, text=text, channel="rest"
        )
    )


async def answered(message):
    await asyncio.sleep(0.02)


async def broken(message):
    raise RuntimeError("the tracker store is down")


def test_a_turn_is_counted_with_its_time_and_a_refusal_with_its_reason():
    turns = Turns()
    before = read()
    run_turn(turns, "how do I reset my password?", answered)
    with pytest.raises(Refused):
        run_turn(turns, "   ", answered)
    with pytest.raises(Refused):
        run_turn(turns, "x" * (turns.guard.max_message_chars + 1), answered)
    with pytest.raises(TurnFailed):
        run_turn(turns, "hello", broken)
    turns.guard.per_sender = RateLimiter(1)
    run_turn(turns, "hello", answered, sender="s2")
    with pytest.raises(Refused):
        run_turn(turns, "hello again", answered, sender="s2")
    after = read()

    # Three reached Rasa (one failed); three were refused before it.
    assert increase(before, after, "nhsmail_turns_total", channel="rest") == 3
    assert increase(before, after, "nhsmail_turn_seconds_count", channel="rest") == 3
    # The answered ones took at least their 20 ms: not in the 10 ms bucket.
    assert increase(before, after, "nhsmail_turn_seconds_bucket", channel="rest", le="0.01") <= 1
    assert increase(before, after, "nhsmail_turn_seconds_sum", channel="rest") >= 0.04
    assert {
        reason: increase(
            before, after, "nhsmail_refused_turns_total", reason=reason, channel="rest"
        )
        for reason in ("input_empty", "input_too_long", "rate_limited", "unavailable")
    } == {"input_empty": 1, "input_too_long": 1, "rate_limited": 1, "unavailable": 1}


# --- the tracker store (stores/tracker.py) ---------------------------------------------


def test_the_store_counts_unanswered_messages_once_they_are_stored(tmp_path):
    from stores.tracker import StrictSQLTrackerStore

    store = StrictSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    tracker = DialogueStateTracker.from_events("s1", [])
    for text, intent in (("the guest wifi code", "out_of_scope"), ("blorp", "nlu_fallback")):
        tracker.update(UserUttered(text, {"name": intent, "confidence": 0.3}, input_channel="rest"))
        tracker.update(ActionExecuted("action_listen"))
    before = read()
    asyncio.run(store.save(tracker))
    asyncio.run(store.save(tracker))  # nothing new: nothing counted
    tracker.update(UserUttered("blorp", {"name": "nlu_fallback"}, input_channel="rest"))
    asyncio.run(store.save(tracker))  # the same fallback logged again right after itself
    after = read()
    assert increase(before, after, "nhsmail_fallback_answers_total", channel="rest") == 1
    assert increase(before, after, "nhsmail_out_of_scope_answers_total", channel="rest") == 1


# --- Rasa's custom-action call (patches/action_errors.py) --------------------------------


class Endpoint(EndpointConfig):
    """An action endpoint that answers with the given error status."""

    def __init__(self, status, body):
        super().__init__(url="http://127.0.0.1:1/webhook")
        self.status, self.body = status, body

    async def request(self, *args, **kwargs):
        raise ClientResponseError(self.status, "error", self.body)


def run_action(name, endpoint):
    action = RemoteAction(name, endpoint)
    tracker = DialogueStateTracker.from_events("s1", [])
    return asyncio.run(action.run(CollectingOutputChannel(), None, tracker, DOMAIN))


def test_an_action_rasa_cannot_run_is_counted_by_name_and_a_rejection_is_not():
    unreachable = EndpointConfig(url=f"http://127.0.0.1:{free_port()}/webhook")
    before = read()
    with pytest.raises(RasaException, match="Couldn't connect"):
        run_action("action_answer_topic", unreachable)
    with pytest.raises(RasaException, match="Failed to execute custom action"):
        run_action("action_explain_scope", Endpoint(500, "boom"))
    rejection = '{"action_name": "action_answer_topic", "error": "no slot"}'
    with pytest.raises(ActionExecutionRejection):
        run_action("action_answer_topic", Endpoint(400, rejection))
    after = read()
    errors = "nhsmail_action_server_errors_total"
    assert increase(before, after, errors, action="action_answer_topic") == 1
    assert increase(before, after, errors, action="action_explain_scope") == 1
    assert increase(before, after, errors, action="other") == 0
