"""The assistant's custom actions: thin classes over guidance.py and dialogue.py."""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions import dialogue, guidance
from actions.content import get_content

# Intents answered by a response in domain.yml when action_answer_topic meets them.
RESPONSES = {
    "greet": "utter_greet",
    "goodbye": "utter_goodbye",
    "thanks": "utter_you_are_welcome",
    "affirm": "utter_ok",
    "deny": "utter_no_problem",
}


def send(dispatcher: CollectingDispatcher, reply: guidance.Reply) -> None:
    dispatcher.utter_message(text=reply.text, buttons=reply.buttons)


def answer_intent(dispatcher: CollectingDispatcher, tracker: Tracker, intent: Text) -> None:
    """Answers ``intent`` as the user's latest message asked it."""
    content = get_content()
    all_deleted = tracker.get_slot("all_accounts_deleted")
    if intent == "share_password":
        send(dispatcher, guidance.secret_warning(content))
        asked = dialogue.intent_under_guard(tracker)
        if asked:  # the question that came with the password
            answer_intent(dispatcher, tracker, asked)
        return
    topic = guidance.choose_topic(intent, dialogue.latest_entity_types(tracker), all_deleted)
    if topic:
        send(dispatcher, guidance.render_topic(
            content, topic, tracker.get_slot("org_type"), for_site=bool(all_deleted)))
    elif intent in RESPONSES:
        dispatcher.utter_message(response=RESPONSES[intent])
    elif intent == "nlu_fallback":
        send(dispatcher, guidance.clarify(content, dialogue.likely_intents(tracker)))
    else:
        send(dispatcher, guidance.scope(content))


class ActionAnswerTopic(Action):
    """Answers the topic of the latest message, tailored by the slots."""

    def name(self) -> Text:
        return "action_answer_topic"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        answer_intent(dispatcher, tracker, dialogue.latest_intent(tracker))
        return []


class ActionWarnSecretShared(Action):
    """A password was typed: warn, never repeat it, and answer the question too."""

    def name(self) -> Text:
        return "action_warn_secret_shared"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        answer_intent(dispatcher, tracker, "share_password")
        return []


class ActionAskAllAccountsDeleted(Action):
    """reinstate_form's question: answer first (the helpdesk route), then ask."""

    def name(self) -> Text:
        return dialogue.ASK_ALL_ACCOUNTS_DELETED

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        content = get_content()
        if not dialogue.asked_all_accounts_deleted(tracker):
            send(dispatcher, guidance.render_topic(
                content, "reinstate_account", tracker.get_slot("org_type")))
        send(dispatcher, guidance.ask_all_accounts_deleted(content))
        return []


class ActionAnswerReinstatement(Action):
    """After reinstate_form: the manager's route if every linked account is gone."""

    def name(self) -> Text:
        return "action_answer_reinstatement"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        content = get_content()
        org_type = tracker.get_slot("org_type")
        if tracker.get_slot("all_accounts_deleted"):
            send(dispatcher, guidance.render_topic(content, "reinstate_all_deleted", org_type))
        elif dialogue.asked_all_accounts_deleted(tracker):
            send(dispatcher, guidance.not_all_deleted(content))
        else:
            send(dispatcher, guidance.render_topic(content, "reinstate_account", org_type))
        return []


class ActionExplainScope(Action):
    """Out of scope: what the assistant can help with, and the helpdesk for the rest."""

    def name(self) -> Text:
        return "action_explain_scope"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        send(dispatcher, guidance.scope(get_content()))
        return []


class ActionDefaultAskAffirmation(Action):
    """Two-stage fallback, first stage: the two likeliest topics as buttons."""

    def name(self) -> Text:
        return "action_default_ask_affirmation"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        send(dispatcher, guidance.clarify(get_content(), dialogue.likely_intents(tracker)))
        return []


class ActionDefaultAskRephrase(Action):
    """Two-stage fallback, second stage: none of the likeliest topics fitted."""

    def name(self) -> Text:
        return "action_default_ask_rephrase"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        send(dispatcher, guidance.rephrase(get_content()))
        return []


class ActionDefaultFallback(Action):
    """Still unsure after rephrasing: say what the assistant can help with."""

    def name(self) -> Text:
        return "action_default_fallback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        send(dispatcher, guidance.scope(get_content()))
        return [UserUtteranceReverted()]
