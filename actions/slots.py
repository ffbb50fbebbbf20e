"""Slot extraction that Rasa's built-in mappings cannot express."""
from typing import Any, Dict, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction

from actions import dialogue

# Intents in which "all the accounts" / "nobody can get in" means every account
# linked to the shared mailbox is gone.
SCOPE_INTENTS = ("reinstate_account", "inactive_account", "shared_mailbox", "prepare_call")


def all_accounts_deleted_from(intent: Any, entity_types: Any, asked: bool) -> Dict[Text, Any]:
    """The slot's new value, if this message gives one.

    ``asked``: reinstate_form is waiting for the answer to its question, so a
    yes or no answers it. Otherwise only the user's own words set it.
    """
    if intent in SCOPE_INTENTS and "account_scope" in entity_types:
        return {"all_accounts_deleted": True}
    if asked and intent == "affirm":
        return {"all_accounts_deleted": True}
    if asked and intent == "deny":
        return {"all_accounts_deleted": False}
    return {}


class ValidatePredefinedSlots(ValidationAction):
    """Runs after every user message (Rasa's action_validate_slot_mappings)."""

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
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: Dict[Text, Any],
    ) -> Dict[Text, Any]:
        """Only a yes/no value is kept (the extraction above sets nothing else)."""
        return {"all_accounts_deleted": slot_value if isinstance(slot_value, bool) else None}
