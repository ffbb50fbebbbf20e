"""The load generator's pure parts (scripts/bench/loadgen.py): no server needed."""

import asyncio
import math

import pytest

from scripts.bench.loadgen import (
    CONVERSATIONS,
    Result,
    Turn,
    median_of,
    percentile,
    require_loopback,
    run_load,
)
from scripts.bench.report import speed_table


def test_percentiles_are_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 99) == 99
    assert percentile([7.0], 99) == 7.0
    assert math.isnan(percentile([], 50))


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:5005", "http://localhost:5005/", "http://[::1]:5005", "http://127.8.0.1"],
)
def test_loopback_urls_are_accepted(url):
    assert require_loopback(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.5:5005",
        "https://chat.example.org",
        "http://0.0.0.0:5005",
        "ftp://127.0.0.1",
        "127.0.0.1:5005",
    ],
)
def test_anything_but_loopback_is_refused(url):
    with pytest.raises(ValueError):
        require_loopback(url)


def test_run_load_refuses_before_sending_anything():
    with pytest.raises(ValueError):
        asyncio.run(run_load("http://192.0.2.1:5005", concurrency=1, conversations=1))


def test_summary_counts_errors_and_uses_only_answered_turns():
    result = Result(
        concurrency=2,
        seconds=2.0,
        turns=[Turn(1, 10.0, True), Turn(2, 30.0, True), Turn(1, 5000.0, False)],
    )
    summary = result.summary()
    assert summary["turns"] == 3 and summary["errors"] == 1
    assert summary["turns_per_s"] == 1.0
    assert summary["p50_ms"] == 10.0 and summary["p99_ms"] == 30.0


def test_conversations_have_five_turns():
    assert all(len(c) == 5 for c in CONVERSATIONS)


def test_a_repeated_level_reports_its_median_run_and_the_range():
    runs = [
        Result(concurrency=10, seconds=s, turns=[Turn(1, ms, True)] * 100)
        for s, ms in ((2.0, 300.0), (1.0, 100.0), (4.0, 500.0))
    ]  # 50, 100, 25 turns/s
    level = median_of(runs)
    assert (level["turns_per_s"], level["p95_ms"], level["runs"]) == (
        50.0,
        300.0,
        [25.0, 50.0, 100.0],
    )
    lines = speed_table({"speed": {"project": {"levels": [level]}}})
    assert "| project | 10 | 100 | 0 | 50.0 (median of 3: 25.0-100.0) | 300.0 |" in lines[2]
