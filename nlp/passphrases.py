"""Secrets made of ordinary words, and secrets spelled out as voice typing writes them.

The NHSmail advice is three or more random words, and people follow it:
"the passphrase I use is otter kettle drizzle pier". Voice typing spells a
password out: "capital W weasel 4 4 exclamation mark". Neither has a
password's shape (letters mixed with digits and symbols), so nlp/secrets.py
calls these rules beside its own:

- ``spoken``: a run of spelling words ("capital", "lower case", "hash",
  "exclamation mark", "underscore", digits or letters said one by one,
  "double 7") with the words between them; two spelling marks with a rare
  word, or three, make a spelled secret;
- ``word_runs``: in a message about passwords (or right after one), three or
  more uncommon words in a row, none of them NHSmail's or the care home's
  everyday words ("puffin saucepan thunder");
- ``joined``: in that context, words joined by hyphens, dots or underscores,
  or run together in one long token no dictionary has ("heron-fridge-
  thunderclap-quay", "ThrushStaplerSnowdrift", "hotwaterbottle").

How common a word is comes from spaCy's lexeme probability table (installed
with spacy-lookups-data; nothing is downloaded), the table nlp/secrets.py
uses for rare words.
"""

import re
from typing import Callable, List, Optional, Tuple

from nlp.secret_words import NOT_A_VALUE, NUMBER_WORDS

Span = Tuple[int, int]
_TOKEN = re.compile(r"[^\s,;]+[,;]?")
# Uncommon: rarer than this in English (log probability). Measured on the
# development corpus's passphrase words (mostly below -11) and the glue words
# around them ("new", "phone", "put": above -9).
UNCOMMON_LOGPROB = -10.3
CONTENT_LOGPROB = -8.5
VERY_UNCOMMON_LOGPROB = -11.5

# The words of NHSmail questions and a care home's day: never a passphrase's.
EVERYDAY = frozenset(
    """
    nhsmail nhs mail email emails outlook microsoft authenticator app apps iphone ipad android
    samsung laptop tablet desktop browser chrome portal mailbox mailboxes inbox calendar invite
    account accounts login logins username helpdesk helpline password passwords passphrase
    passphrases pin passcode smartcard settings screen keyboard caps spacebar symbols symbol
    digit digits number numbers letter letters character characters capital capitals symbol
    lowercase uppercase hyphens dashes spaces
    underscores staff shift shifts rota carer carers nurse nurses manager managers deputy
    resident residents relatives agency locked expired expiring reset resetting unlocked
    incorrect invalid verification security secret memorable maiden question questions
    answers answer office lounge kitchen laundry reception medication meds handover
    wifi internet signal update updated upgrade notifications error errors message messages
    deleted disabled inactive reinstated leaver leavers starter starters shared generic
    computer teams sharepoint onedrive exchange attachment attachments domestic maintenance
    yesterday tomorrow tonight morning evening weekend monday tuesday wednesday thursday
    friday saturday sunday january february march april june july august september october
    november december code codes org ods dspt ref reference mon tue tues wed thu thur thurs fri
    sat sun
    """.split()
)
# The words that name a secret, and quotes around one: never part of it.
_KEYWORDS = frozenset("pw pwd pword pass passwd pin secret answer answers word".split())
_QUOTES = "\"'“”‘’`«»()"
# Words that end a spelled run or a run of words: the sentence goes on.
_BREAK = frozenset(
    """
    is was are were be been it its it's i i'm im ive i've my me mine you u your can cant
    can't could check but so now still says say said ok okay for not no nope working since
    please kindly confirm should will would this that thats that's in on of to put typed
    type tried try set reset changed made chose chosen have has had do does did dont don't
    what whats why how when where which who if or as at from into out up down over
    again too very really just also even only yes yeah love hun thanks thank help
    """.split()
) | (NOT_A_VALUE - NUMBER_WORDS)
_CONNECT = frozenset("then and followed by the word number with a an all together".split())
_CASE = re.compile(
    r"(?:all\s+)?(?:capital|capitals|caps|big|upper\s?case|lower\s?case|small)"
    r"(?:\s+letters?)?$",
    re.IGNORECASE,
)
_SYMBOLS = (
    "hash",
    "hashtag",
    "exclamation mark",
    "exclamation point",
    "exclamation",
    "at sign",
    "at symbol",
    "dollar sign",
    "dollar",
    "pound sign",
    "percent sign",
    "percent",
    "underscore",
    "dash",
    "hyphen",
    "full stop",
    "asterisk",
    "star",
    "ampersand",
    "and sign",
    "question mark",
    "plus sign",
)
_SYMBOL = re.compile(
    r"\b(?:" + "|".join(s.replace(" ", r"\s+") for s in _SYMBOLS) + r")\b", re.IGNORECASE
)
_SPELLING = re.compile(
    r"\b(?:all\s+)?(?:capital|capitals|caps|big|upper\s?case|lower\s?case|small)\b", re.IGNORECASE
)


def _bare(word: str) -> str:
    return word.strip("\"'“”‘’`«»()[]{}.,;:!?").lower()


def _logprob(word: str) -> Optional[float]:
    from nlp.secrets import _lexeme_logprob

    return _lexeme_logprob().get(word)


def is_uncommon(word: str) -> bool:
    bare = _bare(word)
    if not bare.isalpha() or len(bare) < 3 or bare in EVERYDAY or bare in _BREAK:
        return False
    logprob = _logprob(bare)
    return logprob is None or logprob < UNCOMMON_LOGPROB


def _very_uncommon(word: str) -> bool:
    """Rarer than a concrete noun's usual frequency ("kettle", "osprey"), unlike
    the everyday words of a request ("council", "monthly", "premium")."""
    logprob = _logprob(_bare(word))
    return _is_content(word) and (logprob is None or logprob < VERY_UNCOMMON_LOGPROB)


def _is_content(word: str) -> bool:
    """A word a passphrase is made of: not glue, not NHSmail's, not a number,
    not a verb's past tense that English knows ("ticked", "signed")."""
    bare = _bare(word)
    acronym = word.strip("\"'“”‘’`«»()[]{}.,;:!?").isupper() and len(bare) <= 5
    if (
        not bare.isalpha()
        or acronym
        or bare in EVERYDAY
        or bare in _BREAK
        or bare in _CONNECT
        or bare in NUMBER_WORDS
        or bare in _KEYWORDS
        or _WEAK.fullmatch(bare)
    ):
        return False
    logprob = _logprob(bare)
    if logprob is not None and bare.endswith(_ABSTRACT) and len(bare) > 5:
        return False
    return logprob is None or logprob < CONTENT_LOGPROB


# Endings of verbs' past tenses and of abstract words ("requires additional
# information", "data protection officer"): a passphrase is made of things.
_ABSTRACT = (
    "ed",
    "tion",
    "sion",
    "ment",
    "ness",
    "ity",
    "ance",
    "ence",
    "ive",
    "ous",
    "ise",
    "ize",
    "ises",
    "izes",
    "ally",
    "ably",
    "ful",
    "ires",
    "ional",
    "ual",
    "ical",
    "ary",
    "ory",
)


def _is_digit_word(bare: str) -> bool:
    return (bare.isdigit() and len(bare) <= 2) or bare in NUMBER_WORDS or bare in ("double", "oh")


def spoken(text: str, context: str) -> List[Span]:
    """Spelled-out secrets: "capital W weasel 4 4 exclamation mark"."""
    if not (_SPELLING.search(text) or _SYMBOL.search(text)):
        return []
    tokens = list(_TOKEN.finditer(text))
    found: List[Span] = []
    i = 0
    while i < len(tokens):
        run = _spelled_run(text, tokens, i)
        if run is None:
            i += 1
            continue
        start, end, marks, rare, last = run
        if marks >= 3 or (marks >= 2 and (rare or context)):
            found.append((start, end))
        i = last + 1
    return found


def _spelled_run(text: str, tokens: list, i: int) -> Optional[Tuple[int, int, int, bool, int]]:
    """The spelled run starting at token ``i``: (start, end, marks, has a rare
    word, last token's index), or None when no run starts there."""
    first = i
    # "parrot with a capital P": a word before "with a capital" is its start.
    lead = " ".join(_bare(t.group()) for t in tokens[i + 1 : i + 4])
    if not _mark_at(tokens, i) and not (
        _is_content(tokens[i].group()) and re.match(r"with (?:a|an) (?:capital|big|small)", lead)
    ):
        return None
    marks, rare, last, j = 0, False, i, i
    while j < len(tokens):
        word = tokens[j].group()
        bare = _bare(word)
        width = _mark_at(tokens, j)
        if width:
            marks += 1
            j += width
            last = j - 1
        elif _is_digit_word(bare) or (len(bare) == 1 and bare.isalpha()):
            # Digits or letters said one by one: a group is one mark.
            digits = _is_digit_word(bare)
            k = j
            while k < len(tokens) and _same_group(_bare(tokens[k].group()), digits):
                k += 1
                if tokens[k - 1].group()[-1:] in ",;":
                    break
            marks += 1
            last, j = k - 1, k
        elif bare in _CONNECT:
            j += 1
        elif _is_content(word):
            rare = rare or is_uncommon(word)
            last, j = j, j + 1
        else:
            break
        if tokens[last].group()[-1:] in ",;" and last == j - 1:
            break
    start = tokens[first].start()
    end = tokens[last].start() + len(tokens[last].group().rstrip(",;.!?"))
    if text[end : end + 1] == "!" or _bare(tokens[last].group()) == "":
        end += 1
    return start, end, marks, rare, last


def _same_group(bare: str, digits: bool) -> bool:
    if digits:
        return _is_digit_word(bare)
    return len(bare) == 1 and bare.isalpha()


def _mark_at(tokens: list, j: int) -> int:
    """How many tokens a spelling mark at ``j`` takes (0: none there)."""
    for width in (3, 2, 1):
        if j + width > len(tokens):
            continue
        words = " ".join(_bare(t.group()) for t in tokens[j : j + width])
        if _SYMBOL.fullmatch(words):
            return width
        if _CASE.fullmatch(words):
            following = _bare(tokens[j + width].group()) if j + width < len(tokens) else ""
            # "capital W", "lower case kipper", "small letters marmalade"; not
            # "needs capital letters".
            if (len(following) == 1 and following.isalpha()) or _is_content(following):
                return width
    return 0


# Outside a message about passwords, a run of words is a passphrase only when
# the message sets or types it: "i put penguin duvet thaw cliff",
# "ferret colander rainbow anchor is what i set".
_SET_BEFORE = re.compile(
    r"(?:\bmine\s+is|\bmine's|(?<!can )(?<!could )\bi\s+(?:use|used)|"
    r"\b(?:set|reset|put|puts|typed|type|tried|try|chose|picked|made|changed)"
    r"(?:\s+(?:it|me))?(?:\s+(?:to|as))?|"
    r"(?:it|one)\s+(?:i\s+)?(?:did|made|set|use|used)\s+(?:was|is))\s*$",
    re.IGNORECASE,
)
_SET_AFTER = re.compile(
    r"^\s*(?:(?:is|was|thats|that's|=)\s+(?:what\s+i\s+(?:set|put|typed|used|use|chose|picked)|"
    r"the\s+new\s+one|my\s+new\s+one)|is\s+(?:that|this|it)\s+(?:ok|okay|strong|long|too|"
    r"enough|alright|fine|allowed|accepted)|should\s+(?:be|work|that)|ok\s+for\b|"
    r"too\s+(?:short|easy|long|weak|simple)|all\s+(?:lower|small|"
    r"one\s+word|together))\b",
    re.IGNORECASE,
)


# A message about a password in everyday words ("strong enough", "won't take
# it", "three words"), without naming one: a run of words after a linking word
# in it is a passphrase ("my new one is rowan tartan sherbet harbour").
_WEAK = re.compile(
    r"\b(?:strong|weak|easy|guess|words?|leaflet|advice|advises|symbol|capital|locked|"
    r"accepted|accept|work(?:s|ing)?|take\s+it|wrong|error|expir\w*|chang\w*|reset\w*|"
    r"new\s+one|old\s+one|last\s+one|remember\w*|forg[eo]t\w*|log\s?(?:in|on)|"
    r"sign\s?in|screen|typed|entered|tried|saved|counts?|enough|invalid|attempts?|save|spaces|"
    r"random|obvious|requirements?|caps|mine|letters|again|write)\b",
    re.IGNORECASE,
)
_LINK_BEFORE = re.compile(
    r"\b(?:is|was|were|to|as|use|do|did|entered|saved|written|like|its|it's|tried:?|still|put|"
    r"\d[.)])\s*\(?$",
    re.IGNORECASE,
)


def word_runs(text: str, context: str = "") -> List[Span]:
    """Three or more uncommon words in a row (with a number or a "!" after them):
    "walrus doormat sleet harbour", "toad umbrella sunset ferry 9". Outside
    ``context``, only where the message sets or types them."""
    tokens = list(_TOKEN.finditer(text))
    found: List[Span] = []
    i = 0
    while i < len(tokens):
        j, uncommon = i, 0
        while j < len(tokens) and _is_content(tokens[j].group().rstrip("!")):
            uncommon += is_uncommon(tokens[j].group().rstrip("!"))
            j += 1
            if tokens[j - 1].group()[-1:] in ",;.?":
                break
        if j - i >= 3 and uncommon >= 2:
            end = j
            while (
                end < len(tokens)
                and end - j < 2
                and re.fullmatch(r"\d{1,4}!?", tokens[end].group())
            ):
                end += 1
            last = tokens[end - 1]
            span = (tokens[i].start(), last.start() + len(last.group().rstrip(",;.?")))
            run = [t.group().rstrip("!,;.?") for t in tokens[i:j]]
            linked = (
                _LINK_BEFORE.search(text[: span[0]])
                or j - i >= 4
                or (sum(map(_very_uncommon, run)) >= 3 and all(w.islower() for w in run))
            )
            if context or _set_around(text, span) or (linked and _WEAK.search(text)):
                found.append(span)
            i = end
        else:
            i = max(j, i + 1)
    return found


_JOINED = re.compile(r"(?<![\w@/.-])[A-Za-z]+(?:[-._][A-Za-z]+){2,}[\d!?#*]*(?![\w@/-])")
_CAMEL = re.compile(r"(?<![\w@/.-])(?:[A-Z][a-z]{2,}){3,}[\d!?#*]*(?![\w@/-])")
# In context, eight letters will do ("pansyface"); outside it, ten.
_LONG = re.compile(r"(?<![\w@/.-])[a-z]{8,}(?![\w@/-])", re.IGNORECASE)


def _set_around(text: str, span: Span) -> bool:
    return bool(_SET_BEFORE.search(text[: span[0]]) or _SET_AFTER.match(text[span[1] :]))


def joined(text: str, rare: Callable[[str], bool], context: str = "") -> List[Span]:
    """Words joined into one token: "owl-sieve-drought-mermaid", "MoleTrayDewpoint",
    "harerugpuddlepaddle". ``rare``: nlp.secrets' test of a word no dictionary has.
    Outside ``context``, only where the message sets or types them."""
    found: List[Span] = []
    for match in _JOINED.finditer(text):
        bare = re.sub(r"[\d!?#*]+$", "", match.group())
        # Three or more uncommon words joined are a passphrase wherever they stand.
        alone = all(is_uncommon(part) for part in re.split(r"[-._]", bare))
        if not (context or alone or _set_around(text, match.span())):
            continue
        parts = re.split(r"[-._]", re.sub(r"[\d!?#*]+$", "", match.group()))
        if not any(
            p.lower() in EVERYDAY or p.lower() in ("www", "com", "uk", "net") for p in parts
        ):
            found.append(match.span())
    for match in _CAMEL.finditer(text):
        if context or len(match.group()) >= 12 or _set_around(text, match.span()):
            found.append(match.span())
    for match in _LONG.finditer(text):
        word = match.group().lower()
        if not context and not _set_around(text, match.span()):
            continue
        if word in EVERYDAY or word.endswith(("able", "ible", "ness", "tion", "ment", "ing")):
            continue
        if len(word) < 10 and not (context and _LINK_BEFORE.search(text[: match.start()])):
            continue
        if rare(word) and not any(
            w in word for w in ("nhs", "mail", "password", "account", "login")
        ):
            found.append(match.span())
    return found


# Right after a question about passwords or security questions (the user's or
# the assistant's), what follows these words is the answer: "like acorn
# lantern rainmac", "i told them cardigan bay", "a rabbit called nutmeg".
_ANSWER_LINK = re.compile(
    r"\b(?:like|put|called|named|told\s+(?:them|him|her)|mine\s+is|mine's|went\s+with|"
    r"considered|chose|picked|used|use|its|it's|it\s+was|was|is)\s+(?:my\s+\w+\s+\w+\s+)?$",
    re.IGNORECASE,
)


def answers(text: str, rare: Callable[[str], bool]) -> List[Span]:
    """The answer in a message sent right after password or security-question
    context: one to four words after a linking word, one of them uncommon;
    a single word only when no dictionary has it, or it is capitalised."""
    tokens = list(_TOKEN.finditer(text))
    found: List[Span] = []
    for i, token in enumerate(tokens):
        if not _ANSWER_LINK.search(text[: token.start()]):
            continue
        j = i
        while j < len(tokens) and j - i < 4 and _is_content(tokens[j].group()):
            j += 1
            if tokens[j - 1].group()[-1:] in ",;.?!":
                break
        words = [t.group() for t in tokens[i:j]]
        if not words:
            continue
        single = len(words) == 1 and (rare(words[0]) or words[0][:1].isupper())
        if single or (len(words) >= 2 and any(is_uncommon(w) for w in words)):
            last = tokens[j - 1]
            found.append((token.start(), last.start() + len(last.group().rstrip(",;.?!"))))
    return found


_QUOTED = re.compile(r"[\"“‘'](?P<q>[^\"”’'\n]{3,60})[\"”’']")
_CAPS_RUN = re.compile(r"(?<![\w'])(?:[A-Z]{3,}\s+){1,4}(?:[A-Z]{3,}|\d{1,4})(?![\w'])")


def widened(text: str, spans: List[Span], rare: Callable[[str], bool]) -> List[Span]:
    """More of a message already found to disclose a secret in context: the
    person has given one away, so what surrounds it in the same shape goes
    too. Each span runs on over uncommon words, digits and letters said one by
    one, and spelling words ("dipper at sign lyre at sign hornsea"); the
    answers after a linking word, quoted values and runs of capitals are added
    ("i put "jarrow turnstone flugelhorn" and then "Jarrow Turnstone
    Flugelhorn""). Masking a little more of a disclosing message costs little;
    a secret half kept costs a lot."""
    tokens = list(_TOKEN.finditer(text))
    out = list(spans)
    for start, end in spans:
        first = next((k for k, t in enumerate(tokens) if t.end() > start), None)
        last = max((k for k, t in enumerate(tokens) if t.start() < end), default=None)
        if first is None or last is None:
            continue
        while first > 0 and _runs_on(tokens, first - 1):
            first -= 1
        while last + 1 < len(tokens) and _runs_on(tokens, last + 1):
            if tokens[last].group()[-1:] in ".?!":
                break
            last += 1
        while first < last and _bare(tokens[first].group()) in _CONNECT:
            first += 1
        while last > first and _bare(tokens[last].group()) in _CONNECT:
            last -= 1
        head, tail = tokens[first].group(), tokens[last].group()
        out.append(
            (
                tokens[first].start() + len(head) - len(head.lstrip(_QUOTES)),
                tokens[last].start() + len(tail.rstrip(",;.?!:" + _QUOTES)),
            )
        )
    out += answers(text, rare)
    # Words no dictionary has, and very uncommon ones, are the likeliest
    # further answers ("ok so its mukarakate for the first one and shumba").
    out += [
        (
            t.start() + len(t.group()) - len(t.group().lstrip(_QUOTES)),
            t.start() + len(t.group().rstrip(",;.?!:" + _QUOTES)),
        )
        for t in tokens
        if rare(t.group()) or _very_uncommon(t.group())
    ]
    out += [m.span("q") for m in _QUOTED.finditer(text)]
    out += [m.span() for m in _CAPS_RUN.finditer(text)]
    return out


def _runs_on(tokens: list, k: int) -> bool:
    word = tokens[k].group()
    bare = _bare(word)
    if word.endswith(":") or bare in _KEYWORDS:  # a label: "pw:", "password"
        return False
    return bool(
        _mark_at(tokens, k)
        or _SYMBOL.fullmatch(bare)
        or bare in ("sign", "symbol", "mark", "case", "double", "space")
        or _is_digit_word(bare)
        or (len(bare) == 1 and bare.isalpha())
        or bare in ("then", "followed", "by")
        or (_is_content(word) and is_uncommon(word))
    )
