"""Slot extraction: don't ask what the user already said."""
import pytest

from actions.slots import ValidatePredefinedSlots, all_accounts_deleted_from
from tests.conftest import make_tracker, run


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
    assert {"event": "slot", "name": "all_accounts_deleted", "value": True,
            "timestamp": None} in events


def test_yes_to_the_forms_question_sets_the_slot(dispatcher, domain):
    tracker = make_tracker("affirm", active_loop="reinstate_form",
                           slots={"requested_slot": "all_accounts_deleted"})
    events = run(ValidatePredefinedSlots(), dispatcher, tracker, domain)
    assert [(e["name"], e["value"]) for e in events] == [("all_accounts_deleted", True)]


def test_yes_outside_the_form_sets_nothing(dispatcher, domain):
    events = run(ValidatePredefinedSlots(), dispatcher, make_tracker("affirm"), domain)
    assert events == []


def test_only_a_true_or_false_value_is_kept(dispatcher, domain):
    action = ValidatePredefinedSlots()
    assert action.validate_all_accounts_deleted(True, dispatcher, None, domain) == {"all_accounts_deleted": True}
    assert action.validate_all_accounts_deleted("all", dispatcher, None, domain) == {"all_accounts_deleted": None}
