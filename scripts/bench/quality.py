"""Training time, held-out scores and cross-validation for each configuration.

Each configuration is trained once in full (NLU and dialogue, a fresh cache so
the time is real); its NLU is scored on the held-out files with `rasa test
nlu`, which writes intent_report.json and intent_confusion_matrix.png; and
cross-validated on data/nlu.yml (`rasa test nlu --cross-validation`).
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RASA = str(Path(sys.executable).parent / "rasa")
HELD_OUT = {"unseen": "tests/nlu/test_nlu_unseen.yml", "dev": "tests/nlu/test_nlu.yml"}
ENV = dict(
    os.environ,
    RASA_TELEMETRY_ENABLED="false",
    TF_CPP_MIN_LOG_LEVEL="3",
    HF_HUB_OFFLINE="1",
    TRANSFORMERS_OFFLINE="1",
    PYTHONWARNINGS="ignore::DeprecationWarning",
)


def rasa(*args, log: Path, env: dict | None = None):
    """Runs the rasa CLI, appending its output to ``log``."""
    with open(log, "a") as out:
        subprocess.run(
            [RASA, *args],
            cwd=ROOT,
            env=env or ENV,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
        )


def train(config: Path, out: Path, name: str, log: Path, env: dict | None = None) -> float:
    """Trains a full model with a fresh cache; returns the wall time in seconds."""
    cache = tempfile.mkdtemp(prefix="rasa-cache-", dir=out)
    start = time.perf_counter()
    rasa(
        "train",
        "-c",
        str(config),
        "--out",
        str(out),
        "--fixed-model-name",
        name,
        log=log,
        env=dict(env or ENV, RASA_CACHE_DIRECTORY=cache),
    )
    return time.perf_counter() - start


def held_out(model: Path, out: Path, log: Path, env: dict | None = None) -> dict:
    """The per-intent report on each held-out file, and the parse time."""
    with open(log, "a") as err:
        printed = subprocess.run(
            [sys.executable, "-m", "scripts.bench.evaluate", str(model), str(out)],
            cwd=ROOT,
            env=env or ENV,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            check=True,
        ).stdout
    reports = {
        label: json.loads((out / label / "intent_report.json").read_text()) for label in HELD_OUT
    }
    reports["parse"] = json.loads(printed.strip().splitlines()[-1])
    return reports


def cross_validate(config: Path, out: Path, folds: int, log: Path, env: dict | None = None) -> dict:
    target = out / "cross-validation"
    start = time.perf_counter()
    rasa(
        "test",
        "nlu",
        "--nlu",
        "data/nlu.yml",
        "-c",
        str(config),
        "--cross-validation",
        "--runs",
        "1",
        "--folds",
        str(folds),
        "--out",
        str(target),
        log=log,
        env=env,
    )
    report = json.loads((target / "intent_report.json").read_text())
    report["_seconds"] = time.perf_counter() - start
    return report


def macro_f1(report: dict) -> float:
    return report["macro avg"]["f1-score"]


def per_intent(report: dict) -> dict:
    return {
        k: v["f1-score"]
        for k, v in report.items()
        if isinstance(v, dict) and "f1-score" in v and "avg" not in k and k != "accuracy"
    }
