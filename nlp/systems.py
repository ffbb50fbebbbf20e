"""Whether a message is about NHSmail or about another system.

Pure functions, no Rasa: the NLU guard (nlp/scope_guard.py) and the actions
both use them.
"""

import re
from typing import Iterable

OTHER_SYSTEM = "other_system"
DEVICE = "device"
MFA = "mfa"

# The service's name: "NHSmail", "nhs mail", "NHS e-mail", the guide's "NHSmal".
_SERVICE = r"nhs\W{0,2}(?:e-?)?ma(?:i)?l|nhsmal"
# NHSmail named: the service, its addresses, portal or mailboxes. Not
# "helpdesk": every system has one.
_NHSMAIL = re.compile(
    _SERVICE + r"|\bnhs\.net\b|@nhs\b|\bportal\.nhs"
    r"|shared (?:mail ?box|inbox)|generic (?:mail ?box|inbox)|care home (?:inbox|mail ?box)",
    re.IGNORECASE,
)
# ...unless it is named to say the question is not about it.
_NOT_NHSMAIL = re.compile(
    r"(?:\bnot|n't|\bnothing to do with|\bisn'?t|\bnor)\s+(?:\w+\s+){0,2}?"
    r"(?:" + _SERVICE + r"|the nhs one|my nhs one)",
    re.IGNORECASE,
)
# "lock" covers locked and unlock, "forgot" forgotten.
_LOCK_WORDS = re.compile(
    r"pass\s?word|passwd|\bpw\b|\bpin\b|pass\s?code|\bcode\b|lock|log\s?(?:in|on)|"
    r"sign\s?in|forgot|reset|access",
    re.IGNORECASE,
)
# Words of an NHSmail account's world: with them, a device is where the
# person reads NHSmail ("locked out ... on the office pc"), not the question.
_MAIL_WORDS = re.compile(
    r"e-?mail|\bmail|inbox|outlook|mailbox|\bnhs\b|locked out|my account|\bshared\b",
    re.IGNORECASE,
)


def names_nhsmail(text: str) -> bool:
    """The message names NHSmail, and not to say it is not about NHSmail."""
    return bool(_NHSMAIL.search(_NOT_NHSMAIL.sub(" ", text)))


def other_system_named(text: str, entity_types: Iterable[str]) -> bool:
    """The message is about another system and not about NHSmail."""
    if names_nhsmail(text):
        return False
    if OTHER_SYSTEM in entity_types:
        return True
    return (
        DEVICE in entity_types and bool(_LOCK_WORDS.search(text)) and not _MAIL_WORDS.search(text)
    )
