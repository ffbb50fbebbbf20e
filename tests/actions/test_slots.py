"""Slot extraction: don't ask what the user already said."""

import pytest

from actions.slots import ValidatePredefinedSlots, all_accounts_deleted_from
from tests.support.trackers import make_tracker, run


@pytest.mark.parametrize(
    "intent, entities, asked, expected",
    [
        ("reinstate_account", ["account_scope"], False, {"all_accounts_deleted": True}),
        ("shared_mailbox", ["account_scope"], False, {"all_accounts_deleted": True}),
        ("reinstate_account", [], False, {}),
        ("affirm", [], True, {"all_accounts_deleted": True}),
        ("deny", [], True, {"all_accounts_deleted": False}),
        ("affirm", [], False, {}),  # a yes to something else
        ("add_user", ["account_scope"], False, {}),  # "add everyone" is not deletion
    ],
)
def test_all_accounts_deleted_from(intent, entities, asked, expected):
    assert all_accounts_deleted_from(intent, entities, asked) == expected


def test_first_message_stating_the_case_sets_the_slot(dispatcher, domain):
    tracker = make_tracker("reinstate_account", ["account_scope"])
    events = run(ValidatePredefinedSlots(), dispatcher, tracker, domain)
    assert {
        "event": "slot",
        "name": "all_accounts_deleted",
        "value": True,
        "timestamp": None,
    } in events


def test_yes_to_the_forms_question_sets_the_slot(dispatcher, domain):
    tracker = make_tracker(
        "affirm", active_loop="reinstate_form", slots={"requested_slot": "all_accounts_deleted"}
    )
    events = run(ValidatePredefinedSlots(), dispatcher, tracker, domain)
    assert [(e["name"], e["value"]) for e in events] == [("all_accounts_deleted", True)]


def test_yes_outside_the_form_sets_nothing(dispatcher, domain):
    events = run(ValidatePredefinedSlots(), dispatcher, make_tracker("affirm"), domain)
    assert events == []


def test_only_a_true_or_false_value_is_kept(dispatcher, domain):
    action = ValidatePredefinedSlots()
    assert action.validate_all_accounts_deleted(True, dispatcher, None, domain) == {
        "all_accounts_deleted": True
    }
    assert action.validate_all_accounts_deleted("all", dispatcher, None, domain) == {
        "all_accounts_deleted": None
    }


def _org(text, word, value):
    return {"entity": "org_type", "start": text.index(word), "value": value}


def test_the_organisation_type_not_negated_is_the_callers():
    from actions.slots import org_type_from

    text = "I'm at a pharmacy, not a care home"
    entities = [_org(text, "pharmacy", "pharmacy"), _org(text, "care home", "social_care")]
    assert org_type_from(text, entities, said_alone=True) == "pharmacy"
    text = "not a care home, a chemist"
    entities = [_org(text, "care home", "social_care"), _org(text, "chemist", "pharmacy")]
    assert org_type_from(text, entities, said_alone=True) == "pharmacy"


def test_an_organisation_only_mentioned_is_not_the_callers():
    from actions.slots import org_type_from

    text = "the GP surgery said they emailed us but I can't log in"
    assert org_type_from(text, [_org(text, "GP surgery", "other")], said_alone=False) is None
    text = "we work in a pharmacy and I forgot my password"
    assert org_type_from(text, [_org(text, "pharmacy", "pharmacy")], said_alone=False) == "pharmacy"


def test_a_buttons_organisation_type_is_the_callers(dispatcher, domain):
    import asyncio

    from actions.slots import ValidatePredefinedSlots
    from tests.support.trackers import make_tracker

    text = '/helpdesk_contact{"org_type": "pharmacy"}'
    tracker = make_tracker("helpdesk_contact", text=text)
    tracker.latest_message["entities"] = [
        {"entity": "org_type", "value": "pharmacy", "start": text.index("{"), "end": len(text)}
    ]
    extracted = asyncio.run(ValidatePredefinedSlots().extract_org_type(dispatcher, tracker, domain))
    assert extracted == {"org_type": "pharmacy"}
