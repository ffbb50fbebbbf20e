"""Real rasa_sdk Trackers built from small snapshots, and what an action did
with them: for the action tests, no Rasa server needed."""

import asyncio
from typing import Any, Dict, Iterable, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher


def user_event(intent: str, entities: Iterable[str] = ()) -> Dict[str, Any]:
    return {
        "event": "user",
        "text": f"/{intent}",
        "parse_data": {
            "intent": {"name": intent, "confidence": 1.0},
            "entities": [{"entity": e, "value": e} for e in entities],
        },
    }


def slot_event(name: str, value: Any) -> Dict[str, Any]:
    return {"event": "slot", "name": name, "value": value}


def action_event(name: str) -> Dict[str, Any]:
    return {"event": "action", "name": name}


def after_reply(intent: str, action: str, **slots: Any) -> List[Dict[str, Any]]:
    """The events of one earlier turn: the user's ``intent``, the assistant's
    ``action``, the slots it set, then listening again."""
    return (
        [user_event(intent), action_event(action)]
        + [slot_event(name, value) for name, value in slots.items()]
        + [action_event("action_listen")]
    )


def make_tracker(
    intent: str,
    entities: Iterable[str] = (),
    slots: Optional[Dict[str, Any]] = None,
    events: Optional[List[Dict[str, Any]]] = None,
    ranking: Optional[List[Dict[str, Any]]] = None,
    active_loop: Optional[str] = None,
    text: Optional[str] = None,
    open_world: Optional[Dict[str, Any]] = None,
    channel: Optional[str] = None,
) -> Tracker:
    """A tracker whose latest message has ``intent`` and these entity types.

    ``events`` are the earlier events; the latest user message is appended.
    ``open_world`` is what nlp/open_world.py added to its parse data;
    ``channel`` the input channel it came in on.
    """
    latest = user_event(intent, entities)["parse_data"]
    latest["intent_ranking"] = ranking or [latest["intent"]]
    latest["text"] = text if text is not None else f"/{intent}"
    if open_world is not None:
        latest["open_world"] = open_world
    latest_event = user_event(intent, entities)
    latest_event["text"] = latest["text"]
    if channel:
        latest_event["input_channel"] = channel
    all_slots = {
        "org_type": None,
        "all_accounts_deleted": None,
        "requested_slot": None,
        "last_topic": None,
        "offered_topic": None,
        "feedback_asked": None,
        "scope_reply": None,
    }
    all_slots.update(slots or {})
    return Tracker(
        sender_id="test",
        slots=all_slots,
        latest_message=latest,
        events=list(events or []) + [latest_event],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def run(action, dispatcher, tracker, domain) -> List[Dict[str, Any]]:
    """Runs a sync or async action's ``run`` and returns its events."""
    result = action.run(dispatcher, tracker, domain)
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    return result


def slots_set(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The slots that ``events`` set, name to value (the last one wins)."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def texts(dispatcher: CollectingDispatcher) -> List[str]:
    return [m.get("text") or "" for m in dispatcher.messages]


def button_payloads(dispatcher: CollectingDispatcher) -> List[str]:
    return [b["payload"] for m in dispatcher.messages for b in m.get("buttons") or []]


def answer_then_vote(dispatcher: CollectingDispatcher) -> str:
    """The text of a topic reply's one answer, checked to be followed by the
    "Did this help?" question (tests/actions/test_feedback.py tests it)."""
    from actions.content import get_content

    *answers, vote = texts(dispatcher)
    assert vote == get_content().messages["feedback_question"], texts(dispatcher)
    [answer] = answers
    return answer
