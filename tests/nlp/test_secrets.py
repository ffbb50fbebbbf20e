"""Passwords typed into the chat are recognised; questions about passwords are not."""

import pytest

from nlp.secrets import contains_secret, find_secrets, redact


@pytest.mark.parametrize(
    "text, redacted",
    [
        ("my password is Fluffy22", "my password is [redacted]"),
        ("my password is fluffy", "my password is [redacted]"),
        ("pw: hunter2", "pw: [redacted]"),
        ("password = Abc!2345", "password = [redacted]"),
        ("my account secret is purplemonkey", "my account secret is [redacted]"),
        ("security answer was 'Rover'", "security answer was '[redacted]'"),
        (
            "I tried the password Summer2024! and it failed",
            "I tried the password [redacted] and it failed",
        ),
    ],
)
def test_disclosed_secrets_are_found_and_redacted(text, redacted):
    assert contains_secret(text)
    assert redact(text) == redacted


@pytest.mark.parametrize(
    "text",
    [
        "my password is expired",
        "my password is not working",
        "My password's wrong",
        "forgot my password",
        "what is the password policy",
        "reset my password please, I'm locked out",
        "password is case sensitive?",
        "the password is changed every year",
        "password reset for jo@nhs.net",
    ],
)
def test_questions_about_passwords_are_not_secrets(text):
    assert not contains_secret(text)


def test_the_entry_point_conversation_is_judged_alike_whatever_secrets_it_makes():
    """tests/e2e/test_disclosures.py makes new secrets each run: none may slip."""
    from nlp.secrets import find_secrets
    from tests.support.disclosures import conversation

    for _ in range(300):
        turns, values = conversation()
        after = ""
        for message, discloses in turns:
            finding = find_secrets(message, after)
            assert finding.disclosed is discloses, message
            after = finding.context or ("password" if finding.disclosed else "")


def test_a_name_given_in_the_message_after_a_security_question_is_an_answer():
    from nlp.secrets import find_secrets

    text = "no idea, maybe Pickles"
    finding = find_secrets(text, after_context="security")
    assert [text[a:b] for a, b in finding.spans] == ["Pickles"]
    assert not find_secrets("ok will ring Sarah", after_context="security").disclosed


def test_markup_pasted_after_a_password_question_is_no_secret_but_a_secret_inside_it_is():
    assert not find_secrets("<b>hello</b>", "password").disclosed
    assert not find_secrets("<i>thanks</i>", "password").disclosed
    text = "pw: <b>Bluebell77x</b>"
    assert [text[a:b] for a, b in find_secrets(text, "password").spans] == ["Bluebell77x"]
