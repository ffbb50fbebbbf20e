"""Messages that are not for this assistant: who is asking decides the reply,
and the conversation decides whether a set-aside message was NHSmail's after all.

Every number, address and wording is read from the content file."""

import pytest

from actions.actions import ActionAnswerFollowUp, ActionAnswerTopic, ActionExplainScope
from actions.content import get_content
from actions.guidance import provider_contact_lines
from tests.support.trackers import after_reply, button_payloads, make_tracker, run, slots_set, texts

CONTENT = get_content()
FACTS = CONTENT.facts
PROVIDER = CONTENT.provider_contact
HELPDESK = FACTS["helpdesk_phone"]
MENU = "On the phone menu:"
NOT_FOR_ME = CONTENT.messages["not_for_me"]
# The guard's verdict on a message it set aside as not for this assistant.
FAR = {"score": 0.21, "threshold": 0.42}


def verdict(kind=None, rejected=None, score=0.21):
    found = {"score": score, "threshold": 0.42}
    if kind:
        found["kind"] = kind
    if rejected:
        found["rejected"] = rejected
    return found


def explain(dispatcher, domain, **kwargs):
    return run(ActionExplainScope(), dispatcher, make_tracker("out_of_scope", **kwargs), domain)


def test_a_visitor_gets_the_providers_own_contacts_and_no_nhsmail_helpdesk(dispatcher, domain):
    events = explain(
        dispatcher,
        domain,
        text="can I visit my dad on sunday?",
        open_world=verdict("visitor", "add_user"),
    )
    [text] = texts(dispatcher)
    assert text.startswith(NOT_FOR_ME)
    assert "no person reads it" in text
    assert f"- Phone: {PROVIDER['phone']}" in text
    assert f"- Email: {PROVIDER['email']}" in text
    assert f"- Jobs: {PROVIDER['jobs_url']}" in text
    assert f"- Complaints: {PROVIDER['complaints_url']}" in text
    assert f"- Find your home: {PROVIDER['find_home_url']}" in text
    assert HELPDESK not in text and MENU not in text
    # No "Did this help?" and nothing offered; a follow-up knows who it was for.
    assert len(dispatcher.messages) == 1 and button_payloads(dispatcher) == []
    assert slots_set(events)["scope_reply"] == "visitor"


def test_a_bereaved_relative_gets_kind_words_first(dispatcher, domain):
    explain(
        dispatcher,
        domain,
        text="my mother passed away on tuesday, how do we collect her things",
        open_world=verdict("visitor", "remove_leaver"),
    )
    [text] = texts(dispatcher)
    assert text.startswith(CONTENT.messages["bereaved"] + "\n\n" + NOT_FOR_ME)
    assert f"- Phone: {PROVIDER['phone']}" in text and HELPDESK not in text


def test_someone_in_danger_is_told_999_and_nothing_about_nhsmail(dispatcher, domain):
    explain(dispatcher, domain, text="he's collapsed", open_world=verdict("emergency"))
    [text] = texts(dispatcher)
    assert text.startswith(
        f"If someone is in danger or seriously hurt, call {FACTS['emergency_number']} now."
    )
    assert FACTS["emergency_number"] == "999"
    assert HELPDESK not in text and MENU not in text
    assert dispatcher.messages[0].get("buttons") in (None, [])


def test_a_worry_of_abuse_goes_to_the_home_the_council_and_the_cqc(dispatcher, domain):
    explain(
        dispatcher,
        domain,
        text="I think a carer is taking money from my aunt",
        open_world=verdict("safeguarding"),
    )
    [text] = texts(dispatcher)
    assert f"If anyone is in danger right now, call {FACTS['emergency_number']}." in text
    assert f"tell the care home's manager ({PROVIDER['phone']})" in text
    assert f"adult safeguarding team: {FACTS['safeguarding_url']}" in text
    assert f"Care Quality Commission on {FACTS['cqc_phone']} or at {FACTS['cqc_url']}" in text
    assert HELPDESK not in text


def test_danger_words_get_999_even_when_the_learned_kind_missed_them(dispatcher, domain):
    explain(
        dispatcher,
        domain,
        text="my nan is on the floor and not breathing",
        open_world=verdict("other"),
    )
    assert f"call {FACTS['emergency_number']} now" in texts(dispatcher)[0]


def test_anything_else_gets_one_short_line_and_the_topic_buttons(dispatcher, domain):
    explain(dispatcher, domain, text="set a timer for ten minutes", open_world=verdict("other"))
    [text] = texts(dispatcher)
    assert text == CONTENT.fill(CONTENT.messages["other_short"])
    assert "no person reads this chat" in text
    assert button_payloads(dispatcher) == [f"/{name}" for name in CONTENT.scope_buttons]
    assert HELPDESK not in text


def test_another_system_still_goes_to_the_manager_or_it(dispatcher, domain):
    explain(
        dispatcher,
        domain,
        text="forgot the eMAR password",
        open_world=verdict("other"),
    )
    tracker = make_tracker(
        "out_of_scope", entities=["other_system"], text="forgot the eMAR password"
    )
    dispatcher.messages.clear()
    events = run(ActionExplainScope(), dispatcher, tracker, domain)
    assert texts(dispatcher)[0].startswith(CONTENT.messages["other_system"])
    assert slots_set(events)["scope_reply"] == "other_system"


ANSWERED = after_reply("reset_password", "action_answer_topic", last_topic="reset_password")


def test_a_short_follow_up_straight_after_an_answer_is_judged_with_it(dispatcher, domain):
    # "and on a new phone?" alone is far from the training data, but it
    # follows an answer: the guard's choice stands, close to its threshold.
    explain(
        dispatcher,
        domain,
        text="and on a new phone?",
        events=ANSWERED,
        slots={"last_topic": "reset_password"},
        open_world=verdict("other", "outlook_setup", score=0.40),
    )
    assert texts(dispatcher)[0] == get_answer("outlook_setup")


@pytest.mark.parametrize(
    "text, after_answer, score",
    [
        # The same words with no answer before them.
        ("and on a new phone?", False, 0.40),
        # Long: not a follow-up.
        ("and what is the best way to cook a roast chicken for a big family dinner", True, 0.40),
        # Far below the threshold.
        ("set a timer", True, 0.20),
    ],
)
def test_set_aside_it_stays_out_of_scope(dispatcher, domain, text, after_answer, score):
    context = {"events": ANSWERED, "slots": {"last_topic": "reset_password"}}
    explain(
        dispatcher,
        domain,
        text=text,
        open_world=verdict("other", "outlook_setup", score=score),
        **(context if after_answer else {}),
    )
    assert texts(dispatcher)[0] == CONTENT.fill(CONTENT.messages["other_short"])


@pytest.mark.parametrize(
    "channel, answered", [("teams", True), ("slack", True), ("socketio", False)]
)
def test_a_staff_channel_is_a_prior_for_nhsmail(dispatcher, domain, channel, answered):
    explain(
        dispatcher,
        domain,
        text="the thing for emails on the office computer is asking for a code",
        channel=channel,
        open_world=verdict("other", "outlook_setup", score=0.39),
    )
    assert (texts(dispatcher)[0] == get_answer("outlook_setup")) is answered


def test_who_do_i_ask_then_after_a_visitors_reply_stays_with_the_provider(dispatcher, domain):
    events = after_reply("out_of_scope", "action_explain_scope", scope_reply="visitor")
    tracker = make_tracker(
        "helpdesk_contact",
        text="who do I ask then?",
        events=events,
        slots={"scope_reply": "visitor"},
        open_world={"score": 0.5, "threshold": 0.42},
    )
    run(ActionAnswerTopic(), dispatcher, tracker, domain)
    [text] = texts(dispatcher)
    assert text.startswith(CONTENT.messages["scope_follow_up"])
    assert f"- Phone: {PROVIDER['phone']}" in text
    assert HELPDESK not in text and MENU not in text


def test_an_nhsmail_question_after_a_visitors_reply_is_answered(dispatcher, domain):
    events = after_reply("out_of_scope", "action_explain_scope", scope_reply="visitor")
    tracker = make_tracker(
        "helpdesk_contact",
        text="what's the nhsmail helpdesk number?",
        events=events,
        slots={"scope_reply": "visitor"},
    )
    run(ActionAnswerTopic(), dispatcher, tracker, domain)
    assert f"Phone: {HELPDESK}" in texts(dispatcher)[0]


def test_a_colleagues_death_is_still_the_leavers_answer_in_kind_words(dispatcher, domain):
    tracker = make_tracker(
        "remove_leaver", text="one of our nurses died last week, what about her email"
    )
    run(ActionAnswerTopic(), dispatcher, tracker, domain)
    text = texts(dispatcher)[0]
    assert text.startswith(CONTENT.messages["colleague_died"] + "\n\n")
    assert f"Phone: {HELPDESK}" in text


def test_what_to_have_ready_after_the_new_starter_answer_fits_that_topic(dispatcher, domain):
    events = after_reply("add_user", "action_answer_topic", last_topic="add_user")
    tracker = make_tracker(
        "prepare_call",
        text="what do I need to have ready?",
        events=events,
        slots={"last_topic": "add_user"},
    )
    run(ActionAnswerTopic(), dispatcher, tracker, domain)
    text = texts(dispatcher)[0]
    assert text.startswith("The guide doesn't list what the helpdesk needs to add a new starter")
    # Not the account holder's own checklist.
    assert "Have these ready:" not in text


def test_a_yes_to_the_new_starter_answers_offer_gets_the_same(dispatcher, domain):
    events = after_reply(
        "add_user",
        "action_answer_topic",
        last_topic="add_user",
        offered_topic="prepare_new_starter",
    )
    tracker = make_tracker(
        "affirm",
        events=events,
        slots={"last_topic": "add_user", "offered_topic": "prepare_new_starter"},
    )
    run(ActionAnswerFollowUp(), dispatcher, tracker, domain)
    assert texts(dispatcher)[0].startswith("The guide doesn't list what the helpdesk needs")


def test_an_organisation_type_after_what_will_they_ask_gets_its_menu_path(dispatcher, domain):
    events = after_reply("prepare_call", "action_answer_topic", last_topic="prepare_call")
    tracker = make_tracker(
        "inform_org_type",
        text="I'm in a pharmacy",
        events=events,
        slots={"last_topic": "prepare_call", "org_type": "pharmacy"},
    )
    run(ActionAnswerFollowUp(), dispatcher, tracker, domain)
    text = texts(dispatcher)[0]
    label = CONTENT.org_types["pharmacy"]["label"]
    assert f"2. Choose your organisation type: {label}." in text
    assert "Have these ready:" not in text


def get_answer(topic):
    from actions.guidance import render_topic

    return render_topic(CONTENT, topic).text


def test_a_provider_with_one_home_has_no_find_your_home_line():
    import dataclasses

    one_home = {k: v for k, v in PROVIDER.items() if k != "find_home_url"}
    lines = provider_contact_lines(dataclasses.replace(CONTENT, provider_contact=one_home))
    assert lines[0] == f"- Phone: {PROVIDER['phone']}"
    assert not any(line.startswith("- Find your home") for line in lines)
    assert any(line.startswith("- Find your home") for line in provider_contact_lines(CONTENT))


@pytest.mark.parametrize("kind", ["visitor", "safeguarding", "emergency", "other"])
def test_every_not_for_me_reply_says_999(kind):
    from actions.guidance import not_for_me

    assert f"call {FACTS['emergency_number']}" in not_for_me(CONTENT, kind).text
