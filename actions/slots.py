"""Slot extraction that Rasa's built-in mappings cannot express."""
from typing import Any, Dict, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction

from actions import dialogue

# Intents in which "all the accounts" / "nobody can get in" means every account
# linked to the shared mailbox is gone.
SCOPE_INTENTS = ("reinstate_account", "inactive_account", "shared_mailbox", "prepare_call")


def all_accounts_deleted_from(intent: Any, entity_types: Any) -> Dict[Text, Any]:
    """Slot events for a message: set only when the message says so."""
    if intent in SCOPE_INTENTS and "account_scope" in entity_types:
        return {"all_accounts_deleted": True}
    return {}


class ValidatePredefinedSlots(ValidationAction):
    """Runs after every user message (Rasa's action_validate_slot_mappings)."""

    async def extract_all_accounts_deleted(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> Dict[Text, Any]:
        return all_accounts_deleted_from(
            dialogue.latest_intent(tracker), dialogue.latest_entity_types(tracker)
        )
