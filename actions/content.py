"""Loads the content file and checks it, so that a content owner's slip is a
clear error at start-up rather than a wrong answer on a night shift.

The checks, section by section, are in content_check.py; this module builds
the ``Content`` the replies read once the file has none."""

import datetime
import logging
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import yaml

from actions.config import CONTENT_PATH
from actions.content_check import (  # noqa: F401  (the content file's names, for the replies)
    ALL_DELETED_TOPIC,
    BLOCKS,
    MFA_TOPIC,
    PREPARE_NEW_STARTER_TOPIC,
    REQUIRED_FACTS,
    REQUIRED_MESSAGES,
    REQUIRED_TOPICS,
    TOPIC_INTENTS,
    Problem,
    Review,
    check_content_file,
    check_text,
    overdue,
    path_lines,
    reviews,
    shown,
)

logger = logging.getLogger(__name__)

# A fact or section past its review date, as overdue_facts lists it.
Overdue = Review


class ContentError(ValueError):
    """The content file is missing something or contradicts itself: every
    problem, one a line, each with its place in the file."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("content file problems:\n" + "\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Offer:
    """The next step an answer offers; a "yes" gets ``topic``'s answer."""

    topic: str
    question: str


@dataclass(frozen=True)
class Topic:
    name: str
    title: str
    answer: Tuple[Union[str, Dict[str, str]], ...]
    cite: Tuple[str, ...]
    followups: Tuple[Button, ...]
    offer: Optional[Offer] = None


@dataclass(frozen=True)
class MenuStep:
    option: str
    label: str


@dataclass(frozen=True)
class Link:
    title: str
    url: str


@dataclass(frozen=True)
class Accessibility:
    """What the accessibility statement takes from the content file."""

    reviewed: datetime.date
    organisation: str
    contact_email: str
    contact_phone: str
    standard: Link
    advisory_service: Link


@dataclass(frozen=True)
class Content:
    facts: Mapping[str, str]
    sources: Mapping[str, Mapping[str, Optional[str]]]
    menu_first: MenuStep
    menu_agent: MenuStep
    default_org_type: str
    org_types: Mapping[str, Mapping[str, str]]
    checklist_items: Tuple[str, ...]
    site_items: Tuple[str, ...]
    manager_steps: Tuple[str, ...]
    topics: Mapping[str, Topic]
    messages: Mapping[str, str]
    scope_topics: Tuple[str, ...]
    scope_buttons: Tuple[str, ...]
    accessibility: Accessibility
    # The care provider's own contacts for visitors, by key ("phone", "jobs_url").
    provider_contact: Mapping[str, str]
    # Every fact and section with a review date, soonest due first.
    reviews: Tuple[Review, ...] = ()

    @cached_property
    def placeholders(self) -> Mapping[str, str]:
        """Every fact, and as ``{name_cap}`` with a capital first letter."""
        values = dict(self.facts)
        values.update({f"provider_{k}": v for k, v in self.provider_contact.items()})
        values.update({f"{k}_cap": v[:1].upper() + v[1:] for k, v in self.facts.items()})
        return values

    def fill(self, template: str, **extra: str) -> str:
        """``template`` with {fact} placeholders (and ``extra``) filled in."""
        return template.format_map({**self.placeholders, **extra} if extra else self.placeholders)


def _topic(name: str, raw: Mapping[str, Any]) -> Topic:
    offer = raw.get("offer")
    return Topic(
        name,
        str(raw["title"]),
        tuple(raw["answer"]),
        tuple(raw.get("cite") or []),
        tuple(Button(str(b["title"]), str(b["payload"])) for b in raw.get("followups") or []),
        Offer(str(offer["topic"]), str(offer["question"])) if offer is not None else None,
    )


def _accessibility(raw: Mapping[str, Any], sources: Mapping[str, Any]) -> Accessibility:
    def link(key: str) -> Link:
        source = sources[raw[key]]
        return Link(str(source["title"]), str(source["url"]))

    reviewed = raw["reviewed"]
    return Accessibility(
        reviewed=reviewed
        if isinstance(reviewed, datetime.date)
        else datetime.date.fromisoformat(str(reviewed)),
        organisation=raw["organisation"]["value"],
        contact_email=raw["contact_email"]["value"],
        contact_phone=raw["contact_phone"]["value"],
        standard=link("standard"),
        advisory_service=link("advisory_service"),
    )


def build_content(
    raw: Mapping[str, Any], lines: Optional[Mapping[str, int]] = None, file: str = ""
) -> Content:
    """The ``Content`` of a raw mapping that ``check_content`` found no problem
    in; ``lines`` (path_lines of its text) place each review date in ``file``."""
    menu, checklist = raw["phone_menu"], raw["identity_checklist"]
    return Content(
        facts={name: fact["value"] for name, fact in raw["facts"].items()},
        sources=raw["sources"],
        menu_first=MenuStep(str(menu["first"]["option"]), str(menu["first"]["label"])),
        menu_agent=MenuStep(str(menu["agent"]["option"]), str(menu["agent"]["label"])),
        default_org_type=menu["default_org_type"],
        org_types=menu["org_types"],
        checklist_items=tuple(checklist["items"]),
        site_items=tuple(checklist["site_items"]),
        manager_steps=tuple(raw["manager_route"]["steps"]),
        topics={name: _topic(name, topic) for name, topic in raw["topics"].items()},
        messages=raw["messages"],
        scope_topics=tuple(raw.get("scope_topics") or []),
        scope_buttons=tuple(raw.get("scope_buttons") or []),
        accessibility=_accessibility(raw["accessibility"], raw["sources"]),
        provider_contact={
            key: str(entry["value"]) for key, entry in (raw.get("provider_contact") or {}).items()
        },
        reviews=tuple(reviews(raw, lines or {}, file)),
    )


def load_content_file(path: Union[str, Path]) -> Content:
    """The content file at ``path``; ContentError lists every problem with its line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ContentError(
            [Problem("", f"cannot read the content file: {error}", None, shown(path))]
        ) from error
    problems = check_text(text, shown(path))
    if problems:
        raise ContentError(problems)
    return build_content(yaml.safe_load(text), path_lines(text), shown(path))


@lru_cache(maxsize=1)
def get_content() -> Content:
    """The content the actions answer from: read once per process."""
    return load_content_file(CONTENT_PATH)


def overdue_facts(content: Content, today: datetime.date) -> List[Overdue]:
    """The facts and sections past their review date on ``today``, soonest due first."""
    return overdue(content.reviews, today)


@lru_cache(maxsize=1)
def load_at_start_up() -> Content:
    """The content, read as a server starts, with one warning line per overdue
    fact, once per process. A late review is not a refusal: the facts were
    right when last checked, and staff still need an answer."""
    content = get_content()
    for review in overdue_facts(content, datetime.date.today()):
        logger.warning("%s", review.warning())
    return content
