"""Masks what the assistant must never keep, before Rasa stores a message.

- passwords, account secrets and security answers (nlp/secrets.py);
- email addresses and UK phone numbers (the EntityRuler of our spaCy
  pipeline, nlp/patterns.py);
- NHS numbers (10 digits with a valid modulus-11 check digit).

The assistant needs none of them: its checklist tells callers to have them
ready for the helpdesk, it never collects them.
"""
import re
from functools import lru_cache
from pathlib import Path
from typing import List, Tuple

from nlp.secrets import secret_spans

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


def personal_data_spans(text: str) -> List[Tuple[int, int, str]]:
    """(start, end, kind) of every secret, email, phone and NHS number."""
    spans = [(s, e, "SECRET") for s, e in secret_spans(text)]
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


def mask(text: str) -> str:
    """``text`` with personal data and secrets replaced by a short marker."""
    for start, end, kind in reversed(personal_data_spans(text)):
        text = text[:start] + MASKS[kind] + text[end:]
    return text


# A reply to the password warning that is one bare token ("Fluffy22") is taken
# for the password itself.
_COMMON_REPLIES = frozenset(
    "ok okay thanks thank cheers sorry yes yeah yep no nope help hello hi bye done "
    "right sure fine great oops".split()
)


def looks_like_lone_secret(text: str) -> bool:
    word = text.strip().strip(".,!?;:'\"")
    if not word or " " in word or len(word) < 4 or len(word) > 64:
        return False
    if not word.isalpha():
        return any(c.isalpha() for c in word) or any(c.isdigit() for c in word)
    return len(word) >= 6 and word.lower() not in _COMMON_REPLIES
