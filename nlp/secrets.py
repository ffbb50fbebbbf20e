"""Finds passwords, account secrets and security answers that a user types.

Pure functions, no Rasa: the NLU component in nlp/secret_guard.py uses them to
warn the user, and the privacy work reuses the spans to redact before storing.
Written here rather than taken from a library because it has to tell
"my password is expired" (a question) from "my password is Fluffy22" (a
disclosure), which generic secret scanners (made for API keys) do not do.
"""
import re
from typing import List, Tuple

_KEYWORD = (
    r"(?:pass\s?words?|passwd|pwd|pw|pass\s?code|pin(?:\s+number)?|"
    r"(?:account\s+)?secret|security\s+(?:answers?|question\s+answers?)|"
    r"memorable\s+(?:word|answer))"
)
_CANDIDATE = r"[\"'“‘]?(?P<secret>[^\s\"'”’]+)[\"'”’]?"

# "password is X", "password: X", "pw = X", "my secret was X", "password's X"
_ASSIGNED = re.compile(
    rf"\b{_KEYWORD}(?:'s|\s+(?:is|was|are|were)(?:\s+now|\s+currently|\s+still)?|\s*[:=]|\s+-)\s*{_CANDIDATE}",
    re.IGNORECASE,
)
# "tried the password Summer2024! and it failed": a password-like token
# (letters mixed with digits or symbols) within three words of the keyword.
_NEAR = re.compile(
    rf"\b{_KEYWORD}(?:\s+\S+){{0,3}}?\s+[\"'“‘]?(?P<secret>(?=\S*[A-Za-z])(?=\S*[\d!£$%^&*#@?~])[^\s\"'”’]{{6,64}})",
    re.IGNORECASE,
)

# Words that follow "password is" in a question, not a disclosure.
_NOT_A_SECRET = frozenset(
    """
    a about accepted also always an and any asking being blank blocked broken
    but case changed coming correct currently definitely different disabled done
    due empty expire expired expires expiring failing for forgotten forgot going
    gone hidden how in incorrect invalid it just locked long lost mine my needed
    needs never new no not now nt n't of old on out really rejected required
    reset right same saved set short showing so still strong stuck that the
    there this to too unknown up valid very weak what wrong working your
    """.split()
)


def _is_secret_word(word: str) -> bool:
    bare = word.strip(".,!?;)(").lower()
    if not bare or bare in _NOT_A_SECRET:
        return False
    if "@" in bare or "://" in bare or bare.startswith("www"):
        return False
    if bare.isalpha() and (bare.endswith("ing") or bare.endswith("ed")) and len(bare) > 5:
        return False  # "password is expiring", "password was changed"
    return True


def _mixes_letters_and_others(word: str) -> bool:
    """Letters with digits or symbols inside: "Summer2024!", not "sensitive?"."""
    bare = word.rstrip(".,!?;:)")
    return any(c.isalpha() for c in bare) and any(not c.isalpha() for c in bare)


def secret_spans(text: str) -> List[Tuple[int, int]]:
    """Character spans of every password-like value disclosed in ``text``."""
    spans = []
    for match in _ASSIGNED.finditer(text or ""):
        if _is_secret_word(match.group("secret")):
            spans.append(match.span("secret"))
    for match in _NEAR.finditer(text or ""):
        word = match.group("secret")
        if _is_secret_word(word) and _mixes_letters_and_others(word):
            spans.append(match.span("secret"))
    return sorted({_without_trailing_punctuation(text, span) for span in spans})


def _without_trailing_punctuation(text: str, span: Tuple[int, int]) -> Tuple[int, int]:
    start, end = span
    while end - start > 1 and text[end - 1] in ".,;:)":
        end -= 1
    return start, end


def contains_secret(text: str) -> bool:
    return bool(secret_spans(text))


def redact(text: str, mask: str = "[redacted]") -> str:
    """``text`` with every disclosed secret replaced by ``mask``."""
    for start, end in reversed(secret_spans(text)):
        text = text[:start] + mask + text[end:]
    return text
