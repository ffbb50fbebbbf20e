"""make bench's CPU breakdown (scripts/bench/cpu.py, the report's tables):
read from /proc for a real process, divided per answered turn, and the bound
the cores allow."""

import subprocess
import sys
import time

from scripts.bench import cpu
from scripts.bench.report import cluster_table, cpu_table


def test_a_busy_process_is_charged_its_cpu_time_by_group():
    # A command name with a space and parentheses, as /proc/PID/stat shows
    # it: the fields after it must still be found.
    busy = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.6: pass\nimport sys; sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
    )
    try:
        groups = {"busy (one)": [busy.pid]}
        before = cpu.snapshot(groups, rules=[])
        time.sleep(1.5)
        after = cpu.snapshot(groups, rules=[])
        spent = cpu.per_turn(before, after, turns=10)
        # 0.6 s of CPU over 10 turns is 60 ms a turn; the clock ticks are 10 ms.
        assert set(spent) == {"busy (one)"}
        assert 50 <= spent["busy (one)"] <= 75
    finally:
        busy.communicate(b"")


def test_a_process_that_is_gone_counts_nothing():
    # Past the kernel's largest process id (pid_max is at most 2**22).
    assert cpu.cpu_seconds(2**22 + 7) == 0.0


def test_services_are_found_by_their_command_line():
    me = cpu.snapshot({}, rules=[("this test", lambda command: "pytest" in command)])
    assert any(group == "this test" for group, _ in me)


def _run(turns_per_s, p95, spent=None, at50=None):
    levels = [{"concurrency": 10, "turns_per_s": turns_per_s, "p95_ms": p95, "runs": []}]
    if at50:
        levels.append({"concurrency": 50, "turns_per_s": at50[0], "p95_ms": at50[1]})
    entry = {"levels": levels, "rss_mb": 900.0, "total_rss_mb": 3000.0, "workers": 2}
    if spent:
        entry["cpu_ms_per_turn"] = spent
    return entry


def test_the_cpu_table_sums_the_groups_and_gives_the_bound_on_the_cores():
    data = {
        "machine": {"cores": 2},
        "speed": {
            "project": _run(50.0, 300.0, {"Rasa servers": 20.0, "load generator": 5.0}),
            "project, cluster of 2 servers x 1 worker": _run(
                55.0,
                310.0,
                {"Rasa servers": 28.0, "PostgreSQL": 2.0, "RabbitMQ": 1.0, "nginx": 1.0},
                at50=(48.0, 1400.0),
            ),
        },
    }
    header, _, one, cluster = cpu_table(data)
    assert header == (
        "| server | Rasa servers | nginx | PostgreSQL | RabbitMQ | load generator | all "
        "| bound on 2 cores (turns/s) |"
    )
    assert one == "| project | 20.0 | 0.0 | 0.0 | 0.0 | 5.0 | **25.0** | 80 |"
    assert cluster == (
        "| project, cluster of 2 servers x 1 worker | 28.0 | 1.0 | 2.0 | 1.0 | 0.0 | **32.0** | 62 |"
    )
    rows = cluster_table(data)
    assert rows[-1] == (
        "| project, cluster of 2 servers x 1 worker | 55.0 | 310 | 48.0 | 1400 | 2 | 3000 |"
    )
    assert rows[-2] == "| project | 50.0 | 300 | n/a | n/a | 2 | 3000 |"
