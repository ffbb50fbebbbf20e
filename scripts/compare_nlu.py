"""Compares NLU pipelines on the held-out files: accuracy, training time, parse time.

Usage: .venv/bin/python scripts/compare_nlu.py [variant ...]   (make compare-nlu)
Each variant is config.yml with one change; the table it prints is the
measurement behind the choices in config.yml (docs/decisions/pipeline.md).
"""

import asyncio
import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the custom NLU component (nlp.secret_guard)
RASA = str(Path(sys.executable).parent / "rasa")
TEST_FILES = {"unseen": "tests/nlu/test_nlu_unseen.yml", "dev": "tests/nlu/test_nlu.yml"}
ENV = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3")


def replace(pipeline, name, new):
    return [new if step["name"] == name else step for step in pipeline]


def without(pipeline, *names):
    return [step for step in pipeline if step["name"] not in names]


def tokenizer(pipeline, name):
    """``pipeline`` with its tokenizer replaced by ``name``."""
    return [({"name": name} if step["name"].endswith("Tokenizer") else step) for step in pipeline]


def diet(pipeline, **changes):
    return [
        ({**step, **changes} if step["name"] == "DIETClassifier" else step) for step in pipeline
    ]


def variants(base):
    pipe = base["pipeline"]
    spacy_tokens = tokenizer(pipe, "SpacyTokenizer")
    whitespace = tokenizer(pipe, "WhitespaceTokenizer")
    no_spacy = without(whitespace, "SpacyNLP", "SpacyEntityExtractor")
    logistic = {"name": "LogisticRegressionClassifier", "random_state": 2024}
    # Rasa's default DIET size: two transformer layers of 256 units.
    big = {"number_of_transformer_layers": 2, "transformer_size": 256}
    return {
        "config.yml as committed": pipe,
        "spaCy tokens, DIET 1x128, 40 epochs": diet(
            spacy_tokens, epochs=40, number_of_transformer_layers=1, transformer_size=128
        ),
        "spaCy tokens, DIET 1x128, 60 epochs": diet(
            spacy_tokens, epochs=60, number_of_transformer_layers=1, transformer_size=128
        ),
        "spaCy tokens, DIET 1x64, 60 epochs": diet(
            spacy_tokens, epochs=60, number_of_transformer_layers=1, transformer_size=64
        ),
        "spaCy tokens, DIET no transformer, 100 epochs": diet(
            spacy_tokens, epochs=100, number_of_transformer_layers=0
        ),
        "spaCy tokens, DIET 2x256, 100 epochs": diet(spacy_tokens, epochs=100, **big),
        "spaCy tokens, DIET 2x256, 50 epochs": diet(spacy_tokens, epochs=50, **big),
        "whitespace tokens, DIET 2x256, 100": diet(whitespace, epochs=100, **big),
        "whitespace tokens, LogisticRegression": replace(whitespace, "DIETClassifier", logistic),
        "no spaCy at all, DIET 2x256, 100": diet(no_spacy, epochs=100, **big),
    }


def macro_f1(model, test_file, out):
    subprocess.run(
        [RASA, "test", "nlu", "--nlu", test_file, "-m", model, "--out", out, "--no-plot"],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        check=True,
    )
    return json.loads((Path(out) / "intent_report.json").read_text())["macro avg"]["f1-score"]


def parse_ms(model, texts):
    import logging

    import structlog
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    # Rasa logs every parsed message (text included) at debug level.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    async def timed():
        await agent.parse_message(texts[0])  # warm-up
        times = []
        for text in texts:
            start = time.perf_counter()
            await agent.parse_message(text)
            times.append((time.perf_counter() - start) * 1000)
        return times

    times = asyncio.run(timed())
    return statistics.median(times), sorted(times)[int(len(times) * 0.95) - 1]


def main(selected):
    base = yaml.safe_load((ROOT / "config.yml").read_text())
    held_out = yaml.safe_load((ROOT / TEST_FILES["unseen"]).read_text())["nlu"]
    texts = [
        line.strip()[2:]
        for item in held_out
        for line in item["examples"].splitlines()
        if line.strip().startswith("- ")
    ]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, pipeline in variants(base).items():
            if selected and not any(s in label for s in selected):
                continue
            config = copy.deepcopy(base)
            config["pipeline"] = pipeline
            config_path = Path(tmp) / "config.yml"
            config_path.write_text(yaml.safe_dump(config))
            start = time.perf_counter()
            # A fresh cache, or Rasa reuses components trained earlier and the
            # training time means nothing.
            cache = tempfile.mkdtemp(dir=tmp)
            subprocess.run(
                [
                    RASA,
                    "train",
                    "nlu",
                    "-c",
                    str(config_path),
                    "--out",
                    tmp,
                    "--fixed-model-name",
                    "variant",
                ],
                cwd=ROOT,
                env=dict(ENV, RASA_CACHE_DIRECTORY=cache),
                capture_output=True,
                check=True,
            )
            train_s = time.perf_counter() - start
            model = str(Path(tmp) / "variant.tar.gz")
            f1 = {k: macro_f1(model, f, str(Path(tmp) / k)) for k, f in TEST_FILES.items()}
            p50, p95 = parse_ms(model, texts)
            rows.append((label, f1["unseen"], f1["dev"], train_s, p50, p95))
            print(f"done: {label}", file=sys.stderr, flush=True)
    print(
        "| pipeline | macro-F1 unseen | macro-F1 dev | NLU training (s) "
        "| parse p50 (ms) | parse p95 (ms) |"
    )
    print("|---|---|---|---|---|---|")
    for label, unseen, dev, train_s, p50, p95 in rows:
        print(f"| {label} | {unseen:.3f} | {dev:.3f} | {train_s:.0f} | {p50:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
