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


def make_tracker(
    intent: str,
    entities: Iterable[str] = (),
    slots: Optional[Dict[str, Any]] = None,
    events: Optional[List[Dict[str, Any]]] = None,
    ranking: Optional[List[Dict[str, Any]]] = None,
    active_loop: Optional[str] = None,
    text: Optional[str] = None,
) -> Tracker:
    """A tracker whose latest message has ``intent`` and these entity types.

    ``events`` are the earlier events; the latest user message is appended.
    """
    latest = user_event(intent, entities)["parse_data"]
    latest["intent_ranking"] = ranking or [latest["intent"]]
    latest["text"] = text if text is not None else f"/{intent}"
    all_slots = {
        "org_type": None,
        "all_accounts_deleted": None,
        "requested_slot": None,
        "last_topic": None,
        "offered_topic": None,
        "feedback_asked": None,
    }
    all_slots.update(slots or {})
    return Tracker(
        sender_id="test",
        slots=all_slots,
        latest_message=latest,
        events=list(events or []) + [user_event(intent, entities)],
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
