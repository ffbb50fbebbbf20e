"""What the tracker says about the conversation, in the terms the actions need."""

from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker

from nlp import intents, kinds, systems

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


# --- not for this assistant: the dialogue's half of the decision -------------------

# What nlp/open_world.py adds to the parse data: its score, its threshold,
# the intent it set aside ("rejected") and, out of scope, who is asking ("kind").
OPEN_WORLD_KEY = "open_world"
# Staff channels: only staff reach the assistant there, so a message is
# given the benefit of the doubt the public website's chat can't give.
STAFF_CHANNELS = ("teams", "slack")
# A follow-up is short: "and on a new phone?", "same for agency staff?".
FOLLOW_UP_WORDS = 8
# How far under the threshold the conversation may still take a message as
# NHSmail's: straight after an answer (a short follow-up), or on a staff
# channel. The same width as the guard's outside margin; it has not been
# calibrated on its own (docs/understanding.md, "How it decides").
CONTEXT_MARGIN = 0.05
# The actions whose reply answered an NHSmail topic.
ANSWER_ACTIONS = (
    "action_answer_topic",
    "action_answer_follow_up",
    "action_answer_reinstatement",
    "action_warn_secret_shared",
    ASK_ALL_ACCOUNTS_DELETED,
)
SCOPE_ACTIONS = ("action_explain_scope", "action_answer_topic")
# Questions that, straight after a not-for-me reply and naming no NHSmail
# matter, ask about that reply ("who do I ask then?", "what's their number?").
CONTACT_FOLLOW_UPS = (
    intents.HELPDESK_CONTACT,
    intents.PREPARE_CALL,
    intents.BOT_CHALLENGE,
    intents.LOCAL_TEAM,
    intents.NLU_FALLBACK,
    intents.OUT_OF_SCOPE,
)


def open_world(tracker: Tracker) -> Dict[str, Any]:
    verdict = tracker.latest_message.get(OPEN_WORLD_KEY)
    return verdict if isinstance(verdict, dict) else {}


def previous_action(tracker: Tracker) -> Optional[str]:
    """The assistant's last action before the user's latest message."""
    seen_user = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            if seen_user:
                return None
            seen_user = True
        elif seen_user and kind == "action" and event.get("name") != "action_listen":
            return event.get("name")
    return None


def straight_after_answer(tracker: Tracker) -> bool:
    """The user's latest message came straight after an NHSmail answer."""
    return previous_action(tracker) in ANSWER_ACTIONS and bool(tracker.get_slot("last_topic"))


def is_short(text: str) -> bool:
    return len(text.split()) <= FOLLOW_UP_WORDS


def staff_channel(tracker: Tracker) -> bool:
    return tracker.get_latest_input_channel() in STAFF_CHANNELS


def answer_anyway(tracker: Tracker) -> Optional[str]:
    """The intent the open-world guard set aside, when the conversation says
    the message is for this assistant after all: a short follow-up straight
    after an answer, or a staff channel, and close to the threshold."""
    verdict = open_world(tracker)
    rejected = verdict.get("rejected")
    if not rejected:
        return None
    try:
        score, threshold = float(verdict["score"]), float(verdict["threshold"])
    except (KeyError, TypeError, ValueError):
        return None
    if score < threshold - CONTEXT_MARGIN:
        return None
    follow_up = straight_after_answer(tracker) and is_short(latest_text(tracker))
    return rejected if follow_up or staff_channel(tracker) else None


def scope_kind(tracker: Tracker) -> str:
    """Which reply a message that is not for this assistant gets
    (nlp/kinds.py's reply_kind): the guard's kind, with the danger words
    again, since a message that reached here without it (a payload, the
    HTTP API's parse) must still get 999."""
    return kinds.reply_kind(
        open_world(tracker).get("kind"), latest_text(tracker), latest_entity_types(tracker)
    )


def follows_not_for_me(tracker: Tracker) -> Optional[str]:
    """The kind of the not-for-me reply the user's latest message follows
    straight after ("who do I ask then?"), when it is a short follow-up that
    names no NHSmail matter; None otherwise."""
    kind = tracker.get_slot("scope_reply")
    if not kind or previous_action(tracker) not in SCOPE_ACTIONS:
        return None
    text = latest_text(tracker)
    if not is_short(text) or systems.names_nhsmail(text):
        return None
    return str(kind)


def mentions_death(tracker: Tracker) -> bool:
    return kinds.mentions_death(latest_text(tracker))


def names_nhsmail(tracker: Tracker) -> bool:
    return systems.names_nhsmail(latest_text(tracker))


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
