"""Blind conversation files: what each expected answer looks like in a reply.

tests/conversations/*.yml were written from the guide and docs/intents.md
alone; each user turn names the answer it expects (a topic, a compound pair,
``other_system``, ``scope``...). This module turns that name into checks on the
reply's text, built from the content file and domain.yml, so that a check
follows the content owner's wording instead of repeating it.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import yaml

from actions import guidance
from actions.content import Content

ROOT = Path(__file__).resolve().parents[2]
FILES = {
    "blind_dev": "tests/conversations/blind_dev.yml",
    "blind_final": "tests/conversations/blind_final.yml",
}
MENU_HEADING = "On the phone menu:"


@dataclass(frozen=True)
class Turn:
    user: str
    expect: str
    org: Optional[str]


@dataclass(frozen=True)
class Conversation:
    name: str
    kind: str
    turns: Sequence[Turn]


def load(name: str) -> List[Conversation]:
    data = yaml.safe_load((ROOT / FILES[name]).read_text(encoding="utf-8"))
    return [
        Conversation(
            c["name"],
            c.get("kind", "-"),
            [Turn(str(t["user"]), str(t["expect"]), t.get("org")) for t in c["turns"]],
        )
        for c in data["conversations"]
    ]


def _first_line(content: Content, topic: str) -> str:
    """The opening line of a topic's answer: what tells it apart from the others."""
    return guidance.render_topic(content, topic).text.split("\n")[0]


def _responses(domain: dict) -> Dict[str, str]:
    texts = {name: variants[0]["text"] for name, variants in domain["responses"].items()}
    return {
        "greet": texts["utter_greet"],
        "goodbye": texts["utter_goodbye"],
        "thanks": texts["utter_you_are_welcome"],
    }


def scope_openings(content: Content) -> List[str]:
    """How each out-of-scope reply opens: another system's, a visitor's, the
    urgent ones, anything else's, and the list of topics."""
    names = ("other_system", "not_for_me", "urgent_emergency", "urgent_safeguarding")
    openings = [content.fill(content.messages[n]).split(".")[0] for n in names]
    return openings + [
        content.fill(content.messages["other_short"]),
        content.fill(content.messages["scope"]),
        content.fill(content.messages["scope_follow_up"]),
    ]


def expected_fragments(content: Content, domain: dict, expect: str) -> List[str]:
    """Texts the reply must contain for ``expect``."""
    if expect in _responses(domain):
        return [_responses(domain)[expect]]
    if expect in ("ok", "no_problem"):
        return [content.fill(content.messages[expect])]
    if expect == "other_system":
        return [content.messages["other_system"].split(".")[0]]
    if expect == "not_all_deleted":
        return [content.fill(content.messages["reinstate_not_all"]).split(".")[0]]
    parts = guidance.compound_parts(expect) or [expect]
    return [_first_line(content, part) for part in parts]


def check(content: Content, domain: dict, turn: Turn, reply: str) -> Optional[str]:
    """None when ``reply`` is the answer ``turn`` expects, else what is wrong."""
    if turn.expect == "scope":
        # Any of the not-for-me replies (who is asking picks one), never the menu.
        if not any(opening in reply for opening in scope_openings(content)):
            return "expected an out-of-scope reply"
        if MENU_HEADING in reply:
            return "scope: the reply gives NHSmail's phone menu"
        return None
    missing = [f for f in expected_fragments(content, domain, turn.expect) if f not in reply]
    if missing:
        return f"expected {turn.expect}: missing {missing[0]!r}"
    if turn.expect == "other_system" and MENU_HEADING in reply:
        return "other_system: the reply gives NHSmail's phone menu"
    if turn.org:
        label = content.org_types[turn.org]["label"]
        step = f"Choose your organisation type: {label}."
        if step not in reply:
            return f"expected the menu for {turn.org}: missing {step!r}"
    return None


def run(
    conversation: Conversation, say: Callable[[str], str], content: Content, domain: dict
) -> Optional[str]:
    """Plays the conversation; None when every turn got its answer."""
    for number, turn in enumerate(conversation.turns, 1):
        reply = say(turn.user)
        problem = check(content, domain, turn, reply)
        if problem:
            return f"turn {number} {turn.user!r}: {problem}"
    return None
