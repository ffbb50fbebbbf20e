"""Finds passwords, PINs, account secrets and security answers typed into a chat.

Pure functions, no Rasa. ``find_secrets`` is called once per message, on the
raw text (channels/disclosure.py), and again at the persistence boundary
(stores/tracker.py, the logs) as a safety net.

It works the way people write in a chat, not the way secret scanners look for
API keys:

- **Context.** A message about logging in, passwords, PINs, account secrets or
  security questions is *password context*; so is the message right after one
  (``after_context``), because people send the password on its own next.
- **Shape.** In context, any token that mixes letters with digits or symbols
  ("Bluebell77x", "p@ssw0rd") is a candidate, wherever it stands. A single
  token that mixes three kinds of character is one even without context.
- **Assignment.** A value right after a keyword ("password is fluffy", "pin:
  4821") or right before one ("fluffy is my password") is a candidate even
  when it is an ordinary word, unless it is a word that makes the sentence a
  question ("password is wrong").
- **Security answers.** "maiden name is X", "first pet was X", "memorable word
  X": the answer, one to three words.
- **A lone word after context** that is rare in English (spaCy's lexeme
  probabilities from spacy-lookups-data) is a candidate.
- **Never**: email addresses, URLs, phone numbers (the helpdesk's included),
  NHS numbers, ODS codes, postcodes, dates, times, shift patterns ("8-8"),
  counts ("3 times"), phone-menu options, error codes and text-speak ("4got"). Those
  spans are protected before any rule looks at the tokens.

Written here rather than taken from a library: secret scanners (detect-secrets,
trufflehog) look for keys and tokens by entropy, and PII libraries look for
named entity types; neither tells "my password is expired" (a question) from
"my password is Fluffy22" (a disclosure), nor follows a chat from one message
to the next.
"""

import gzip
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, List, Optional, Tuple

from nlp import passphrases
from nlp.secret_words import (
    ANSWER_SKIP,
    ANSWER_STOP,
    DOING,
    FILLER,
    INNER,
    LEADING,
    NOT_A_PHRASE,
    NOT_A_VALUE,
    NOT_AN_ANSWER,
    NUMBER_WORDS,
    REPLIES,
    UI_WORDS,
)

Span = Tuple[int, int]

# --- what a message about passwords looks like ------------------------------

# "password" as people type it: pasword, passwrd, psswrd, pword, p/w, pw, pass...
_PASSWORD = (
    r"(?:p[a@]?s{1,2}(?:w[aou]?r?[dt]|word|wurd|ward|wrd|wod|wd|w0rd)s?|passwords?|pass|pw(?:d|rd|ord)?|"
    r"p/w|pword|passcod?e?|pass\s?code|pass\s?phrase|pin(?:\s?(?:number|no\.?|code))?)"
)
_KEYWORD = (
    rf"(?:{_PASSWORD}|(?:secret\s+|the\s+)phrase|(?:nhs\s?mail\s+|ac+ount\s+|acc\s+|my\s+)?sec(?:r[ei]|er)t(?:\s+(?:word|answer|phrase|thing))?|"
    r"memorable\s+(?:word|answer|place|name|date|info(?:rmation)?)|"
    r"security\s+(?:answers?|words?|question\s+answers?|code))"
)
_CONTEXT = re.compile(
    rf"\b(?:{_PASSWORD}|log\s?-?\s?in|logg?ing\s+in|log\s?on|logon|login|"
    r"sign\s?-?\s?in|signin|sign\s+on|lock(?:ed)?\s*out|locked|credentials|secret|"
    r"security\s+(?:questions?|answers?|words?|details?)|memorable|maiden|pet'?s?|"
    r"first\s+(?:school|car|pet|job|street)|typed|typing|type\s+in|put(?:ting)?\s+in|entered|"
    r"entering|keeps?\s+saying|says\s+(?:wrong|incorrect|invalid)|incorrect|unlock|"
    r"(?:changed|set|made|reset|chose|picked)\s+it|new\s+one|temp(?:orary)?(?:\s+one)?|"
    r"gave\s+me|long\s+enough|too\s+(?:easy|short|weak)|accepted|maden|frst|fav|"
    r"(?:three|four|3|4)\s+(?:random\s+)?words?|random\s+words?|(?:3|4|three|four)\s+word\s+one)\b",
    re.IGNORECASE,
)

# Text-speak and tech words that mix letters with digits or symbols.
_ALLOWED_MIXED = re.compile(
    r"(?:4got(?:ten)?|4get|2day|2moro|2morrow|2nite|2night|gr8|l8r|l8|b4|4u|2u|m8|w8|str8|"
    r"any1|some1|sum1|no1|ne1|every1|2fa|mfa|o365|m365|office365|365|24/7|24hrs?|24h|"
    r"4g|5g|3g|wi-?fi|covid-?19|a&e|b&b|q&a|p/w|w/e|w/c|a/l|n/a|i\.e\.?|e\.g\.?|etc\.?|"
    r"nhs111|111|999|1st|2nd|3rd|\d+th|mp3|mp4|pdf|jpg|png|"
    r"(?:iphone|ipad|galaxy|pixel|samsung|android|ios|windows|win|office|outlook|chrome|"
    r"edge|teams|covid|gen|v)\d{1,3}[a-z]?)",
    re.IGNORECASE,
)

# --- spans that are never a secret -------------------------------------------

_PROTECTED = re.compile(
    "|".join(
        [
            r"\[[a-z ]+ removed\]",  # already masked
            r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+",  # email
            r"(?:https?://|www\.)\S+",  # URL
            r"\b[\w-]+(?:\.[\w-]+)*\.(?:nhs\.net|nhs\.uk|co\.uk|org\.uk|gov\.uk|ac\.uk|com|org|"
            r"net|uk|io|ms|ly|gl|me|co|us|info|app)\b(?:/\S*)?",  # bare domain
            r"(?:\+44\s?\(?0?\)?\s?|\(?\b0)\d{2,4}\)?(?:[\s-]?\d){6,8}\b",  # UK phone
            r"\b\d{3}[\s-]?\d{3}[\s-]?\d{4}\b",  # NHS number (any 10 digits)
            r"\b[Vv](?=[A-Za-z0-9]*\d)[A-Za-z0-9]{4}\b|\bV[A-Z0-9]{4}\b",  # ODS code
            r"(?-i:\b(?:[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}|[a-z]{1,2}\d[a-z\d]?\s?\d[a-z]{2})\b)",  # noqa: E501  postcode
            r"\bcare\.[A-Za-z0-9]{5}\b",  # a shared mailbox's name
            r"\b\d{1,4}[/.-]\d{1,2}(?:[/.-]\d{1,4})?\b",  # dates, 8-8, 7.30
            r"\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?-i:[Jj]an(?:uary)?|[Ff]eb(?:ruary)?|"
            r"[Mm]ar(?:ch)?|[Aa]pr(?:il)?|[Mm]ay|[Jj]une?|[Jj]uly?|[Aa]ug(?:ust)?|"
            r"[Ss]ept?(?:ember)?|[Oo]ct(?:ober)?|[Nn]ov(?:ember)?|[Dd]ec(?:ember)?)\b"
            r"(?:\s+\d{4})?",  # dates in words, "12 March 2024"
            r"(?-i:\b[A-Z]{2,6}(?:/[A-Z0-9]{1,8}){1,4}\b)",  # references, "NHSM/2291/AB"
            # an address's name part, two lower-case parts: "firstname.lastname1"
            r"(?-i:(?<![\w.@-])[a-z]+\.[a-z]+\d{0,2}(?![\w@.-]))",
            r"\b\d{1,2}(?:[:.]\d{2})?\s?(?:am|pm|hrs?|h)?\s?(?:-|–|to|till|til)\s?"
            r"\d{1,2}(?:[:.]\d{2})?\s?(?:am|pm|hrs?|h)?\b",  # shifts, 7am-7pm
            r"\b\d{1,2}(?:[:.]\d{2})?\s?(?:am|pm)\b|\b\d{1,2}:\d{2}\b",  # times
            r"\b\d+\s?(?:x|times?|tries|attempts|goes|hrs?|hours?|mins?|minutes?|secs?|days?|"
            r"wks?|weeks?|months?|yrs?|years?|chars?|characters?|digits?|letters?|%|k|gb|mb|"
            r"st|nd|rd|th|p|am|pm)\b",  # counts
            r"[£$€]\s?\d[\d,.]*",  # money
            r"\b(?:option|press|opt|room|rm|bed|flat|unit|ext|extension|floor|ref|reference|"
            r"ticket|incident|case|id|version|ver|build|step|page|line|error|err|invoice|po|"
            r"order|employee|staff|smartcard|card|practice|org|ods|location|request|"
            r"correlation|tracking|member|payroll|badge|nmc(?:\s+pin)?|username|user\s?name|user\s?id|"
            r"login\s+name|"
            r"wifi|wi-fi|network|ssid|router)\b"
            r"(?:\s+(?:no\.?|number|num|nos?|id|code|ref|message|is|was|:|#))*\s*[#:]?\s*"
            r"[A-Za-z/-]*\d[\w/-]*",  # labelled codes
            r"\b(?:error|code|ods|org)\s+(?:code\s+)?(?:for\s+\w+(?:\s+\w+)?\s+)?(?:is\s+)?"
            r"[A-Z0-9-]*\d[A-Z0-9-]*\b",  # "ODS code for head office is 8KL43"
            # error and ticket codes
            r"\bAADSTS\d+\b|\b0x[0-9a-fA-F]+\b|(?-i:\b[A-Z]{2,4}\d{4,}\b)",
            r"\b(?:user\s?name|login\s+name|wifi|wi-fi|network(?:\s+name)?|ssid|"
            r"(?:device|computer|pc|laptop)\s+name|(?:logged|signed)\s+in\s+as)"
            r"(?:\s+(?:is|was|says|shows|:))*\s*[:=]?\s*\S+",  # names of accounts and devices
        ]
    ),
    re.IGNORECASE,
)

# --- the rules ----------------------------------------------------------------

_OPEN_QUOTES = "\"'“‘`«("
_CLOSE_PUNCT = "\"'”’`»).,;:"
_TOKEN = re.compile(r"\S+")
# Terminal colours in a log line ("\x1b[01;33mSanic"): inside a token, never a secret.
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# What nlp/privacy.py puts in place of a secret or personal data.
_MASKED = re.compile(r"\[[a-z ]+ removed\]")

_ASSIGNED = re.compile(
    rf"\b{_KEYWORD}(?:(?:\s+(?:ko|po|na|ni|ya|la|le|de|mi|mu))?,?\s+(?:is|was|are|were|=|:|-|–|would\s+be|will\s+be|should\s+be|"
    rf"which\s+is|which\s+was|that\s+is|thats|that's)"
    rf"(?:\s+(?:now|currently|still|just|probably|prob|def|definitely|actually))?\s+"
    rf"|['’]s\s+|\s*[:=]\s*|\s+[-–]\s+)(?P<value>\S+)",
    re.IGNORECASE,
)
# The value before the keyword: "fluffy is my password", "X thats the pwd".
_ASSIGNED_BEFORE = re.compile(
    rf"(?P<value>\S+)\s*(?:-|–|—|,)?\s+(?:is|was|=|thats|that's|that’s|that\s+is|it's|its|"
    rf"being|as|(?:is\s+)?(?:thats\s+|that's\s+)?what\s+i\s+(?:set|put|use|used|typed|made|said)"
    rf"(?:\s+(?:as|for|to))?)\s+(?:my|the|our|me|mine|her|his)?\s*(?:new|old|current|actual|usual|normal|"
    rf"nhs|nhsmail|nhs\s+mail|email|account)?\s*{_KEYWORD}\b",
    re.IGNORECASE,
)
# What a security question asks about: "maiden name", "first pet", "memorable place".
_SECURITY_NOUN = (
    r"(?:ma[ie]{0,2}d[iea]{0,2}n\s+name(?:\s+of\s+my\s+\w+)?|secret\s+question(?:\s+answer)?|"
    r"security\s+q(?:uestion)?(?:\s+answer)?|(?:first|frst|frist|1st|childhood|old)\s+(?:pet|dog|cat|school|car|job|"
    r"teacher|street|house|boss|love|address|best\s+friend)(?:'?s)?(?:\s+name)?|pets?'?\s+name|"
    r"place\s+of\s+birth|birth\s?place|(?:town|city|place)\s+(?:i\s+was\s+)?born(?:\s+in)?|"
    r"(?:town|city|place)\s+where\s+\w+(?:\s+\w+){0,3}|where\s+(?:was\s+i|i\s+was)\s+born|"
    r"born\s+in|(?:favou?rite|fav|fave)\s+\w+(?:\s+(?:name|team|film|book|colour|color|food|"
    r"place|band|song|player))?|memorable\s+(?:word|place|name|date|answer|info(?:rmation)?)|"
    r"secret\s+(?:word|answer|phrase)|security\s+(?:answer|word)s?|"
    r"(?:mums?|mothers?|mam|moms?|dads?|fathers?)(?:'?s)?\s+(?:middle\s+)?name|"
    r"grew\s+up\s+(?:on|in)|childhood\s+\w+(?:\s+\w+)?|"
    r"answer\s+(?:to|for)\s+(?:the\s+|my\s+)?(?:security\s+)?question|"
    r"(?:pet|school|car|film|book|colour|color|team|town|city)\s+question(?:\s+answer)?|"
    r"(?:mums?|mothers?|dads?|fathers?|grans?|nans?)(?:'?s)?\s+(?:middle\s+)?name)"
)
_SECURITY_CONTEXT = re.compile(
    rf"\b(?:{_SECURITY_NOUN}|security\s+questions?|"
    r"account\s+secret|secret|memorable)\b",
    re.IGNORECASE,
)
# "maiden name is X", "first school i went to was X", "first pet: X", "favourite food i put X".
_SECURITY_TRIGGER = re.compile(
    rf"\b(?P<noun>{_SECURITY_NOUN})(?:\s+(?:answer|one))?['\"’”]?"
    r"(?P<link>,?\s*[—–-]?\s*(?:that'?s|thats|which\s+is|which\s+was|it'?s|its|the\s+answer\s+is|"
    r"answer\s+is|i\s+put|i\s+wrote|i\s+said|i\s+used)|(?:\s+(?!is\b|was\b)\w+){0,4}?\s+(?:is|was|are|were|would\s+be|will\s+be|"
    r"should\s+be|i\s+put|i\s+said|i\s+used|i\s+chose|i\s+wrote)"
    r"|\s*[?:=-]+\s*(?:it'?s|its|it\s+is|is|was)?|\s+(?:it'?s|its|it\s+is|=|-|–)|"
    r"\s+(?:answer|answer\s+is|i\s+put|i\s+said|i\s+used|i\s+chose)|)"
    r"(?:\s+(?:probably|prob|def|definitely|actually|just))?\s*",
    re.IGNORECASE,
)
# The answer before the question: "Patel is my mums maiden name", "i said Manila for the
# place of birth question".
_SECURITY_BEFORE = re.compile(
    rf"(?P<value>[^\s,]+(?:\s+[A-Z][^\s,]*)?)\s+(?:is|was|=|-)\s+(?:my|the|our)\s+"
    rf"(?:\w+\s+)?{_SECURITY_NOUN}|"
    rf"\b(?:i\s+said|i\s+put|i\s+wrote|answered)\s+(?P<value2>[^\s,]+(?:\s+[A-Z][^\s,]*)?)\s+"
    rf"(?:for|as)\s+(?:the|my)\s+(?:\w+\s+)?{_SECURITY_NOUN}",
    re.IGNORECASE,
)
# In a message about security questions: "a dog called Rex", "its Desmond",
# "The Hobbit is what i put", "the answer is X".
_SECURITY_EXTRA = re.compile(
    r"\b(?:called|named|it'?s|its|that'?s|thats|which\s+is)\s+(?P<value>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?)|"
    r"(?P<value2>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?)\s+(?:is\s+what\s+i|so\s+that'?s\s+what\s+i|"
    r"thats\s+what\s+i)\s+(?:put|used|wrote|said)|"
    r"\banswer\s+(?:is|was|=|:)\s+(?P<value3>[^\s,.]+(?:\s+[A-Z][^\s,.]*)?)",
)
# Single letters of the account secret: "first is P, third is N", "i said R, B and T".
_LETTERS = re.compile(
    r"(?<![\w'’])[A-Za-z](?![\w'’])(?:\s*(?:,|and|&|then)\s*(?<![\w'’])[A-Za-z]"
    r"(?![\w'’]))+|\b(?:is|=)\s+(?P<one>[A-Z])\b"
)
_SPACED_LETTERS = re.compile(
    r"(?<![\w'’])[A-Za-z](?:\s+[A-Za-z]){2,}(?![\w'’])|"
    r"\b(?:letter|character|char)\s+(?:is\s+|was\s+|=\s*|:\s*)?(?P<single>[A-Za-z])\b|"
    r"\b(?:letters?|characters?|chars?)\s+(?:are|is|were|was|:)\s+"
    r"(?P<run>[A-Za-z]{2,6})\b"
)
_LETTERS_CONTEXT = re.compile(r"\b(?:secret|letters?|characters?|chars?)\b", re.IGNORECASE)

# A PIN: digits within a few words of "pin", "passcode" or an unlock code.
_PIN = re.compile(
    r"\b(?:pin|pins|pin\s?code|pass\s?code?|pass\s?cod|(?:unlock|lock|door|access|phone|tablet|laptop|keypad)\s+code|"
    r"code\s+to\s+(?:unlock|open|get\s+in))\b"
    r"(?P<gap>(?:[\s,:=.-]+(?!\d)(?!(?:zero|one|two|three|four|five|six|seven|eight|nine)\b)"
    r"[\w'’.]+){0,10}?)[\s,:=.-]+"
    r"(?P<value>\d{4,8}|\d{2,3}(?:\s\d{2,3}){1,3}|(?:zero|one|two|three|four|five|six|seven|eight|"
    r"nine|oh)(?:[\s,-]+(?:zero|one|two|three|four|five|six|seven|eight|nine|oh)){3,7})(?![\d/.:])",
    re.IGNORECASE,
)
_PIN_NOT = re.compile(r"\b(?:in|since|from|year|until|till|by|on|at|of)\s*$", re.IGNORECASE)
_PIN_WORD = re.compile(
    r"\b(?:pin|pins|pin\s?code|pass\s?code?|pass\s?cod|(?:unlock|lock|door|access|keypad)\s+code|"
    r"code\s+to\s+(?:unlock|open|get\s+in)|(?:phone|tablet|laptop|screen)\s+unlock|"
    r"code\s+for\s+the\s+(?:phone|tablet|laptop|ipad))\b",
    re.IGNORECASE,
)
_DIGITS = re.compile(
    r"(?<![\w/.:£$-])(?P<value>\d{4,8}|\d(?:\s\d){3,7}|\d{2,3}(?:\s\d{2,3}){1,3})"
    r"(?![\w/:%-]|\.\d)"
)
# Setting or typing a value: "set it to X", "i went with X", "i put X", "chose X".
_SET_VALUE = re.compile(
    r"\b(?:set(?:\s+(?:it|mine|my\s+\w+(?:\s+\w+)?))?\s+(?:to|as)|changed\s+(?:it\s+)?to|"
    r"made\s+(?:it|mine|the\s+\w+(?:\s+\w+)?)|went\s+with|chose|picked|i\s+put|put\s+in|"
    r"typed(?:\s+in)?|entered|using|used|tried|gave\s+me|is\s+now|now\s+is|"
    r"mine\s+is|it'?s|its|it\s+is|was|is)\s+['\"“‘]?(?P<value>[^\s'\"”’]+)",
    re.IGNORECASE,
)

_UNDERSCORED = re.compile(r"\b[A-Z]+(?:_[A-Z0-9]+)+\b")
_EXPLICIT_SET = re.compile(r"(?:set|changed|made|went|chose|picked)\b", re.IGNORECASE)
_KEYWORD_WORD = re.compile(rf"{_PASSWORD}|\w*(?:word|secret|phrase)\w*", re.IGNORECASE)

LEXEME_PROB = "en_lexeme_prob.json.gz"
# A word this rare in English (log probability from spaCy's tables) is unusual
# enough to be taken for a password when it is sent on its own after context.
RARE_WORD_LOGPROB = -15.5


_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")


@dataclass(frozen=True)
class Finding:
    """What a message discloses: the secrets' character spans, and whether the
    message is password context (so that the next one is read in context)."""

    spans: Tuple[Span, ...]
    context: str  # "password", "security" or ""

    @property
    def disclosed(self) -> bool:
        return bool(self.spans)


def is_password_context(text: str) -> bool:
    """Is the message about logging in, passwords, PINs or security questions?"""
    return bool(_CONTEXT.search(text or ""))


# Codes, not passwords: upper-case letters with digits and dashes ("INC0012345",
# "CAS-48213-X9Q2"), or hexadecimal ids ("3f2a9c1e-88b4-...", "a1b2c3d4").
_CODE = re.compile(
    r"[A-Z]{2,4}\d{4,}|(?=[A-Z0-9_-]*\d)(?=[A-Z0-9_-]*[A-Z])[A-Z0-9]+(?:[-_][A-Z0-9]+)*|[A-Z]+(?:_[A-Z]+)+|"
    r"(?=[0-9a-f-]*\d)(?=[0-9a-f-]*[a-f])[0-9a-f]{8,}(?:-[0-9a-f]+)*"
)
_TOKEN_EDGE = set("\"'“‘`«([<")


def _at_token_edges(text: str, start: int, end: int) -> bool:
    """Does the match cover whole tokens? ("Lp29Xz" inside "Tq7#Lp29Xz" is no
    postcode.)"""
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return (before.isspace() or before in _TOKEN_EDGE) and (
        after.isspace() or after in "\"'”’`»)]>.,;:!?"
    )


def _protected(text: str, codes: bool = True) -> List[Span]:
    """Spans no rule may flag. ``codes``: unlabelled upper-case codes too
    (not in a message about passwords, where "SUNNYSIDE55" is one)."""
    spans = [m.span() for m in _PROTECTED.finditer(text) if _at_token_edges(text, *m.span())]
    spans += [m.span() for m in _ANSI.finditer(text)]
    for match in _TOKEN.finditer(text) if codes else ():
        start, end = _core(text, *match.span())
        if _CODE.fullmatch(text[start:end].rstrip("!?")):
            spans.append((start, end))
    return spans


def _overlaps(span: Span, others: Iterable[Span]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in others)


def _core(text: str, start: int, end: int) -> Span:
    """A token's span without the quotes and sentence punctuation around it.
    A trailing ! or ? stays: it may be part of the password."""
    while start < end and text[start] in _OPEN_QUOTES:
        start += 1
    while end > start and text[end - 1] in _CLOSE_PUNCT:
        end -= 1
    return start, end


def _bare(word: str) -> str:
    return word.strip(_OPEN_QUOTES + _CLOSE_PUNCT + "!?").lower()


def _kinds(word: str) -> int:
    """How many kinds of character: lower, upper, digit, symbol."""
    return sum(
        (
            any(c.islower() for c in word),
            any(c.isupper() for c in word),
            any(c.isdigit() for c in word),
            any(not c.isalnum() for c in word),
        )
    )


def is_secret_shaped(word: str) -> bool:
    """Letters mixed with digits or symbols inside: "Summer2024!", "p@ss",
    not "isn't", "self-service", "4got", "{EmailHidden}" or "sensitive?"."""
    bare = word.strip(_OPEN_QUOTES).rstrip(_CLOSE_PUNCT + "!?")
    if re.fullmatch(r"[{<\[][\w.-]+[}>\]]", bare):  # a placeholder in pasted text
        return False
    if len(bare) < 4 or _ALLOWED_MIXED.fullmatch(bare):
        return False
    inner = re.sub(r"(?<=[A-Za-z])['’/-](?=[A-Za-z])", "", bare)
    has_alpha = any(c.isalpha() for c in inner)
    has_other = any(c.isdigit() or not c.isalnum() for c in inner)
    return has_alpha and has_other


def _long_rare(word: str) -> bool:
    """A message of one long word no dictionary has: "correcthorsebatterystaple"."""
    bare = _bare(word)
    return bare.isalpha() and len(bare) >= 12 and is_rare_word(bare)


def _is_word_or_number(word: str) -> bool:
    bare = _bare(word)
    return bool(bare) and (bare.isalpha() or bare.isdigit() or is_secret_shaped(word))


def _passphrase(text: str, start: int, end: int) -> Span:
    """A value of several words runs on: "password is three blind mice 1984",
    "is Willow tree 55", "is sunshine two thousand and twenty four"."""
    if not _is_word_or_number(text[start:end]) or text[end - 1 : end] in ",;.":
        return start, end
    previous = _bare(text[start:end])
    count = 1
    for match in _TOKEN.finditer(text, end):
        word, bare = match.group(), _bare(match.group())
        numbers = previous in NUMBER_WORDS or previous.isdigit()
        joining = bare == "and" and numbers  # "two thousand and twenty four"
        if (
            match.start() - end > 1
            or not _is_word_or_number(word)
            or count >= 6
            or (not joining and (bare in ANSWER_STOP or bare in NOT_A_VALUE))
        ):
            break
        end = _core(text, *match.span())[1]
        previous, count = bare, count + 1
        if word[-1:] in ",.;!?—–)":
            break
    if _bare(text[end - 3 : end]) == "and":
        end -= 4
    return start, end


def _passphrase_back(text: str, start: int, end: int) -> Span:
    """The same, backwards from a value before its keyword: "Bramble hill 9 thats my pwd"."""
    tokens = [m for m in _TOKEN.finditer(text[:start])]
    count = 1
    for match in reversed(tokens):
        word, bare = match.group(), _bare(match.group())
        if (
            not _is_word_or_number(word)
            or word[-1:] in ",.;!?—–:"
            or count >= 5
            or bare in ANSWER_STOP
            or bare in NOT_A_VALUE
            or bare in FILLER
        ):
            break
        start = _core(text, *match.span())[0]
        count += 1
    return start, end


# C. "Rainbow Bridge 11", "Penguin 72 Rocket": words with a number, in context.
_PHRASE_WITH_NUMBER = re.compile(
    r"(?<![\w'’])(?:[A-Za-z][a-z'’]+\s+){0,3}[A-Za-z][a-z'’]+\s+(?:\d{1,4}[a-z]?(?:\s\d){0,3}|"
    r"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:\s+(?:one|two|three|four|five|six|"
    r"seven|eight|nine))?|(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)"
    r"(?:\s+(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)){1,5})"
    r"(?:\s+[A-Z][a-z]+)?(?![\w'’/:.-])"
)
_QUOTED = re.compile(r"[\"'“‘](?P<q>[^\"'”’\n]{3,50})[\"'”’]")


def _phrase_spans(text: str, whole: bool) -> List[Span]:
    """Runs of words with a number that look like a passphrase ("Kingfisher
    River 8", "Frosty the snowman 12"). ``whole``: outside context, only a
    run of three words or more that is the whole message."""
    spans = []
    for match in _PHRASE_WITH_NUMBER.finditer(text):
        tokens = list(_TOKEN.finditer(text, match.start(), match.end()))
        while tokens and (
            _bare(tokens[0].group())
            in LEADING | ANSWER_STOP | NOT_A_VALUE | FILLER | REPLIES | DOING
        ):
            tokens.pop(0)
        words = [t.group() for t in tokens]
        lead = [w for w in words if not _bare(w).isdigit() and _bare(w) not in NUMBER_WORDS]
        if not lead or _bare(words[0]) in NOT_A_PHRASE:
            continue
        if any(_bare(w) in ANSWER_STOP and _bare(w) not in INNER for w in lead):
            continue
        if len(lead) == 1 and not is_rare_word(lead[0]) and not lead[0][:1].isupper():
            continue
        span = (tokens[0].start(), match.end())
        # Lower-case words count only right after a link ("is coconut water 19"),
        # not in passing ("the discharge thing before 6").
        before = text[: span[0]].rstrip().lower()
        if not any(w[:1].isupper() for w in lead) and not re.search(
            r"(?:\bis|\bwas|\bto|\bas|typed|put|picked|tried|[:=—–-])$", before
        ):
            continue
        if whole and (text[span[0] : span[1]].strip() != text.strip() or len(words) < 3):
            continue
        spans.append(span)
    return spans


def _long(word: str) -> bool:
    """Long enough to be a password wherever it stands ("Chelsea2024!"), and
    not markup or code ("onerror=alert(1)>", "/prepare_call"), which people
    paste or a button sends."""
    bare = word.strip(_OPEN_QUOTES).rstrip(_CLOSE_PUNCT)
    return len(bare) >= 6 and not re.search(r"[<>={}\[\]]|\(.*\)|^/", bare)


def _looks_random(word: str) -> bool:
    """A lone token that no sentence explains: long and of three kinds of
    character ("Kx93!pLm", "Tulip99!x")."""
    bare = word.rstrip(".")
    return len(bare) >= 6 and is_secret_shaped(bare) and _kinds(bare) >= 3


@lru_cache(maxsize=1)
def _lexeme_logprob() -> dict:
    import spacy_lookups_data

    path = Path(spacy_lookups_data.__file__).parent / "data" / LEXEME_PROB
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        table = json.load(handle)
    # Only the common words are kept: a word missing is a rare one.
    return {word: p for word, p in table.items() if p > RARE_WORD_LOGPROB}


def is_rare_word(word: str) -> bool:
    bare = _bare(word)
    return (
        bare.isalpha() and len(bare) >= 4 and bare not in REPLIES and bare not in _lexeme_logprob()
    )


def _is_value(word: str) -> bool:
    """Could ``word``, right after "password is", be the password itself?"""
    bare = _bare(word)
    if not any(c.isalnum() for c in bare) or bare in NOT_A_VALUE or bare in REPLIES:
        return False
    if (
        bare.isalpha()
        and len(bare) > 5
        and (bare.endswith("ing") or bare.endswith("ed"))
        and not word.strip(_OPEN_QUOTES)[:1].isupper()
        and not is_rare_word(bare)
    ):
        return False  # "password is expiring", "was changed"; not "Mohammed"
    if bare.isdigit():
        return 4 <= len(bare) <= 8  # a PIN, not "3"
    return True


def _answer_span(text: str, start: int) -> Optional[Span]:
    """The one to three words of a security answer that starts at ``start``."""
    words = [m for m in _TOKEN.finditer(text, start)][:6]
    kept: List["re.Match"] = []
    for match in words:
        bare = _bare(match.group())
        if (
            not kept
            and bare in ANSWER_SKIP
            and not (match.group()[:1].isupper() and bare in ("the",))
        ):
            continue
        if (
            not bare
            or bare in ANSWER_STOP
            or (kept and match.group()[:1].islower() and not kept[0].group()[:1].islower())
        ):
            break
        kept.append(match)
        if len(kept) == 3 or match.group()[-1:] in ",.;!?":
            break
    if not kept or not _is_value(kept[0].group()):
        return None
    return _core(text, kept[0].start(), kept[-1].end())


def find_secrets(text: str, after_context: str = "", anywhere: bool = True) -> Finding:
    """Every secret disclosed in ``text``.

    ``after_context``: the previous message's context ("password" or
    "security", from ``Finding.context``), or "" when it had none. After
    context, a lone rare word or a PIN is a secret; after a security
    question, so is a short answer of ordinary words.

    ``anywhere``: a long token of letters mixed with digits or symbols is a
    candidate even outside password context. Log lines pass False: they are
    full of identifiers ("rasa.core.processor", "TEAMS_APP_ID"), so there only
    tokens of three kinds of character ("Gr3392521") are taken anywhere.
    """
    # Markup pasted in ("<b>hello</b>") is read as spaces, so that a tag is
    # never taken for part of a secret; the spans keep the text's offsets.
    text = _TAG.sub(lambda tag: " " * len(tag.group()), text or "")
    after = "security" if after_context == "security" else ("password" if after_context else "")
    context = context_of(text) or after
    protected = _protected(text, codes=not context or bool(_UNDERSCORED.search(text)))
    masked = [m.span() for m in _MASKED.finditer(text)]
    spans: List[Span] = []

    def add(span: Optional[Span], check: bool = True) -> None:
        """``check``: protected spans do not apply; a mask already there always does."""
        if (
            span
            and span[1] > span[0]
            and not _overlaps(span, masked)
            and not (check and _overlaps(span, protected))
        ):
            spans.append(span)

    _keyword_values(text, add, context, anywhere)
    _security_answers(text, add, context)
    _pins_and_set_values(text, add)
    _shaped_tokens(text, add, context, anywhere)
    _ordinary_words(text, add, context if after or _STRONG.search(text) else "", anywhere)
    if after:
        _after_context(text, add, after, spans)
        if anywhere:
            for span in passphrases.answers(text, is_rare_word):
                add(span)
    if spans and anywhere:
        for span in passphrases.widened(text, list(spans), is_rare_word):
            add(span, check=False)
    return Finding(tuple(_merge(spans)), context)


# Context strong enough for a run of ordinary words to be a passphrase: the
# message names a password or a secret, or follows one. "put in", "typed" or
# "locked" alone are not ("what do you put in chicken noodle casserole").
_STRONG = re.compile(rf"\b(?:{_KEYWORD})\b|\bpass\s?phrases?\b", re.IGNORECASE)


def _ordinary_words(text: str, add: "Add", context: str, anywhere: bool) -> None:
    """Passphrases of ordinary words and spelled-out secrets (nlp/passphrases.py).
    ``context``: only where it is strong (above)."""
    if not anywhere:  # log lines: the turn's own text is withheld there
        return
    for span in passphrases.spoken(text, context):
        add(span, check=False)
    for span in passphrases.word_runs(text, context):
        add(span)
    for span in passphrases.joined(text, is_rare_word, context):
        add(span)


Add = Callable[..., None]


def _keyword_values(text: str, add: Add, context: str, anywhere: bool) -> None:
    """A value next to a keyword, a passphrase of several words, a quoted value."""
    for match in _ASSIGNED.finditer(text):
        if _is_value(match.group("value")):
            add(_passphrase(text, *_core(text, *match.span("value"))))
    for match in _ASSIGNED_BEFORE.finditer(text):
        span = _passphrase_back(text, *_core(text, *match.span("value")))
        # "Galaxy Dreamer 17 is my new password": a run of words before the
        # keyword is a value even when its last word alone would not be.
        run, last = text[span[0] : span[1]], _bare(match.group("value"))
        if _is_value(match.group("value")) or (
            len(run.split()) >= 2
            and (last.isdigit() or last not in NOT_A_VALUE)
            and not _CONTEXT.search(run)
        ):
            add(span)
    if context:
        for span in _phrase_spans(text, whole=False):
            add(span)
        for match in _QUOTED.finditer(text):
            quoted = match.group("q").split()
            if (
                len(quoted) <= 6
                and any(any(c.isdigit() for c in w) for w in quoted)
                and not any(_bare(w) in UI_WORDS for w in quoted)
            ):
                add(match.span("q"))
    elif anywhere:
        for span in _phrase_spans(text, whole=True):
            add(span)


def _security_answers(text: str, add: Add, context: str) -> None:
    """Security answers may be dates or places: no protected span applies."""
    for match in _SECURITY_TRIGGER.finditer(text):
        direct = not match.group("link").strip()
        span = _answer_span(text, match.end())
        if span is None and not direct:  # "born in Krakow so thats what i put"
            span, direct = _answer_span(text, match.end("noun")), True
        if span and (
            not direct or text[span[0]].isupper() or is_rare_word(text[span[0] : span[1]])
        ):
            add(span, check=False)
    for match in _SECURITY_BEFORE.finditer(text):
        group = "value" if match.group("value") else "value2"
        if _is_value(match.group(group).split()[0]):
            add(_core(text, *match.span(group)), check=False)
    # The question's message, or the one after it unless it says what the user
    # will do ("ok will ring Sarah").
    if context == "security" and (context_of(text) == "security" or not _says_what_to_do(text)):
        add_capitalised_answers(text, add)
    if context == "security":
        for match in _SECURITY_EXTRA.finditer(text):
            group = next(g for g in ("value", "value2", "value3") if match.group(g))
            if _is_value(match.group(group).split()[0]):
                add(_core(text, *match.span(group)), check=False)
    if _LETTERS_CONTEXT.search(text):
        for match in _LETTERS.finditer(text):
            letters: str | int = "one" if match.group("one") else 0
            add(match.span(letters), check=False)
        for match in _SPACED_LETTERS.finditer(text):
            spaced: str | int = next((g for g in ("run", "single") if match.group(g)), 0)
            add(match.span(spaced), check=False)


def _pins_and_set_values(text: str, add: Add) -> None:
    """PINs, and values set or typed in a message with a keyword."""
    for match in _PIN.finditer(text):
        if not _PIN_NOT.search(match.group("gap") or ""):
            add(match.span("value"), check=False)  # digits: protected patterns don't apply
    if _PIN_WORD.search(text):  # any PIN-like number in a message about a PIN
        for match in _DIGITS.finditer(text):
            before = text[: match.start()]
            if not _PIN_NOT.search(before) and not re.search(r"\b\d+\s*$", before):
                add(match.span("value"))
    if re.search(rf"\b{_KEYWORD}\b", text, re.IGNORECASE):
        for match in _SET_VALUE.finditer(text):
            value = match.group("value")
            explicit = _EXPLICIT_SET.match(match.group())
            if is_rare_word(value) or (explicit and _is_value(value) and len(_bare(value)) >= 7):
                add(_passphrase(text, *_core(text, *match.span("value"))))
        for match in _TOKEN.finditer(text):
            bare = _bare(match.group())
            if (
                len(bare) >= 10
                and is_rare_word(match.group())
                and not _KEYWORD_WORD.fullmatch(bare)
            ):
                add(_core(text, *match.span()))
        if _PIN.search(text):  # "pin was 2468 then i changed it to 8642"
            for match in _SET_VALUE.finditer(text):
                if re.fullmatch(r"\d{4,8}", _bare(match.group("value"))):
                    add(match.span("value"), check=False)


def _shaped_tokens(text: str, add: Add, context: str, anywhere: bool) -> None:
    """Tokens that mix letters with digits or symbols."""
    tokens = list(_TOKEN.finditer(text))
    for match in tokens:
        word = match.group()
        if is_secret_shaped(word) and (context or (anywhere and _long(word))):
            add(_core(text, *match.span()))
        elif anywhere and len(tokens) == 1 and (_looks_random(word) or _long_rare(word)):
            add(_core(text, *match.span()))
        elif not anywhere and _looks_random(word):  # a log line quoting a lone password
            add(_core(text, *match.span()))


def _after_context(text: str, add: Add, after: str, spans: List[Span]) -> None:
    """A lone value, a short answer or a short passphrase, sent right after context."""
    tokens = list(_TOKEN.finditer(text))
    if _says_what_to_do(text):
        return
    meaningful = [m for m in tokens if _bare(m.group()) not in FILLER]
    if 1 <= len(meaningful) <= 3 and len(tokens) <= 6:
        answer = after == "security" and not any(
            _bare(m.group()) in REPLIES or _bare(m.group()) in NOT_A_VALUE for m in meaningful
        )
        if answer:
            add(_core(text, meaningful[0].start(), meaningful[-1].end()))
        for match in meaningful:
            word, bare = match.group(), _bare(match.group())
            # A capitalised word alone after a login message is more often a
            # name or a place ("Priya", "Leicester"): NHSmail passwords are 10+
            # characters of mixed kinds, so only a long one is taken.
            named = word.strip(_OPEN_QUOTES)[:1].isupper() and after == "password"
            if (is_rare_word(word) and (not named or len(bare) >= 10)) or (
                bare.isdigit() and 4 <= len(bare) <= 8
            ):
                add(_core(text, *match.span()))
    words = [_bare(m.group()) for m in tokens]
    numbered = any(w.isdigit() or w in NUMBER_WORDS for w in words)
    if (
        2 <= len(tokens) <= 6
        and "?" not in text
        and all(_is_word_or_number(m.group()) for m in tokens)
        and not any(w in NOT_A_PHRASE for w in words)
        and not any(
            w in REPLIES
            or w in DOING
            or w in ANSWER_STOP
            or (w in NOT_A_VALUE and w not in NUMBER_WORDS)
            for w in words
        )
        and (numbered or len(tokens) >= 3)
    ):
        add(_core(text, tokens[0].start(), tokens[-1].end()))
    # A short reply after context that holds a secret is all secret
    # ("daffodils and tulips", "its Bluebell77x").
    if spans and len(tokens) <= 5 and not any(_bare(m.group()) in REPLIES for m in tokens):
        add(_core(text, tokens[0].start(), tokens[-1].end()))


def _says_what_to_do(text: str) -> bool:
    """ "ask Karen", "will ring them": a reply about what the user will do."""
    return any(_bare(m.group()) in DOING for m in _TOKEN.finditer(text))


def add_capitalised_answers(text: str, add: Callable[..., None]) -> None:
    """In a message about security questions, capitalised names are answers
    ("Patterson - thats my mothers maiden name", "i said Lucky, my first dog").
    A word that starts a sentence counts only when it is rare in English."""
    tokens = list(_TOKEN.finditer(text))
    # The question's own words, in Title Case ("Mother's Maiden Name") are no answer.
    question = [m.span() for m in _SECURITY_CONTEXT.finditer(text)]
    i = 0
    while i < len(tokens):
        word = tokens[i].group()
        start_of_sentence = i == 0 or tokens[i - 1].group()[-1:] in ".!?:"
        bare = _bare(word)
        titled = bare == "the" and i + 1 < len(tokens) and tokens[i + 1].group()[:1].isupper()
        if (
            word.strip(_OPEN_QUOTES)[:1].isupper()
            and bare.replace("-", "").isalpha()
            and bare not in NOT_AN_ANSWER
            and (_is_value(word) or titled)
            and not _overlaps(tokens[i].span(), question)
            and (not start_of_sentence or titled or is_rare_word(word))
        ):
            j = i
            while (
                j + 1 < len(tokens)
                and word[-1:] not in ",.;!?"
                and tokens[j + 1].group()[:1].isupper()
                and _is_value(tokens[j + 1].group())
                and _bare(tokens[j + 1].group()) not in NOT_AN_ANSWER
            ):
                j += 1
                word = tokens[j].group()
            add(_core(text, tokens[i].start(), tokens[j].end()), check=False)
            i = j
        i += 1


def context_of(text: str) -> str:
    """ "security" for a message about security questions or the account
    secret, "password" for one about logging in or passwords, else ""."""
    if _SECURITY_CONTEXT.search(text or ""):
        return "security"
    return "password" if is_password_context(text) else ""


# The assistant's own reply sets the context of the message after it when it
# asks or tells about passwords, passphrases or security questions: people
# answer it ("mine is ..., is that long enough?").
_REPLY_CONTEXT = re.compile(
    r"\b(?:passwords?|passphrases?|pass\s?words?|memorable\s+\w+|account\s+secrets?|"
    r"(?:three|random)\s+(?:random\s+)?words|first\s+pet|maiden\s+name|"
    r"security\s+(?:questions?|answers?|details?))\b",
    re.IGNORECASE,
)


def reply_context(text: str) -> str:
    """The context the assistant's reply ``text`` sets for the next message."""
    if not _REPLY_CONTEXT.search(text or ""):
        return ""
    return "security" if _SECURITY_CONTEXT.search(text) else "password"


def _merge(spans: List[Span]) -> List[Span]:
    merged: List[Span] = []
    for start, end in sorted(set(spans)):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def secret_spans(text: str, after_context: str = "") -> List[Span]:
    """Character spans of every secret disclosed in ``text``."""
    return list(find_secrets(text, after_context).spans)


def contains_secret(text: str, after_context: str = "") -> bool:
    return find_secrets(text, after_context).disclosed


def redact(text: str, mask: str = "[redacted]", after_context: str = "") -> str:
    """``text`` with every disclosed secret replaced by ``mask``."""
    for start, end in reversed(secret_spans(text, after_context)):
        text = text[:start] + mask + text[end:]
    return text
