"""The report's figures, from the period's activity: what the page and the
terminal both show, computed once."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Dict, List, Optional, Sequence, Tuple

from nlp import intents
from nlp.intents import COMPOUND_SEPARATOR
from reports.grouping import Group, group_texts
from reports.tracker_data import Activity, Period, Vote


@dataclass
class Day:
    conversations: int = 0
    questions: int = 0
    fallbacks: int = 0
    out_of_scope: int = 0

    @property
    def fallback_rate(self) -> float:
        return 100 * self.fallbacks / self.questions if self.questions else 0.0

    @property
    def out_of_scope_rate(self) -> float:
        return 100 * self.out_of_scope / self.questions if self.questions else 0.0


@dataclass
class Summary:
    period: Period
    days: List[date]
    per_day: Dict[date, Day]
    conversations: int
    questions: int
    clicks: int
    fallbacks: int
    out_of_scope: int
    helpful: int
    unhelpful: int
    # (topic, questions whose answer covered it); a compound answer counts for each topic.
    topics: List[Tuple[str, int]]
    # (answer voted on, helpful, unhelpful); a compound answer is one answer.
    votes_per_topic: List[Tuple[str, int, int]]
    channels: List[Tuple[str, int]]
    unanswered_groups: List[Group]
    unhelpful_votes: List[Vote]
    # None: the content has no review dates to check.
    overdue: Optional[Sequence[Any]]
    clipped_note: Optional[str] = field(default=None)
    # (who was asking, count): out-of-scope messages counted, never shown.
    sensitive: List[Tuple[str, int]] = field(default_factory=list)

    def percent(self, count: int) -> str:
        return f"{100 * count / self.questions:.1f}%" if self.questions else "0.0%"


def _ranked(counted: Counter) -> List[Tuple[str, int]]:
    return sorted(counted.items(), key=lambda pair: (-pair[1], pair[0]))


def topic_label(topic: Optional[str]) -> str:
    return " + ".join(topic.split(COMPOUND_SEPARATOR)) if topic else "(no topic)"


# The report's words for the sensitive kinds of out-of-scope message.
SENSITIVE_LABELS = {
    "visitor": "visitors (families, residents, applicants, suppliers)",
    "safeguarding": "worries of abuse or neglect",
    "emergency": "someone in danger",
}


def summarise(activity: Activity, overdue: Optional[Sequence[Any]]) -> Summary:
    days = activity.days()
    per_day = {day: Day() for day in days}
    for day in days:
        per_day[day].conversations = activity.conversations(day)
    questions = activity.questions
    for question in questions:
        counts = per_day[question.day]
        counts.questions += 1
        counts.fallbacks += question.intent == intents.NLU_FALLBACK
        counts.out_of_scope += question.intent == intents.OUT_OF_SCOPE
    topics: Counter = Counter(
        part
        for question in questions
        if question.topic
        for part in question.topic.split(COMPOUND_SEPARATOR)
    )
    yes: Counter = Counter(topic_label(v.topic) for v in activity.votes if v.helpful)
    no: Counter = Counter(topic_label(v.topic) for v in activity.votes if not v.helpful)
    voted = sorted(set(yes) | set(no), key=lambda t: (-(yes[t] + no[t]), t))
    span = activity.period
    return Summary(
        period=span,
        days=days,
        per_day=per_day,
        conversations=activity.conversations(),
        questions=len(questions),
        clicks=len(activity.clicks),
        fallbacks=sum(d.fallbacks for d in per_day.values()),
        out_of_scope=sum(d.out_of_scope for d in per_day.values()),
        helpful=sum(yes.values()),
        unhelpful=sum(no.values()),
        topics=_ranked(topics),
        votes_per_topic=[(t, yes[t], no[t]) for t in voted],
        channels=_ranked(Counter(q.channel for q in questions)),
        unanswered_groups=group_texts([(u.text, u.kind) for u in activity.unanswered]),
        unhelpful_votes=[v for v in activity.votes if not v.helpful],
        overdue=overdue,
        sensitive=_ranked(
            Counter({SENSITIVE_LABELS.get(k, k): n for k, n in activity.sensitive.items()})
        ),
        clipped_note=(
            f"--from {span.asked_start} is older than the retention period: "
            f"the report starts at {span.start}."
            if span.asked_start
            else None
        ),
    )


def printable(text: str) -> str:
    """``text`` without control characters: a typed escape sequence must not
    drive the owner's terminal."""
    return "".join(c if c.isprintable() else "?" for c in text)


def terminal(summary: Summary, page: str, top: int = 5) -> str:
    """The one-screen summary, no user text beyond the unanswered questions'."""
    span = summary.period
    lines = [f"Report {span.start} to {span.end} (UTC)"]
    if summary.clipped_note:
        lines.append(f"  {summary.clipped_note}")
    lines += [
        f"  conversations: {summary.conversations}",
        f"  questions: {summary.questions} (and {summary.clicks} button clicks)",
        f"  fallback: {summary.fallbacks} ({summary.percent(summary.fallbacks)})",
        f"  out of scope: {summary.out_of_scope} ({summary.percent(summary.out_of_scope)})",
        f"  votes: {summary.helpful} helpful, {summary.unhelpful} unhelpful",
        "  not for this assistant, counted only: "
        + (", ".join(f"{label} {count}" for label, count in summary.sensitive) or "none"),
        f"  unanswered: {len(summary.unanswered_groups)} group(s), top {top}:",
    ]
    for group in summary.unanswered_groups[:top]:
        lines.append(
            f"    {group.count:>3} x  {printable(group.example)}  [{', '.join(group.kinds)}]"
        )
    if summary.overdue is None:
        lines.append("  overdue facts: review dates not available")
    else:
        lines.append(f"  overdue facts: {len(summary.overdue)}")
    lines.append(f"  page: {page}")
    return "\n".join(lines)
