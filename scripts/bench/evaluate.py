"""Scores one model's NLU on every held-out file with one model load.

Usage: python -m scripts.bench.evaluate MODEL OUT_DIR
Writes OUT_DIR/<file>/intent_report.json and intent_confusion_matrix.png,
as `rasa test nlu` does, and prints the parse time per message (ms).
"""

import asyncio
import json
import logging
import sys
import time
from pathlib import Path

import structlog

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # the custom NLU component (nlp.secret_guard)
HELD_OUT = {"unseen": "tests/nlu/test_nlu_unseen.yml", "dev": "tests/nlu/test_nlu.yml"}


async def evaluate(model: str, out: Path) -> dict:
    from rasa.core.agent import Agent
    from rasa.nlu.test import run_evaluation

    from scripts.bench.loadgen import percentile

    start = time.perf_counter()
    agent = Agent.load(model_path=model)
    load_s = time.perf_counter() - start
    # Rasa logs every parsed message (text included) at debug level.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    for label, path in HELD_OUT.items():
        await run_evaluation(
            str(ROOT / path), agent.processor, output_directory=str(out / label), errors=True
        )
    # The blind files, scored as `make eval` scores them (the intent the
    # dialogue acts on); figures only, the lockbox's errors are never written.
    # Their messages, all different, also time the parse: the MiniLM
    # featurizer caches repeated texts, and a repeated text would time the cache.
    from scripts import nlu_eval

    blind, times = {}, []
    await agent.parse_message("hello")
    for label in ("blind_dev", "blind_final"):
        examples = nlu_eval.read_examples(ROOT / nlu_eval.FILES[label])
        parses = []
        for example in examples:
            t0 = time.perf_counter()
            parses.append(await agent.parse_message(example.text))
            times.append((time.perf_counter() - t0) * 1000)
        figures = nlu_eval.score(examples, [nlu_eval.acted_intent(p) for p in parses])
        blind[label] = {
            k: figures[k] for k in ("macro_f1", "accuracy", "oos_recall", "topic_precision", "n")
        }
    return {
        "load_s": load_s,
        "parse_p50_ms": percentile(times, 50),
        "parse_p95_ms": percentile(times, 95),
        "parse_n": len(times),
        "blind": blind,
    }


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    print(json.dumps(asyncio.run(evaluate(sys.argv[1], Path(sys.argv[2])))))
