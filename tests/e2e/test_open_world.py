"""Not for this assistant, on the real servers over REST: who is asking gets
the right reply, and follow-ups are judged with the conversation.

Messages written for this test (none from a held-out file or a benchmark);
every fact is read from the content file.
"""

import uuid

import pytest

from tests.support.servers import say

MENU = "On the phone menu:"


def talk(servers, *messages):
    """Plays ``messages`` as one new conversation; each reply's text."""
    sender = f"ow-{uuid.uuid4().hex[:12]}"
    return ["\n".join(m.get("text", "") for m in say(servers, sender, text)) for text in messages]


@pytest.mark.parametrize(
    "text",
    [
        "hiya, what are the visiting times at the weekend",
        "I'd love to work as a carer in one of your homes, how do I apply",
        "who do I send our catering invoice to",
    ],
)
def test_visitors_get_the_providers_contacts(servers, content, text):
    [reply] = talk(servers, text)
    assert f"- Phone: {content.provider_contact['phone']}" in reply
    assert content.facts["helpdesk_phone"] not in reply and MENU not in reply
    assert "Did this answer help?" not in reply


def test_a_bereaved_relative_is_met_with_kind_words(servers, content):
    [reply] = talk(servers, "my dad passed away in the home last night, what happens to his things")
    assert reply.startswith(content.messages["bereaved"])
    assert f"- Phone: {content.provider_contact['phone']}" in reply
    assert content.facts["helpdesk_phone"] not in reply


def test_someone_in_danger_is_told_999(servers, content):
    [reply] = talk(servers, "my mum has collapsed in her room and she isn't breathing")
    assert f"call {content.facts['emergency_number']} now" in reply
    assert content.facts["helpdesk_phone"] not in reply and MENU not in reply


def test_a_worry_of_neglect_goes_to_the_council_and_the_cqc(servers, content):
    [reply] = talk(
        servers, "I'm worried my gran is being neglected, she's always left in a wet bed"
    )
    assert content.facts["safeguarding_url"] in reply
    assert content.facts["cqc_phone"] in reply
    assert content.facts["helpdesk_phone"] not in reply


@pytest.mark.parametrize(
    "text", ["set a timer for twenty minutes", "what does the word ephemeral mean"]
)
def test_everyday_requests_get_one_short_line(servers, content, text):
    [reply] = talk(servers, text)
    assert reply == content.fill(content.messages["other_short"])


def test_who_do_i_ask_then_after_a_visitors_reply_stays_out_of_scope(servers, content):
    first, then = talk(
        servers, "how much are the fees for a room at your home", "who do I ask then?"
    )
    assert f"- Phone: {content.provider_contact['phone']}" in then
    assert content.facts["helpdesk_phone"] not in then and MENU not in then


def test_a_short_follow_up_after_an_answer_is_judged_as_nhsmail(servers, content):
    first, then = talk(servers, "forgot my nhsmail password", "and on a new phone?")
    assert MENU in first
    # An NHSmail answer, or NHSmail topics to choose from: never "not for me".
    assert not then.startswith(content.fill(content.messages["other_short"]))
    assert content.facts["helpdesk_phone"] in then or then.startswith(
        content.fill(content.messages["clarify"])
    )


def test_an_organisation_type_after_what_they_ask_gets_its_menu_path(servers, content):
    first, then = talk(
        servers, "what will they ask me when I ring the helpdesk", "I'm in a pharmacy"
    )
    assert "Have these ready:" in first
    label = content.org_types["pharmacy"]["label"]
    assert f"2. Choose your organisation type: {label}." in then
    assert "Have these ready:" not in then


def test_what_to_have_ready_after_a_new_starter_fits_the_new_starter(servers):
    first, then = talk(
        servers, "we have a new carer starting on monday", "what do I need to have ready?"
    )
    assert then.startswith("The guide doesn't list what the helpdesk needs to add a new starter")
    assert "Have these ready:" not in then


def test_another_subject_straight_after_an_answer_is_answered_on_it(servers, content):
    first, then = talk(
        servers,
        "a nurse left last week, what do I do about her account",
        "and will the shared mailbox go too?",
    )
    assert then.startswith(content.topics["shared_mailbox"].answer[0].split("{")[0])


def test_an_nhsmail_question_with_a_greeting_in_another_language_is_answered(servers, content):
    [reply] = talk(servers, "Dzień dobry, I forgot my nhs mail password")
    assert f"Phone: {content.facts['helpdesk_phone']}" in reply
