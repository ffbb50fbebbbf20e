"""Every custom action, run with real rasa_sdk Trackers and CollectingDispatchers.

Facts a content owner may change are read from the content file."""

import pytest
from rasa_sdk.events import UserUtteranceReverted

from actions.actions import (
    ActionAnswerReinstatement,
    ActionAnswerTopic,
    ActionAskAllAccountsDeleted,
    ActionDefaultAskAffirmation,
    ActionDefaultAskRephrase,
    ActionDefaultFallback,
    ActionExplainScope,
    ActionWarnSecretShared,
)
from actions.content import get_content
from tests.support.trackers import (
    answer_then_vote,
    button_payloads,
    make_tracker,
    run,
    slot_event,
    slots_set,
    texts,
    user_event,
)

CONTENT = get_content()
FACTS = CONTENT.facts
NUMBER = FACTS["helpdesk_phone"]
PHONE = f"Phone: {NUMBER}"
ODS_FORMAT = f"({FACTS['ods_code_format']})"


def test_password_question_gets_number_email_hours_and_menu(dispatcher, domain):
    events = run(ActionAnswerTopic(), dispatcher, make_tracker("reset_password"), domain)
    # The answer is remembered, with its offer, for a "yes" or an organisation type.
    assert slots_set(events) == {
        "last_topic": "reset_password",
        "offered_topic": "prepare_call",
        "feedback_asked": ["reset_password"],
        # Not a not-for-me reply: a follow-up to it is judged afresh.
        "scope_reply": None,
    }
    text = answer_then_vote(dispatcher)
    assert text.endswith("Would you like to know what they will ask you on the call?")
    assert PHONE in text
    assert f"Email: {FACTS['helpdesk_email']}" in text
    assert FACTS["helpdesk_hours"] in text
    first, agent = CONTENT.menu_first, CONTENT.menu_agent
    assert f'1. Press {first.option}: "{first.label}".' in text
    assert f"2. Choose your organisation type: {CONTENT.org_types['social_care']['label']}." in text
    assert f"3. Press {agent.option} {agent.label}." in text
    assert "/prepare_call" in button_payloads(dispatcher)


def test_org_type_slot_changes_the_menu_path(dispatcher, domain):
    tracker = make_tracker("helpdesk_contact", slots={"org_type": "pharmacy"})
    run(ActionAnswerTopic(), dispatcher, tracker, domain)
    pharmacy = CONTENT.org_types["pharmacy"]["label"]
    assert f"2. Choose your organisation type: {pharmacy}." in texts(dispatcher)[0]


def test_prepare_call_lists_the_identity_checklist(dispatcher, domain):
    run(ActionAnswerTopic(), dispatcher, make_tracker("prepare_call"), domain)
    text = texts(dispatcher)[0]
    assert "- The email address of the NHSmail account" in text
    assert "- The mobile number linked to the account" in text
    assert f"{FACTS['secret_characters_asked']} characters of an account secret" in text
    assert "ODS code" not in text


def test_prepare_call_for_a_home_with_every_account_gone_adds_site_checks(dispatcher, domain):
    tracker = make_tracker("prepare_call", slots={"all_accounts_deleted": True})
    run(ActionAnswerTopic(), dispatcher, tracker, domain)
    text = texts(dispatcher)[0]
    assert f"ODS code {ODS_FORMAT}" in text
    assert "registered landline" in text


def test_mfa_words_turn_a_helpdesk_question_into_the_mfa_answer(dispatcher, domain):
    run(ActionAnswerTopic(), dispatcher, make_tracker("helpdesk_contact", ["mfa"]), domain)
    text = texts(dispatcher)[0]
    assert "re-enrolled" in text and NUMBER in text


@pytest.mark.parametrize(
    "intent, response",
    [("greet", "utter_greet"), ("thanks", "utter_you_are_welcome"), ("goodbye", "utter_goodbye")],
)
def test_small_talk_met_by_answer_topic_uses_the_domain_response(
    dispatcher, domain, intent, response
):
    run(ActionAnswerTopic(), dispatcher, make_tracker(intent), domain)
    assert dispatcher.messages[0]["response"] == response


def test_answer_topic_on_low_confidence_asks_to_clarify(dispatcher, domain):
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.6},
        {"name": "shared_mailbox", "confidence": 0.4},
        {"name": "remove_leaver", "confidence": 0.35},
    ]
    run(ActionAnswerTopic(), dispatcher, make_tracker("nlu_fallback", ranking=ranking), domain)
    assert button_payloads(dispatcher) == ["/shared_mailbox", "/remove_leaver", "/out_of_scope"]


def test_typed_password_is_warned_about_and_never_echoed(dispatcher, domain):
    tracker = make_tracker("share_password")
    tracker.latest_message["text"] = "my password is Fluffy22"
    run(ActionWarnSecretShared(), dispatcher, tracker, domain)
    assert "don't type passwords" in texts(dispatcher)[0]
    assert all("Fluffy22" not in t for t in texts(dispatcher))


def test_typed_password_with_a_question_gets_the_answer_too(dispatcher, domain):
    ranking = [
        {"name": "share_password", "confidence": 1.0},
        {"name": "reset_password", "confidence": 0.9},
    ]
    run(
        ActionWarnSecretShared(),
        dispatcher,
        make_tracker("share_password", ranking=ranking),
        domain,
    )
    warning, answer, vote = texts(dispatcher)
    assert vote == CONTENT.messages["feedback_question"]
    assert "don't type passwords" in warning
    assert PHONE in answer


def test_typed_password_with_an_unclear_question_gets_only_the_warning(dispatcher, domain):
    # the FallbackClassifier ran before the guard and put nlu_fallback first
    ranking = [
        {"name": "share_password", "confidence": 1.0},
        {"name": "nlu_fallback", "confidence": 0.6},
        {"name": "reset_password", "confidence": 0.3},
    ]
    run(
        ActionWarnSecretShared(),
        dispatcher,
        make_tracker("share_password", ranking=ranking),
        domain,
    )
    assert len(dispatcher.messages) == 1


def test_reinstatement_question_comes_after_the_answer(dispatcher, domain):
    tracker = make_tracker("reinstate_account")
    run(ActionAskAllAccountsDeleted(), dispatcher, tracker, domain)
    answer, question = texts(dispatcher)
    assert PHONE in answer
    assert "- The mobile number linked to the account" in answer
    assert question.startswith(
        "Has every NHSmail account linked to your care home's shared mailbox"
    )
    assert dispatcher.messages[1]["buttons"] == [
        {"title": "Yes", "payload": "/affirm"},
        {"title": "No", "payload": "/deny"},
    ]


def asked_then(intent):
    earlier = [
        user_event("reinstate_account"),
        slot_event("requested_slot", "all_accounts_deleted"),
    ]
    return earlier, intent


def test_reinstatement_question_asked_again_is_only_the_question(dispatcher, domain):
    earlier, intent = asked_then("thanks")
    run(ActionAskAllAccountsDeleted(), dispatcher, make_tracker(intent, events=earlier), domain)
    assert len(dispatcher.messages) == 1
    assert texts(dispatcher)[0].startswith("Has every NHSmail account")


def test_every_account_gone_gives_the_managers_route(dispatcher, domain):
    earlier, intent = asked_then("affirm")
    tracker = make_tracker(intent, events=earlier, slots={"all_accounts_deleted": True})
    run(ActionAnswerReinstatement(), dispatcher, tracker, domain)
    text = texts(dispatcher)[0]
    assert "the care home's current manager should:" in text
    assert "2. Say that all accounts linked to the shared mailbox have been deleted." in text
    assert f"4. Have the site's ODS code to hand {ODS_FORMAT}." in text
    assert "5. Call from the care home's registered landline" in text
    assert PHONE in text


def test_not_every_account_gone_after_the_question_is_short(dispatcher, domain):
    earlier, intent = asked_then("deny")
    tracker = make_tracker(intent, events=earlier, slots={"all_accounts_deleted": False})
    run(ActionAnswerReinstatement(), dispatcher, tracker, domain)
    text = texts(dispatcher)[0]
    assert text.startswith("Then each person who can't get in contacts the helpdesk themselves")
    assert NUMBER not in text  # already given with the question


def test_reinstatement_known_from_earlier_answers_in_full_without_asking(dispatcher, domain):
    tracker = make_tracker("reinstate_account", slots={"all_accounts_deleted": False})
    run(ActionAnswerReinstatement(), dispatcher, tracker, domain)
    assert PHONE in texts(dispatcher)[0]


def test_out_of_scope_says_in_one_line_what_it_is_for_and_offers_the_topics(dispatcher, domain):
    run(ActionExplainScope(), dispatcher, make_tracker("out_of_scope"), domain)
    [text] = texts(dispatcher)
    assert text == CONTENT.fill(CONTENT.messages["other_short"])
    assert "no person reads this chat" in text
    assert button_payloads(dispatcher) == [f"/{name}" for name in CONTENT.scope_buttons]
    assert NUMBER not in text


def test_ask_affirmation_offers_two_likeliest_topics(dispatcher, domain):
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.6},
        {"name": "inactive_account", "confidence": 0.45},
        {"name": "greet", "confidence": 0.2},
        {"name": "reinstate_account", "confidence": 0.2},
    ]
    tracker = make_tracker("nlu_fallback", ranking=ranking)
    run(ActionDefaultAskAffirmation(), dispatcher, tracker, domain)
    assert button_payloads(dispatcher) == [
        "/inactive_account",
        "/reinstate_account",
        "/out_of_scope",
    ]


def test_ask_rephrase_gives_an_example(dispatcher, domain):
    run(ActionDefaultAskRephrase(), dispatcher, make_tracker("deny"), domain)
    assert "say it another way" in texts(dispatcher)[0]


def test_default_fallback_explains_scope_and_reverts_the_message(dispatcher, domain):
    events = run(ActionDefaultFallback(), dispatcher, make_tracker("nlu_fallback"), domain)
    assert events == [UserUtteranceReverted()]
    assert "I can help with NHSmail accounts" in texts(dispatcher)[0]
