"""`make bench`: quality and speed of config.yml against Rasa's default
configuration and a MiniLM variant; writes results/bench.md and its plots.

Settings (environment): BENCH_FOLDS (5), BENCH_CV (the configurations to
cross-validate, by name; default "project": each more adds about 8 minutes,
and the three are compared on the held-out files anyway), BENCH_QUICK=1 (a
small run for development: 2 folds, 2 epochs, few conversations),
BENCH_MINILM=0 (leave MiniLM out).
"""

import asyncio
import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

from scripts.bench import configs, cpu, levers, loadgen, quality, report, servers

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "results"
QUICK = os.environ.get("BENCH_QUICK") == "1"
FOLDS = int(os.environ.get("BENCH_FOLDS", 2 if QUICK else 5))
WITH_MINILM = os.environ.get("BENCH_MINILM", "1") == "1"
LEVELS = {1: 10, 10: 100, 50: 150}  # concurrency: conversations (five turns each)
# The cluster profile (`make run-cluster`) serving the project's model:
# (label, (Rasa servers, Sanic workers each)). Both shapes use the machine's
# two cores; the run says which serves more (docs/decisions/performance.md
# says which one SANIC_WORKERS's default gives the cluster, and why).
CLUSTERS = [
    ("project, cluster of 2 servers x 1 worker", (2, 1)),
    ("project, cluster of 2 servers x 2 workers", (2, 2)),
]
# The targets' level (10 concurrent), for the three servers the targets
# compare, is run REPEATS times and the median run reported; the rest once, so
# the run stays within 30 minutes on a slow day.
REPEATS = 1 if QUICK else 3
REPEATED = (
    "project",
    "no-encoder",
    "rasa-default",
    "project, 2 Sanic workers",
    *(label for label, _ in CLUSTERS),
)
if QUICK:
    LEVELS = {1: 3, 10: 10, 50: 50}


def say(*args):
    print(f"[bench {time.strftime('%H:%M:%S')}]", *args, file=sys.stderr, flush=True)


def quality_phase(work: Path, data: dict):
    cv = os.environ.get("BENCH_CV", "project").split(",")
    for name, config in configs.all_configs(WITH_MINILM, 2 if QUICK else None).items():
        out = RESULTS / name
        out.mkdir(parents=True, exist_ok=True)
        config_path = configs.write(config, out / "config.yml")
        log = out / "rasa.log"
        log.unlink(missing_ok=True)
        env = configs.env_for(name, quality.ENV)
        say(f"{name}: training")
        seconds = quality.train(config_path, work, name, log, env)
        model = work / f"{name}.tar.gz"
        say(f"{name}: trained in {seconds:.0f} s; scoring the held-out files")
        entry = {
            "train_s": seconds,
            "model": str(model),
            "held_out": quality.held_out(model, out, log, env),
        }
        if name in cv:
            say(f"{name}: {FOLDS}-fold cross-validation")
            entry["cv"] = quality.cross_validate(config_path, out, FOLDS, log, env)
        data["configs"][name] = entry
        save(data)


def speed_phase(work: Path, data: dict):
    env = servers.server_env()
    actions = servers.ActionServer(work, env)
    try:
        data["levers"]["action round trip"] = levers.action_round_trip(
            actions.url, env["ACTION_SERVER_TOKEN"], calls=50 if QUICK else 300
        )
        # (label, extra environment, levels, options for RasaServer). The label
        # before the comma names the configuration.
        runs: List[Tuple[str, Dict[str, str], Dict[int, int], Dict[str, Any]]] = [
            ("project", {}, LEVELS, {}),
            ("no-encoder", {}, {10: LEVELS[10]}, {}),
            ("rasa-default", {}, LEVELS, {}),
        ]
        if "minilm" in data["configs"]:
            # A tenth of the speed: half the conversations are enough.
            runs.append(
                (
                    "minilm",
                    {},
                    {c: n // (2 if c == 10 else 1) for c, n in LEVELS.items() if c <= 10},
                    {},
                )
            )
        at_10 = {10: LEVELS[10]}
        runs += [
            ("project, 2 Sanic workers", {}, LEVELS, {"workers": 2}),
            ("rasa-default, 2 Sanic workers", {}, at_10, {"workers": 2}),
            (
                "project, Rasa's SQL tracker store",
                {},
                {1: LEVELS[1], 10: LEVELS[10]},
                {"rasa_tracker_store": True},
            ),
            (
                "project, TF 1 thread",
                {
                    "TF_INTRA_OP_PARALLELISM_THREADS": "1",
                    "TF_INTER_OP_PARALLELISM_THREADS": "1",
                    "OMP_NUM_THREADS": "1",
                },
                at_10,
                {},
            ),
            # Every parse encodes its text anew, as real messages, all
            # different, would: the scripted texts would be cache hits.
            ("project, every text new (encoder cache off)", {"MINILM_CACHE_SIZE": "0"}, at_10, {}),
            (
                "project, stock action-reply check",
                {"RASA_STOCK_ACTION_CHECK": "1"},
                {1: LEVELS[1], 10: LEVELS[10]},
                {},
            ),
        ]
        runs += [
            (label, {}, {10: LEVELS[10], 50: LEVELS[50]}, {"cluster": shape})
            for label, shape in CLUSTERS
        ]
        for label, extra_env, levels, options in runs:
            name = label.split(",")[0]
            say(f"{label}: starting the server")
            shape = options.pop("cluster", None)
            rasa: Any
            if shape:
                rasa = servers.ClusterServer(
                    data["configs"][name]["model"],
                    work,
                    configs.env_for(name, env),
                    servers=shape[0],
                    workers=shape[1],
                )
                options["workers"] = shape[0] * shape[1]  # processes holding a model
            else:
                rasa = servers.RasaServer(
                    data["configs"][name]["model"],
                    work,
                    configs.env_for(name, env),
                    actions,
                    extra_env,
                    **options,
                )
            try:
                entry: Dict[str, Any] = {"ready_s": rasa.ready_s, "levels": [], "by_position": {}}
                # Warm-up: every scripted conversation twice per worker.
                # TensorFlow traces DIET's graph again for each new input
                # shape, and a server that has run for a while has seen them.
                workers = options.get("workers", 1)
                asyncio.run(
                    loadgen.run_load(
                        rasa.url, 2 * workers, 2 * workers * len(loadgen.CONVERSATIONS)
                    )
                )
                for concurrency, count in levels.items():
                    before, own = cpu.snapshot(groups(rasa, actions)), cpu.self_snapshot()
                    results = [
                        asyncio.run(loadgen.run_load(rasa.url, concurrency, count, time_limit=120))
                        for _ in range(REPEATS if concurrency == 10 and label in REPEATED else 1)
                    ]
                    summary = loadgen.median_of(results)
                    if concurrency == 10:
                        answered = sum(t.ok for r in results for t in r.turns)
                        spent = cpu.per_turn(before, cpu.snapshot(groups(rasa, actions)), answered)
                        spent["load generator"] = 1000 * (cpu.self_snapshot() - own) / answered
                        entry["cpu_ms_per_turn"] = spent
                    entry["levels"].append(summary)
                    say(f"{label}: {summary}")
                if not extra_env and not options:
                    long = asyncio.run(
                        loadgen.run_load(
                            rasa.url,
                            1,
                            2 if QUICK else 5,
                            time_limit=120,
                            scripts=[loadgen.LONG_CONVERSATION],
                        )
                    )
                    for position in range(1, len(loadgen.LONG_CONVERSATION) + 1):
                        times = [t.ms for t in long.turns if t.position == position and t.ok]
                        entry["by_position"][position] = loadgen.percentile(times, 50)
                entry["rss_mb"] = rasa.rss_mb()
                entry["total_rss_mb"] = rasa.total_rss_mb()
                entry["workers"] = options.get("workers", 1)
                entry["actions_rss_mb"] = (
                    rasa.actions_rss_mb() if shape else servers.rss_mb(actions.proc.pid)
                )
                data["speed"][label] = entry
                save(data)
            finally:
                rasa.stop()
    finally:
        actions.stop()


def groups(rasa, actions) -> Dict[str, List[int]]:
    """The pids of the servers under load, by role, for the CPU breakdown; a
    cluster names its own (Rasa servers, action servers, nginx)."""
    if isinstance(rasa, servers.ClusterServer):
        return rasa.groups()
    return {
        "Rasa servers": [rasa.proc.pid, *servers.children(rasa.proc.pid)],
        "action servers": [actions.proc.pid],
    }


def save(data: dict):
    (RESULTS / "bench.json").write_text(json.dumps(data, indent=1, default=str))


def _interrupt(*_):
    raise KeyboardInterrupt


def main():
    # A stop (a timeout, Ctrl-C) runs the servers' own stops: a cluster's
    # database, Redis keys and queue are removed, no server is left running.
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.perf_counter()
    RESULTS.mkdir(exist_ok=True)
    work = RESULTS / "work"  # models and stores of this run; deleted at the end
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    data: Dict[str, Any] = {
        "machine": report.machine(),
        "folds": FOLDS,
        "quick": QUICK,
        "configs": {},
        "speed": {},
        "levers": {},
    }
    quality_phase(work, data)
    speed_phase(work, data)
    data["machine"]["load_after"] = os.getloadavg()
    data["wall_s"] = time.perf_counter() - started
    save(data)
    report.write(data, RESULTS)
    shutil.rmtree(work, ignore_errors=True)
    say(f"done in {data['wall_s'] / 60:.1f} min: results/bench.md")


if __name__ == "__main__":
    main()
