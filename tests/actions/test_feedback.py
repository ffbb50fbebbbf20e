"""'Did this help?': asked after a topic answer, once per topic per
conversation, never after small talk; a "No" gets an apology, the helpdesk
and a question. The actions, with real rasa_sdk Trackers."""

import pytest

from actions.actions import (
    ActionAnswerFeedback,
    ActionAnswerFollowUp,
    ActionAnswerReinstatement,
    ActionAnswerTopic,
    ActionAskAllAccountsDeleted,
    ActionExplainScope,
    ActionWarnSecretShared,
)
from actions.content import get_content
from tests.support.trackers import make_tracker, run, slots_set, texts

CONTENT = get_content()
QUESTION = "Did this answer help?"
VOTE_BUTTONS = [
    {"title": "Yes, it helped", "payload": "/feedback_yes"},
    {"title": "No, it didn't", "payload": "/feedback_no"},
]


def test_a_topic_answer_ends_with_did_this_help_and_its_two_buttons(dispatcher, domain):
    events = run(ActionAnswerTopic(), dispatcher, make_tracker("helpdesk_contact"), domain)
    answer, question = dispatcher.messages
    assert f"Phone: {CONTENT.facts['helpdesk_phone']}" in answer["text"]
    assert question["text"] == QUESTION
    assert question["buttons"] == VOTE_BUTTONS
    assert slots_set(events)["feedback_asked"] == ["helpdesk_contact"]


def test_the_same_topic_is_not_asked_about_twice(dispatcher, domain):
    tracker = make_tracker("helpdesk_contact", slots={"feedback_asked": ["helpdesk_contact"]})
    events = run(ActionAnswerTopic(), dispatcher, tracker, domain)
    [answer] = texts(dispatcher)
    assert f"Phone: {CONTENT.facts['helpdesk_phone']}" in answer
    assert "feedback_asked" not in slots_set(events)


def test_another_topic_in_the_same_conversation_is_asked_about(dispatcher, domain):
    tracker = make_tracker("prepare_call", slots={"feedback_asked": ["helpdesk_contact"]})
    events = run(ActionAnswerTopic(), dispatcher, tracker, domain)
    assert texts(dispatcher)[-1] == QUESTION
    assert slots_set(events)["feedback_asked"] == ["helpdesk_contact", "prepare_call"]


def test_a_compound_answer_is_asked_about_once_for_both_parts(dispatcher, domain):
    events = run(
        ActionAnswerTopic(), dispatcher, make_tracker("reset_password+prepare_call"), domain
    )
    assert texts(dispatcher).count(QUESTION) == 1
    assert len(dispatcher.messages) == 2
    assert slots_set(events)["feedback_asked"] == ["reset_password", "prepare_call"]


def test_the_offered_answer_after_yes_is_asked_about(dispatcher, domain):
    tracker = make_tracker(
        "affirm",
        slots={
            "last_topic": "reset_password",
            "offered_topic": "prepare_call",
            "feedback_asked": ["reset_password"],
        },
    )
    events = run(ActionAnswerFollowUp(), dispatcher, tracker, domain)
    assert texts(dispatcher)[0].startswith("Have these ready:")
    assert texts(dispatcher)[1] == QUESTION
    assert slots_set(events)["feedback_asked"] == ["reset_password", "prepare_call"]


def test_the_answer_repeated_for_an_organisation_type_is_not_asked_about_again(dispatcher, domain):
    tracker = make_tracker(
        "inform_org_type",
        ["org_type"],
        slots={
            "org_type": "pharmacy",
            "last_topic": "reset_password",
            "feedback_asked": ["reset_password"],
        },
    )
    run(ActionAnswerFollowUp(), dispatcher, tracker, domain)
    assert QUESTION not in texts(dispatcher)
    assert len(dispatcher.messages) == 1


@pytest.mark.parametrize("intent", ["affirm", "deny"])
def test_a_yes_or_no_with_nothing_offered_is_not_asked_about(dispatcher, domain, intent):
    tracker = make_tracker(intent, slots={"last_topic": "prepare_call"})
    run(ActionAnswerFollowUp(), dispatcher, tracker, domain)
    assert QUESTION not in texts(dispatcher)


@pytest.mark.parametrize("intent", ["greet", "goodbye", "thanks"])
def test_small_talk_is_never_asked_about(dispatcher, domain, intent):
    run(ActionAnswerTopic(), dispatcher, make_tracker(intent), domain)
    assert QUESTION not in texts(dispatcher)
    assert all(not m.get("buttons") or m["buttons"] != VOTE_BUTTONS for m in dispatcher.messages)


def test_out_of_scope_and_the_password_warning_alone_are_not_asked_about(dispatcher, domain):
    run(ActionExplainScope(), dispatcher, make_tracker("out_of_scope"), domain)
    ranking = [{"name": "share_password", "confidence": 1.0}]
    run(
        ActionWarnSecretShared(),
        dispatcher,
        make_tracker("share_password", ranking=ranking),
        domain,
    )
    assert QUESTION not in texts(dispatcher)


def test_the_form_asks_its_own_question_first_and_did_this_help_after_it(dispatcher, domain):
    """Inside reinstate_form the answer comes with a yes/no question; a second
    yes/no question there would muddle the two, so the vote waits."""
    run(ActionAskAllAccountsDeleted(), dispatcher, make_tracker("reinstate_account"), domain)
    assert QUESTION not in texts(dispatcher)
    dispatcher.messages.clear()
    tracker = make_tracker(
        "deny",
        slots={"all_accounts_deleted": False},
        events=[
            {"event": "user", "parse_data": {"intent": {"name": "reinstate_account"}}},
            {"event": "slot", "name": "requested_slot", "value": "all_accounts_deleted"},
        ],
    )
    events = run(ActionAnswerReinstatement(), dispatcher, tracker, domain)
    assert texts(dispatcher)[0] == CONTENT.messages["reinstate_not_all"]
    assert texts(dispatcher)[1] == QUESTION
    assert slots_set(events)["feedback_asked"] == ["reinstate_account"]


def test_yes_gets_thanks(dispatcher, domain):
    tracker = make_tracker("feedback_yes", slots={"last_topic": "helpdesk_contact"})
    events = run(ActionAnswerFeedback(), dispatcher, tracker, domain)
    assert texts(dispatcher) == ["Thanks for telling us. What else can I help with?"]
    assert slots_set(events) == {"offered_topic": None}


def test_no_gets_an_apology_the_helpdesk_and_what_they_were_trying_to_do(dispatcher, domain):
    tracker = make_tracker(
        "feedback_no", slots={"last_topic": "reset_password", "offered_topic": "prepare_call"}
    )
    events = run(ActionAnswerFeedback(), dispatcher, tracker, domain)
    [text] = texts(dispatcher)
    facts = CONTENT.facts
    assert text.startswith("Sorry that didn't help.")
    assert f"{facts['helpdesk_phone']} or {facts['helpdesk_email']}" in text
    assert f"({facts['helpdesk_hours']})" in text
    assert "What were you trying to do?" in text
    # The offer is dropped: a "yes" now is not a yes to it.
    assert slots_set(events) == {"offered_topic": None}


def test_a_vote_inside_the_form_is_answered_by_the_topic_action_too(dispatcher, domain):
    """The form-leaving rule sends any other intent to action_answer_topic."""
    tracker = make_tracker("feedback_no", active_loop="reinstate_form")
    run(ActionAnswerTopic(), dispatcher, tracker, domain)
    [text] = texts(dispatcher)
    assert text.startswith("Sorry that didn't help.")
