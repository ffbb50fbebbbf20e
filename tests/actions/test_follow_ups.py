"""Answers in the context of the latest answer, compound questions, and
questions about other systems: the actions, with real rasa_sdk Trackers."""

from actions.actions import (
    ActionAnswerFollowUp,
    ActionAnswerTopic,
    ActionDefaultAskAffirmation,
    ActionExplainScope,
)
from actions.content import get_content
from tests.support.trackers import (
    answer_then_vote,
    button_payloads,
    make_tracker,
    run,
    slots_set,
    texts,
)

CONTENT = get_content()
MENU = "On the phone menu:"
CHECKLIST = "Have these ready:"


def org_step(org_type):
    return f"2. Choose your organisation type: {CONTENT.org_types[org_type]['label']}."


def test_yes_to_the_offer_gets_the_offered_answer(dispatcher, domain):
    tracker = make_tracker(
        "affirm", slots={"last_topic": "reset_password", "offered_topic": "prepare_call"}
    )
    events = run(ActionAnswerFollowUp(), dispatcher, tracker, domain)
    text = answer_then_vote(dispatcher)
    assert text.startswith(CHECKLIST)
    assert "- The mobile number linked to the account" in text
    assert slots_set(events) == {
        "last_topic": "prepare_call",
        "offered_topic": None,
        "feedback_asked": ["prepare_call"],
        "scope_reply": None,
    }


def test_yes_when_nothing_was_offered_is_acknowledged(dispatcher, domain):
    tracker = make_tracker("affirm", slots={"last_topic": "prepare_call"})
    run(ActionAnswerFollowUp(), dispatcher, tracker, domain)
    assert texts(dispatcher) == ["OK. What else can I help with?"]


def test_no_to_the_offer_is_acknowledged_and_the_offer_is_dropped(dispatcher, domain):
    tracker = make_tracker("deny", slots={"offered_topic": "prepare_call"})
    events = run(ActionAnswerFollowUp(), dispatcher, tracker, domain)
    assert texts(dispatcher) == ["No problem. What do you need help with?"]
    assert slots_set(events) == {"offered_topic": None, "scope_reply": None}
    # ...so a later "yes" does not bring it back.
    again = make_tracker("affirm", slots={"offered_topic": None})
    run(ActionAnswerFollowUp(), dispatcher, again, domain)
    assert texts(dispatcher)[-1] == "OK. What else can I help with?"


def test_organisation_type_alone_repeats_the_latest_answer_for_it(dispatcher, domain):
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
    [text] = texts(dispatcher)
    assert text.startswith("To reset your NHSmail password")
    assert org_step("pharmacy") in text


def test_organisation_type_after_a_compound_answer_repeats_both_parts(dispatcher, domain):
    tracker = make_tracker(
        "inform_org_type",
        ["org_type"],
        slots={
            "org_type": "other",
            "last_topic": "reset_password+prepare_call",
            "feedback_asked": ["reset_password", "prepare_call"],
        },
    )
    run(ActionAnswerFollowUp(), dispatcher, tracker, domain)
    [text] = texts(dispatcher)
    assert org_step("other") in text
    assert CHECKLIST in text


def test_organisation_type_before_any_question_is_noted(dispatcher, domain):
    tracker = make_tracker("inform_org_type", ["org_type"], slots={"org_type": "pharmacy"})
    run(ActionAnswerFollowUp(), dispatcher, tracker, domain)
    [text] = texts(dispatcher)
    pharmacy = CONTENT.org_types["pharmacy"]["label"]
    assert (
        text
        == f"Thanks, I'll give the phone-menu steps for {pharmacy}. What do you need help with?"
    )
    assert "/reset_password" in button_payloads(dispatcher)


def test_reset_and_what_they_check_get_one_reply_with_both(dispatcher, domain):
    events = run(
        ActionAnswerTopic(), dispatcher, make_tracker("reset_password+prepare_call"), domain
    )
    text = answer_then_vote(dispatcher)
    assert f"Phone: {CONTENT.facts['helpdesk_phone']}" in text and MENU in text
    assert CHECKLIST in text and "- The email address of the NHSmail account" in text
    # The reset answer's offer (what they will ask) is answered already: not offered.
    assert "Would you like to know what they will ask you" not in text
    assert slots_set(events) == {
        "last_topic": "reset_password+prepare_call",
        "offered_topic": None,
        "feedback_asked": ["reset_password", "prepare_call"],
        "scope_reply": None,
    }
    assert "/prepare_call" not in button_payloads(dispatcher)


def test_new_starter_and_leaver_get_one_reply_with_both(dispatcher, domain):
    run(ActionAnswerTopic(), dispatcher, make_tracker("add_user+remove_leaver"), domain)
    text = answer_then_vote(dispatcher)
    assert "New staff accounts are set up by the helpdesk agent." in text
    assert "revoke their access to your care home's shared mailbox" in text


def test_deleted_and_shared_mailbox_with_every_account_gone_gets_the_managers_route(
    dispatcher, domain
):
    tracker = make_tracker("reinstate_account+shared_mailbox", ["account_scope"])
    run(ActionAnswerTopic(), dispatcher, tracker, domain)
    text = answer_then_vote(dispatcher)
    assert "the care home's current manager should:" in text
    assert CONTENT.fill("Have the site's ODS code to hand ({ods_code_format}).") in text
    assert (
        CONTENT.fill("Each care home site has one shared mailbox: {shared_mailbox_address}.")
        in text
    )


def test_another_system_gets_where_to_go_and_no_nhsmail_menu(dispatcher, domain):
    tracker = make_tracker("out_of_scope", ["other_system"], text="the guest wifi password please")
    run(ActionExplainScope(), dispatcher, tracker, domain)
    [text] = texts(dispatcher)
    assert text.startswith("That isn't NHSmail, so I can't help with it here.")
    assert "ask your manager or the home's IT support" in text
    assert "I can help with NHSmail accounts for care homes:" in text
    assert MENU not in text


def test_far_out_of_scope_gets_what_the_assistant_covers(dispatcher, domain):
    run(
        ActionExplainScope(),
        dispatcher,
        make_tracker("out_of_scope", text="who won the football"),
        domain,
    )
    [text] = texts(dispatcher)
    # One short line and the topic buttons, not the list of twelve.
    assert text == CONTENT.fill(CONTENT.messages["other_short"])


def test_out_of_scope_naming_nhsmail_offers_nhsmail_topics_first(dispatcher, domain):
    tracker = make_tracker(
        "out_of_scope",
        text="can nhsmail print in colour",
        ranking=[{"name": "out_of_scope", "confidence": 0.5}, {"name": "greet", "confidence": 0.3}],
    )
    run(ActionExplainScope(), dispatcher, tracker, domain)
    payloads = button_payloads(dispatcher)
    assert payloads[0] == "/reset_password"
    assert payloads[-1] == "/out_of_scope"


def test_unsure_about_a_message_naming_nhsmail_never_offers_only_something_else(dispatcher, domain):
    tracker = make_tracker(
        "nlu_fallback",
        text="nhs mail thing",
        ranking=[
            {"name": "nlu_fallback", "confidence": 0.4},
            {"name": "greet", "confidence": 0.3},
            {"name": "thanks", "confidence": 0.2},
        ],
    )
    run(ActionDefaultAskAffirmation(), dispatcher, tracker, domain)
    payloads = button_payloads(dispatcher)
    assert payloads == ["/reset_password", "/helpdesk_contact", "/out_of_scope"]
