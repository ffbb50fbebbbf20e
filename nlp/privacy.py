"""Masks what the assistant must never keep: in the message Rasa parses, in
what the tracker store and the event broker write, and in the logs.

- passwords, account secrets and security answers (nlp/secrets.py);
- email addresses and UK phone numbers (the EntityRuler of our spaCy
  pipeline, nlp/patterns.py);
- NHS numbers (10 digits with a valid modulus-11 check digit);
- UK postcodes, dates of birth (a date after "dob", "born", "birthday"...),
  and residents' and staff's names after a title ("Mrs Edith Jones") or as two
  capitalised words one of which is rare in English ("Joyce Patterson").

Measured against Microsoft Presidio's analyzer (on this pipeline) and
scrubadub on a blind corpus (docs/security.md): these patterns found more of
each kind they cover, with fewer false alarms, and no library here finds
names without a statistical NER model, which cannot be installed.

The assistant needs none of them: its checklist tells callers to have them
ready for the helpdesk, it never collects them.
"""

import contextlib
import contextvars
import logging
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple

from nlp.intents import SHARE_PASSWORD
from nlp.secrets import Finding, context_of, find_secrets, is_rare_word, reply_context

MASKS = {
    "SECRET": "[password removed]",
    "EMAIL": "[email removed]",
    "UK_PHONE": "[phone number removed]",
    "NHS_NUMBER": "[NHS number removed]",
    "POSTCODE": "[postcode removed]",
    "DATE_OF_BIRTH": "[date of birth removed]",
    "PERSON": "[name removed]",
}
SPACY_MODEL = Path(__file__).resolve().parent.parent / "build" / "en_nhsmail"
_NHS_NUMBER = re.compile(r"(?<!\d)(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?!\d)")
# UK numbers in the forms the EntityRuler's token patterns miss: brackets,
# dashes, +44 (0), 0044.
_UK_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)44\s?(?:\(0\)\s?)?|\(0|0)\d{2,4}\)?(?:[\s-]?\d){6,8}(?!\d)"
)
# UK postcodes: outward code, optional space, inward code (a digit and two letters).
_POSTCODE = re.compile(r"(?<![\w-])(?:[A-Za-z]{1,2}\d[A-Za-z\d]?|GIR)\s?\d[A-Za-z]{2}(?![\w-])")
# A date that is somebody's date of birth: it follows "dob", "born", "birthday"...
_DATE = (
    r"(?:\d{1,2}(?:st|nd|rd|th)?[\s./-]+(?:of\s+)?(?:\d{1,2}|[A-Za-z]{3,9})\.?[\s./-]+\d{2,4}|"
    r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2}|"
    r"[A-Za-z]{3,9}\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4})"
)
_DATE_OF_BIRTH = re.compile(
    rf"\b(?:d\.?o\.?b\.?|date\s+of\s+birth|born(?:\s+on)?|birthday(?:\s+is)?|birth\s+date|"
    rf"b['’]?day)\b(?:\s*(?:is|was|:|-|=|,|it['’]?s|its|the|actually))*\s*(?P<date>{_DATE})"
    rf"|(?P<date2>{_DATE})\s*\(?\s*(?:d\.?o\.?b|date\s+of\s+birth)\b",
    re.IGNORECASE,
)
# Names: after a title, or two capitalised words at least one of which is rare
# in English ("Joyce Patterson"; "Shared Mailbox" stays). No statistical NER is
# installable here, so a bare first name ("Betty") is not caught.
_TITLED = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Nurse|Sister)\.?\s+(?P<name>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?)|"
    r"\b(?:mr|mrs|ms|miss|dr)\.?\s+(?P<lower>[a-z][a-z'’-]+)(?:'s)?\b"
)
# "I'm Chloe", "ask for Bev", "surname Barker", "this is Dave Hart": a capitalised word
# right after an introduction is a name.
_INTRODUCED = re.compile(
    r"\b(?:[Ii]['’]?m|[Ii]\s+am|[Tt]his\s+is|[Ii]t['’]?s|ask\s+for|[Nn]ame\s+is|"
    r"[Nn]ame|[Ss]urname|[Cc]alled|[Dd]aughter|[Ss]on|[Hh]usband|[Ww]ife)\s+"
    r"(?P<name>[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+)?)"
)
# A full date with a year of 1965 or before is a resident's date of birth.
_OLD_DATE = re.compile(rf"(?P<date>{_DATE})")
_NAME_PAIR = re.compile(r"(?<![\w'’])[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+)+")
_NOT_NAMES = frozenset(
    """
    nhs nhsmail outlook microsoft teams google apple samsung digital social care hub
    support adult shared mailbox national helpdesk portal office home house nursing
    residential lhs project team guide guides faq faqs monday tuesday wednesday thursday
    friday saturday sunday january february march april may june july august september
    october november december the a an i hi hello dear thanks please can could my our
    gp practice pharmacy hospital royal infirmary street road lane avenue close
    """.split()
)


def is_nhs_number(digits: str) -> bool:
    """The NHS number check digit (modulus 11)."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


@lru_cache(maxsize=1)
def _pipeline():
    import spacy

    if (SPACY_MODEL / "meta.json").exists():
        return spacy.load(SPACY_MODEL)
    from nlp.build_model import build  # not built yet (tests): build in memory

    return build()


def personal_data_spans(
    text: str, after_context: str = "", for_logs: bool = False, found: Optional[Finding] = None
) -> List[Tuple[int, int, str]]:
    """(start, end, kind) of every secret, email, phone, NHS number, postcode,
    date of birth and name (after a title, or a pair with a rare word).

    ``after_context``: the previous message's context (nlp/secrets.py).
    ``for_logs``: a log line, full of identifiers that are not secrets.
    ``found``: the secrets, when the caller has looked for them already.
    """
    if found is None:
        found = find_secrets(text, after_context, anywhere=not for_logs)
    spans = [(s, e, "SECRET") for s, e in found.spans]
    for match in _NHS_NUMBER.finditer(text):
        if is_nhs_number("".join(match.groups())):
            spans.append((match.start(), match.end(), "NHS_NUMBER"))
    for ent in _pipeline()(text).ents:
        if ent.label_ in ("EMAIL", "UK_PHONE"):
            spans.append((ent.start_char, ent.end_char, ent.label_))
    spans += [(m.start(), m.end(), "UK_PHONE") for m in _UK_PHONE.finditer(text)]
    spans += [(m.start(), m.end(), "POSTCODE") for m in _POSTCODE.finditer(text)]
    for match in _DATE_OF_BIRTH.finditer(text):
        group = "date" if match.group("date") else "date2"
        spans.append((*match.span(group), "DATE_OF_BIRTH"))
    for match in _OLD_DATE.finditer(text):
        year = re.findall(r"\d{2,4}", match.group())[-1]
        if len(year) == 4 and 1900 <= int(year) <= 1965:
            spans.append((*match.span(), "DATE_OF_BIRTH"))
    for match in _TITLED.finditer(text):
        spans.append((*match.span("name" if match.group("name") else "lower"), "PERSON"))
    for match in _INTRODUCED.finditer(text):
        if not any(w.lower() in _NOT_NAMES for w in match.group("name").split()):
            spans.append((*match.span("name"), "PERSON"))
    spans += _name_pairs(text)
    public = _public_numbers()
    spans = [
        span
        for span in spans
        if span[2] != "UK_PHONE" or re.sub(r"\D", "", text[span[0] : span[1]]) not in public
    ]
    # Keep the first of overlapping spans (secrets win: they come first).
    kept: List[Tuple[int, int, str]] = []
    for span in sorted(spans, key=lambda s: (s[0], -s[1])):
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


def _name_pairs(text: str) -> List[Tuple[int, int, str]]:
    found = []
    for match in _NAME_PAIR.finditer(text):
        words = match.group().split()
        if any(w.lower().strip("'’") in _NOT_NAMES for w in words):
            continue
        if any(is_rare_word(w) for w in words):
            found.append((match.start(), match.end(), "PERSON"))
    return found


@lru_cache(maxsize=1)
def _public_numbers() -> frozenset:
    """The helpdesk's own number is public: it is not masked in a message."""
    from actions.content import get_content

    facts = get_content().facts
    return frozenset(
        re.sub(r"\D", "", value) for name, value in facts.items() if name.endswith("_phone")
    )


def mask(
    text: str, after_context: str = "", for_logs: bool = False, found: Optional[Finding] = None
) -> str:
    """``text`` with personal data and secrets replaced by a short marker."""
    for start, end, kind in reversed(personal_data_spans(text, after_context, for_logs, found)):
        text = text[:start] + MASKS[kind] + text[end:]
    return text


# --- a conversation's messages, as Rasa stores them ---------------------------

# Where a user event's metadata records the decision made on its raw text.
PRIVACY_KEY = "privacy"
# A button's Rasa payload ("/prepare_call", '/helpdesk_contact{"org_type": ...}'):
# a choice, never a secret.
PAYLOAD = re.compile(r"/[a-z_]+(\{.*\})?", re.S)


def is_payload(text: str) -> bool:
    return bool(PAYLOAD.fullmatch((text or "").strip()))


@lru_cache(maxsize=1)
def warning_text() -> str:
    """The assistant's password warning, as sent (content/nhsmail.yml)."""
    from actions.content import get_content

    content = get_content()
    return content.fill(content.messages["secret_shared"])


def decide_and_mask(text: str, after_context: str) -> Tuple[Dict[str, Any], str]:
    """The verdict recorded with a message (never the secret) and its masked
    text, from one look at the raw text."""
    finding = find_secrets(text, after_context)
    verdict = {"disclosed": finding.disclosed, "context": finding.context}
    return verdict, mask(text, after_context, found=finding)


def follows_password_context(
    events: Sequence[Mapping[str, Any]], warning: Optional[str] = None
) -> str:
    """The context the next user message is read in: "password", "security" or "".

    From the latest user message: was it about passwords or security
    questions, or did it disclose one? And has the assistant warned about a
    password, or answered about passwords or security questions, since?
    People send the password on its own in the message after.
    ``warning``: the warning's text (default: the content file's).
    """
    warning = warning_text() if warning is None else warning
    for event in reversed(events):
        kind = event.get("event")
        if kind == "session_started":
            return ""
        if kind == "bot" and warning and event.get("text") == warning:
            return "password"
        # People answer the assistant's reply about passwords or security
        # questions: "mine is ..., is that long enough?"
        replied = reply_context(event.get("text") or "") if kind == "bot" else ""
        if replied:
            return replied
        if kind == "user":
            recorded = (event.get("metadata") or {}).get(PRIVACY_KEY) or {}
            if "context" in recorded:
                return recorded["context"] or ("password" if recorded.get("disclosed") else "")
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            found = context_of(event.get("text") or "")
            return found or ("password" if intent == SHARE_PASSWORD else "")
    return ""


def latest_exchange(events: Sequence[Any]) -> List[Dict[str, Any]]:
    """The events (Rasa's Event objects) since the latest user message or
    session start, as dicts: all that the context needs, without serialising
    the whole conversation."""
    tail: List[Dict[str, Any]] = []
    for event in reversed(events):
        tail.append(event.as_dict())
        if event.type_name in ("user", "session_started"):
            break
    tail.reverse()
    return tail


def mask_user_event(event: Dict[str, Any], after_context: str) -> Dict[str, Any]:
    """A user event as a dict, with its text and the parse data's text masked."""
    text = event.get("text")
    if not isinstance(text, str) or not text or is_payload(text):
        return event
    masked = mask(text, after_context)
    event = dict(event, text=masked)
    parse_data = event.get("parse_data")
    if isinstance(parse_data, dict) and isinstance(parse_data.get("text"), str):
        event["parse_data"] = dict(parse_data, text=masked)
    return event


def mask_new_events(
    new: Iterable[Dict[str, Any]],
    before: Sequence[Mapping[str, Any]],
    warning: Optional[str] = None,
) -> List[Dict[str, Any]]:
    """``new`` event dicts, every user event masked in the context of what
    came ``before`` it (the events already stored, then the new ones)."""
    seen = list(before)
    out = []
    for event in new:
        if event.get("event") == "user":
            event = mask_user_event(event, follows_password_context(seen, warning))
        seen.append(event)
        out.append(event)
    return out


# --- the logs -------------------------------------------------------------------

_in_mask = threading.local()
WITHHELD = "[message withheld]"
# The message of the turn being handled, as typed and as masked: whatever a
# log line quotes of it is withheld, so a secret the detector missed is not
# written to a log either. Set for the turn by patches/disclosure.py; a
# context variable, so each conversation's task sees its own.
_turn_texts: contextvars.ContextVar[Tuple[str, ...]] = contextvars.ContextVar(
    "turn_texts", default=()
)
# Framework records whose words the masker mistakes for a name or a password,
# and which never carry a user's text: allowed whole, each by its logger and
# its whole line, never a logger wholesale.
_FRAMEWORK_RECORDS = (
    # rasa/core/run.py logs it on the root logger.
    ("root", re.compile(r"Starting Rasa server on https?://[\w.\[\]:-]+/?")),
    # Sanic's start-up banner, one record a line.
    ("sanic.root", re.compile(r"Sanic v\d+(?:\.\d+)+")),
    ("sanic.root", re.compile(r"platform: [\w.-]+")),
    ("sanic.root", re.compile(r"packages: [\w.-]+==[\d.]+(?:, [\w.-]+==[\d.]+)*")),
)


@contextlib.contextmanager
def withheld_from_logs(*texts: str) -> Iterator[None]:
    """Within the block, log lines quote none of ``texts`` (the turn's message)."""
    token = _turn_texts.set(tuple(t for t in texts if t and len(t.strip()) > 1))
    try:
        yield
    finally:
        _turn_texts.reset(token)


def is_framework_record(logger: str, message: str) -> bool:
    return any(logger == name and line.fullmatch(message) for name, line in _FRAMEWORK_RECORDS)


def for_the_log(message: str, logger: str = "") -> str:
    """``message`` as a log may keep it: the turn's text withheld, the rest masked."""
    if is_framework_record(logger, message):
        return message
    for text in sorted(_turn_texts.get(), key=len, reverse=True):
        message = message.replace(text, WITHHELD)
    return mask(message, for_logs=True)


class MaskedLogRecord(logging.LogRecord):
    """A log record whose message is masked when it is formatted.

    Installed as the record factory (``install_log_masking``), so it covers
    every logger and handler, Rasa's structlog output included, and costs
    nothing for records that are filtered out before formatting.
    """

    def getMessage(self) -> str:  # noqa: N802 (logging's name)
        message = super().getMessage()
        if getattr(_in_mask, "active", False):
            return message
        _in_mask.active = True
        try:
            return for_the_log(message, self.name)
        except Exception:  # a log line must never fail; say so instead
            return "[log message withheld: it could not be masked]"
        finally:
            _in_mask.active = False


def install_log_masking() -> None:
    if logging.getLogRecordFactory() is not MaskedLogRecord:
        logging.setLogRecordFactory(MaskedLogRecord)
