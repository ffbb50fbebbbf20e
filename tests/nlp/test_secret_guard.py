"""The NLU component that turns a disclosed password into `share_password`."""
from rasa.shared.nlu.training_data.message import Message

from nlp.secret_guard import SecretGuard


def classified(text, intent, confidence):
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": confidence})
    message.set("intent_ranking", [{"name": intent, "confidence": confidence}])
    return message


def test_disclosure_overrides_the_intent_and_keeps_the_ranking():
    [message] = SecretGuard().process([classified("my password is Fluffy22, reset it", "reset_password", 0.9)])
    assert message.get("intent") == {"name": "share_password", "confidence": 1.0}
    assert [r["name"] for r in message.get("intent_ranking")] == ["share_password", "reset_password"]


def test_a_question_about_passwords_is_left_alone():
    [message] = SecretGuard().process([classified("my password has expired", "reset_password", 0.9)])
    assert message.get("intent")["name"] == "reset_password"
