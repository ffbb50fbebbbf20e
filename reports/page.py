"""results/report.html: one self-contained page, charts as inline SVG.

No script, no stylesheet or font from elsewhere: the page opens offline and
from a file, and an e-mailed copy shows the same. matplotlib draws text as
paths (svg.fonttype "path"), so the charts need no font either. Every piece
of user text goes through html.escape: what staff typed can hold markup.
"""

import html
import io
from datetime import date
from typing import Any, Dict, List, Optional, Sequence, Tuple

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

from reports.grouping import Group  # noqa: E402
from reports.summary import Summary  # noqa: E402

plt.rcParams.update({"svg.fonttype": "path", "svg.hashsalt": "report", "font.size": 9})
HELPFUL, UNHELPFUL = "#2e7d32", "#c62828"

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem auto; max-width: 60rem; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; vertical-align: top; }
td.n { text-align: right; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0; } figure svg { width: 28rem; height: auto; }
.note { color: #555; }
"""


def _svg(figure: Any) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _empty(axes: Any) -> None:
    axes.text(0.5, 0.5, "nothing in this period", ha="center", va="center")
    axes.set_axis_off()


def _per_day(days: Sequence[date], series: Dict[str, Sequence[float]], ylabel: str) -> str:
    figure, axes = plt.subplots(figsize=(6, 2.8))
    labels = [day.strftime("%d %b") for day in days]
    width = 0.8 / max(len(series), 1)
    for i, (name, values) in enumerate(series.items()):
        axes.bar([x + i * width for x in range(len(days))], values, width, label=name)
    axes.set_xticks([x + width * (len(series) - 1) / 2 for x in range(len(days))])
    axes.set_xticklabels(labels, rotation=90 if len(days) > 10 else 0)
    axes.set_ylabel(ylabel)
    axes.legend()
    return _svg(figure)


def _bars(counts: Sequence[Tuple[str, float]], xlabel: str) -> str:
    figure, axes = plt.subplots(figsize=(6, 0.4 + 0.3 * max(len(counts), 3)))
    if counts:
        axes.barh([name for name, _ in counts][::-1], [n for _, n in counts][::-1])
        axes.set_xlabel(xlabel)
    else:
        _empty(axes)
    return _svg(figure)


def _votes(votes: Sequence[Tuple[str, int, int]]) -> str:
    figure, axes = plt.subplots(figsize=(6, 0.4 + 0.3 * max(len(votes), 3)))
    if votes:
        names = [name for name, _, _ in votes][::-1]
        yes = [y for _, y, _ in votes][::-1]
        no = [n for _, _, n in votes][::-1]
        axes.barh(names, yes, color=HELPFUL, label="helpful")
        axes.barh(names, no, left=yes, color=UNHELPFUL, label="unhelpful")
        axes.set_xlabel("votes")
        axes.legend()
    else:
        _empty(axes)
    return _svg(figure)


def charts(summary: Summary) -> List[Tuple[str, str]]:
    days = summary.days
    return [
        (
            "Conversations and questions per day",
            _per_day(
                days,
                {
                    "conversations": [summary.per_day[d].conversations for d in days],
                    "questions": [summary.per_day[d].questions for d in days],
                },
                "count",
            ),
        ),
        ("Topics asked", _bars(summary.topics, "questions answered")),
        (
            "Fallback and out-of-scope rate per day",
            _per_day(
                days,
                {
                    "fallback %": [summary.per_day[d].fallback_rate for d in days],
                    "out of scope %": [summary.per_day[d].out_of_scope_rate for d in days],
                },
                "% of the day's questions",
            ),
        ),
        ("Helpful and unhelpful votes per topic", _votes(summary.votes_per_topic)),
        ("Channel mix", _bars(summary.channels, "questions")),
    ]


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], empty: str) -> str:
    if not rows:
        return f'<p class="note">{html.escape(empty)}</p>'
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{cell}</td>'
            if isinstance(cell, (int, float))
            else f"<td>{html.escape(str(cell))}</td>"
            for cell in row
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _groups(groups: Sequence[Group]) -> str:
    rows = []
    for group in groups:
        others = [t for t in group.texts if t != group.example]
        wording = group.example + (f"  (also: {' | '.join(others)})" if others else "")
        rows.append((group.count, ", ".join(group.kinds), wording))
    return _table(("times", "kind", "question"), rows, "No unanswered questions in this period.")


def render(summary: Summary) -> str:
    """The whole page."""
    span = summary.period
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>NHSmail assistant: report {span.start} to {span.end}</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>What staff asked the NHSmail assistant</h1>",
        f"<p>{span.start} to {span.end} (UTC dates). Masked text only; no sender ids; "
        "nothing older than the retention period.</p>",
    ]
    if span.asked_start:
        parts.append(f'<p class="note">{html.escape(summary.clipped_note or "")}</p>')
    parts.append(
        _table(
            (
                "conversations",
                "questions",
                "button clicks",
                "fallbacks",
                "out of scope",
                "helpful votes",
                "unhelpful votes",
            ),
            [
                (
                    summary.conversations,
                    summary.questions,
                    summary.clicks,
                    summary.fallbacks,
                    summary.out_of_scope,
                    summary.helpful,
                    summary.unhelpful,
                )
            ],
            "",
        )
    )
    parts.append('<h2>Charts</h2><div class="charts">')
    for title, svg in charts(summary):
        parts.append(f"<figure><figcaption>{html.escape(title)}</figcaption>{svg}</figure>")
    parts.append("</div>")
    parts.append("<h2>Per day</h2>")
    parts.append(
        _table(
            ("day", "conversations", "questions", "fallbacks", "out of scope"),
            [
                (str(d), c.conversations, c.questions, c.fallbacks, c.out_of_scope)
                for d, c in summary.per_day.items()
                if c.conversations
            ],
            "No conversations in this period.",
        )
    )
    parts.append("<h2>Unanswered questions</h2>")
    parts.append(
        '<p class="note">Fallbacks, out-of-scope questions, and what was asked after a '
        '"No"; near-identical questions count once, most frequent first.</p>'
    )
    parts.append(_groups(summary.unanswered_groups))
    parts.append("<h2>Not for this assistant, by who was asking</h2>")
    parts.append(
        '<p class="note">Visitors\' and urgent or distressing messages, counted by kind. '
        "Their words are not shown: they carry residents' names and health.</p>"
    )
    parts.append(_table(("who was asking", "messages"), summary.sensitive, "None in this period."))
    parts.append("<h2>Unhelpful answers</h2>")
    parts.append(
        _table(
            ("day", "topic voted on", "the question that led to it"),
            [
                (str(v.day), v.topic or "(no topic)", v.question or "(a button)")
                for v in summary.unhelpful_votes
            ],
            'No "No" votes in this period.',
        )
    )
    parts.append("<h2>Votes per topic</h2>")
    parts.append(_table(("topic", "helpful", "unhelpful"), summary.votes_per_topic, "No votes."))
    parts.append("<h2>Channels</h2>")
    parts.append(_table(("channel", "questions"), summary.channels, "No questions."))
    parts.append("<h2>Facts past their review date</h2>")
    parts.append(_overdue(summary.overdue))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _overdue(overdue: Optional[Sequence[Any]]) -> str:
    if overdue is None:
        return '<p class="note">Review dates: not available.</p>'
    return _table(
        ("fact", "reviewed", "due"),
        [(str(f.key), str(f.reviewed), str(f.due)) for f in overdue],
        "No fact is past its review date.",
    )
