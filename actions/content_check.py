"""What the content file must hold, checked one section at a time.

Each ``check_<section>`` returns the section's problems, each naming its YAML
path (``topics.reset_password.offer.topic``); ``check_content_file`` adds the
line each path is on, so a content owner's slips are all reported together,
each where it is. Pure: no Rasa, nothing cached.
"""

import argparse
import datetime
import re
import string
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Union
from urllib.parse import urlsplit

import yaml
from dateutil.relativedelta import relativedelta

from actions.config import CONTENT_PATH, PROJECT_ROOT
from nlp import intents

# Blocks that guidance.py assembles; a topic's answer may name them.
BLOCKS = ("helpdesk_contact", "menu_path", "identity_checklist", "manager_route")
# Intents answered from a topic of the same name.
TOPIC_INTENTS = intents.TOPICS
# Topics that answer a variant of an intent's question: every account linked
# to the shared mailbox is gone; an authenticator, a new phone or MFA codes.
ALL_DELETED_TOPIC = "reinstate_all_deleted"
MFA_TOPIC = "helpdesk_mfa"
# What to have ready when the call is to add a new starter (not the account
# holder's own checklist).
PREPARE_NEW_STARTER_TOPIC = "prepare_new_starter"
REQUIRED_TOPICS = TOPIC_INTENTS + (ALL_DELETED_TOPIC, MFA_TOPIC, PREPARE_NEW_STARTER_TOPIC)
REQUIRED_MESSAGES = (
    "secret_shared",
    "clarify",
    "clarify_other",
    "rephrase",
    "scope",
    "scope_other",
    "ask_all_accounts_deleted",
    "reinstate_not_all",
    "sources_heading",
    "input_empty",
    "input_too_long",
    "rate_limited",
    "unavailable",
    "affirm_question",
    "deny_question",
    "other_system",
    "org_noted",
    "ok",
    "no_problem",
    "feedback_question",
    "feedback_yes_button",
    "feedback_no_button",
    "feedback_thanks",
    "feedback_sorry",
    "not_for_me",
    "visitor_lead",
    "bereaved",
    "colleague_died",
    "urgent_emergency",
    "urgent_safeguarding",
    "other_short",
    "danger_line",
    "scope_follow_up",
)
# Facts that guidance.py's own lines name (the helpdesk block).
REQUIRED_FACTS = (
    "helpdesk_phone",
    "helpdesk_email",
    "helpdesk_hours",
    # The urgent replies' routes (messages urgent_emergency, urgent_safeguarding).
    "emergency_number",
    "safeguarding_url",
    "cqc_phone",
    "cqc_url",
)
# The care provider's own contacts, for visitors (`provider_contact`): each is
# a template placeholder as ``provider_<key>``. ``find_home_url`` is optional
# (a provider with one home leaves it out).
PROVIDER_CONTACT = ("name", "phone", "email", "enquiries_url", "jobs_url", "complaints_url")
PROVIDER_CONTACT_OPTIONAL = ("find_home_url",)


def is_web_page(text: str) -> bool:
    """An https link to a named host, with no spaces: what a reply can link."""
    parts = urlsplit(text)
    return parts.scheme == "https" and "." in parts.netloc and not any(c.isspace() for c in text)


# The accessibility statement's facts (the care provider's own), and its keys
# that name a source with a url, which the statement links.
ACCESSIBILITY_FACTS = ("organisation", "contact_email", "contact_phone")
ACCESSIBILITY_SOURCES = ("standard", "advisory_service")
# What the statement's mailto: and tel: links are made from.
EMAIL_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_NUMBER = re.compile(r"\+?[0-9][0-9 ]{8,18}[0-9]")
# Placeholders a template may use besides the facts, filled per reply.
EXTRA_PLACEHOLDERS = ("org_label",)
SCHEMA_VERSION = 1
# Months between reviews when the file's `review.every_months` does not say.
DEFAULT_REVIEW_MONTHS = 6
# The key by which a fact or a section overrides the file's review interval.
REVIEW_OVERRIDE = "review_every_months"


@dataclass(frozen=True)
class Problem:
    """One slip: where it is (the YAML path, and the line once the file is
    known) and what is wrong."""

    path: str
    message: str
    line: Optional[int] = None
    file: str = ""

    def __str__(self) -> str:
        where = ":".join(str(part) for part in (self.file, self.line) if part)
        return ": ".join(part for part in (where, self.path, self.message) if part)


Problems = List[Problem]


# --- shared checks --------------------------------------------------------------


def _mapping(value: Any, path: str, problems: Problems) -> Mapping[str, Any]:
    """``value`` if it is a mapping; otherwise {} and a problem (unless absent)."""
    if isinstance(value, Mapping):
        return value
    problems.append(Problem(path, "missing" if value is None else "expected a mapping"))
    return {}


def _names(value: Any, mapping: Mapping[str, Any]) -> bool:
    """``value`` is the name of an entry of ``mapping``."""
    return isinstance(value, str) and value in mapping


def _is_date(value: Any) -> bool:
    if isinstance(value, datetime.date):
        return True
    try:
        datetime.date.fromisoformat(str(value))
        return True
    except ValueError:
        return False


def _is_months(value: Any) -> bool:
    """A positive whole number of months (YAML's true is not one)."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def check_template(template: Any, path: str, known: Set[str]) -> Problems:
    """Text whose {placeholders} are all known."""
    if template is None:
        return [Problem(path, "missing")]
    if not isinstance(template, str) or not template.strip():
        return [Problem(path, "expected some text")]
    try:
        names = [field for _, field, _, _ in string.Formatter().parse(template) if field]
    except ValueError as error:
        return [Problem(path, f"{error} in {template!r}")]
    return [Problem(path, f"unknown placeholder {{{name}}}") for name in names if name not in known]


def check_lines(items: Any, path: str, known: Set[str]) -> Problems:
    """A non-empty list of templates."""
    if not isinstance(items, list) or not items:
        return [Problem(path, "expected a list of lines")]
    return [p for i, item in enumerate(items) for p in check_template(item, f"{path}[{i}]", known)]


def check_sourced(entry: Mapping[str, Any], path: str, sources: Mapping[str, Any]) -> Problems:
    """An entry that says where it comes from and when that was checked."""
    problems = []
    if not _names(entry.get("source"), sources):
        problems.append(Problem(f"{path}.source", f"{entry.get('source')!r} is not in sources"))
    if not _is_date(entry.get("reviewed")):
        problems.append(Problem(f"{path}.reviewed", "must be a date (YYYY-MM-DD)"))
    if REVIEW_OVERRIDE in entry and not _is_months(entry[REVIEW_OVERRIDE]):
        problems.append(
            Problem(f"{path}.{REVIEW_OVERRIDE}", "must be a positive whole number of months")
        )
    return problems


def placeholders(facts: Mapping[str, Any]) -> Set[str]:
    """The placeholders templates may use: each fact, as is and ``_cap``, and
    the provider's contacts as ``provider_<key>``."""
    provider = {f"provider_{key}" for key in PROVIDER_CONTACT + PROVIDER_CONTACT_OPTIONAL}
    return set(facts) | {f"{name}_cap" for name in facts} | set(EXTRA_PLACEHOLDERS) | provider


# --- the sections ---------------------------------------------------------------


def check_schema(raw: Mapping[str, Any]) -> Problems:
    if raw.get("schema_version") != SCHEMA_VERSION:
        return [Problem("schema_version", f"must be {SCHEMA_VERSION}")]
    return []


def check_review(value: Any) -> Problems:
    """The file's review interval: optional, and then a whole number of months."""
    if value is None:
        return []
    if not isinstance(value, Mapping):
        return [Problem("review", "expected a mapping, as {every_months: 6}")]
    if not _is_months(value.get("every_months")):
        return [Problem("review.every_months", "must be a positive whole number of months")]
    return []


def check_sources(value: Any) -> Problems:
    problems: Problems = []
    for name, source in _mapping(value, "sources", problems).items():
        if not isinstance(source, Mapping) or not source.get("title"):
            problems.append(Problem(f"sources.{name}.title", "missing"))
    return problems


def check_facts(value: Any, sources: Mapping[str, Any]) -> Problems:
    problems: Problems = []
    facts = _mapping(value, "facts", problems)
    problems += [
        Problem(f"facts.{name}", "missing") for name in REQUIRED_FACTS if name not in facts
    ]
    for name, fact in facts.items():
        if not isinstance(fact, Mapping):
            problems.append(
                Problem(f"facts.{name}", "expected a value, a source and a reviewed date")
            )
            continue
        if not isinstance(fact.get("value"), str) or not fact["value"]:
            problems.append(Problem(f"facts.{name}.value", "must be non-empty text"))
        problems += check_sourced(fact, f"facts.{name}", sources)
    return problems


def check_phone_menu(value: Any, sources: Mapping[str, Any]) -> Problems:
    problems: Problems = []
    menu = _mapping(value, "phone_menu", problems)
    if not menu:
        return problems
    problems += check_sourced(menu, "phone_menu", sources)
    for step in ("first", "agent"):
        entry = menu.get(step)
        if not isinstance(entry, Mapping) or not entry.get("option") or not entry.get("label"):
            problems.append(Problem(f"phone_menu.{step}", "needs an option and a label"))
    org_types = _mapping(menu.get("org_types"), "phone_menu.org_types", problems)
    for name, org in org_types.items():
        if not isinstance(org, Mapping) or not org.get("label") or not org.get("title"):
            problems.append(Problem(f"phone_menu.org_types.{name}", "needs a label and a title"))
    if not _names(menu.get("default_org_type"), org_types):
        problems.append(
            Problem(
                "phone_menu.default_org_type",
                f"{menu.get('default_org_type')!r} is not one of phone_menu.org_types",
            )
        )
    return problems


def check_identity_checklist(value: Any, sources: Mapping[str, Any], known: Set[str]) -> Problems:
    problems: Problems = []
    checklist = _mapping(value, "identity_checklist", problems)
    if checklist:
        problems += check_sourced(checklist, "identity_checklist", sources)
        problems += check_lines(checklist.get("items"), "identity_checklist.items", known)
        problems += check_lines(checklist.get("site_items"), "identity_checklist.site_items", known)
    return problems


def check_manager_route(value: Any, sources: Mapping[str, Any], known: Set[str]) -> Problems:
    problems: Problems = []
    route = _mapping(value, "manager_route", problems)
    if route:
        problems += check_sourced(route, "manager_route", sources)
        problems += check_lines(route.get("steps"), "manager_route.steps", known)
    return problems


def check_topic(
    topic: Mapping[str, Any],
    path: str,
    sources: Mapping[str, Any],
    known: Set[str],
    topic_names: Mapping[str, Any],
) -> Problems:
    problems: Problems = []
    if not topic.get("title"):
        problems.append(Problem(f"{path}.title", "missing"))
    answer = topic.get("answer")
    if not isinstance(answer, list) or not answer:
        problems.append(Problem(f"{path}.answer", "expected a list of paragraphs and blocks"))
        answer = []
    for i, part in enumerate(answer):
        if isinstance(part, Mapping):
            if part.get("block") not in BLOCKS:
                problems.append(
                    Problem(f"{path}.answer[{i}].block", f"unknown block {part.get('block')!r}")
                )
        else:
            problems += check_template(part, f"{path}.answer[{i}]", known)
    cite = topic.get("cite") or []
    if not isinstance(cite, list):
        problems.append(Problem(f"{path}.cite", "expected a list of sources"))
        cite = []
    for i, cited in enumerate(cite):
        source = sources.get(cited) if isinstance(cited, str) else None
        if not isinstance(source, Mapping) or not source.get("url"):
            problems.append(Problem(f"{path}.cite[{i}]", f"{cited!r} is not a source with a url"))
    followups = topic.get("followups") or []
    if not isinstance(followups, list):
        problems.append(Problem(f"{path}.followups", "expected a list of buttons"))
        followups = []
    for i, button in enumerate(followups):
        if (
            not isinstance(button, Mapping)
            or not button.get("title")
            or not str(button.get("payload", "")).startswith("/")
        ):
            problems.append(Problem(f"{path}.followups[{i}]", "needs a title and a /payload"))
    if topic.get("offer") is not None:
        offer = topic["offer"]
        if not isinstance(offer, Mapping):
            problems.append(Problem(f"{path}.offer", "expected a topic and a question"))
        else:
            if not _names(offer.get("topic"), topic_names):
                problems.append(
                    Problem(f"{path}.offer.topic", f"{offer.get('topic')!r} is not a topic")
                )
            problems += check_template(offer.get("question"), f"{path}.offer.question", known)
    return problems


def check_topics(value: Any, sources: Mapping[str, Any], known: Set[str]) -> Problems:
    problems: Problems = []
    topics = _mapping(value, "topics", problems)
    for name, topic in topics.items():
        topic = _mapping(topic, f"topics.{name}", problems)
        if topic:
            problems += check_topic(topic, f"topics.{name}", sources, known, topics)
    problems += [
        Problem(f"topics.{name}", "missing") for name in REQUIRED_TOPICS if name not in topics
    ]
    return problems


def check_messages(value: Any, known: Set[str]) -> Problems:
    problems: Problems = []
    messages = _mapping(value, "messages", problems)
    for name in REQUIRED_MESSAGES:
        problems += check_template(messages.get(name), f"messages.{name}", known)
    return problems


def check_accessibility(value: Any, sources: Mapping[str, Any]) -> Problems:
    """The accessibility statement's review date, the care provider's facts
    (who runs the chat, where to report a problem) and the sources it links."""
    problems: Problems = []
    section = _mapping(value, "accessibility", problems)
    if not section:
        return problems
    if not _is_date(section.get("reviewed")):
        problems.append(
            Problem(
                "accessibility.reviewed",
                "must be a date (YYYY-MM-DD): the day the statement was last reviewed",
            )
        )
    if REVIEW_OVERRIDE in section and not _is_months(section[REVIEW_OVERRIDE]):
        problems.append(
            Problem(f"accessibility.{REVIEW_OVERRIDE}", "must be a positive whole number of months")
        )
    for name in ACCESSIBILITY_FACTS:
        form = {"contact_email": "email", "contact_phone": "phone"}.get(name, "text")
        problems += check_contact(section.get(name), f"accessibility.{name}", form, sources)
    for key in ACCESSIBILITY_SOURCES:
        named = section.get(key)
        source = sources.get(named) if isinstance(named, str) else None
        if not isinstance(source, Mapping) or not source.get("url"):
            problems.append(
                Problem(f"accessibility.{key}", f"{named!r} is not a source with a url")
            )
    return problems


def check_contact(entry: Any, path: str, form: str, sources: Mapping[str, Any]) -> Problems:
    """One contact a reply or page gives: a value of its ``form`` ("text",
    "phone", "email" or an https "page"), with a source and a reviewed date."""
    if entry is None:
        return [Problem(path, "missing")]
    if not isinstance(entry, Mapping):
        return [Problem(path, "expected a value, a source and a reviewed date")]
    problems: Problems = []
    text = entry.get("value")
    if not isinstance(text, str) or not text.strip():
        problems.append(Problem(f"{path}.value", "must be non-empty text"))
    elif form == "email" and not EMAIL_ADDRESS.fullmatch(text):
        problems.append(Problem(f"{path}.value", f"{text!r} is not an email address"))
    elif form == "phone" and not PHONE_NUMBER.fullmatch(text):
        problems.append(
            Problem(f"{path}.value", f"{text!r} is not a phone number (digits and spaces)")
        )
    elif form == "page" and not is_web_page(text):
        problems.append(Problem(f"{path}.value", f"{text!r} is not an https link"))
    return problems + check_sourced(entry, path, sources)


def check_provider_contact(value: Any, sources: Mapping[str, Any]) -> Problems:
    """The care provider's contacts for visitors: each sourced and dated, the
    phone a phone number, the email an address, the pages https links."""
    problems: Problems = []
    section = _mapping(value, "provider_contact", problems)
    if value is None:
        return [Problem("provider_contact", "missing: the provider's contacts for visitors")]
    for key in PROVIDER_CONTACT + PROVIDER_CONTACT_OPTIONAL:
        if section.get(key) is None and key in PROVIDER_CONTACT_OPTIONAL:
            continue
        form = "page" if key.endswith("_url") else key if key in ("phone", "email") else "text"
        problems += check_contact(section.get(key), f"provider_contact.{key}", form, sources)
    unknown = sorted(set(section) - set(PROVIDER_CONTACT + PROVIDER_CONTACT_OPTIONAL))
    problems += [
        Problem(f"provider_contact.{key}", "is not a contact this file knows") for key in unknown
    ]
    return problems


def check_scope(raw: Mapping[str, Any], topic_names: Mapping[str, Any]) -> Problems:
    """The topics listed when the assistant says what it can help with."""
    problems = []
    for key in ("scope_topics", "scope_buttons"):
        listed = raw.get(key) or []
        if not isinstance(listed, list):
            problems.append(Problem(key, "expected a list of topics"))
            continue
        problems += [
            Problem(f"{key}[{i}]", f"{name!r} is not a topic")
            for i, name in enumerate(listed)
            if not _names(name, topic_names)
        ]
    return problems


def check_content(raw: Any) -> Problems:
    """Every problem of the parsed content file, by YAML path."""
    if not isinstance(raw, Mapping):
        return [Problem("", "the content file must be a YAML mapping")]
    sources: Mapping[str, Any] = raw["sources"] if isinstance(raw.get("sources"), Mapping) else {}
    facts: Mapping[str, Any] = raw["facts"] if isinstance(raw.get("facts"), Mapping) else {}
    topics: Mapping[str, Any] = raw["topics"] if isinstance(raw.get("topics"), Mapping) else {}
    known = placeholders(facts)
    return [
        *check_schema(raw),
        *check_review(raw.get("review")),
        *check_sources(raw.get("sources")),
        *check_facts(raw.get("facts"), sources),
        *check_phone_menu(raw.get("phone_menu"), sources),
        *check_identity_checklist(raw.get("identity_checklist"), sources, known),
        *check_manager_route(raw.get("manager_route"), sources, known),
        *check_topics(raw.get("topics"), sources, known),
        *check_messages(raw.get("messages"), known),
        *check_scope(raw, topics),
        *check_accessibility(raw.get("accessibility"), sources),
        *check_provider_contact(raw.get("provider_contact"), sources),
    ]


# --- where each path is in the file -------------------------------------------------


def path_lines(text: str) -> Dict[str, int]:
    """The line (from 1) of every YAML path in ``text``: a key's own line, a
    list item's first line. Raises yaml.YAMLError, and a duplicated key (which
    YAML loaders silently drop) is a yaml.MarkedYAMLError too."""
    lines: Dict[str, int] = {}

    def walk(node: yaml.Node, path: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = f"{path}.{key.value}" if path else str(key.value)
                if child in lines:
                    raise yaml.MarkedYAMLError(
                        problem=f"{child}: duplicated key (first on line {lines[child]})",
                        problem_mark=key.start_mark,
                    )
                lines[child] = key.start_mark.line + 1
                walk(value, child)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[f"{path}[{i}]"] = item.start_mark.line + 1
                walk(item, f"{path}[{i}]")

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is not None:
        lines[""] = root.start_mark.line + 1
        walk(root, "")
    return lines


def line_of(path: str, lines: Mapping[str, int]) -> Optional[int]:
    """The line of ``path``, or of its nearest ancestor in the file (a missing
    key is reported where its parent is)."""
    while path not in lines and path:
        path = path.rsplit("[", 1)[0] if path.endswith("]") else path.rpartition(".")[0]
    return lines.get(path)


def shown(path: Union[str, Path]) -> str:
    """``path`` relative to the project, as errors show it."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def check_text(text: str, file: str = "") -> Problems:
    """Every problem of the content file's ``text``, with its line."""
    try:
        lines = path_lines(text)
        raw = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = str(error.problem or error)
        if error.context and error.context_mark:
            message += f" ({error.context}, which starts on line {error.context_mark.line + 1})"
        return [Problem("", message, mark.line + 1 if mark else None, file)]
    except yaml.YAMLError as error:
        return [Problem("", str(error), None, file)]
    located = [replace(p, line=line_of(p.path, lines), file=file) for p in check_content(raw)]
    return sorted(located, key=lambda problem: problem.line or 0)


# --- review dates -----------------------------------------------------------------


@dataclass(frozen=True)
class Review:
    """When an entry (a fact, or a section with its own source) was last
    checked against its source, and when it is due to be checked again."""

    key: str
    reviewed: datetime.date
    due: datetime.date
    # The entry's `reviewed` line: the line a content owner edits.
    line: Optional[int]
    source: Optional[str]
    file: str = ""

    def warning(self) -> str:
        where = ":".join(str(part) for part in (self.file, self.line) if part)
        return (
            f"Content review overdue: {self.key} ({where}) was reviewed "
            f"{self.reviewed.isoformat()}, due {self.due.isoformat()}."
        )


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` plus whole calendar months; a day the month lacks becomes its
    last (31 August + 6 months is 28 or 29 February)."""
    result: datetime.date = day + relativedelta(months=months)
    return result


def _as_date(value: Any) -> Optional[datetime.date]:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return None


def reviews(raw: Mapping[str, Any], lines: Mapping[str, int], file: str = "") -> List[Review]:
    """Every fact and section with a `reviewed` date, soonest due first. An
    entry whose date or interval is malformed is left out: check_content
    names it."""
    review = raw.get("review")
    every = review.get("every_months") if isinstance(review, Mapping) else None
    default = every if _is_months(every) else DEFAULT_REVIEW_MONTHS
    facts: Mapping[str, Any] = raw["facts"] if isinstance(raw.get("facts"), Mapping) else {}
    statement = raw.get("accessibility")
    statement_facts = statement if isinstance(statement, Mapping) else {}
    contacts = raw.get("provider_contact")
    provider: Mapping[str, Any] = contacts if isinstance(contacts, Mapping) else {}
    entries = (
        [(f"facts.{name}", fact) for name, fact in facts.items()]
        + [(key, section) for key, section in raw.items() if key != "facts"]
        + [(f"accessibility.{name}", statement_facts.get(name)) for name in ACCESSIBILITY_FACTS]
        + [(f"provider_contact.{name}", entry) for name, entry in provider.items()]
    )
    found = []
    for key, entry in entries:
        if not isinstance(entry, Mapping) or "reviewed" not in entry:
            continue
        reviewed = _as_date(entry["reviewed"])
        months = entry.get(REVIEW_OVERRIDE, default)
        if reviewed is None or not _is_months(months):
            continue
        source = entry.get("source")
        found.append(
            Review(
                key,
                reviewed,
                add_months(reviewed, months),
                line_of(f"{key}.reviewed", lines),
                source if isinstance(source, str) else None,
                file,
            )
        )
    return sorted(found, key=lambda r: (r.due, r.line or 0))


def overdue(found: Sequence[Review], today: datetime.date) -> List[Review]:
    """The reviews past their due date on ``today`` (on the due date itself
    a fact is due, not yet overdue)."""
    return [review for review in found if review.due < today]


def check_content_file(path: Union[str, Path]) -> Problems:
    """Every problem of the content file at ``path``, each with its line and
    YAML path ([] when it is fine): what `make check-content` prints."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return [Problem("", f"cannot read the content file: {error}", None, shown(path))]
    return check_text(text, shown(path))


def main(argv: Optional[Sequence[str]] = None, today: Optional[datetime.date] = None) -> int:
    """`make check-content`: the problems of a content file, each with its
    line, then its overdue facts as warnings, then a summary. 1 when the file
    has a problem; an overdue fact alone is not one."""
    parser = argparse.ArgumentParser(
        description="Check the content file on its own: no Rasa, no model, no services."
    )
    parser.add_argument("path", nargs="?", default=str(CONTENT_PATH), help="default: %(default)s")
    path = parser.parse_args(argv).path
    file = shown(path)
    problems = check_content_file(path)
    late: List[Review] = []
    try:
        text = Path(path).read_text(encoding="utf-8")
        raw, lines = yaml.safe_load(text), path_lines(text)
        if isinstance(raw, Mapping):
            late = overdue(reviews(raw, lines, file), today or datetime.date.today())
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        pass  # check_content_file reports why the file cannot be read
    for problem in problems:
        print(problem)
    for review in late:
        print(f"warning: {review.warning()}")
    due = f"{len(late)} {'fact' if len(late) == 1 else 'facts'} overdue for review"
    if problems:
        print(f"{file}: {len(problems)} problem{'s' if len(problems) != 1 else ''}; {due}.")
        return 1
    print(f"{file} is valid; {due}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
