"""Review dates: which facts are overdue for checking against their source,
the one warning each gets when the action server starts, and `make
check-content` (python -m actions.content_check), which checks the file on
its own.

Each file is a copy of the real content file with its dates retyped, so the
lines are the file's own and no test depends on today's date unless it says
so."""

import datetime
import logging
import os
import re
import subprocess
import sys
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Iterator

import pytest
from pydantic import SecretStr

import actions.content as content_module
import actions.server as server
from actions.config import CONTENT_PATH, PROJECT_ROOT
from actions.content import Overdue, get_content, load_at_start_up, load_content_file, overdue_facts
from actions.content_check import add_months, check_text
from nlp.privacy import MaskedLogRecord

TEXT = CONTENT_PATH.read_text(encoding="utf-8")
REVIEWED = re.compile(r'reviewed: "\d{4}-\d{2}-\d{2}"')
# Every entry's date in the copies, unless a test retypes one.
BASE = datetime.date(2026, 6, 1)
BASE_DUE = datetime.date(2026, 12, 1)


def line_number(text: str, pattern: str, after: str = "") -> int:
    """The line (from 1) of the first line matching ``pattern``, after the
    first line matching ``after`` if given."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if re.search(after, line)) + 1 if after else 0
    return next(i for i, line in enumerate(lines[start:], start) if re.search(pattern, line)) + 1


def retype(line: int, old: str, new: str, text: str) -> str:
    """``text`` with ``old`` changed to ``new`` on ``line`` alone."""
    lines = text.splitlines(keepends=True)
    assert old in lines[line - 1], (line, lines[line - 1])
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    return "".join(lines)


def all_reviewed(day: datetime.date, text: str = TEXT) -> str:
    """``text`` with every entry reviewed on ``day``."""
    retyped, count = REVIEWED.subn(f'reviewed: "{day.isoformat()}"', text)
    assert count >= 4  # the facts, and the sections with their own source
    return retyped


def fact_reviewed(name: str, day: str, text: str, extra: str = "") -> str:
    """``text`` with the fact ``name`` reviewed on ``day`` (and ``extra``
    written after its date)."""
    line = line_number(text, rf"^  {name}:")
    lines = text.splitlines(keepends=True)
    lines[line - 1], count = REVIEWED.subn(f'reviewed: "{day}"{extra}', lines[line - 1], count=1)
    assert count == 1, lines[line - 1]
    return "".join(lines)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "nhsmail.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_fact_past_its_date_is_listed_with_its_key_reviewed_and_due_dates_line_and_source(
    tmp_path,
):
    text = fact_reviewed("helpdesk_phone", "2026-01-05", all_reviewed(BASE))
    path = write(tmp_path, text)
    due = datetime.date(2026, 7, 5)
    assert overdue_facts(load_content_file(path), due + datetime.timedelta(days=1)) == [
        Overdue(
            key="facts.helpdesk_phone",
            reviewed=datetime.date(2026, 1, 5),
            due=due,
            line=line_number(text, r"^  helpdesk_phone:"),
            source="guide",
            file=str(path),
        )
    ]


def test_a_fact_is_due_on_its_date_and_overdue_the_day_after(tmp_path):
    content = load_content_file(write(tmp_path, all_reviewed(BASE)))
    assert overdue_facts(content, BASE) == []
    assert overdue_facts(content, BASE_DUE) == []
    late = overdue_facts(content, BASE_DUE + datetime.timedelta(days=1))
    assert len(late) == len(content.reviews) >= 4
    assert {o.key for o in late} >= {"facts.helpdesk_phone", "phone_menu", "manager_route"}


def test_overdue_facts_are_listed_soonest_due_first(tmp_path):
    text = fact_reviewed("helpdesk_email", "2026-03-01", all_reviewed(BASE))
    text = fact_reviewed("helpdesk_hours", "2026-02-01", text)
    content = load_content_file(write(tmp_path, text))
    late = overdue_facts(content, datetime.date(2026, 9, 15))
    assert [(o.key, o.due) for o in late] == [
        ("facts.helpdesk_hours", datetime.date(2026, 8, 1)),
        ("facts.helpdesk_email", datetime.date(2026, 9, 1)),
    ]


def test_a_fact_reviewed_recently_is_not_listed(tmp_path):
    text = fact_reviewed("helpdesk_phone", "2026-01-05", all_reviewed(BASE))
    content = load_content_file(write(tmp_path, text))
    assert [o.key for o in overdue_facts(content, datetime.date(2026, 7, 6))] == [
        "facts.helpdesk_phone"
    ]
    assert "facts.helpdesk_email" in {r.key for r in content.reviews}


def test_a_facts_own_interval_overrides_the_files(tmp_path):
    text = fact_reviewed(
        "helpdesk_phone", "2026-01-05", all_reviewed(BASE), extra=", review_every_months: 3"
    )
    content = load_content_file(write(tmp_path, text))
    [late] = overdue_facts(content, datetime.date(2026, 4, 6))
    assert (late.key, late.due) == ("facts.helpdesk_phone", datetime.date(2026, 4, 5))


def test_a_sections_own_interval_overrides_the_files(tmp_path):
    text = all_reviewed(BASE)
    line = line_number(text, r"^  reviewed:", after=r"^phone_menu:")
    text = retype(line, "reviewed:", "review_every_months: 1\n  reviewed:", text)
    content = load_content_file(write(tmp_path, text))
    [late] = overdue_facts(content, datetime.date(2026, 7, 2))
    assert (late.key, late.due, late.line) == ("phone_menu", datetime.date(2026, 7, 1), line + 1)


def test_the_files_interval_sets_every_due_date(tmp_path):
    text = all_reviewed(BASE)
    line = line_number(text, r"^review:")
    text = retype(line, "every_months: 6", "every_months: 12", text)
    content = load_content_file(write(tmp_path, text))
    assert {r.due for r in content.reviews} == {datetime.date(2027, 6, 1)}


def test_months_are_added_calendar_correctly_at_a_months_end(tmp_path):
    assert add_months(datetime.date(2026, 8, 31), 6) == datetime.date(2027, 2, 28)
    assert add_months(datetime.date(2027, 8, 31), 6) == datetime.date(2028, 2, 29)
    assert add_months(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)
    assert add_months(datetime.date(2026, 10, 31), 3) == datetime.date(2027, 1, 31)
    text = fact_reviewed("helpdesk_phone", "2027-08-31", all_reviewed(BASE))
    content = load_content_file(write(tmp_path, text))
    [phone] = [r for r in content.reviews if r.key == "facts.helpdesk_phone"]
    assert phone.due == datetime.date(2028, 2, 29)


# --- what the content check refuses ------------------------------------------------


def found(text: str):
    return [(p.line, p.path, p.message) for p in check_text(text)]


@pytest.mark.parametrize("every", ["0", "-6", "2.5", '"six"', "true", "null"])
def test_a_bad_file_interval_is_refused_with_its_line(every):
    line = line_number(TEXT, r"^review:")
    text = retype(line, "every_months: 6", f"every_months: {every}", TEXT)
    assert found(text) == [
        (line, "review.every_months", "must be a positive whole number of months")
    ]


def test_a_file_interval_that_is_not_a_mapping_is_refused():
    line = line_number(TEXT, r"^review:")
    text = retype(line, "{every_months: 6}", "6", TEXT)
    assert found(text) == [(line, "review", "expected a mapping, as {every_months: 6}")]


@pytest.mark.parametrize("every", ["0", "1.5", '"3"'])
def test_a_bad_override_is_refused_with_its_line(every):
    text = fact_reviewed(
        "helpdesk_email", "2026-01-05", TEXT, extra=f", review_every_months: {every}"
    )
    assert found(text) == [
        (
            line_number(text, r"^  helpdesk_email:"),
            "facts.helpdesk_email.review_every_months",
            "must be a positive whole number of months",
        )
    ]


def test_a_content_file_without_an_interval_reviews_every_six_months(tmp_path):
    text = all_reviewed(BASE)
    text = text.replace("\nreview: {every_months: 6}\n", "\n")
    assert found(text) == []
    assert {r.due for r in load_content_file(write(tmp_path, text)).reviews} == {BASE_DUE}


# --- the warning at start-up ---------------------------------------------------------


@pytest.fixture
def started(monkeypatch, tmp_path) -> Iterator[Path]:
    """The action server's content is a copy with two facts long overdue and
    every other entry reviewed today; the process's caches are as before
    afterwards."""
    today = datetime.date.today().isoformat()
    text = fact_reviewed("helpdesk_phone", "2020-01-05", all_reviewed(datetime.date.today()))
    text = fact_reviewed("helpdesk_email", "2020-08-31", text)
    path = write(tmp_path, text)
    assert today in path.read_text(encoding="utf-8")
    monkeypatch.setattr(content_module, "CONTENT_PATH", path)
    get_content.cache_clear()
    load_at_start_up.cache_clear()
    yield path
    get_content.cache_clear()
    load_at_start_up.cache_clear()


def overdue_warnings(caplog) -> list:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "actions.content" and r.levelno == logging.WARNING
    ]


def expected_warnings(path: Path) -> list:
    text = path.read_text(encoding="utf-8")
    phone = line_number(text, r"^  helpdesk_phone:")
    email = line_number(text, r"^  helpdesk_email:")
    return [
        f"Content review overdue: facts.helpdesk_phone ({path}:{phone}) "
        "was reviewed 2020-01-05, due 2020-07-05.",
        f"Content review overdue: facts.helpdesk_email ({path}:{email}) "
        "was reviewed 2020-08-31, due 2021-02-28.",
    ]


def test_each_overdue_fact_gets_one_warning_line_once_per_process(started, caplog):
    caplog.set_level(logging.WARNING, logger="actions.content")
    content = load_at_start_up()
    load_at_start_up()
    assert overdue_warnings(caplog) == expected_warnings(started)
    assert content is get_content()


def test_the_action_server_warns_at_start_up_and_still_starts(
    started, caplog, monkeypatch, request
):
    """With its log masking on, as it runs: the warning keeps its file:line."""
    ran = []
    monkeypatch.setattr(
        server,
        "get_settings",
        lambda: SimpleNamespace(action_server_token=SecretStr("a-token")),
    )
    request.addfinalizer(partial(logging.setLogRecordFactory, logging.getLogRecordFactory()))
    monkeypatch.setattr(
        server, "create_server", lambda token: SimpleNamespace(run=lambda **kw: ran.append(kw))
    )
    caplog.set_level(logging.WARNING, logger="actions.content")
    server.main(["--port", "5999"])
    assert overdue_warnings(caplog) == expected_warnings(started)
    assert [kw["port"] for kw in ran] == [5999]
    assert logging.getLogRecordFactory() is MaskedLogRecord


def test_the_action_server_refuses_a_content_file_with_a_slip(started, monkeypatch):
    line = line_number(TEXT, r"^review:")
    started.write_text(retype(line, "every_months: 6", "every_months: 0", TEXT), "utf-8")
    monkeypatch.setattr(
        server,
        "get_settings",
        lambda: SimpleNamespace(action_server_token=SecretStr("a-token")),
    )
    monkeypatch.setattr(server, "install_log_masking", lambda: None)
    monkeypatch.setattr(server, "create_server", lambda token: pytest.fail("it started"))
    with pytest.raises(SystemExit) as exit:
        server.main([])
    assert f"{started}:{line}: review.every_months: must be a positive whole number" in str(
        exit.value.code
    )


# --- make check-content ------------------------------------------------------------------


def check_content(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "NHSMAIL_CONTENT"}
    return subprocess.run(
        [sys.executable, "-m", "actions.content_check", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_command_finds_the_real_file_valid():
    run = check_content()
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[-1].startswith("content/nhsmail.yml is valid; ")
    assert "content/nhsmail.yml:" not in run.stdout  # no problem is printed


def test_the_command_lists_overdue_facts_as_warnings_and_still_exits_0(tmp_path):
    path = write(tmp_path, fact_reviewed("helpdesk_phone", "2020-01-05", TEXT))
    line = line_number(path.read_text(encoding="utf-8"), r"^  helpdesk_phone:")
    run = check_content(str(path))
    assert run.returncode == 0, run.stdout + run.stderr
    assert (
        f"warning: Content review overdue: facts.helpdesk_phone ({path}:{line}) "
        "was reviewed 2020-01-05, due 2020-07-05."
    ) in run.stdout.splitlines()
    assert run.stdout.splitlines()[-1].startswith(f"{path} is valid; ")


def test_the_command_prints_each_slip_with_its_line_and_exits_1(tmp_path):
    offer = line_number(TEXT, r"^\s+offer:", after=r"^  reset_password:")
    message = line_number(TEXT, r"^  unavailable:")
    text = retype(offer, "topic: prepare_call", "topic: prepare_cal", TEXT)
    text = retype(message, "{helpdesk_phone}", "{helpdesk_fax}", text)
    path = write(tmp_path, text)
    run = check_content(str(path))
    assert run.returncode == 1, run.stdout + run.stderr
    assert run.stdout.splitlines()[:2] == [
        f"{path}:{offer}: topics.reset_password.offer.topic: 'prepare_cal' is not a topic",
        f"{path}:{message}: messages.unavailable: unknown placeholder {{helpdesk_fax}}",
    ]
    assert run.stdout.splitlines()[-1].startswith(f"{path}: 2 problems; ")


def test_the_accessibility_statements_review_date_falls_due_like_a_facts(tmp_path):
    text = all_reviewed(BASE)
    line = line_number(text, r"^  reviewed:", after=r"^accessibility:")
    text = retype(line, f'reviewed: "{BASE.isoformat()}"', 'reviewed: "2026-01-10"', text)
    content = load_content_file(write(tmp_path, text))
    assert content.accessibility.reviewed == datetime.date(2026, 1, 10)
    [late] = overdue_facts(content, datetime.date(2026, 7, 11))
    assert (late.key, late.due, late.line) == ("accessibility", datetime.date(2026, 7, 10), line)
    # Its contact facts have review dates of their own, like every fact.
    assert {"accessibility.contact_email", "accessibility.contact_phone"} <= {
        r.key for r in content.reviews
    }
