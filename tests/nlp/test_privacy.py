"""Masking before storage: what the assistant must never keep."""

import logging

import pytest

from nlp.privacy import (
    WITHHELD,
    MaskedLogRecord,
    follows_password_context,
    is_nhs_number,
    mask,
    mask_new_events,
    warning_text,
    withheld_from_logs,
)


@pytest.mark.parametrize(
    "text, masked",
    [
        (
            "my password is Fluffy22, can you reset it",
            "my password is [password removed], can you reset it",
        ),
        ("email me at jo.bloggs@nhs.net please", "email me at [email removed] please"),
        ("my mobile is 07700 900123", "my mobile is [phone number removed]"),
        ("her NHS number is 943 476 5919", "her NHS number is [NHS number removed]"),
        ("NHS no 9434765919.", "NHS no [NHS number removed]."),
        ("how do I reset my password", "how do I reset my password"),
        ("our ODS code is VLAXL", "our ODS code is VLAXL"),  # not personal: kept
        ("I have 1234567890 problems", "I have 1234567890 problems"),  # fails the NHS check
    ],
)
def test_mask(text, masked):
    assert mask(text) == masked


def test_nhs_number_check_digit():
    assert is_nhs_number("9434765919")
    assert not is_nhs_number("9434765918")
    assert not is_nhs_number("943476591")


def user(text, context=None, intent="reset_password"):
    event = {
        "event": "user",
        "text": text,
        "parse_data": {"text": text, "intent": {"name": intent}},
    }
    if context is not None:
        event["metadata"] = {"privacy": {"disclosed": False, "context": context}}
    return event


def test_the_message_after_a_password_message_is_read_in_context():
    assert follows_password_context([user("I can't log in to nhsmail")]) == "password"
    assert follows_password_context([user("my mums maiden name question")]) == "security"
    assert follows_password_context([user("how do I add a new starter", intent="add_user")]) == ""
    # The verdict recorded on the raw text wins over the masked text stored.
    assert follows_password_context([user("[password removed]", context="")]) == ""


def test_the_message_after_the_warning_is_read_in_context():
    events = [user("hello", intent="greet"), {"event": "bot", "text": warning_text()}]
    assert follows_password_context(events) == "password"
    assert follows_password_context([{"event": "session_started"}]) == ""


def test_the_store_masks_a_lone_password_sent_after_a_login_question():
    before = [user("i cant log in, it keeps saying wrong")]
    new = [user("Bluebell77x", intent="nlu_fallback"), {"event": "bot", "text": "..."}]
    masked = mask_new_events(new, before)
    assert masked[0]["text"] == "[password removed]"
    assert masked[0]["parse_data"]["text"] == "[password removed]"
    assert masked[1] == new[1]
    # Without that context a lone ordinary word is kept.
    assert mask_new_events([user("pharmacy")], before)[0]["text"] == "pharmacy"


def test_a_clicked_button_is_stored_as_its_payload_even_after_a_password_question():
    before = [user("how do I reset my password?")]
    for payload in ("/prepare_call", '/helpdesk_contact{"org_type": "pharmacy"}'):
        assert mask_new_events([user(payload)], before)[0]["text"] == payload


def test_masking_twice_changes_nothing_the_second_time():
    """A message is masked before Rasa parses it and again in the store."""
    from pathlib import Path

    import yaml

    corpus = Path(__file__).parents[1] / "privacy" / "secrets_dev.yml"
    for case in yaml.safe_load(corpus.read_text(encoding="utf-8"))["cases"]:
        for context in ("", "password", "security"):
            once = mask(case["text"], context)
            assert mask(once, context) == once, case["id"]


def test_a_log_line_keeps_its_identifiers_and_colours():
    line = (
        "\x1b[01;33mSanic is running in PRODUCTION mode.\x1b[0m "
        "Teams channel is off: set TEAMS_APP_ID, TEAMS_APP_PASSWORD to switch it on"
    )
    assert mask(line, for_logs=True) == line
    assert (
        mask("Received user message 'Gr3392521'", for_logs=True)
        == "Received user message '[password removed]'"
    )


def log_line(logger: str, message: str, level: int = logging.INFO) -> str:
    """``message`` as the installed record factory formats it for ``logger``."""
    record = MaskedLogRecord(logger, level, __file__, 1, message, (), None)
    return record.getMessage()


@pytest.mark.parametrize(
    "logger, line",
    [
        ("root", "Starting Rasa server on http://127.0.0.1:5005"),
        ("sanic.root", "Sanic v21.12.2"),
        ("sanic.root", "platform: Linux-6.1.0-x86_64-with-glibc2.36"),
        ("sanic.root", "packages: sanic-routing==0.7.2"),
    ],
)
def test_the_framework_start_up_lines_are_left_as_they_are(logger, line):
    assert log_line(logger, line) == line


def test_only_those_lines_are_exempt_and_a_debug_line_with_a_message_is_masked():
    quoted = "Received user message 'my password is Bluebell77x' with intent 'reset_password'"
    for logger in ("rasa.core.processor", "root", "sanic.root"):
        masked = log_line(logger, quoted, logging.DEBUG)
        assert "Bluebell77x" not in masked and "[password removed]" in masked
    assert "Bluebell77x" not in log_line("sanic.root", "packages: Bluebell77x==1.0 my password")
    started = "Starting Rasa server on http://127.0.0.1:5005 my password is Bluebell77x"
    assert "Bluebell77x" not in log_line("root", started)


def test_a_turns_message_is_withheld_from_every_log_line_of_the_turn():
    typed = "our lounge is heron mulberry tinsel quay now"
    with withheld_from_logs(typed):
        line = log_line("rasa.core.processor", f"Received user message '{typed}'", logging.DEBUG)
    assert line == f"Received user message '{WITHHELD}'"
    # Outside the turn, the text is no longer known: masking alone applies.
    assert log_line("rasa.core.processor", typed, logging.DEBUG) == typed


def test_a_secret_given_in_answer_to_the_assistants_own_reply_is_masked():
    events = [
        {"event": "user", "text": "what happens to a leaver's account", "metadata": {}},
        {"event": "bot", "text": "Your account secret must be letters only, over 8 long."},
    ]
    context = follows_password_context(events, warning_text())
    assert context == "security"  # the account secret: read as a security question's answer
    assert mask("oh right mine is cuttlefishbay so thats fine", context) == (
        "oh right mine is [password removed] so thats fine"
    )
