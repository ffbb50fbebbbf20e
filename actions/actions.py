"""The assistant's custom actions: thin classes over guidance.py and dialogue.py."""

from typing import Any, Dict, List, Optional, Sequence, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions import dialogue, guidance
from actions.content import ALL_DELETED_TOPIC, get_content
from nlp import intents, kinds
from nlp.intents import COMPOUND_SEPARATOR

# Small talk that action_answer_topic meets is answered by its response in domain.yml.
RESPONSES = {
    intents.GREET: "utter_greet",
    intents.GOODBYE: "utter_goodbye",
    intents.THANKS: "utter_you_are_welcome",
}


Events = List[Dict[Text, Any]]


FEEDBACK_SLOT = "feedback_asked"
# Who the latest not-for-me reply was for (nlp/kinds.py), or None.
SCOPE_SLOT = "scope_reply"


def send(
    dispatcher: CollectingDispatcher, reply: guidance.Reply, tracker: Optional[Tracker] = None
) -> Events:
    """Sends ``reply``; the events remember what it answered and offered.

    With ``tracker``, a topic answer is followed by "Did this help?" unless
    this conversation was already asked about each of its topics.
    """
    dispatcher.utter_message(text=reply.text, buttons=reply.buttons)
    scope_reply = SlotSet(SCOPE_SLOT, reply.scope_kind)
    if not reply.topics:
        return [SlotSet("offered_topic", None), scope_reply]
    last = COMPOUND_SEPARATOR.join(reply.topics)
    events: Events = [
        SlotSet("last_topic", last),
        SlotSet("offered_topic", reply.offered),
        scope_reply,
    ]
    if tracker is not None:
        events += ask_feedback(dispatcher, tracker, reply.topics)
    return events


def ask_feedback(
    dispatcher: CollectingDispatcher, tracker: Tracker, topics: Sequence[str]
) -> Events:
    """ "Did this help?", at most once per topic per conversation."""
    asked = list(tracker.get_slot(FEEDBACK_SLOT) or [])
    new = [topic for topic in topics if topic not in asked]
    if not new:
        return []
    question = guidance.feedback_question(get_content())
    dispatcher.utter_message(text=question.text, buttons=question.buttons)
    return [SlotSet(FEEDBACK_SLOT, asked + new)]


def answer_feedback(dispatcher: CollectingDispatcher, intent: Optional[Text]) -> Events:
    """A click on "Did this help?": thanks, or an apology with the helpdesk."""
    reply = guidance.feedback_answer(get_content(), helpful=intent == intents.FEEDBACK_YES)
    dispatcher.utter_message(text=reply.text)
    return [SlotSet("offered_topic", None)]


def answer_intent(
    dispatcher: CollectingDispatcher, tracker: Tracker, intent: Optional[Text]
) -> Events:
    """Answers ``intent`` as the user's latest message asked it."""
    content = get_content()
    all_deleted = tracker.get_slot("all_accounts_deleted")
    entities = dialogue.latest_entity_types(tracker)
    if intent == intents.SHARE_PASSWORD:
        events = send(dispatcher, guidance.secret_warning(content))
        asked = dialogue.intent_under_guard(tracker)
        if asked:  # the question that came with the password
            events += answer_intent(dispatcher, tracker, asked)
        return events
    followed = dialogue.follows_not_for_me(tracker)
    if followed and intent in dialogue.CONTACT_FOLLOW_UPS:
        # "Who do I ask then?" after a not-for-me reply: the same places again.
        return send(dispatcher, guidance.again_not_for_me(content, followed))
    parts = guidance.compound_parts(intent)
    if parts:
        chosen = [guidance.choose_topic(part, entities, all_deleted) for part in parts]
        topics = [topic for topic in chosen if topic is not None]
        return send(
            dispatcher,
            guidance.render_topics(
                content, topics, tracker.get_slot("org_type"), for_site=bool(all_deleted)
            ),
            tracker,
        )
    after = tracker.get_slot("last_topic") if dialogue.straight_after_answer(tracker) else None
    topic = guidance.choose_topic(intent, entities, all_deleted, after=after)
    if topic:
        reply = guidance.render_topic(
            content, topic, tracker.get_slot("org_type"), for_site=bool(all_deleted)
        )
        if topic == intents.REMOVE_LEAVER and dialogue.mentions_death(tracker):
            reply = guidance.colleague_died(content, reply)
        return send(dispatcher, reply, tracker)
    if intent in RESPONSES:
        dispatcher.utter_message(response=RESPONSES[intent])
        return [SlotSet("offered_topic", None)]
    if intent in intents.FOLLOW_UPS:
        return answer_follow_up(dispatcher, tracker, intent)
    if intent in intents.FEEDBACK:
        return answer_feedback(dispatcher, intent)
    if intent == intents.NLU_FALLBACK:
        return send(
            dispatcher,
            guidance.clarify(
                content, dialogue.likely_intents(tracker), dialogue.names_nhsmail(tracker)
            ),
        )
    return explain_scope(dispatcher, tracker)


def explain_scope(dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
    """Out of scope, decided with the conversation, then answered by who is asking.

    - A message the open-world guard set aside is answered after all when it
      is a short follow-up straight after an answer, or comes from a staff
      channel, and is near the threshold (dialogue.answer_anyway).
    - A follow-up to a not-for-me reply gets the same places again.
    - Someone in danger, or a worry of abuse or neglect, comes first.
    - Another system gets where to go instead; a message that names NHSmail
      gets the likeliest NHSmail topics, never only "Something else".
    - Visitors get the provider's contacts; anything else one short line
      and the topic buttons.
    """
    content = get_content()
    anyway = dialogue.answer_anyway(tracker)
    if anyway:
        return answer_intent(dispatcher, tracker, anyway)
    followed = dialogue.follows_not_for_me(tracker)
    if followed:
        return send(dispatcher, guidance.again_not_for_me(content, followed))
    kind = dialogue.scope_kind(tracker)
    if kind == kinds.OTHER_SYSTEM:
        return send(dispatcher, guidance.scope(content, other_system=True))
    if kind == kinds.CLARIFY:
        return send(dispatcher, guidance.clarify(content, dialogue.likely_intents(tracker), True))
    return send(
        dispatcher, guidance.not_for_me(content, kind, bereaved=dialogue.mentions_death(tracker))
    )


def answer_follow_up(
    dispatcher: CollectingDispatcher, tracker: Tracker, intent: Optional[Text]
) -> Events:
    """A yes or no to the latest answer's offer, or the organisation type said
    on its own: answered in the context of the latest answer."""
    content = get_content()
    offered = tracker.get_slot("offered_topic")
    last = tracker.get_slot("last_topic")
    org_type = tracker.get_slot("org_type")
    if intent == intents.AFFIRM and offered in content.topics:
        return send(dispatcher, guidance.render_topic(content, offered, org_type), tracker)
    if intent in (intents.AFFIRM, intents.DENY):
        return send(dispatcher, guidance.acknowledge(content, intent == intents.AFFIRM))
    topics = [t for t in (last or "").split(COMPOUND_SEPARATOR) if t in content.topics]
    if any(guidance.has_menu(content, topic) for topic in topics):
        if not any(guidance.has_menu_path(content, topic) for topic in topics):
            # After "what will they ask me?" (a checklist, no menu), the
            # organisation type asks which menu path to take.
            return send(
                dispatcher,
                guidance.render_topic(content, intents.HELPDESK_CONTACT, org_type),
                tracker,
            )
        for_site = ALL_DELETED_TOPIC in topics
        return send(
            dispatcher, guidance.render_topics(content, topics, org_type, for_site), tracker
        )
    return send(dispatcher, guidance.org_noted(content, org_type))


class ActionAnswerTopic(Action):
    """Answers the topic of the latest message, tailored by the slots."""

    def name(self) -> Text:
        return "action_answer_topic"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        return answer_intent(dispatcher, tracker, dialogue.latest_intent(tracker))


class ActionWarnSecretShared(Action):
    """A password was typed: warn, never repeat it, and answer the question too."""

    def name(self) -> Text:
        return "action_warn_secret_shared"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        return answer_intent(dispatcher, tracker, intents.SHARE_PASSWORD)


class ActionAskAllAccountsDeleted(Action):
    """reinstate_form's question: answer first (the helpdesk route), then ask."""

    def name(self) -> Text:
        return dialogue.ASK_ALL_ACCOUNTS_DELETED

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        content = get_content()
        events: Events = []
        if not dialogue.asked_all_accounts_deleted(tracker):
            events += send(
                dispatcher,
                guidance.render_topic(
                    content, intents.REINSTATE_ACCOUNT, tracker.get_slot("org_type")
                ),
            )
        send(dispatcher, guidance.ask_all_accounts_deleted(content))
        return events


class ActionAnswerReinstatement(Action):
    """After reinstate_form: the manager's route if every linked account is gone."""

    def name(self) -> Text:
        return "action_answer_reinstatement"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        content = get_content()
        org_type = tracker.get_slot("org_type")
        if tracker.get_slot("all_accounts_deleted"):
            return send(
                dispatcher,
                guidance.render_topic(content, ALL_DELETED_TOPIC, org_type, for_site=True),
                tracker,
            )
        if dialogue.asked_all_accounts_deleted(tracker):
            # The reinstatement answer came with the form's question; its
            # "Did this help?" waits for the end of the form.
            events = send(dispatcher, guidance.not_all_deleted(content))
            return events + ask_feedback(dispatcher, tracker, (intents.REINSTATE_ACCOUNT,))
        return send(
            dispatcher,
            guidance.render_topic(content, intents.REINSTATE_ACCOUNT, org_type),
            tracker,
        )


class ActionExplainScope(Action):
    """Out of scope: what the assistant can help with, and the helpdesk for the rest."""

    def name(self) -> Text:
        return "action_explain_scope"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        return explain_scope(dispatcher, tracker)


class ActionAnswerFollowUp(Action):
    """A yes, a no or an organisation type, in the context of the latest answer."""

    def name(self) -> Text:
        return "action_answer_follow_up"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        return answer_follow_up(dispatcher, tracker, dialogue.latest_intent(tracker))


class ActionAnswerFeedback(Action):
    """A "Did this help?" button: thanks, or an apology, the helpdesk and a question."""

    def name(self) -> Text:
        return "action_answer_feedback"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        return answer_feedback(dispatcher, dialogue.latest_intent(tracker))


class ActionDefaultAskAffirmation(Action):
    """Two-stage fallback, first stage: the two likeliest topics as buttons."""

    def name(self) -> Text:
        return "action_default_ask_affirmation"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        return send(
            dispatcher,
            guidance.clarify(
                get_content(), dialogue.likely_intents(tracker), dialogue.names_nhsmail(tracker)
            ),
        )


class ActionDefaultAskRephrase(Action):
    """Two-stage fallback, second stage: none of the likeliest topics fitted."""

    def name(self) -> Text:
        return "action_default_ask_rephrase"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        send(dispatcher, guidance.rephrase(get_content()))
        return []


class ActionDefaultFallback(Action):
    """Still unsure after rephrasing: say what the assistant can help with."""

    def name(self) -> Text:
        return "action_default_fallback"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        send(dispatcher, guidance.scope(get_content()))
        return [UserUtteranceReverted()]
