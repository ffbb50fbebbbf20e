"""The checks every channel runs before Rasa sees a message (channels/guard.py)."""
from actions.content import get_content
from channels import limits
from channels.guard import MessageGuard
from nlp.privacy import MASKS


def warned_guard(sender="s1"):
    guard = MessageGuard()
    guard.remember(sender, ["Here is your answer.", guard.warning_text])
    return guard


def test_the_lone_word_typed_after_the_password_warning_is_masked():
    guard = warned_guard()
    assert guard.mask("s1", "Sunflower7") == MASKS["SECRET"]
    # Only the next message: the warning is spent.
    assert guard.mask("s1", "Sunflower7") == "Sunflower7"


def test_a_button_clicked_after_the_warning_reaches_rasa_as_its_payload():
    guard = warned_guard()
    payload = '/helpdesk_contact{"org_type": "pharmacy"}'
    assert guard.mask("s1", payload) == payload
    assert warned_guard().mask("s1", "/prepare_call") == "/prepare_call"


def test_other_senders_are_not_affected_by_one_senders_warning():
    assert warned_guard("s1").mask("s2", "Sunflower7") == "Sunflower7"


def test_refusals_carry_the_content_files_polite_text():
    guard, content = MessageGuard(), get_content()
    assert guard.refusal("s1", "  \n") == "input_empty"
    assert guard.refusal("s1", "x" * (limits.MAX_MESSAGE_CHARS + 1)) == "input_too_long"
    assert guard.refusal("s1", "how do I reset my password?") is None
    assert guard.reply("input_empty") == content.fill(content.messages["input_empty"])


def test_the_per_sender_limit_refuses_the_message_over_the_limit():
    guard = MessageGuard()
    answers = [guard.refusal("s1", "hello") for _ in range(limits.SENDER_PER_MINUTE + 1)]
    assert answers[:-1] == [None] * limits.SENDER_PER_MINUTE
    assert answers[-1] == "rate_limited"
    assert guard.refusal("s2", "hello") is None
