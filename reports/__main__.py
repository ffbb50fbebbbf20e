"""``python -m reports report`` (make report): results/report.html and a
terminal summary. ``python -m reports export-unanswered`` (make
export-unanswered): results/unanswered.yml in Rasa's NLU format.

Both read the tracker store named in endpoints.yml (or --endpoints), over
--from/--to (UTC dates, inclusive; default the last RETENTION_DAYS days),
and never show anything older than the retention period.

Whoever runs them holds the key that opens the stored conversations
(AT_REST_KEY, or this machine's development key: stores/sealing.py); what
they write holds masked text only, for the content owner (docs/security.md).
"""

import argparse
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, List, Optional, Sequence

import sqlalchemy.exc

from reports.export import nlu_yaml
from reports.page import render
from reports.summary import Summary, summarise, terminal
from reports.tracker_data import engine_from_endpoints, period, read_activity
from settings import ROOT, SettingsError, get_settings
from stores import sealing


def overdue_facts(today: date) -> Optional[Sequence[Any]]:
    """The facts past their review date; None where the content has no review dates."""
    from actions import content

    check = getattr(content, "overdue_facts", None)
    if check is None:
        return None
    return list(check(content.get_content(), today))


def build(args: argparse.Namespace, now: datetime) -> Summary:
    settings = get_settings()
    span, low, high = period(now, settings.retention_days, args.start, args.end)
    engine = engine_from_endpoints(args.endpoints, settings, ROOT)
    try:
        activity = read_activity(engine, span, low, high, sealing.for_tools(settings))
    finally:
        engine.dispose()
    return summarise(activity, overdue_facts(now.date()))


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a date, YYYY-MM-DD") from None


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reports", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("report", "export-unanswered"))
    parser.add_argument("--from", dest="start", type=_date, help="first day (UTC), YYYY-MM-DD")
    parser.add_argument("--to", dest="end", type=_date, help="last day (UTC), YYYY-MM-DD")
    parser.add_argument("--endpoints", type=Path, default=ROOT / "endpoints.yml")
    parser.add_argument("--out", type=Path, help="the output file")
    return parser


def main(argv: Optional[List[str]] = None, now: Optional[datetime] = None) -> int:
    args = parser().parse_args(argv)
    now = now or datetime.now(timezone.utc)
    try:
        summary = build(args, now)
    except (
        ValueError,
        SettingsError,
        OSError,
        sqlalchemy.exc.SQLAlchemyError,
        sealing.KeyProblem,
    ) as error:
        print(f"report: {error}", file=sys.stderr)
        return 2
    if args.command == "report":
        out = args.out or ROOT / "results" / "report.html"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render(summary), encoding="utf-8")
        print(terminal(summary, _shown(out)))
    else:
        out = args.out or ROOT / "results" / "unanswered.yml"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(nlu_yaml(summary.unanswered_groups, summary.period), encoding="utf-8")
        count = sum(len(g.texts) for g in summary.unanswered_groups)
        print(
            f"export-unanswered: {len(summary.unanswered_groups)} group(s), {count} wording(s) "
            f"from {summary.period.start} to {summary.period.end} in {_shown(out)}; "
            "label them before any goes into data/"
        )
    return 0


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
