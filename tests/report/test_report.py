"""make report and make export-unanswered over a tracker store of known
conversations (tests/support/report_data.py): the exact figures a content
owner reads, and the privacy rules."""

import re
from datetime import date

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from reports import grouping
from reports.__main__ import main
from reports.tracker_data import period
from tests.support.report_data import HTML_TEXT, NOW, SENDERS, SUMMARY, seed

pytestmark = pytest.mark.unit


@pytest.fixture
def endpoints(tmp_path):
    return seed(tmp_path / "tracker.db")


@pytest.fixture
def report(endpoints, tmp_path, capsys):
    out = tmp_path / "report.html"
    assert main(["report", "--endpoints", str(endpoints), "--out", str(out)], now=NOW) == 0
    return capsys.readouterr().out, out.read_text()


def cells(page, heading):
    """The rows of the table under ``heading``, as lists of cell texts."""
    section = page.split(f"<h2>{heading}</h2>", 1)[1].split("<h2>", 1)[0]
    return [
        re.findall(r"<td[^>]*>(.*?)</td>", row)
        for row in re.findall(r"<tr>(.*?)</tr>", section)
        if "<td" in row
    ]


def test_the_terminal_summary_gives_the_exact_figures(report):
    terminal, _ = report
    assert terminal.splitlines()[:6] == SUMMARY
    assert "  unanswered: 4 group(s), top 5:" in terminal
    assert "      2 x  can i print the rota  [fallback]" in terminal
    assert '      1 x  I wanted to remove someone who left  [after a "No"]' in terminal
    assert "      1 x  the guest wifi code  [out of scope]" in terminal
    assert "  overdue facts: review dates not available" in terminal or re.search(
        r"  overdue facts: \d+", terminal
    )
    assert terminal.rstrip().endswith("report.html")


def test_the_page_gives_the_exact_figures(report):
    _, page = report
    assert cells(page, "Per day") == [
        ["2025-03-10", "2", "5", "1", "1"],
        ["2025-03-11", "2", "3", "2", "0"],
    ]
    assert cells(page, "Votes per topic") == [["leaver", "0", "1"], ["reset_password", "1", "0"]]
    assert cells(page, "Unanswered questions") == [
        ["2", "fallback", "can i print the rota  (also: Can I print the rota?)"],
        ["1", "out of scope", "the guest wifi code"],
        ["1", "after a &quot;No&quot;", "I wanted to remove someone who left"],
        ["1", "fallback", "why does &lt;b&gt;html&lt;/b&gt; show in my signature"],
    ]
    # the answer voted "No" came from a button, not a typed question
    assert cells(page, "Unhelpful answers") == [["2025-03-10", "leaver", "(a button)"]]
    assert cells(page, "Channels") == [["rest", "4"], ["socketio", "4"]]


def test_nothing_older_than_the_retention_period_is_shown(endpoints, tmp_path, capsys):
    out = tmp_path / "report.html"
    argv = ["report", "--endpoints", str(endpoints), "--out", str(out), "--from", "2025-01-01"]
    assert main(argv, now=NOW) == 0
    terminal = capsys.readouterr().out
    assert (
        "--from 2025-01-01 is older than the retention period: the report starts at 2025-02-10."
        in terminal
    )
    assert "  conversations: 3" in terminal and "  questions: 8" in terminal
    assert "secret question from last year" not in out.read_text()


def test_from_and_to_choose_the_days(endpoints, tmp_path, capsys):
    argv = ["report", "--endpoints", str(endpoints), "--out", str(tmp_path / "r.html")]
    assert main(argv + ["--from", "2025-03-11", "--to", "2025-03-11"], now=NOW) == 0
    terminal = capsys.readouterr().out
    assert "  conversations: 2" in terminal
    assert "  questions: 3 (and 0 button clicks)" in terminal
    assert "  votes: 0 helpful, 0 unhelpful" in terminal


def test_user_markup_is_escaped_and_no_sender_id_appears(report):
    terminal, page = report
    assert HTML_TEXT not in page
    assert "why does &lt;b&gt;html&lt;/b&gt; show" in page
    assert "<b>" not in page
    for sender in SENDERS:
        assert sender not in page and sender not in terminal


def test_the_page_is_self_contained(report):
    _, page = report
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "@import" not in page
    # SVG clip paths are url(#id): references inside the page only
    assert set(re.findall(r"url\((.)", page)) <= {"#"}
    assert page.count("<svg") == 5


def test_export_unanswered_loads_with_rasas_loader(endpoints, tmp_path, capsys):
    out = tmp_path / "unanswered.yml"
    assert (
        main(["export-unanswered", "--endpoints", str(endpoints), "--out", str(out)], now=NOW) == 0
    )
    text = out.read_text()
    assert "Nothing here is trained" in text.split("version:")[0]
    data = load_data(str(out))
    by_intent = {}
    for example in data.training_examples:
        by_intent.setdefault(example.get("intent"), []).append(example.get("text"))
    assert by_intent == {
        "to_label_1": ["can i print the rota", "Can I print the rota?"],
        "to_label_2": ["the guest wifi code"],
        "to_label_3": ["I wanted to remove someone who left"],
        "to_label_4": [HTML_TEXT],
    }


def test_an_empty_period_exports_an_empty_file_rasa_loads(endpoints, tmp_path, capsys):
    out = tmp_path / "unanswered.yml"
    argv = ["export-unanswered", "--endpoints", str(endpoints), "--out", str(out)]
    assert main(argv + ["--from", "2025-03-12"], now=NOW) == 0
    assert load_data(str(out)).training_examples == []


def test_a_missing_store_is_a_message_not_a_traceback(tmp_path, capsys):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {tmp_path / 'none.db'}\n"
    )
    assert (
        main(["report", "--endpoints", str(endpoints), "--out", str(tmp_path / "r.html")], now=NOW)
        == 2
    )
    assert "does not exist" in capsys.readouterr().err


def test_near_identical_questions_group_and_different_ones_do_not():
    groups = grouping.group_texts(
        [
            (t, "fallback")
            for t in (
                "how do i print the rota?",
                "How do I print the rota",
                "how do i print the rotta",
                "how do i print a payslip",
                "how do i book annual leave",
            )
        ]
    )
    assert [(g.example, g.count) for g in groups] == [
        ("how do i print the rota?", 3),
        ("how do i print a payslip", 1),
        ("how do i book annual leave", 1),
    ]


def test_the_period_defaults_to_the_retention_days():
    span, low, _ = period(NOW, 30, None, None)
    assert (span.start, span.end, span.asked_start) == (date(2025, 2, 10), date(2025, 3, 12), None)
    assert low == NOW.timestamp() - 30 * 86_400


def test_visitors_and_urgent_messages_are_counted_by_kind_and_never_shown():
    from reports.page import render
    from reports.summary import summarise, terminal
    from reports.tracker_data import activity

    at = NOW.timestamp() - 3600

    def said(text, intent, kind=None):
        parse = {"intent": {"name": intent}}
        if kind:
            parse["open_world"] = {"kind": kind}
        return ("sender-visitor-1", "user", {"text": text, "timestamp": at, "parse_data": parse})

    rows = [
        said("can I visit Ada Lovelace in room 4 on sunday", "out_of_scope", "visitor"),
        said("my mother Grace is covered in bruises", "out_of_scope", "safeguarding"),
        # The danger words count as the dialogue reads them, whatever the parse kept.
        said("Alan has collapsed and is not breathing", "out_of_scope", "other"),
        said("set a timer for ten minutes", "out_of_scope", "other"),
    ]
    span, _, _ = period(NOW, 30, None, None)
    summary = summarise(activity(span, rows), None)
    page = render(summary)
    assert cells(page, "Not for this assistant, by who was asking") == [
        ["someone in danger", "1"],
        ["visitors (families, residents, applicants, suppliers)", "1"],
        ["worries of abuse or neglect", "1"],
    ]
    # Anything else stays an unanswered question a content owner can read.
    assert cells(page, "Unanswered questions") == [
        ["1", "out of scope", "set a timer for ten minutes"]
    ]
    text = terminal(summary, "report.html")
    for name in ("Ada", "Grace", "Alan", "bruises", "room 4"):
        assert name not in page and name not in text
    assert (
        "  not for this assistant, counted only: someone in danger 1, visitors (families, "
        "residents, applicants, suppliers) 1, worries of abuse or neglect 1"
    ) in text
