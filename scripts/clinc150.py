"""CLINC150 (Larson et al., 2019), read from ../shared/data/clinc150/: a public
benchmark of everyday requests, none of them about NHSmail.

Its requests are read here and nowhere else, for `make eval` and the gate in
tests/test_open_world.py; none is copied into the project (the data set's
README says how it may be used).

The measure leaves out, by rule:
- requests that mention passwords, PINs, e-mail, log-ins or accounts
  (``MENTIONS_ACCOUNTS``): for an NHSmail assistant those are not plainly out
  of scope (mostly banking: "what's my account balance", "I forgot my PIN");
- the small talk that maps onto the assistant's own replies
  (``SMALL_TALK``): scored apart, on getting that reply.
"""

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "clinc150" / "data_full.json"
CITATION = (
    "CLINC150: Larson et al., An Evaluation Dataset for Intent Classification and "
    "Out-of-Scope Prediction, EMNLP-IJCNLP 2019 (ACL Anthology D19-1131), "
    "CC BY 3.0"
)

# Every split of data_full.json.
SPLITS = ("train", "val", "test", "oos_train", "oos_val", "oos_test")
# Left out of the measure: the words of an account's world.
MENTIONS_ACCOUNTS = re.compile(
    r"pass\s?words?|passcodes?|\bpins?\b|e-?mails?|log\s?-?(?:in|on)s?\b|sign\s?-?in|accounts?\b",
    re.IGNORECASE,
)
# CLINC150's small-talk intents and the assistant's intent for each.
SMALL_TALK = {
    "greeting": "greet",
    "goodbye": "goodbye",
    "thank_you": "thanks",
    "yes": "affirm",
    "no": "deny",
    "are_you_a_bot": "bot_challenge",
}


@dataclass(frozen=True)
class Request:
    text: str
    intent: str  # CLINC150's label ("oos" for its out-of-scope splits)
    split: str


def path() -> Path:
    return Path(os.environ.get("CLINC150_DATA", str(DATA)))


def available() -> bool:
    return path().is_file()


def load(splits: Sequence[str]) -> List[Request]:
    """The distinct requests of ``splits`` (e.g. "test", "oos_test"), in order."""
    data = json.loads(path().read_text(encoding="utf-8"))
    seen, requests = set(), []
    for split in splits:
        for text, intent in data[split]:
            key = " ".join(text.lower().split())
            if key in seen:
                continue
            seen.add(key)
            requests.append(Request(text, intent, split))
    return requests


def measured(requests: Sequence[Request]) -> List[Request]:
    """The requests of the main measure: no account words, no small talk."""
    return [
        r for r in requests if r.intent not in SMALL_TALK and not MENTIONS_ACCOUNTS.search(r.text)
    ]


def small_talk(requests: Sequence[Request]) -> List[Request]:
    return [r for r in requests if r.intent in SMALL_TALK]


def left_out(requests: Sequence[Request]) -> List[Request]:
    return [r for r in requests if r.intent not in SMALL_TALK and MENTIONS_ACCOUNTS.search(r.text)]


@dataclass(frozen=True)
class Shares:
    n: int
    topic: float  # answered with an NHSmail topic
    out_of_scope: float  # the out-of-scope reply
    fallback: float  # the clarifying buttons
    conversation: float  # a conversation reply (hello, yes, thanks...)

    def line(self) -> str:
        return (
            f"{self.n} requests: NHSmail topic {self.topic:.1%}, out of scope "
            f"{self.out_of_scope:.1%}, fallback {self.fallback:.1%}, conversation reply "
            f"{self.conversation:.1%}"
        )


def shares(acted: Sequence[str], topics: Sequence[str], conversation: Sequence[str]) -> Shares:
    """How the requests were answered, from the intent the dialogue acts on."""
    n = len(acted) or 1
    count: Dict[str, int] = {"topic": 0, "oos": 0, "fallback": 0, "conversation": 0}
    for intent in acted:
        if intent == "out_of_scope":
            count["oos"] += 1
        elif intent == "nlu_fallback":
            count["fallback"] += 1
        elif intent in conversation:
            count["conversation"] += 1
        elif intent in topics or "+" in intent:
            count["topic"] += 1
        else:
            count["oos"] += 1
    return Shares(
        len(acted),
        count["topic"] / n,
        count["oos"] / n,
        count["fallback"] / n,
        count["conversation"] / n,
    )


def small_talk_right(requests: Sequence[Request], acted: Sequence[str]) -> Optional[float]:
    """The share of small talk that got the assistant's own reply to it."""
    pairs = [(SMALL_TALK[r.intent], a) for r, a in zip(requests, acted)]
    return sum(g == a for g, a in pairs) / len(pairs) if pairs else None
