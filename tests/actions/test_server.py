"""The action server's guard: the shape of an action call."""

import pytest

from actions.server import call_problem, create_server

GOOD = {
    "next_action": "action_answer_topic",
    "domain": {},
    "tracker": {
        "sender_id": "s",
        "slots": {},
        "events": [],
        "latest_message": {"intent": {"name": "greet"}, "entities": [], "intent_ranking": []},
    },
}


def test_a_well_formed_call_passes():
    assert call_problem(GOOD) is None


@pytest.mark.parametrize(
    "change, problem",
    [
        (lambda c: c.update(next_action=3), '"next_action" must be a string'),
        (lambda c: c.update(tracker=[]), '"tracker" must be an object'),
        (lambda c: c["tracker"].update(events={}), '"tracker.events" must be a list'),
        (
            lambda c: c["tracker"]["latest_message"].update(intent="greet"),
            '"latest_message.intent" must be an object',
        ),
        (
            lambda c: c["tracker"]["latest_message"].update(entities=["x"]),
            '"latest_message.entities" must be a list of objects',
        ),
        (lambda c: c["tracker"].update(events=[1]), '"tracker.events" must be a list of objects'),
    ],
)
def test_malformed_calls_are_named(change, problem):
    import copy

    call = copy.deepcopy(GOOD)
    change(call)
    assert call_problem(call) == problem


def test_the_server_will_not_run_open():
    with pytest.raises(ValueError, match="ACTION_SERVER_TOKEN is empty"):
        create_server("")
