"""The intent contract, machine-readable: every intent named once, with what
it means, and the groups of intents the code acts on.

domain.yml lists the same intents and docs/intents.md's tables are generated
from here (``python -m nlp.intents`` rewrites them); tests/test_intent_contract.py
checks both, and that the rules route each group where the code expects it.
Plain Python with no Rasa import: the action server (actions/) and the NLU
components (nlp/) both use it.
"""

import argparse
import re
import sys
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple

# What each intent means and an example of it (meaning, not wording), by name.
MEANINGS: Dict[str, str] = {}
EXAMPLES: Dict[str, str] = {}


def _intent(name: str, meaning: str, example: str = "") -> str:
    MEANINGS[name] = meaning
    if example:
        EXAMPLES[name] = example
    return name


# Compound questions: two intents joined by this symbol, in this order (the
# tokenizer's intent_split_symbol in config.yml), answered in one reply.
COMPOUND_SEPARATOR = "+"


def compound(*parts: str) -> str:
    """The name of the compound question that asks ``parts`` together."""
    return COMPOUND_SEPARATOR.join(parts)


def compound_parts(intent: Optional[str]) -> Tuple[str, ...]:
    """The intents of a compound question; () for a single intent."""
    if not intent or COMPOUND_SEPARATOR not in intent:
        return ()
    return tuple(intent.split(COMPOUND_SEPARATOR))


def payload(intent: str) -> str:
    """What a button sends to ask ``intent`` directly."""
    return f"/{intent}"


# --- guidance topics ---------------------------------------------------------

RESET_PASSWORD = _intent(
    "reset_password",
    "to get into their own NHSmail account again: forgotten, expired or wrong password, "
    "account locked, too many attempts, sign-in errors, self-service reset",
    '"forgot my password", "locked out of nhsmail"',
)
ADD_USER = _intent(
    "add_user",
    "an NHSmail account for a new member of staff (a new starter, joiner, agency or bank "
    "worker joining)",
    '"we have a new carer starting"',
)
REMOVE_LEAVER = _intent(
    "remove_leaver",
    "to take a leaver's NHSmail account or shared-mailbox access away",
    '"a nurse left last week"',
)
REINSTATE_ACCOUNT = _intent(
    "reinstate_account",
    "an account that was deleted, disabled or removed back; or they cannot get in because "
    "the account no longer exists; including when every account linked to the care home's "
    "shared mailbox is gone (the manager's route)",
    '"my account has been deleted", "all our logins are gone and the new manager can\'t get in"',
)
INACTIVE_ACCOUNT = _intent(
    "inactive_account",
    "to know how to keep an account active, how long before an unused account is marked "
    "inactive or deleted",
    '"how long before my account gets deleted if I don\'t use it"',
)
SHARED_MAILBOX = _intent(
    "shared_mailbox",
    "how the care home's shared (generic) mailbox works: its address, owners, adding or "
    "removing members",
    '"how do I give someone access to the shared inbox"',
)
OUTLOOK_SETUP = _intent(
    "outlook_setup",
    "NHSmail in Outlook, on a phone or a tablet's mail app, or on a new device",
    '"how do I get my nhs email on my iphone"',
)
HELPDESK_CONTACT = _intent(
    "helpdesk_contact",
    "who to contact and how: the helpdesk's phone number, email address, opening hours; "
    'includes follow-ups such as "what was the number again", "and their email?", '
    '"are they open at night"',
    '"what\'s the helpdesk number"',
)
PREPARE_CALL = _intent(
    "prepare_call",
    "what they will be asked or need to have ready when they call the helpdesk; how the "
    "helpdesk checks who they are; security questions and the account secret",
    '"what do they need from me on the phone"',
)
GUIDES_FAQ = _intent(
    "guides_faq",
    "written guides, videos, FAQs or training about NHSmail",
    '"is there a guide I can read"',
)
LOCAL_TEAM = _intent(
    "local_team",
    "what the provider's local LHS Project team can and cannot do",
    '"can the local team reset it for me"',
)
NHSMAIL_PURPOSE = _intent(
    "nhsmail_purpose",
    "what NHSmail is and what it is for, who they can email securely with it",
    '"why do we need nhsmail"',
)
BOT_CHALLENGE = _intent(
    "bot_challenge",
    "whether they are talking to a person or a bot; to talk to a human",
    '"am I talking to a real person"',
)

# --- conversation ------------------------------------------------------------

GREET = _intent("greet", "says hello and nothing else (in any language)")
GOODBYE = _intent("goodbye", "says goodbye and nothing else")
THANKS = _intent("thanks", "says thank you, that helped, and nothing else")
AFFIRM = _intent("affirm", "says yes, yes please, ok go on, that's right, to a question or offer")
DENY = _intent("deny", "says no, no thanks, not that, to a question or offer")
OUT_OF_SCOPE = _intent(
    "out_of_scope",
    "asks about anything that is not an NHSmail account: another system's password, "
    "log-in, email or account (near misses), or anything else (far)",
    '"the guest wifi code", "the hoist is broken"',
)
INFORM_ORG_TYPE = _intent(
    "inform_org_type",
    "only says what kind of organisation they work in, usually after an answer (\"I'm in a "
    'pharmacy actually", "we\'re a nursing home"), with no new question',
)

# --- feedback ----------------------------------------------------------------

FEEDBACK_YES = _intent(
    "feedback_yes",
    'clicks "Yes, it helped" under an answer\'s "Did this help?" (payload /feedback_yes)',
)
FEEDBACK_NO = _intent(
    "feedback_no",
    'clicks "No, it didn\'t" under an answer\'s "Did this help?" (payload /feedback_no)',
)

# --- compound questions --------------------------------------------------------

RESET_PASSWORD_AND_PREPARE_CALL = _intent(
    compound(RESET_PASSWORD, PREPARE_CALL),
    "get the password reset or account unlocked, and what they will be asked / need ready",
)
REINSTATE_ACCOUNT_AND_SHARED_MAILBOX = _intent(
    compound(REINSTATE_ACCOUNT, SHARED_MAILBOX),
    "an account was deleted or nobody can get in, and the shared mailbox (its access, what "
    "happens to it)",
)
ADD_USER_AND_REMOVE_LEAVER = _intent(
    compound(ADD_USER, REMOVE_LEAVER), "a new starter and a leaver, both in the same message"
)

# --- set by the assistant -------------------------------------------------------

SHARE_PASSWORD = _intent(
    "share_password", "the message discloses a password, security answer or account secret"
)

# Rasa's FallbackClassifier's intent (its DEFAULT_NLU_FALLBACK_INTENT_NAME):
# the classifier was unsure. Rasa adds it, so it is not in domain.yml.
NLU_FALLBACK = "nlu_fallback"

# --- groups ----------------------------------------------------------------------

# Every intent of domain.yml.
INTENTS: Tuple[str, ...] = tuple(MEANINGS)
# Guidance topics: each answered from the topic of the same name in
# content/nhsmail.yml (bot_challenge's answer hands over to the helpdesk).
TOPICS = (
    RESET_PASSWORD,
    ADD_USER,
    REMOVE_LEAVER,
    REINSTATE_ACCOUNT,
    INACTIVE_ACCOUNT,
    SHARED_MAILBOX,
    OUTLOOK_SETUP,
    HELPDESK_CONTACT,
    PREPARE_CALL,
    GUIDES_FAQ,
    LOCAL_TEAM,
    NHSMAIL_PURPOSE,
    BOT_CHALLENGE,
)
# Topics that start reinstate_form (answer, then ask) instead of a one-shot answer.
FORM_TOPICS = (REINSTATE_ACCOUNT,)
# Two topics asked together often enough to get one reply for both.
COMPOUNDS = (
    RESET_PASSWORD_AND_PREPARE_CALL,
    REINSTATE_ACCOUNT_AND_SHARED_MAILBOX,
    ADD_USER_AND_REMOVE_LEAVER,
)
# Small talk: answered by a response in domain.yml.
SMALL_TALK = (GREET, GOODBYE, THANKS)
# Replies to the latest answer (the follow-up rule): a yes or no to its offer,
# or the organisation type to tailor it for.
FOLLOW_UPS = (AFFIRM, DENY, INFORM_ORG_TYPE)
# The answers to reinstate_form's yes/no question.
FORM_ANSWERS = (AFFIRM, DENY)
# Votes on the latest answer: the "Did this help?" buttons, answered by
# action_answer_feedback and counted by make report.
FEEDBACK = (FEEDBACK_YES, FEEDBACK_NO)
# Conversation, not a question to answer: small talk, follow-ups and votes.
CONVERSATION = SMALL_TALK + FOLLOW_UPS + FEEDBACK
# Not about NHSmail: answered with what the assistant covers.
NOT_NHSMAIL = (OUT_OF_SCOPE,)
# Set by nlp.secret_guard.SecretGuard on top of the classifier's choice, never
# learned by the classifier: no training or test file labels a message with it.
SET_BY_GUARDS = (SHARE_PASSWORD,)
# Sent only by a button's payload, never learned by the classifier
# (nlp.button_intents.ButtonOnlyIntents drops their examples from training):
# a vote is a click, never a guess.
BUTTON_ONLY = FEEDBACK
# What the classifier learns: every intent but the guards' and the buttons'.
CLASSIFIED = tuple(name for name in INTENTS if name not in SET_BY_GUARDS + BUTTON_ONLY)
# Topics whose question, asked with MFA words (an authenticator, a new phone,
# codes), gets the MFA answer instead.
MFA_QUESTIONS = (HELPDESK_CONTACT, RESET_PASSWORD, OUTLOOK_SETUP)
# Topics in which "all the accounts" or "nobody can get in" means every account
# linked to the shared mailbox is gone (the manager's route).
ALL_DELETED_CONTEXT = (REINSTATE_ACCOUNT, INACTIVE_ACCOUNT, SHARED_MAILBOX, PREPARE_CALL)


# --- what counts as unanswered ----------------------------------------------------
# One definition for the report (reports/tracker_data.py) and the metrics
# (metrics.py), so that the weekly report and the dashboard count alike.

UNANSWERED = {NLU_FALLBACK: "fallback", OUT_OF_SCOPE: "out_of_scope"}


def unanswered_kind(intent: Optional[str]) -> Optional[str]:
    """ "fallback" or "out_of_scope" for a typed message the guide did not
    answer; None otherwise. A click (a "/intent" payload) is not typed: the
    callers leave clicks out first."""
    return UNANSWERED.get(intent or "")


def logged_again(
    intent: Optional[str], text: str, previous_intent: Optional[str], previous_text: str
) -> bool:
    """A fallback stored again right after itself with the same text (a resent
    message, spacing aside) is the same question, and counts once."""
    return (
        intent == NLU_FALLBACK
        and previous_intent == NLU_FALLBACK
        and text.split() == previous_text.split()
    )


# --- docs/intents.md's tables -------------------------------------------------------

DOC = Path(__file__).resolve().parent.parent / "docs" / "intents.md"
# A generated table: the line above it names the group and the column headings
# after the intent's ("<!-- table TOPICS: the person wants | for example -->");
# the table runs to the next blank line.
_TABLE = re.compile(r"^(<!-- table (\w+): (.*?) -->\n)((?:\|.*\n)*)", re.MULTILINE)


def table(names: Sequence[str], headings: Sequence[str]) -> str:
    """A markdown table of ``names``: the intent, its meaning, and its example
    when ``headings`` has a column for it."""
    lines = ["| intent | " + " | ".join(headings) + " |", "|---" * (len(headings) + 1) + "|"]
    for name in names:
        cells = [f"`{name}`", MEANINGS[name]] + (
            [EXAMPLES.get(name, "")] if len(headings) > 1 else []
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def render_doc(text: str) -> str:
    """``text`` (docs/intents.md) with every generated table written afresh."""

    def rewrite(match: "re.Match[str]") -> str:
        headings = [h.strip() for h in match.group(3).split("|")]
        return match.group(1) + table(globals()[match.group(2)], headings)

    return _TABLE.sub(rewrite, text)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description="Rewrite docs/intents.md's tables from nlp/intents.py."
    )
    parser.add_argument("--check", action="store_true", help="only say whether they are up to date")
    args = parser.parse_args(argv)
    committed = DOC.read_text(encoding="utf-8")
    fresh = render_doc(committed)
    if args.check:
        print(
            "up to date"
            if fresh == committed
            else f"{DOC.name} is out of date: run python -m nlp.intents"
        )
        return 0 if fresh == committed else 1
    DOC.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
