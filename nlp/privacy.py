"""Masks what the assistant must never keep: in the message Rasa parses, in
what the tracker store and the event broker write, and in the logs.

- passwords, account secrets and security answers (nlp/secrets.py);
- email addresses and UK phone numbers (the EntityRuler of our spaCy
  pipeline, nlp/patterns.py);
- NHS numbers (10 digits with a valid modulus-11 check digit).

The assistant needs none of them: its checklist tells callers to have them
ready for the helpdesk, it never collects them.
"""
import logging
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from nlp.secrets import context_of, find_secrets

MASKS = {
    "SECRET": "[password removed]",
    "EMAIL": "[email removed]",
    "UK_PHONE": "[phone number removed]",
    "NHS_NUMBER": "[NHS number removed]",
}
SPACY_MODEL = Path(__file__).resolve().parent.parent / "build" / "en_nhsmail"
_NHS_NUMBER = re.compile(r"(?<!\d)(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?!\d)")


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


def personal_data_spans(text: str, after_context: str = "",
                        for_logs: bool = False) -> List[Tuple[int, int, str]]:
    """(start, end, kind) of every secret, email, phone and NHS number.

    ``after_context``: the previous message's context (nlp/secrets.py).
    ``for_logs``: a log line, full of identifiers that are not secrets.
    """
    found = find_secrets(text, after_context, anywhere=not for_logs)
    spans = [(s, e, "SECRET") for s, e in found.spans]
    for match in _NHS_NUMBER.finditer(text):
        if is_nhs_number("".join(match.groups())):
            spans.append((match.start(), match.end(), "NHS_NUMBER"))
    for ent in _pipeline()(text).ents:
        if ent.label_ in ("EMAIL", "UK_PHONE"):
            spans.append((ent.start_char, ent.end_char, ent.label_))
    # Keep the first of overlapping spans (secrets win: they come first).
    kept: List[Tuple[int, int, str]] = []
    for span in sorted(spans, key=lambda s: (s[0], -s[1])):
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


def mask(text: str, after_context: str = "", for_logs: bool = False) -> str:
    """``text`` with personal data and secrets replaced by a short marker."""
    for start, end, kind in reversed(personal_data_spans(text, after_context, for_logs)):
        text = text[:start] + MASKS[kind] + text[end:]
    return text


# --- a conversation's messages, as Rasa stores them ---------------------------

# Where a user event's metadata records the decision made on its raw text.
PRIVACY_KEY = "privacy"


@lru_cache(maxsize=1)
def warning_text() -> str:
    """The assistant's password warning, as sent (content/nhsmail.yml)."""
    from actions.content import get_content

    content = get_content()
    return content.fill(content.messages["secret_shared"])


def decision(text: str, after_context: str) -> Dict[str, Any]:
    """What is recorded with a message: never the secret, only the verdict."""
    finding = find_secrets(text, after_context)
    return {"disclosed": finding.disclosed, "context": finding.context}


def follows_password_context(events: Sequence[Mapping[str, Any]],
                             warning: Optional[str] = None) -> str:
    """The context the next user message is read in: "password", "security" or "".

    From the latest user message: was it about passwords or security
    questions, or did it disclose one? And has the assistant warned about a
    password since? People send the password on its own in the message after.
    ``warning``: the warning's text (default: the content file's).
    """
    warning = warning_text() if warning is None else warning
    for event in reversed(events):
        kind = event.get("event")
        if kind == "session_started":
            return ""
        if kind == "bot" and warning and event.get("text") == warning:
            return "password"
        if kind == "user":
            recorded = (event.get("metadata") or {}).get(PRIVACY_KEY) or {}
            if "context" in recorded:
                return recorded["context"] or ("password" if recorded.get("disclosed") else "")
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            found = context_of(event.get("text") or "")
            return found or ("password" if intent == "share_password" else "")
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
    if not isinstance(text, str) or not text:
        return event
    masked = mask(text, after_context)
    event = dict(event, text=masked)
    parse_data = event.get("parse_data")
    if isinstance(parse_data, dict) and isinstance(parse_data.get("text"), str):
        event["parse_data"] = dict(parse_data, text=masked)
    return event


def mask_new_events(new: Iterable[Dict[str, Any]], before: Sequence[Mapping[str, Any]],
                    warning: Optional[str] = None) -> List[Dict[str, Any]]:
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
            return mask(message, for_logs=True)
        except Exception:  # a log line must never fail; say so instead
            return "[log message withheld: it could not be masked]"
        finally:
            _in_mask.active = False


def install_log_masking() -> None:
    if logging.getLogRecordFactory() is not MaskedLogRecord:
        logging.setLogRecordFactory(MaskedLogRecord)
