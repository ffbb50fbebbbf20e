"""The NLU component that turns a disclosed password into `share_password`."""

from rasa.shared.nlu.training_data.message import Message

from nlp.secret_guard import SecretGuard


def classified(text, intent, confidence, *others):
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": confidence})
    message.set(
        "intent_ranking",
        [{"name": intent, "confidence": confidence}]
        + [{"name": n, "confidence": c} for n, c in others],
    )
    return message


def guard():
    return SecretGuard({"fallback_threshold": 0.6})


def test_disclosure_overrides_the_intent_and_keeps_the_ranking():
    [message] = guard().process(
        [classified("my password is Fluffy22, reset it", "reset_password", 0.9)]
    )
    assert message.get("intent") == {"name": "share_password", "confidence": 1.0}
    assert [r["name"] for r in message.get("intent_ranking")] == [
        "share_password",
        "reset_password",
    ]


def test_a_question_about_passwords_is_left_alone():
    [message] = guard().process([classified("my password has expired", "reset_password", 0.9)])
    assert message.get("intent")["name"] == "reset_password"


def test_classifier_guessing_share_password_without_a_secret_takes_its_next_choice():
    message = classified("my password is wrong", "share_password", 0.7, ("reset_password", 0.65))
    [message] = guard().process([message])
    assert message.get("intent") == {"name": "reset_password", "confidence": 0.65}
    assert "share_password" not in [r["name"] for r in message.get("intent_ranking")]


def test_classifier_guessing_share_password_with_an_unsure_next_choice_falls_back():
    message = classified("my password thing", "share_password", 0.5, ("reset_password", 0.3))
    [message] = guard().process([message])
    assert message.get("intent") == {"name": "nlu_fallback", "confidence": 0.6}


def test_the_verdict_made_on_the_raw_text_wins_over_the_masked_text():
    """The text Rasa parses is masked already; the decision travels in the metadata."""
    masked = classified("its [password removed] and it says locked", "reset_password", 0.9)
    masked.set("metadata", {"privacy": {"disclosed": True, "context": "password"}})
    [message] = guard().process([masked])
    assert message.get("intent")["name"] == "share_password"
    assert [r["name"] for r in message.get("intent_ranking")][1] == "reset_password"
    quiet = classified("my password isn't working anymore", "reset_password", 0.9)
    quiet.set("metadata", {"privacy": {"disclosed": False, "context": "password"}})
    assert guard().process([quiet])[0].get("intent")["name"] == "reset_password"
