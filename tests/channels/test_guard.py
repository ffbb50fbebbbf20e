"""The checks every channel runs before Rasa sees a message (channels/guard.py)."""

from actions.content import get_content
from channels.guard import MessageGuard
from settings import get_settings


def test_refusals_carry_the_content_files_polite_text():
    guard, content = MessageGuard(), get_content()
    assert guard.refusal("s1", "  \n") == "input_empty"
    assert (
        guard.refusal("s1", "x" * (get_settings().chat_max_message_chars + 1)) == "input_too_long"
    )
    assert guard.refusal("s1", "how do I reset my password?") is None
    assert guard.reply("input_empty") == content.fill(content.messages["input_empty"])


def test_the_per_sender_limit_refuses_the_message_over_the_limit():
    guard = MessageGuard()
    limit = get_settings().chat_rate_per_sender
    answers = [guard.refusal("s1", "hello") for _ in range(limit + 1)]
    assert answers[:-1] == [None] * limit
    assert answers[-1] == "rate_limited"
    assert guard.refusal("s2", "hello") is None
