"""What the tracker says about the conversation, in the terms the actions need."""

from typing import List, Optional

from rasa_sdk import Tracker

from nlp import intents, systems

ASK_ALL_ACCOUNTS_DELETED = "action_ask_all_accounts_deleted"
REINSTATE_FORM = "reinstate_form"
# Intents that are never a topic to answer from the ranking.
NOT_TOPICS = (intents.NLU_FALLBACK,) + intents.SET_BY_GUARDS


def latest_intent(tracker: Tracker) -> Optional[str]:
    return (tracker.latest_message.get("intent") or {}).get("name")


def latest_entity_types(tracker: Tracker) -> List[str]:
    return [e.get("entity") for e in tracker.latest_message.get("entities") or []]


def latest_text(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


def names_nhsmail(tracker: Tracker) -> bool:
    return systems.names_nhsmail(latest_text(tracker))


def names_other_system(tracker: Tracker) -> bool:
    return systems.other_system_named(latest_text(tracker), latest_entity_types(tracker))


def likely_intents(tracker: Tracker) -> List[str]:
    """The classifier's ranking, best first, without the fallback and guard intents."""
    ranking = tracker.latest_message.get("intent_ranking") or []
    return [r["name"] for r in ranking if r.get("name") and r["name"] not in NOT_TOPICS]


def intent_under_guard(tracker: Tracker) -> Optional[str]:
    """What the classifier chose before SecretGuard overrode it with share_password.

    The guard keeps the ranking behind its own entry, and the FallbackClassifier
    (which ran before it) put `nlu_fallback` first when it was unsure; so the
    fallback's own threshold decides, and None means "no confident question".
    """
    ranking = tracker.latest_message.get("intent_ranking") or []
    choices = [
        entry.get("name") for entry in ranking if entry.get("name") != intents.SHARE_PASSWORD
    ]
    if not choices or choices[0] == intents.NLU_FALLBACK:
        return None
    return choices[0]


def asked_all_accounts_deleted(tracker: Tracker) -> bool:
    """Was the reinstatement question asked in an earlier turn on this topic?

    True once the user has had the question (and the answer that comes with
    it) since they last raised a deleted account; the question's own turn does
    not count, so the first ask still carries the whole answer.
    """
    before_latest_user_message = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            intent = (event.get("parse_data") or {}).get("intent") or {}
            if intent.get("name") == intents.REINSTATE_ACCOUNT:
                return False
            before_latest_user_message = True
        elif (
            before_latest_user_message
            and event.get("event") == "slot"
            and event.get("name") == "requested_slot"
            and event.get("value") == "all_accounts_deleted"
        ):
            return True
    return False
