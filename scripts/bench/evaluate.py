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
        await run_evaluation(str(ROOT / path), agent.processor, output_directory=str(out / label),
                             errors=True)
    texts = ["how do I reset my password?", "my account has been deleted", "thanks",
             "how do I add a new user to our care home's shared mailbox"] * 25
    await agent.parse_message(texts[0])
    times = []
    for text in texts:
        t0 = time.perf_counter()
        await agent.parse_message(text)
        times.append((time.perf_counter() - t0) * 1000)
    return {"load_s": load_s, "parse_p50_ms": percentile(times, 50),
            "parse_p95_ms": percentile(times, 95)}


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    print(json.dumps(asyncio.run(evaluate(sys.argv[1], Path(sys.argv[2])))))
