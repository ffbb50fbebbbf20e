"""Loads the content file and checks it, so that a content owner's slip is a
clear error at start-up rather than a wrong answer on a night shift."""
import datetime
import string
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

import yaml

from actions.config import CONTENT_PATH
from nlp import intents

# Blocks that guidance.py assembles; a topic's answer may name them.
BLOCKS = ("helpdesk_contact", "menu_path", "identity_checklist", "manager_route")

# Intents answered from a topic of the same name.
TOPIC_INTENTS = intents.TOPICS
# Topics that answer a variant of an intent's question: every account linked
# to the shared mailbox is gone; an authenticator, a new phone or MFA codes.
ALL_DELETED_TOPIC = "reinstate_all_deleted"
MFA_TOPIC = "helpdesk_mfa"
REQUIRED_TOPICS = TOPIC_INTENTS + (ALL_DELETED_TOPIC, MFA_TOPIC)
REQUIRED_MESSAGES = (
    "secret_shared", "clarify", "clarify_other", "rephrase", "scope", "scope_other",
    "ask_all_accounts_deleted", "reinstate_not_all", "sources_heading",
    "input_empty", "input_too_long", "rate_limited", "unavailable", "affirm_question", "deny_question",
    "other_system", "org_noted", "ok", "no_problem",
)
# Placeholders a template may use besides the facts, filled per reply.
EXTRA_PLACEHOLDERS = ("org_label",)


class ContentError(ValueError):
    """The content file is missing something or contradicts itself."""


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

    @cached_property
    def placeholders(self) -> Mapping[str, str]:
        """Every fact, and as ``{name_cap}`` with a capital first letter."""
        values = dict(self.facts)
        values.update({f"{k}_cap": v[:1].upper() + v[1:] for k, v in self.facts.items()})
        return values

    def fill(self, template: str, **extra: str) -> str:
        """``template`` with {fact} placeholders (and ``extra``) filled in."""
        return template.format_map({**self.placeholders, **extra} if extra else self.placeholders)


def _problems_in_template(template: Any, where: str, known: set) -> List[str]:
    if not isinstance(template, str) or not template.strip():
        return [f"{where}: expected some text"]
    try:
        names = [field for _, field, _, _ in string.Formatter().parse(template) if field]
    except ValueError as error:
        return [f"{where}: {error} in {template!r}"]
    return [f"{where}: unknown placeholder {{{name}}}" for name in names if name not in known]


def _is_date(value: Any) -> bool:
    if isinstance(value, datetime.date):
        return True
    try:
        datetime.date.fromisoformat(str(value))
        return True
    except ValueError:
        return False


def parse_content(raw: Mapping[str, Any]) -> Content:
    """Checks the raw YAML mapping and builds a ``Content``; every problem at once."""
    problems: List[str] = []
    if not isinstance(raw, Mapping):
        raise ContentError("the content file must be a YAML mapping")
    if raw.get("schema_version") != 1:
        problems.append("schema_version must be 1")

    sources = raw.get("sources") or {}
    for name, source in sources.items():
        if not isinstance(source, Mapping) or not source.get("title"):
            problems.append(f"sources.{name}: needs a title")

    def check_sourced(where: str, entry: Any) -> None:
        if not isinstance(entry, Mapping):
            problems.append(f"{where}: expected a mapping")
            return
        if entry.get("source") not in sources:
            problems.append(f"{where}: source {entry.get('source')!r} is not in sources")
        if not _is_date(entry.get("reviewed")):
            problems.append(f"{where}: reviewed must be a date (YYYY-MM-DD)")

    facts: Dict[str, str] = {}
    for name, fact in (raw.get("facts") or {}).items():
        check_sourced(f"facts.{name}", fact)
        if isinstance(fact, Mapping) and isinstance(fact.get("value"), str) and fact["value"]:
            facts[name] = fact["value"]
        else:
            problems.append(f"facts.{name}: value must be non-empty text")

    known = set(facts) | {f"{k}_cap" for k in facts} | set(EXTRA_PLACEHOLDERS)

    menu = raw.get("phone_menu") or {}
    check_sourced("phone_menu", menu)
    steps = {}
    for step in ("first", "agent"):
        entry = menu.get(step) or {}
        if not entry.get("option") or not entry.get("label"):
            problems.append(f"phone_menu.{step}: needs an option and a label")
        steps[step] = MenuStep(str(entry.get("option", "")), str(entry.get("label", "")))
    org_types = menu.get("org_types") or {}
    if menu.get("default_org_type") not in org_types:
        problems.append("phone_menu.default_org_type must be one of phone_menu.org_types")
    for name, org in org_types.items():
        if not isinstance(org, Mapping) or not org.get("label") or not org.get("title"):
            problems.append(f"phone_menu.org_types.{name}: needs a label and a title")

    checklist = raw.get("identity_checklist") or {}
    check_sourced("identity_checklist", checklist)
    route = raw.get("manager_route") or {}
    check_sourced("manager_route", route)
    templated = {
        "identity_checklist.items": checklist.get("items"),
        "identity_checklist.site_items": checklist.get("site_items"),
        "manager_route.steps": route.get("steps"),
    }
    for where, items in templated.items():
        if not isinstance(items, list) or not items:
            problems.append(f"{where}: expected a list of lines")
            continue
        for i, item in enumerate(items):
            problems += _problems_in_template(item, f"{where}[{i}]", known)

    topics: Dict[str, Topic] = {}
    for name, topic in (raw.get("topics") or {}).items():
        where = f"topics.{name}"
        answer = topic.get("answer") or []
        if not topic.get("title") or not answer:
            problems.append(f"{where}: needs a title and an answer")
        for i, part in enumerate(answer):
            if isinstance(part, Mapping):
                if part.get("block") not in BLOCKS:
                    problems.append(f"{where}.answer[{i}]: unknown block {part.get('block')!r}")
            else:
                problems += _problems_in_template(part, f"{where}.answer[{i}]", known)
        for cited in topic.get("cite") or []:
            if cited not in sources or not sources[cited].get("url"):
                problems.append(f"{where}.cite: {cited!r} is not a source with a url")
        buttons = []
        for i, button in enumerate(topic.get("followups") or []):
            if not button.get("title") or not str(button.get("payload", "")).startswith("/"):
                problems.append(f"{where}.followups[{i}]: needs a title and a /payload")
            buttons.append(Button(str(button.get("title")), str(button.get("payload"))))
        offer = None
        if topic.get("offer") is not None:
            raw_offer = topic["offer"]
            if not isinstance(raw_offer, Mapping):
                problems.append(f"{where}.offer: expected a topic and a question")
            else:
                problems += _problems_in_template(raw_offer.get("question"), f"{where}.offer.question", known)
                offer = Offer(str(raw_offer.get("topic")), str(raw_offer.get("question")))
        topics[name] = Topic(
            name, str(topic.get("title", "")), tuple(answer),
            tuple(topic.get("cite") or []), tuple(buttons), offer,
        )
    for name in REQUIRED_TOPICS:
        if name not in topics:
            problems.append(f"topics.{name}: missing")
    for name, topic in topics.items():
        if topic.offer and topic.offer.topic not in topics:
            problems.append(f"topics.{name}.offer: {topic.offer.topic!r} is not a topic")

    messages = raw.get("messages") or {}
    for name in REQUIRED_MESSAGES:
        problems += _problems_in_template(messages.get(name), f"messages.{name}", known)

    scope_topics = tuple(raw.get("scope_topics") or [])
    scope_buttons = tuple(raw.get("scope_buttons") or [])
    for listed in scope_topics + scope_buttons:
        if listed not in topics:
            problems.append(f"scope: {listed!r} is not a topic")

    if problems:
        raise ContentError("content file problems:\n- " + "\n- ".join(problems))
    return Content(
        facts=facts,
        sources=sources,
        menu_first=steps["first"],
        menu_agent=steps["agent"],
        default_org_type=menu["default_org_type"],
        org_types=org_types,
        checklist_items=tuple(checklist["items"]),
        site_items=tuple(checklist["site_items"]),
        manager_steps=tuple(route["steps"]),
        topics=topics,
        messages=messages,
        scope_topics=scope_topics,
        scope_buttons=scope_buttons,
    )


def load_content_file(path: Path) -> Content:
    try:
        with open(path, encoding="utf-8") as handle:
            raw = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as error:
        raise ContentError(f"cannot read the content file {path}: {error}") from error
    return parse_content(raw)


@lru_cache(maxsize=1)
def get_content() -> Content:
    """The content the actions answer from: read once per process."""
    return load_content_file(CONTENT_PATH)
