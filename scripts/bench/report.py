"""results/bench.md, results/f1_per_intent.md and the PNG plots, from bench.json."""

import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from scripts.bench.quality import macro_f1, per_intent  # noqa: E402

# The project's targets for speed, memory, training time and accuracy, each
# checked against the run's figures.
TARGET_RATIO, TARGET_P95_MS, TARGET_READY_S, TARGET_RSS_MB, TARGET_TRAIN_S = 5, 150, 20, 1024, 180
TARGET_F1 = 0.95


def machine() -> dict:
    """The machine a bench or a soak runs on, and its load before the run."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in open("/proc/cpuinfo")
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    import rasa

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
        "python": platform.python_version(),
        "rasa": rasa.__version__,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_before": os.getloadavg(),
    }


def _level(entry: dict, concurrency: int) -> dict:
    return next((lv for lv in entry["levels"] if lv["concurrency"] == concurrency), {})


def _f(value, digits=1):
    return (
        "n/a"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else f"{value:.{digits}f}"
    )


def macro_f1_intents(report: dict) -> float:
    """Macro-F1 over the intents the data has (support > 0). Rasa's "macro avg"
    also averages in labels only ever predicted, such as ``nlu_fallback``
    (FallbackClassifier's "not sure"), each with F1 0."""
    scores = [
        v["f1-score"]
        for k, v in report.items()
        if isinstance(v, dict) and v.get("support", 0) > 0 and "avg" not in k
    ]
    return sum(scores) / len(scores) if scores else math.nan


def quality_table(data: dict) -> list:
    lines = [
        f"| configuration | macro-F1 blind_final (lockbox) | out-of-scope recall, lockbox "
        f"| macro-F1 blind_dev | macro-F1 unseen | macro-F1 dev | "
        f"macro-F1 {data['folds']}-fold CV (over the intents, nlu_fallback left out) | "
        f"training, full model (s) | parse p50 / p95 (ms) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, c in data["configs"].items():
        cv = (
            f"{macro_f1(c['cv']):.3f} ({macro_f1_intents(c['cv']):.3f})" if "cv" in c else "not run"
        )
        p = c["held_out"]["parse"]
        blind = p.get("blind") or {}
        final, dev = blind.get("blind_final") or {}, blind.get("blind_dev") or {}
        lines.append(
            f"| {name} | {final.get('macro_f1', math.nan):.3f} | "
            f"{final.get('oos_recall', math.nan):.3f} | "
            f"{dev.get('macro_f1', math.nan):.3f} | "
            f"{macro_f1(c['held_out']['unseen']):.3f} | "
            f"{macro_f1(c['held_out']['dev']):.3f} | {cv} | {c['train_s']:.0f} | "
            f"{p['parse_p50_ms']:.1f} / {p['parse_p95_ms']:.1f} |"
        )
    return lines


def f1_table(data: dict) -> list:
    columns = [
        (name, source)
        for name, c in data["configs"].items()
        for source in ("unseen", "dev", "cv")
        if source in c or source in c["held_out"]
    ]
    scores = {
        (name, source): per_intent(
            data["configs"][name]["held_out"][source]
            if source != "cv"
            else data["configs"][name]["cv"]
        )
        for name, source in columns
    }
    intents = sorted({i for s in scores.values() for i in s})
    lines = [
        "| intent | " + " | ".join(f"{n} {s}" for n, s in columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for intent in intents:
        cells = [_f(scores[col].get(intent), 2) for col in columns]
        lines.append(f"| {intent} | " + " | ".join(cells) + " |")
    return lines


def speed_table(data: dict) -> list:
    lines = [
        "| server | concurrent conversations | turns | errors | turns/s | p50 (ms) | "
        "p95 (ms) | p99 (ms) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, entry in data["speed"].items():
        for lv in entry["levels"]:
            lines.append(
                f"| {label} | {lv['concurrency']} | {lv['turns']} | {lv['errors']} | "
                f"{_throughput(lv)} | {_f(lv['p50_ms'])} | {_f(lv['p95_ms'])} | "
                f"{_f(lv['p99_ms'])} |"
            )
    lines.append("")
    lines.append(
        "Where a level was run more than once, the figures are those of the run "
        "with the median throughput; the range of all runs follows it."
    )
    return lines


def _throughput(level: dict) -> str:
    runs = level.get("runs") or []
    if len(runs) < 2:
        return _f(level["turns_per_s"])
    return f"{_f(level['turns_per_s'])} (median of {len(runs)}: {_f(min(runs))}-{_f(max(runs))})"


def server_table(data: dict) -> list:
    lines = [
        "| server | ready (s) | largest Rasa process RSS after the run (MB) | all its "
        "processes (MB) | action server RSS (MB) | turn 1 p50 (ms) | turn 20 p50 (ms) |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, e in data["speed"].items():
        pos = {int(k): v for k, v in e.get("by_position", {}).items()}
        lines.append(
            f"| {label} | {e['ready_s']:.1f} | {e['rss_mb']:.0f} | "
            f"{e.get('total_rss_mb', e['rss_mb']):.0f} | "
            f"{e['actions_rss_mb']:.0f} | {_f(pos.get(1))} | {_f(pos.get(20))} |"
        )
    return lines


def targets(data: dict) -> list:
    project, default = data["speed"].get("project"), data["speed"].get("rasa-default")
    rows = []
    if project and default:
        p10, d10 = _level(project, 10), _level(default, 10)
        ratio = p10["turns_per_s"] / d10["turns_per_s"]
        rows.append(
            (
                "throughput at 10 concurrent, x the default configuration's",
                f"{ratio:.1f}x ({p10['turns_per_s']:.1f} against {d10['turns_per_s']:.1f} turns/s)",
                ratio >= TARGET_RATIO,
                f">= {TARGET_RATIO}x",
            )
        )
        rows.append(
            (
                "p95 at 10 concurrent",
                f"{p10['p95_ms']:.0f} ms",
                p10["p95_ms"] <= TARGET_P95_MS,
                f"<= {TARGET_P95_MS} ms",
            )
        )
        two = data["speed"].get("project, 2 Sanic workers")
        if two:
            t10 = _level(two, 10)
            ratio2 = t10["turns_per_s"] / d10["turns_per_s"]
            rows.append(
                (
                    "the same with 2 Sanic workers (Redis lock store), against the "
                    "default configuration as `rasa run` serves it (1 worker)",
                    f"{ratio2:.1f}x ({t10['turns_per_s']:.1f} turns/s), p95 {t10['p95_ms']:.0f} ms",
                    ratio2 >= TARGET_RATIO and t10["p95_ms"] <= TARGET_P95_MS,
                    f">= {TARGET_RATIO}x, <= {TARGET_P95_MS} ms",
                )
            )
        for label, entry in data["speed"].items():
            if "cluster" not in label:
                continue
            c10 = _level(entry, 10)
            ratio_c = c10["turns_per_s"] / d10["turns_per_s"]
            rows.append(
                (
                    f"{label.split(', ', 1)[1]} (`make run-cluster`'s profile), against the "
                    "default configuration as `rasa run` serves it",
                    f"{ratio_c:.1f}x ({c10['turns_per_s']:.1f} turns/s), "
                    f"p95 {c10['p95_ms']:.0f} ms",
                    ratio_c >= TARGET_RATIO and c10["p95_ms"] <= TARGET_P95_MS,
                    f">= {TARGET_RATIO}x, <= {TARGET_P95_MS} ms",
                )
            )
        before = data["speed"].get("no-encoder")
        if before:
            b10 = _level(before, 10)
            new = data["speed"].get("project, every text new (encoder cache off)")
            shown = (
                f"{p10['turns_per_s']:.1f} against {b10['turns_per_s']:.1f} turns/s "
                f"({p10['turns_per_s'] / b10['turns_per_s']:.2f}x)"
            )
            if new:
                shown += f"; every text new: {_level(new, 10)['turns_per_s']:.1f}"
            rows.append(
                (
                    "throughput at 10 concurrent beside the pipeline without the encoder "
                    "(shown, not a target)",
                    shown,
                    True,
                    "shown",
                )
            )
        rows.append(
            (
                "ready after start",
                f"{project['ready_s']:.1f} s",
                project["ready_s"] <= TARGET_READY_S,
                f"<= {TARGET_READY_S} s",
            )
        )
        rss = max(project["rss_mb"], project["actions_rss_mb"])
        rows.append(
            (
                "resident memory per server process (largest)",
                f"{rss:.0f} MB",
                rss <= TARGET_RSS_MB,
                f"<= {TARGET_RSS_MB} MB",
            )
        )
    if "project" in data["configs"]:
        c = data["configs"]["project"]
        rows.append(
            (
                "training, full model",
                f"{c['train_s']:.0f} s",
                c["train_s"] <= TARGET_TRAIN_S,
                f"<= {TARGET_TRAIN_S} s",
            )
        )
        f1 = macro_f1(c["held_out"]["unseen"])
        rows.append(
            ("macro-F1, held-out file (unseen)", f"{f1:.3f}", f1 >= TARGET_F1, f">= {TARGET_F1}")
        )
    lines = ["| target | figure | wanted | met |", "|---|---|---|---|"]
    lines += [
        f"| {name} | {figure} | {wanted} | {'yes' if met else '**no**'} |"
        for name, figure, met, wanted in rows
    ]
    return lines


# The cluster section's comparison, in this order where the run has them.
SCALE_OUT = (
    "rasa-default",
    "project",
    "project, 2 Sanic workers",
    "project, cluster of 2 servers x 1 worker",
    "project, cluster of 2 servers x 2 workers",
)


def cluster_table(data: dict) -> list:
    """Throughput and p95 at 10 and 50 concurrent, one process beside the cluster."""
    lines = [
        "| server | turns/s at 10 concurrent | p95 at 10 (ms) | turns/s at 50 | p95 at 50 (ms) "
        "| processes holding a model | their RSS in all (MB) |",
        "|---|---|---|---|---|---|---|",
    ]
    for label in SCALE_OUT:
        entry = data["speed"].get(label)
        if not entry:
            continue
        at10, at50 = _level(entry, 10), _level(entry, 50)
        lines.append(
            f"| {label} | {_throughput(at10) if at10 else 'n/a'} | {_f(at10.get('p95_ms'), 0)} | "
            f"{_f(at50.get('turns_per_s'))} | {_f(at50.get('p95_ms'), 0)} | "
            f"{entry.get('workers', 1)} | {entry.get('total_rss_mb', entry['rss_mb']):.0f} |"
        )
    return lines


def cpu_table(data: dict) -> list:
    """CPU milliseconds per answered turn at 10 concurrent, by process group,
    and the throughput the machine's cores allow at that cost."""
    cores = data["machine"]["cores"]
    measured = {
        label: e["cpu_ms_per_turn"]
        for label in SCALE_OUT
        if (e := data["speed"].get(label)) and e.get("cpu_ms_per_turn")
    }
    if not measured:
        return []
    order = ["Rasa servers", "action servers", "nginx", "PostgreSQL", "Redis", "RabbitMQ"]
    order += ["load generator"]
    found = sorted(
        {g for spent in measured.values() for g in spent},
        key=lambda g: order.index(g) if g in order else len(order),
    )
    lines = [
        "| server | " + " | ".join(found) + f" | all | bound on {cores} cores (turns/s) |",
        "|---|" + "---|" * (len(found) + 2),
    ]
    for label, spent in measured.items():
        total = sum(spent.values())
        lines.append(
            f"| {label} | "
            + " | ".join(_f(spent.get(g, 0.0)) for g in found)
            + f" | **{total:.1f}** | {cores * 1000 / total:.0f} |"
        )
    return lines


def _against(lever: str, name: str, entry: dict, base_name: str, base: dict, note: str = "") -> str:
    """A lever's row: its server at 10 concurrent and alone, against the project's."""

    def figures(e: dict) -> str:
        ten = _level(e, 10)
        return (
            f"{ten['turns_per_s']:.1f} turns/s, p95 {ten['p95_ms']:.0f} ms at 10 "
            f"concurrent, p50 {_level(e, 1)['p50_ms']:.0f} ms alone"
        )

    return f"| {lever} | {name}: {figures(entry)} | {base_name}: {figures(base)}{note} |"


def levers_table(data: dict) -> list:
    lines = ["| lever | measured | effect |", "|---|---|---|"]
    trip = data["levers"].get("action round trip")
    if trip:
        whole, none = trip["whole domain"], trip["no domain"]
        lines.append(
            f"| action-server round trip (`action_validate_slot_mappings`, every turn) | "
            f"p50 {whole['p50_ms']:.1f} ms with the whole domain "
            f"({whole['body_kb']:.0f} kB), {none['p50_ms']:.1f} ms without "
            f"({none['body_kb']:.0f} kB) | what `enable_selective_domain` could save "
            f"per call: {whole['p50_ms'] - none['p50_ms']:.1f} ms |"
        )
    base, one = data["speed"].get("project"), data["speed"].get("project, TF 1 thread")
    if base and one:
        b, o = _level(base, 10), _level(one, 10)
        lines.append(
            f"| TensorFlow threads: 1 intra-op, 1 inter-op (default: all cores) | "
            f"{o['turns_per_s']:.1f} turns/s, p95 {o['p95_ms']:.0f} ms at 10 concurrent "
            f"| against {b['turns_per_s']:.1f} turns/s, p95 {b['p95_ms']:.0f} ms |"
        )
    stock = data["speed"].get("project, stock action-reply check")
    if base and stock:
        lines.append(
            _against(
                "Rasa's own check of each action reply (jsonschema re-checks the schema every "
                "call; channels/speedups.py checks it once)",
                "stock",
                stock,
                "with the speedup",
                base,
                " (applied to both servers)",
            )
        )
    two, two_default = (
        data["speed"].get("project, 2 Sanic workers"),
        data["speed"].get("rasa-default, 2 Sanic workers"),
    )
    if base and two:
        b, t = _level(base, 10), _level(two, 10)
        default_part = ""
        if two_default and data["speed"].get("rasa-default"):
            d1, d2 = _level(data["speed"]["rasa-default"], 10), _level(two_default, 10)
            default_part = (
                f"; the default configuration: {d1['turns_per_s']:.1f} -> "
                f"{d2['turns_per_s']:.1f} turns/s"
            )
        lines.append(
            f"| 2 Sanic workers (`SANIC_WORKERS=2`, the Redis lock store of "
            f"stores/lock.py), on {data['machine']['cores']} cores | "
            f"{t['turns_per_s']:.1f} turns/s, p95 {t['p95_ms']:.0f} ms at 10 concurrent; "
            f"largest process {two['rss_mb']:.0f} MB, all {two['total_rss_mb']:.0f} MB, "
            f"ready in {two['ready_s']:.1f} s | against {b['turns_per_s']:.1f} turns/s, "
            f"p95 {b['p95_ms']:.0f} ms with 1{default_part} |"
        )
    rasa_store = data["speed"].get("project, Rasa's SQL tracker store")
    if base and rasa_store:
        lines.append(
            _against(
                "the tracker store: Rasa's `SQL` type against stores/tracker.py (kept SQLite "
                "connections, WAL, the two per-turn queries built once)",
                "Rasa's",
                rasa_store,
                "ours",
                base,
            )
        )
    if base and base.get("by_position"):
        pos = {int(k): v for k, v in base["by_position"].items()}
        lines.append(
            f"| conversation length | turn 1 p50 {_f(pos.get(1))} ms, turn 20 p50 "
            f"{_f(pos.get(20))} ms | see latency_by_turn.png |"
        )
    return lines


def plots(data: dict, out: Path) -> list:
    made = []
    fig, ax = plt.subplots(figsize=(7, 4))
    for label, e in data["speed"].items():
        if len(e["levels"]) < 2:
            continue
        x = [lv["concurrency"] for lv in e["levels"]]
        (line,) = ax.plot(x, [lv["p50_ms"] for lv in e["levels"]], marker="o", label=f"{label} p50")
        ax.plot(
            x,
            [lv["p95_ms"] for lv in e["levels"]],
            marker="x",
            linestyle="--",
            color=line.get_color(),
            label=f"{label} p95",
        )
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="concurrent conversations",
        ylabel="turn latency (ms)",
        title="Latency by concurrency",
    )
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "latency_by_concurrency.png", dpi=110)
    made.append("latency_by_concurrency.png")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4))
    labels = [label for label, e in data["speed"].items() if len(e["levels"]) > 2]
    width = 0.8 / max(1, len(labels))
    for i, label in enumerate(labels):
        levels = data["speed"][label]["levels"]
        ax.bar(
            [j + i * width for j in range(len(levels))],
            [lv["turns_per_s"] for lv in levels],
            width,
            label=label,
        )
        ax.set_xticks(
            [j + width * (len(labels) - 1) / 2 for j in range(len(levels))],
            [str(lv["concurrency"]) for lv in levels],
        )
    ax.set(xlabel="concurrent conversations", ylabel="turns per second", title="Throughput")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "throughput.png", dpi=110)
    made.append("throughput.png")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(9, 5))
    names = list(data["configs"])
    intents = sorted(per_intent(data["configs"][names[0]]["held_out"]["unseen"]))
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        scores = per_intent(data["configs"][name]["held_out"]["unseen"])
        ax.bar(
            [j + i * width for j in range(len(intents))],
            [scores.get(k, 0) for k in intents],
            width,
            label=name,
        )
    ax.set_xticks(
        [j + width * (len(names) - 1) / 2 for j in range(len(intents))],
        intents,
        rotation=60,
        ha="right",
        fontsize=8,
    )
    ax.set(ylabel="F1", ylim=(0, 1.05), title="F1 per intent, held-out file (unseen)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "f1_per_intent.png", dpi=110)
    made.append("f1_per_intent.png")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4))
    for label, e in data["speed"].items():
        pos = {int(k): v for k, v in e.get("by_position", {}).items()}
        if pos:
            ax.plot(sorted(pos), [pos[k] for k in sorted(pos)], marker="o", label=label)
    ax.set(
        xlabel="turn number in one conversation",
        ylabel="p50 latency (ms)",
        title="Latency by conversation length (one conversation at a time)",
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "latency_by_turn.png", dpi=110)
    made.append("latency_by_turn.png")
    plt.close(fig)
    return made


def write(data: dict, out: Path) -> None:
    m = data["machine"]
    f1 = f1_table(data)
    (out / "f1_per_intent.md").write_text("\n".join(f1) + "\n")
    plots(data, out)
    ratio = ""
    if "project" in data["speed"] and "rasa-default" in data["speed"]:
        r = (
            _level(data["speed"]["project"], 10)["turns_per_s"]
            / _level(data["speed"]["rasa-default"], 10)["turns_per_s"]
        )
        ratio = (
            f"\nAt 10 concurrent conversations this project serves **{r:.1f}x** the "
            f"throughput of Rasa's default configuration.\n"
        )
    quiet = "quiet" if max(m["load_before"]) < 1.0 else "not quiet"
    text = [
        "# Benchmark (`make bench`)",
        "",
        f"{m['date']}; {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB; Python {m['python']}, "
        f"Rasa {m['rasa']}. Load average before the run "
        f"{', '.join(f'{x:.2f}' for x in m['load_before'])} "
        f"({quiet}), after {', '.join(f'{x:.2f}' for x in m.get('load_after', []))}. "
        f"Wall time {data.get('wall_s', 0) / 60:.1f} min"
        + (" (BENCH_QUICK: a small development run, not figures to quote)" if data["quick"] else "")
        + ".",
        "",
        "Configurations: **project** is config.yml; **no-encoder** is config.yml without "
        "the MiniLM encoder and the other-systems guard, fallback 0.6 / 0.1, on today's data; "
        "**rasa-default** is the pipeline and "
        "policies that `rasa init` gets (Rasa's default_config.yml: DIET, ResponseSelector, "
        "TEDPolicy, UnexpecTEDIntentPolicy, MemoizationPolicy, RulePolicy); **minilm** is "
        "config.yml with Rasa's LanguageModelFeaturizer (TensorFlow) in place of the project's "
        "ONNX encoder (dialogue policies as config.yml). All trained on the same data and domain.",
        "",
        "## Targets",
        "",
        *targets(data),
        "",
        "## Quality",
        "",
        *quality_table(data),
        "",
        "Per-intent F1 (held-out files and cross-validation): `f1_per_intent.md`; the intent "
        "reports and confusion matrices: `<configuration>/{unseen,dev,cross-validation}/`.",
        "",
        "![F1 per intent](f1_per_intent.png)",
        "",
        "## Speed",
        "",
        "Five-turn conversations over the REST channel (a question, a button payload or the "
        "reinstate form's yes/no, a follow-up, thanks), each server with its own SQLite tracker "
        "store and the same action server.",
        "",
        *speed_table(data),
        ratio,
        *server_table(data),
        "",
        "![Latency by concurrency](latency_by_concurrency.png)",
        "",
        "![Throughput](throughput.png)",
        "",
        "![Latency by turn](latency_by_turn.png)",
        "",
        "## One process and the cluster",
        "",
        "The cluster is `make run-cluster`'s profile on this machine: nginx in front, the "
        "PostgreSQL tracker store, the Redis lock store and channel state, the RabbitMQ event "
        "broker, two action servers; a database, key prefix and queue of the run's own, "
        "removed after it. Its channels are REST and the readiness report: the website chat "
        "(socket.io) needs one worker per server, and rasa_server.py refuses more beside it.",
        "",
        *cluster_table(data),
        "",
        "CPU time per answered turn at 10 concurrent (ms, user + system, from /proc, over "
        "every run of that level), by process. The machine's own services count: the load is "
        "theirs too. The bound is the throughput at which the cores would be busy all the time "
        "at that cost.",
        "",
        *cpu_table(data),
        "",
        "## Levers",
        "",
        *levers_table(data),
        "",
    ]
    (out / "bench.md").write_text("\n".join(text))


if __name__ == "__main__":
    results = Path(sys.argv[1] if len(sys.argv) > 1 else "results")
    write(json.loads((results / "bench.json").read_text()), results)
