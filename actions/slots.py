"""Slot extraction that Rasa's built-in mappings cannot express."""

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction

from actions import dialogue
from nlp import intents
from nlp.privacy import is_payload

# "not a care home", "rather than social care": the type the caller is not.
_NEGATED = re.compile(r"(?:\bnot|n't|\bno|rather than|instead of)\s+(?:a|an|the|in|at)?\s*$", re.I)


# "I'm in a pharmacy", "we're a nursing home", "calling from a chemist": the
# caller's own organisation, not one they mention ("the GP surgery emailed").
_SELF = re.compile(
    r"(?:\bi'?m|\bim\b|\bi am|\bwe'?re|\bwe are|\bwork|\bworking|\bbased|\bcalling|"
    r"\bringing|\bphoning|\bfrom|\bit'?s|\bits|\bthis is|\bour)\b[^.?!]{0,30}$",
    re.I,
)


def org_type_from(text: str, entities: List[Dict[str, Any]], said_alone: bool) -> Optional[str]:
    """The organisation type the caller says they work in, or None.

    ``said_alone``: the message only states the type (intent inform_org_type),
    so any type it names counts; otherwise only one the caller speaks of as
    their own. The first that is not negated wins: "I'm at a pharmacy, not a
    care home" is a pharmacy. Values are already normalised by the synonyms.
    """
    for entity in entities:
        if entity.get("entity") != "org_type":
            continue
        before = text[: entity.get("start") or 0]
        if _NEGATED.search(before):
            continue
        if said_alone or _SELF.search(before) or not before.strip():
            return entity.get("value")
    return None


def all_accounts_deleted_from(intent: Any, entity_types: Any, asked: bool) -> Dict[Text, Any]:
    """The slot's new value, if this message gives one.

    ``asked``: reinstate_form is waiting for the answer to its question, so a
    yes or no answers it. Otherwise only the user's own words set it.
    """
    if (intent in intents.ALL_DELETED_CONTEXT or asked) and "account_scope" in entity_types:
        return {"all_accounts_deleted": True}
    if asked and intent == intents.AFFIRM:
        return {"all_accounts_deleted": True}
    if asked and intent == intents.DENY:
        return {"all_accounts_deleted": False}
    return {}


class ValidatePredefinedSlots(ValidationAction):
    """Runs after every user message (Rasa's action_validate_slot_mappings)."""

    async def extract_org_type(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> Dict[Text, Any]:
        text = tracker.latest_message.get("text") or ""
        # A button's payload ('/helpdesk_contact{"org_type": "pharmacy"}') says
        # the type as plainly as "I'm in a pharmacy".
        said = dialogue.latest_intent(tracker) == intents.INFORM_ORG_TYPE or is_payload(text)
        value = org_type_from(text, tracker.latest_message.get("entities") or [], said)
        return {"org_type": value} if value else {}

    async def extract_all_accounts_deleted(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> Dict[Text, Any]:
        asked = (
            tracker.active_loop_name == dialogue.REINSTATE_FORM
            and tracker.get_slot("requested_slot") == "all_accounts_deleted"
        )
        return all_accounts_deleted_from(
            dialogue.latest_intent(tracker), dialogue.latest_entity_types(tracker), asked
        )

    def validate_all_accounts_deleted(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[Text, Any],
    ) -> Dict[Text, Any]:
        """Only a yes/no value is kept (the extraction above sets nothing else)."""
        return {"all_accounts_deleted": slot_value if isinstance(slot_value, bool) else None}
