"""channels/speedups.py: action-server replies are validated as before."""
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

import channels  # noqa: F401  (installs the patch)


def action():
    return RemoteAction("action_answer_topic", action_endpoint=None)


def test_a_valid_reply_passes():
    assert action()._validate_action_result({"events": [], "responses": [{"text": "hi"}]})


def test_an_invalid_reply_is_refused_with_rasa_s_message():
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action()._validate_action_result({"events": "not a list"})
