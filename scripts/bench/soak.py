"""`make soak`: a bounded soak on loopback. Does memory or latency drift as
traffic goes on?

Starts the single-server profile as `make bench` does (scripts/bench/servers.py:
one action server, one Rasa server with models/nhsmail.tar.gz, its own SQLite
tracker store, rate limits lifted) and sends the load generator's
conversations (scripts/bench/loadgen.py: the five-turn ones and the 20-turn
one, cycled, each from a new sender id) ``--concurrency`` at a time for
``--minutes``. Every 10 s it samples each server's resident memory (VmRSS of
the process and its children); it reports per minute the turns, failures,
5xx answers, p50 and p95, and the memory growth per 1,000 turns after the
first minute, in the terminal and in results/soak.md (with results/soak.png
and the raw figures in results/soak.json).

    .venv/bin/python -m scripts.bench.soak --minutes 10 --concurrency 20

The pure parts (the slope, the per-minute rows, the report's text) are
tested in tests/test_soak.py.
"""

import argparse
import asyncio
import json
import math
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Sequence

from scripts.bench import loadgen, report, servers
from scripts.bench.loadgen import Turn, percentile

ROOT = servers.ROOT
RESULTS = ROOT / "results"
MODEL = ROOT / "models" / "nhsmail.tar.gz"
SCRIPTS: List[List[str]] = [*loadgen.CONVERSATIONS, loadgen.LONG_CONVERSATION]
SAMPLE_S = 10
# The first minute is left out of the memory fit: caches fill (the encoder's,
# the policies'), TensorFlow traces new input shapes and the allocator takes
# its arenas, none of which recurs.
WARMUP_S = 60
# Before the clock starts, as `make bench` does: each conversation twice, so
# TensorFlow has traced DIET's graph for the scripts' input shapes.
WARMUP_ROUNDS = 2
MINUTES, CONCURRENCY = 10, 20
# Bounds for a mistyped MINUTES or CONCURRENCY on a shared machine.
MAX_MINUTES, MAX_CONCURRENCY = 240, 200
SERVERS = {"rasa": "Rasa", "actions": "action server"}
_f = report._f  # a figure, or "n/a" for NaN: as results/bench.md writes them


# ---- the pure parts ----------------------------------------------------------


def summarize(minute: Any, turns: Sequence[Turn]) -> Dict[str, Any]:
    """The figures of a group of turns: how many finished, how many failed (not
    200 with a reply, or no answer at all), how many got a 5xx, and p50 / p95 of
    the answered ones (ms)."""
    answered = [t.ms for t in turns if t.ok]
    return {
        "minute": minute,
        "turns": len(turns),
        "failed": len(turns) - len(answered),
        "5xx": sum(1 for t in turns if t.status is not None and t.status >= 500),
        "p50_ms": percentile(answered, 50),
        "p95_ms": percentile(answered, 95),
    }


def per_minute(turns: Iterable[Turn], start: float, minutes: int) -> List[Dict[str, Any]]:
    """One row per minute of the soak, each turn in the minute it finished in
    (``Turn.at`` against ``start``, both ``time.perf_counter()``); then a row
    with minute "after" for the turns that finished later, those of the
    conversations under way when the time was up, if there were any."""
    buckets: List[List[Turn]] = [[] for _ in range(minutes + 1)]
    for turn in turns:
        buckets[min(max(int((turn.at - start) // 60), 0), minutes)].append(turn)
    rows = [summarize(m + 1, bucket) for m, bucket in enumerate(buckets[:minutes])]
    if buckets[minutes]:
        rows.append(summarize("after", buckets[minutes]))
    return rows


def growth_per_1000(samples: Sequence[Dict[str, float]], key: str, warmup_s: float = WARMUP_S):
    """MB per 1,000 turns: the slope of the least-squares line of ``key`` (a
    server's RSS, MB) against the turns finished, over the samples taken from
    ``warmup_s`` on; NaN with fewer than two different turn counts."""
    points = [(s["turns"], s[key]) for s in samples if s["t"] >= warmup_s]
    if len({turns for turns, _ in points}) < 2:
        return math.nan
    slope, _ = statistics.linear_regression([p[0] for p in points], [p[1] for p in points])
    return slope * 1000


def p95_drift(rows: Sequence[Dict[str, Any]]) -> float:
    """The change of p95 from the first minute to the last, in %; NaN without
    two minutes with answered turns."""
    minutes = [r for r in rows if isinstance(r["minute"], int)]
    if len(minutes) < 2:
        return math.nan
    first, last = minutes[0]["p95_ms"], minutes[-1]["p95_ms"]
    if math.isnan(first) or math.isnan(last) or first == 0:
        return math.nan
    return (last - first) / first * 100


def rss_at(samples: Sequence[Dict[str, float]], t: float, key: str) -> float:
    """``key`` in the last sample taken at or before ``t`` s."""
    before = [s for s in samples if s["t"] <= t]
    return before[-1][key] if before else math.nan


def _signed(value: float, digits: int = 2) -> str:
    return "n/a" if math.isnan(value) else f"{value:+.{digits}f}"


def verdict(data: Dict[str, Any]) -> str:
    samples, total = data["samples"], data["total"]
    rasa, actions = (
        growth_per_1000(samples, f"{k}_mb", data["settings"]["warmup_s"]) for k in SERVERS
    )
    minutes = [r for r in data["rows"] if isinstance(r["minute"], int)]
    drift = p95_drift(data["rows"])
    drift_text = "n/a" if math.isnan(drift) else f"{drift:+.0f}%"
    return (
        f"Verdict: memory growth {_signed(rasa)} MB per 1,000 turns (Rasa), "
        f"{_signed(actions)} (actions); p95 drift from the first to the last minute "
        f"{drift_text} ({_f(minutes[0]['p95_ms'], 0)} -> "
        f"{_f(minutes[-1]['p95_ms'], 0)} ms); {total['failed']:,} failed turns "
        f"of {total['turns']:,} ({total['5xx']:,} 5xx)."
    )


def minute_table(data: Dict[str, Any]) -> List[str]:
    samples, end = data["samples"], data["samples"][-1]["t"] if data["samples"] else math.nan
    lines = [
        "| minute | turns | failed | 5xx | p50 (ms) | p95 (ms) | Rasa RSS (MB) | "
        "action server RSS (MB) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in [*data["rows"], data["total"]]:
        at = row["minute"] * 60 if isinstance(row["minute"], int) else end
        rss = [_f(rss_at(samples, at, f"{k}_mb"), 0) for k in SERVERS]
        lines.append(
            f"| {row['minute']} | {row['turns']:,} | {row['failed']:,} | {row['5xx']:,} | "
            f"{_f(row['p50_ms'], 0)} | {_f(row['p95_ms'], 0)} | "
            f"{rss[0]} | {rss[1]} |"
        )
    return lines


def memory_table(data: Dict[str, Any]) -> List[str]:
    samples, warmup = data["samples"], data["settings"]["warmup_s"]
    lines = [
        "| server | processes | growth per 1,000 turns (MB) | at the start (MB) | "
        "after the warm-up (MB) | at the end (MB) | peak (MB) |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, name in SERVERS.items():
        column = f"{key}_mb"
        lines.append(
            f"| {name} | {data['settings']['processes'][key]} | "
            f"{_signed(growth_per_1000(samples, column, warmup))} | "
            f"{_f(samples[0][column], 0)} | {_f(rss_at(samples, warmup, column), 0)} | "
            f"{_f(samples[-1][column], 0)} | "
            f"{_f(max(s[column] for s in samples), 0)} |"
        )
    return lines


def text(data: Dict[str, Any]) -> str:
    """results/soak.md, from the soak's figures (results/soak.json)."""
    m, s, tracker = data["machine"], data["settings"], data.get("tracker") or {}
    fitted = [x for x in data["samples"] if x["t"] >= s["warmup_s"]]
    quiet = "quiet" if max(m["load_before"]) < 1.0 else "not quiet"
    seconds = data["seconds"]
    lines = [
        "# Soak (`make soak`)",
        "",
        f"{m['date']}; {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB; Python {m['python']}, "
        f"Rasa {m['rasa']}; commit {data['commit']}. Load average before the run "
        f"{', '.join(f'{x:.2f}' for x in m['load_before'])} ({quiet}), after "
        f"{', '.join(f'{x:.2f}' for x in m.get('load_after', []))}.",
        "",
        f"Settings: `make soak MINUTES={s['minutes']} CONCURRENCY={s['concurrency']}`: "
        f"{s['concurrency']} concurrent conversations for {s['minutes']} minutes over the "
        "REST channel on loopback, the load generator's five-turn conversations and its "
        "20-turn one, cycled, each from a new sender id, so the tracker store grows as in "
        "use. One Rasa server (one Sanic worker, `models/nhsmail.tar.gz`, its own SQLite "
        "tracker store) and one action server, started as `make bench` starts them, with "
        "the rate limits lifted (`CHAT_RATE_PER_ADDRESS`, `CHAT_RATE_PER_SENDER`). Before "
        f"the clock starts each conversation is sent {s['warmup_rounds']} times, 2 at a "
        "time (a warm-up, not counted). Resident memory is `VmRSS` of "
        f"`/proc/<pid>/status`, every {s['sample_s']} s, of each server's process and its "
        "children.",
        "",
        f"**{verdict(data)}**",
        "",
        "## Per minute",
        "",
        *minute_table(data),
        "",
        "Each turn counts in the minute it finished in; *after* is the conversations under "
        "way when the time was up, finished. *failed* is a turn without a 200 and a reply "
        "(the 5xx among them, and timeouts or refused connections); p50 and p95 are of the "
        "answered turns. RSS is the sample at the minute's end (after: the last). "
        f"{data['total']['turns']:,} turns in {seconds:.0f} s: "
        f"{data['total']['turns'] / seconds if seconds else math.nan:.1f} turns/s.",
        "",
        "## Memory",
        "",
        *memory_table(data),
        "",
        "Growth is the slope of the least-squares line of RSS against the turns finished, "
        f"over the {len(fitted)} samples from the end of the first minute on: the first "
        f"minute ({s['warmup_s']} s) is a warm-up and is excluded, as caches fill and "
        "TensorFlow traces new input shapes once.",
    ]
    if tracker:
        lines += [
            "",
            f"Tracker store at the end: {tracker['conversations']:,} conversations, "
            f"{tracker['events']:,} events, {tracker['mb']:.1f} MB (SQLite and its "
            "write-ahead log).",
        ]
    lines += [
        "",
        "![Resident memory and latency during the soak](soak.png)",
        "",
        "Every sample: `results/soak.json` (not kept in git). Settable: `make soak "
        "MINUTES=10 CONCURRENCY=20` (the defaults).",
        "",
    ]
    return "\n".join(lines)


def plot(data: Dict[str, Any], path: Path) -> None:
    plt = report.plt
    samples = data["samples"]
    fig, axes = plt.subplots(3, 1, figsize=(7, 7), sharex=True)
    for ax, (key, name) in zip(axes, SERVERS.items()):
        ax.plot([s["t"] / 60 for s in samples], [s[f"{key}_mb"] for s in samples], marker=".")
        ax.axvspan(0, data["settings"]["warmup_s"] / 60, color="0.9", label="warm-up (not fitted)")
        ax.set(
            ylabel="RSS (MB)",
            title=f"{name}: resident memory every {data['settings']['sample_s']} s",
        )
        ax.legend(fontsize=8, loc="lower right")
    minutes = [r for r in data["rows"] if isinstance(r["minute"], int)]
    for q in ("p50", "p95"):
        axes[2].plot(
            [r["minute"] - 0.5 for r in minutes],
            [r[f"{q}_ms"] for r in minutes],
            marker="o",
            label=q,
        )
    axes[2].set(xlabel="minutes", ylabel="turn latency (ms)", title="Latency per minute")
    axes[2].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


# ---- the run -----------------------------------------------------------------


def say(*args):
    print(f"[soak {time.strftime('%H:%M:%S')}]", *args, file=sys.stderr, flush=True)


def commit() -> str:
    """The commit the soak runs, and whether the code differs from it."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)results")
    return head + (" with uncommitted changes" if changed else "")


async def soak(
    url: str,
    pids: Dict[str, int],
    minutes: int,
    concurrency: int,
    progress: Callable[[str], None] = say,
) -> Dict[str, Any]:
    """Sends the load for ``minutes`` while sampling the servers' RSS."""
    turns: List[Turn] = []
    samples: List[Dict[str, float]] = []
    start = time.perf_counter()
    load = asyncio.create_task(
        loadgen.run_load(
            url,
            concurrency,
            sys.maxsize,
            time_limit=minutes * 60,
            scripts=SCRIPTS,
            sender_prefix="soak",
            on_turn=turns.append,
            max_conversations=sys.maxsize,
            max_seconds=MAX_MINUTES * 60,
        )
    )

    def sample(t: float):
        rss = {f"{key}_mb": round(servers.rss_mb(pid), 1) for key, pid in pids.items()}
        samples.append({"t": t, "turns": len(turns), **rss})

    tick = 0
    while True:
        sample(tick * SAMPLE_S)  # the time it was due: sampling takes milliseconds
        if tick and tick * SAMPLE_S % 60 == 0 and tick * SAMPLE_S <= minutes * 60:
            minute = tick * SAMPLE_S // 60
            row = per_minute(turns, start, minute)[minute - 1]
            progress(
                f"minute {minute}/{minutes}: {row['turns']} turns, {row['failed']} failed, "
                f"p50 {_f(row['p50_ms'], 0)} ms, p95 {_f(row['p95_ms'], 0)} ms, "
                f"Rasa {samples[-1]['rasa_mb']:.0f} MB, actions {samples[-1]['actions_mb']:.0f} MB"
            )
        tick += 1
        due = start + tick * SAMPLE_S - time.perf_counter()
        done, _ = await asyncio.wait({load}, timeout=max(0.0, due))
        if done:
            break
    result = load.result()
    sample(round(time.perf_counter() - start, 1))  # once the last conversations finished
    return {
        "rows": per_minute(turns, start, minutes),
        "total": summarize("all", turns),
        "samples": samples,
        "seconds": result.seconds,
    }


def tracker_store(db: Path) -> Dict[str, Any]:
    """The soak's conversations and events in the tracker store, and its size."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        conversations, events = connection.execute(
            "SELECT COUNT(DISTINCT sender_id), COUNT(*) FROM events WHERE sender_id LIKE 'soak-%'"
        ).fetchone()
    files = [db, db.with_name(db.name + "-wal")]
    mb = sum(f.stat().st_size for f in files if f.exists()) / 2**20
    return {"conversations": conversations, "events": events, "mb": mb}


def run(minutes: int, concurrency: int, work: Path) -> Dict[str, Any]:
    env = servers.server_env()
    say("starting the action server and the Rasa server")
    actions = servers.ActionServer(work, env)
    try:
        rasa = servers.RasaServer(str(MODEL), work, env, actions)
        try:
            say(f"ready in {rasa.ready_s:.0f} s; warming up")
            asyncio.run(
                loadgen.run_load(
                    rasa.url,
                    2,
                    WARMUP_ROUNDS * len(SCRIPTS),
                    time_limit=120,
                    scripts=SCRIPTS,
                    sender_prefix="warmup",
                )
            )
            pids = {"rasa": rasa.proc.pid, "actions": actions.proc.pid}
            processes = {key: 1 + len(servers.children(pid)) for key, pid in pids.items()}
            say(f"{concurrency} concurrent conversations for {minutes} minutes")
            data = asyncio.run(soak(rasa.url, pids, minutes, concurrency))
        finally:
            rasa.stop()
    finally:
        actions.stop()
    data["processes"] = processes
    data["tracker"] = tracker_store(work / f"tracker-{rasa.port}.db")
    return data


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=int, default=MINUTES, help="MINUTES (default 10)")
    parser.add_argument(
        "--concurrency", type=int, default=CONCURRENCY, help="CONCURRENCY (default 20)"
    )
    args = parser.parse_args(argv)
    if not 2 <= args.minutes <= MAX_MINUTES:
        parser.error(
            f"MINUTES must be 2 to {MAX_MINUTES}: the first minute is a warm-up, "
            "so the memory fit needs a second"
        )
    if not 1 <= args.concurrency <= MAX_CONCURRENCY:
        parser.error(f"CONCURRENCY must be 1 to {MAX_CONCURRENCY}")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse(argv)
    RESULTS.mkdir(exist_ok=True)
    work = RESULTS / "soak-work"  # the servers' logs and store; deleted after a good run
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    data: Dict[str, Any] = {"machine": report.machine(), "commit": commit()}
    measured = run(args.minutes, args.concurrency, work)
    data["machine"]["load_after"] = os.getloadavg()
    data["settings"] = {
        "minutes": args.minutes,
        "concurrency": args.concurrency,
        "sample_s": SAMPLE_S,
        "warmup_s": WARMUP_S,
        "warmup_rounds": WARMUP_ROUNDS,
        "processes": measured.pop("processes"),
    }
    data.update(measured)
    (RESULTS / "soak.json").write_text(json.dumps(data, indent=1))
    markdown = text(data)
    (RESULTS / "soak.md").write_text(markdown)
    plot(data, RESULTS / "soak.png")
    print(markdown)
    shutil.rmtree(work, ignore_errors=True)
    say("results/soak.md, results/soak.png")


if __name__ == "__main__":
    main()
