"""The replies' building blocks, with the exact facts a caller needs (read
from the content file, where a content owner keeps them)."""

import pytest

from actions import guidance
from actions.content import REQUIRED_TOPICS, get_content

CONTENT = get_content()
FACTS = CONTENT.facts
HELPDESK_LINES = [
    f"Phone: {FACTS['helpdesk_phone']}",
    f"Email: {FACTS['helpdesk_email']}",
    f"Open {FACTS['helpdesk_hours']}.",
]
FIRST, AGENT = CONTENT.menu_first, CONTENT.menu_agent
MENU_FIRST = f'1. Press {FIRST.option}: "{FIRST.label}".'
MENU_AGENT = f"3. Press {AGENT.option} {AGENT.label}."


def org_step(org_type):
    return f"2. Choose your organisation type: {CONTENT.org_types[org_type]['label']}."


def test_helpdesk_contact_lines_carry_number_email_and_hours(content):
    assert guidance.helpdesk_contact_lines(content) == HELPDESK_LINES


def test_menu_path_defaults_to_social_care(content):
    assert content.default_org_type == "social_care"
    assert guidance.menu_path_lines(content) == [
        "On the phone menu:",
        MENU_FIRST,
        org_step("social_care"),
        MENU_AGENT,
    ]


def test_menu_path_for_a_pharmacy(content):
    assert guidance.menu_path_lines(content, "pharmacy")[2] == org_step("pharmacy")


@pytest.mark.parametrize("said", ["other", "dental", "GP surgery"])
def test_menu_path_for_other_organisations_does_not_invent_a_key(content, said):
    step = guidance.menu_path_lines(content, said)[2]
    assert step == org_step("other")


def test_identity_checklist_names_the_three_things_the_agent_asks_for(content):
    lines = guidance.identity_checklist_lines(content)
    assert lines[0] == "Have these ready:"
    assert lines[1] == "- The email address of the NHSmail account"
    assert lines[2] == "- The mobile number linked to the account"
    assert "security questions or an account secret" in lines[3]
    assert f"{FACTS['secret_characters_asked']} characters of an account secret" in lines[3]
    assert len(lines) == 4


def test_identity_checklist_for_the_whole_site_adds_ods_code_and_landline(content):
    lines = guidance.identity_checklist_lines(content, for_site=True)
    assert f"- Your care home's ODS code ({FACTS['ods_code_format']})" in lines
    assert any("registered landline" in line for line in lines)


def test_manager_route_is_the_guides_five_steps_in_order(content):
    assert guidance.manager_route_lines(content) == [
        "1. Call the helpdesk themselves.",
        "2. Say that all accounts linked to the shared mailbox have been deleted.",
        "3. Ask for a new individual NHSmail account to be set up and linked to the shared mailbox.",
        f"4. Have the site's ODS code to hand ({FACTS['ods_code_format']}).",
        "5. Call from the care home's registered landline, so the helpdesk can verify the site.",
    ]


def test_password_answer_comes_first_with_contact_and_menu(content):
    reply = guidance.render_topic(content, "reset_password")
    for line in HELPDESK_LINES:
        assert line in reply.text
    assert MENU_FIRST in reply.text
    assert org_step("social_care") in reply.text
    assert MENU_AGENT in reply.text
    assert FACTS["portal_url"] in reply.text  # self-service reset
    assert [b["payload"] for b in reply.buttons] == [
        "/prepare_call",
        '/helpdesk_contact{"org_type": "pharmacy"}',
        '/helpdesk_contact{"org_type": "other"}',
    ]


def test_password_answer_cites_its_public_sources(content):
    text = guidance.render_topic(content, "reset_password").text
    for source in ("self_service_reset", "lockout"):
        assert f"{content.messages['sources_heading']} {content.sources[source]['url']}" in text


def test_password_answer_for_a_pharmacy_does_not_offer_to_choose_again(content):
    reply = guidance.render_topic(content, "reset_password", "pharmacy")
    assert org_step("pharmacy") in reply.text
    assert [b["payload"] for b in reply.buttons] == ["/prepare_call"]


@pytest.mark.parametrize("topic", REQUIRED_TOPICS)
def test_every_topic_renders_without_leftover_placeholders(content, topic):
    reply = guidance.render_topic(content, topic)
    assert reply.text.strip()
    assert "{" not in reply.text and "}" not in reply.text


@pytest.mark.parametrize(
    "topic, expected",
    [
        ("add_user", "cannot create NHSmail accounts"),
        ("remove_leaver", "revoke their access to your care home's shared mailbox"),
        ("remove_leaver", "information governance"),
        ("inactive_account", "at least once a month"),
        ("inactive_account", "marked inactive and deleted after {deleted_after_days}"),
        ("inactive_account", "The guide's {guide_inactive_days} days is the older rule"),
        ("shared_mailbox", "{shared_mailbox_address}"),
        ("outlook_setup", "{dsc_guides_url}"),
        ("guides_faq", "{faq_url}"),
        ("local_team", "{local_team_name_cap} cannot create NHSmail accounts or reset passwords"),
        ("nhsmail_purpose", "{secure_partners}"),
        ("helpdesk_mfa", "re-enrolled"),
        ("bot_challenge", "not a person"),
    ],
)
def test_topic_answers_carry_the_guides_facts(content, topic, expected):
    assert content.fill(expected) in guidance.render_topic(content, topic).text


def test_manager_route_answer_has_route_and_contact(content):
    text = guidance.render_topic(content, "reinstate_all_deleted").text
    assert "current manager" in text
    assert "ODS code" in text and "registered landline" in text
    assert HELPDESK_LINES[0] in text


@pytest.mark.parametrize(
    "intent, entities, all_deleted, topic",
    [
        ("reset_password", [], None, "reset_password"),
        ("reinstate_account", [], None, "reinstate_account"),
        ("reinstate_account", ["account_scope"], None, "reinstate_all_deleted"),
        ("reinstate_account", [], True, "reinstate_all_deleted"),
        ("helpdesk_contact", ["mfa"], None, "helpdesk_mfa"),
        ("reset_password", ["mfa"], None, "helpdesk_mfa"),
        ("greet", [], None, None),
        ("out_of_scope", [], None, None),
    ],
)
def test_choose_topic(intent, entities, all_deleted, topic):
    assert guidance.choose_topic(intent, entities, all_deleted) == topic


def test_clarify_offers_the_two_likeliest_topics_and_a_way_out(content):
    reply = guidance.clarify(content, ["greet", "reset_password", "add_user", "guides_faq"])
    assert [b["payload"] for b in reply.buttons] == [
        "/reset_password",
        "/add_user",
        "/out_of_scope",
    ]
    assert reply.buttons[0]["title"] == "Reset a password or unlock an account"


def test_scope_lists_topics_and_gives_the_helpdesk_for_everything_else(content):
    reply = guidance.scope(content)
    assert "- Reset a password or unlock an account" in reply.text
    assert FACTS["helpdesk_phone"] in reply.text and FACTS["helpdesk_email"] in reply.text
    assert len(reply.buttons) == 4


def test_secret_warning_tells_the_user_to_change_it(content):
    text = guidance.secret_warning(content).text
    assert "don't type passwords" in text
    assert "Change it now" in text
