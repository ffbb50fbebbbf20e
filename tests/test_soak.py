"""`make soak`'s pure parts (scripts/bench/soak.py): the memory slope, the
per-minute rows, the report's text; and what the soak takes from the load
generator (each turn's status, a new sender id per conversation). No Rasa
server: the load tests talk to a small web app in the test's own process."""

import asyncio
import math
import subprocess
import time
from pathlib import Path

import pytest
from aiohttp import web

from scripts.bench import soak
from scripts.bench.loadgen import Turn, run_load
from scripts.bench.servers import free_port

ROOT = Path(__file__).resolve().parent.parent


def _plain(rows):
    """Rows with NaN as None, so that they compare."""
    return [
        {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
        for row in rows
    ]


def test_memory_growth_is_the_least_squares_slope_after_the_warm_up():
    samples = [
        # The warm-up: steep, as caches fill; left out of the fit.
        {"t": 0, "turns": 0, "rasa_mb": 700.0},
        {"t": 30, "turns": 500, "rasa_mb": 850.0},
        # From the end of the first minute on: not on one line, so the fit is
        # not the end points' difference (2 MB over 3,000 turns would be 0.67).
        {"t": 60, "turns": 1000, "rasa_mb": 901.0},
        {"t": 70, "turns": 2000, "rasa_mb": 903.0},
        {"t": 80, "turns": 4000, "rasa_mb": 903.0},
    ]
    assert soak.growth_per_1000(samples, "rasa_mb") == pytest.approx(4 / 7)
    assert soak.growth_per_1000(samples, "rasa_mb", warmup_s=0) == pytest.approx(35.85)


def test_memory_growth_is_not_a_figure_without_two_turn_counts_after_the_warm_up():
    stalled = [
        {"t": 50, "turns": 10, "rasa_mb": 800.0},
        {"t": 60, "turns": 900, "rasa_mb": 900.0},
        {"t": 70, "turns": 900, "rasa_mb": 950.0},
    ]
    assert math.isnan(soak.growth_per_1000(stalled, "rasa_mb"))
    assert math.isnan(soak.growth_per_1000(stalled[:2], "rasa_mb"))


def test_turns_count_in_the_minute_they_finished_in_and_late_ones_after():
    start = 100.0
    turns = [
        Turn(1, 10.0, True, at=start + 5, status=200),
        Turn(2, 5.0, False, at=start + 30, status=500),
        Turn(3, 30.0, True, at=start + 59.9, status=200),
        # Minute 2: nothing finished. Minute 3 starts at 120 s exactly.
        Turn(1, 20.0, True, at=start + 120.0, status=200),
        Turn(2, 30000.0, False, at=start + 150, status=None),  # timed out
        Turn(3, 8.0, False, at=start + 170, status=200),  # a 200 with no reply
        Turn(4, 40.0, True, at=start + 185, status=200),  # after the 3 minutes
    ]
    rows = soak.per_minute(turns, start, minutes=3)
    assert _plain(rows) == [
        {"minute": 1, "turns": 3, "failed": 1, "5xx": 1, "p50_ms": 10.0, "p95_ms": 30.0},
        {"minute": 2, "turns": 0, "failed": 0, "5xx": 0, "p50_ms": None, "p95_ms": None},
        {"minute": 3, "turns": 3, "failed": 2, "5xx": 0, "p50_ms": 20.0, "p95_ms": 20.0},
        {"minute": "after", "turns": 1, "failed": 0, "5xx": 0, "p50_ms": 40.0, "p95_ms": 40.0},
    ]
    assert len(soak.per_minute(turns[:3], start, minutes=3)) == 3  # no "after" row


def test_p95_drift_compares_the_first_and_the_last_minute():
    rows = [
        {"minute": 1, "p95_ms": 100.0},
        {"minute": 2, "p95_ms": 90.0},
        {"minute": 3, "p95_ms": 130.0},
        {"minute": "after", "p95_ms": 10.0},  # the drain, at falling concurrency
    ]
    assert soak.p95_drift(rows) == pytest.approx(30.0)
    assert math.isnan(soak.p95_drift(rows[:1] + rows[3:]))
    assert math.isnan(soak.p95_drift([{"minute": 1, "p95_ms": math.nan}, rows[2]]))


def _data():
    # Rasa grows 0.5 MB per 1,000 turns from the end of the first minute on.
    samples = [
        {"t": 0, "turns": 0, "rasa_mb": 850.0, "actions_mb": 70.0},
        {"t": 30, "turns": 1500, "rasa_mb": 880.0, "actions_mb": 75.0},
        {"t": 60, "turns": 3000, "rasa_mb": 900.0, "actions_mb": 80.0},
        {"t": 90, "turns": 4000, "rasa_mb": 900.5, "actions_mb": 80.0},
        {"t": 120, "turns": 6200, "rasa_mb": 901.6, "actions_mb": 80.0},
        {"t": 125.3, "turns": 6350, "rasa_mb": 901.675, "actions_mb": 80.0},
    ]
    row = dict.fromkeys(("turns", "failed", "5xx"), 0)
    return {
        "machine": {
            "cpu": "Test CPU",
            "cores": 2,
            "ram_gb": 8,
            "python": "3.10.13",
            "rasa": "3.6.21",
            "date": "2026-12-01 18:00 UTC",
            "load_before": [0.5, 0.4, 0.3],
            "load_after": [1.5, 1.2, 1.0],
        },
        "commit": "abc1234",
        "settings": {
            "minutes": 2,
            "concurrency": 20,
            "sample_s": 10,
            "warmup_s": 60,
            "warmup_rounds": 2,
            "processes": {"rasa": 1, "actions": 1},
        },
        "rows": [
            dict(row, minute=1, turns=3000, p50_ms=40.0, p95_ms=100.0),
            dict(row, minute=2, turns=3200, failed=2, p50_ms=42.0, p95_ms=110.0, **{"5xx": 1}),
            dict(row, minute="after", turns=150, p50_ms=30.0, p95_ms=60.0),
        ],
        "total": dict(
            row, minute="all", turns=6350, failed=2, p50_ms=41.0, p95_ms=105.0, **{"5xx": 1}
        ),
        "samples": samples,
        "seconds": 125.3,
        "tracker": {"conversations": 790, "events": 40000, "mb": 12.34},
    }


def test_the_verdict_line_gives_growth_drift_and_errors():
    assert soak.verdict(_data()) == (
        "Verdict: memory growth +0.50 MB per 1,000 turns (Rasa), +0.00 (actions); "
        "p95 drift from the first to the last minute +10% (100 -> 110 ms); "
        "2 failed turns of 6,350 (1 5xx)."
    )


def test_the_report_has_the_machine_the_settings_and_a_row_per_minute(tmp_path):
    text = soak.text(_data())
    lines = text.splitlines()
    assert lines[0] == "# Soak (`make soak`)"
    assert lines[2] == (
        "2026-12-01 18:00 UTC; Test CPU, 2 cores, 8 GB; Python 3.10.13, Rasa 3.6.21; "
        "commit abc1234. Load average before the run 0.50, 0.40, 0.30 (quiet), "
        "after 1.50, 1.20, 1.00."
    )
    assert lines[4].startswith(
        "Settings: `make soak MINUTES=2 CONCURRENCY=20`: 20 concurrent conversations "
        "for 2 minutes over the REST channel on loopback"
    )
    assert "(`CHAT_RATE_PER_ADDRESS`, `CHAT_RATE_PER_SENDER`)" in lines[4]
    assert "each conversation is sent 2 times, 2 at a time" in lines[4]
    assert "every 10 s, of each server's process and its children" in lines[4]
    assert lines[6] == f"**{soak.verdict(_data())}**"
    table = lines[lines.index("## Per minute") + 2 :][:6]
    assert table == [
        "| minute | turns | failed | 5xx | p50 (ms) | p95 (ms) | Rasa RSS (MB) | "
        "action server RSS (MB) |",
        "|---|---|---|---|---|---|---|---|",
        "| 1 | 3,000 | 0 | 0 | 40 | 100 | 900 | 80 |",
        "| 2 | 3,200 | 2 | 1 | 42 | 110 | 902 | 80 |",
        "| after | 150 | 0 | 0 | 30 | 60 | 902 | 80 |",
        "| all | 6,350 | 2 | 1 | 41 | 105 | 902 | 80 |",
    ]
    assert "6,350 turns in 125 s: 50.7 turns/s." in text
    assert "| Rasa | 1 | +0.50 | 850 | 900 | 902 | 902 |" in lines
    assert "| action server | 1 | +0.00 | 70 | 80 | 80 | 80 |" in lines
    assert (
        "over the 4 samples from the end of the first minute on: the first minute (60 s) "
        "is a warm-up and is excluded" in text
    )
    assert (
        "Tracker store at the end: 790 conversations, 40,000 events, 12.3 MB (SQLite and "
        "its write-ahead log)." in text
    )
    assert "![Resident memory and latency during the soak](soak.png)" in lines
    soak.plot(_data(), tmp_path / "soak.png")
    assert (tmp_path / "soak.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--minutes", "1"], "MINUTES must be 2 to 240"),
        (["--minutes", "241"], "MINUTES must be 2 to 240"),
        (["--concurrency", "0"], "CONCURRENCY must be 1 to 200"),
    ],
)
def test_the_soak_refuses_a_length_or_load_out_of_bounds_before_starting(
    argv, message, monkeypatch, capsys
):
    monkeypatch.setattr(soak, "run", lambda *a: pytest.fail("servers started"))
    with pytest.raises(SystemExit) as exit:
        soak.main(argv)
    assert exit.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "variables, options",
    [
        ([], "--minutes 10 --concurrency 20"),
        (["MINUTES=2", "CONCURRENCY=7"], "--minutes 2 --concurrency 7"),
    ],
)
def test_make_soak_passes_minutes_and_concurrency(variables, options):
    # -n prints the commands without running any; -o: the environment and the
    # model count as made, so only the soak's own command matters here; under
    # `make test` this is a sub-make, which would print its directory.
    shown = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-n",
            "-o",
            ".venv/.installed",
            "-o",
            "models/nhsmail.tar.gz",
            "soak",
            *variables,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert shown[-1] == f".venv/bin/python -m scripts.bench.soak {options}"


async def _serve_and_load(**load):
    """Runs the load generator against a web app that answers "boom" with a
    500 and "quiet" with no reply; returns the result and the senders seen."""
    senders = []

    async def webhook(request):
        body = await request.json()
        senders.append(body["sender"])
        if body["message"] == "boom":
            return web.Response(status=500, text="oops")
        return web.json_response([] if body["message"] == "quiet" else [{"text": "hello"}])

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        return await run_load(f"http://127.0.0.1:{port}", **load), senders
    finally:
        await runner.cleanup()


def test_the_load_records_each_status_and_a_new_sender_per_conversation():
    seen = []
    before = time.perf_counter()
    result, senders = asyncio.run(
        _serve_and_load(
            concurrency=2,
            conversations=3,
            scripts=[["hi", "boom", "quiet"]],
            sender_prefix="soak",
            on_turn=seen.append,
        )
    )
    assert seen == result.turns and len(seen) == 9
    assert sorted((t.position, t.status, t.ok) for t in seen) == [
        *[(1, 200, True)] * 3,
        *[(2, 500, False)] * 3,
        *[(3, 200, False)] * 3,
    ]
    row = soak.summarize("all", seen)
    assert (row["turns"], row["failed"], row["5xx"]) == (9, 6, 3)
    assert len(set(senders)) == 3 and all(senders.count(s) == 3 for s in senders)
    assert all(s.startswith("soak-") for s in senders)
    # Each turn is stamped when it finished, in the order the turns finished.
    ats = [t.at for t in seen]
    assert before < ats[0] and ats == sorted(ats) and ats[-1] < time.perf_counter()


def test_a_turn_without_an_answer_has_no_status_and_fails():
    result = asyncio.run(
        run_load(f"http://127.0.0.1:{free_port()}", 1, 1, scripts=[["hi"]], timeout=5)
    )
    assert [(t.status, t.ok) for t in result.turns] == [(None, False)]
    row = soak.summarize("all", result.turns)
    assert (row["failed"], row["5xx"]) == (1, 0)
