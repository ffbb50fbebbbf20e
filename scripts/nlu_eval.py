"""`make eval`: what the trained model understands, on every held-out file.

For each file: intent macro-F1 and accuracy, per-intent F1, accuracy per kind
of message (the blind files label each example with its kind), and the
out-of-scope confusion both ways (out of scope read as a topic; a topic read as
out of scope).

The prediction is the intent the dialogue acts on: the classifier after the
FallbackClassifier and the guards. Where SecretGuard put `share_password` on
top, the intent behind it counts, since the assistant answers that too.
`nlu_fallback` counts as wrong for every label.

tests/nlu/blind_final.yml is the lockbox: only figures are printed for it,
never a message. Other files list their errors with --errors.

Usage: python -m scripts.nlu_eval [--model models/nhsmail.tar.gz]
       [--files dev unseen blind_dev blind_final] [--errors] [--json OUT]
"""

import argparse
import asyncio
import json
import logging
import os
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import yaml

from nlp.intents import CONVERSATION, NLU_FALLBACK, OUT_OF_SCOPE, SHARE_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
FILES = {
    "blind_final": "tests/nlu/blind_final.yml",
    "blind_dev": "tests/nlu/blind_dev.yml",
    "unseen": "tests/nlu/test_nlu_unseen.yml",
    "dev": "tests/nlu/test_nlu.yml",
}
LOCKBOX = "blind_final"


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    kind: str


def read_examples(path: Path) -> List[Example]:
    """Rasa NLU YAML, examples as a block of "- " lines or as text/metadata items."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    examples = []
    for item in data.get("nlu") or []:
        if "intent" not in item:
            continue
        raw = item["examples"]
        if isinstance(raw, str):
            for line in raw.splitlines():
                if line.strip().startswith("- "):
                    examples.append(Example(line.strip()[2:].strip(), item["intent"], "-"))
        else:
            for entry in raw:
                kind = ((entry.get("metadata") or {}).get("kind")) or "-"
                examples.append(Example(str(entry["text"]).strip(), item["intent"], kind))
    return examples


def acted_intent(parse: dict) -> str:
    """The intent the dialogue answers, as the docstring says."""
    name = (parse.get("intent") or {}).get("name") or NLU_FALLBACK
    if name == SHARE_PASSWORD:
        behind = [
            entry.get("name")
            for entry in parse.get("intent_ranking") or []
            if entry.get("name") != SHARE_PASSWORD
        ]
        return behind[0] if behind else NLU_FALLBACK
    return name


def f1_table(gold: Sequence[str], predicted: Sequence[str]) -> Dict[str, Dict[str, float]]:
    """Precision, recall, F1 and support for every gold label. Labels only
    ever predicted (``nlu_fallback``) are not classes: their cost is in the
    recall of the labels they took."""
    from sklearn.metrics import precision_recall_fscore_support

    labels = sorted(set(gold))
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, predicted, labels=labels, zero_division=0
    )
    return {
        label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(n)}
        for label, p, r, f, n in zip(labels, precision, recall, f1, support)
    }


def is_topic(label: str) -> bool:
    """Conversation labels are not topics: not counted in topic precision."""
    return label not in (OUT_OF_SCOPE, NLU_FALLBACK) and label not in CONVERSATION


def score(examples: Sequence[Example], predicted: Sequence[str]) -> dict:
    gold = [e.intent for e in examples]
    table = f1_table(gold, predicted)
    correct = [g == p for g, p in zip(gold, predicted)]
    kinds: Dict[str, List[bool]] = defaultdict(list)
    for example, ok in zip(examples, correct):
        kinds[example.kind].append(ok)
    oos = [p for g, p in zip(gold, predicted) if g == OUT_OF_SCOPE]
    topic_pairs = [(g, p) for g, p in zip(gold, predicted) if is_topic(p)]
    return {
        "n": len(examples),
        "accuracy": sum(correct) / len(correct),
        "macro_f1": sum(row["f1"] for row in table.values()) / len(table),
        "per_intent": table,
        "per_kind": {
            kind: {"accuracy": sum(oks) / len(oks), "n": len(oks)}
            for kind, oks in sorted(kinds.items())
        },
        "oos_n": len(oos),
        "oos_recall": (sum(p == OUT_OF_SCOPE for p in oos) / len(oos)) if oos else None,
        "oos_read_as_topic": sum(is_topic(p) for p in oos),
        "oos_read_as_fallback": sum(p == NLU_FALLBACK for p in oos),
        "topic_read_as_oos": sum(
            1 for g, p in zip(gold, predicted) if is_topic(g) and p == OUT_OF_SCOPE
        ),
        "topic_n": sum(1 for g in gold if is_topic(g)),
        # Of the messages answered with a topic, the share that got the right one.
        "topic_precision": (sum(g == p for g, p in topic_pairs) / len(topic_pairs))
        if topic_pairs
        else None,
    }


async def _parse_all(model: str, texts: Iterable[str]) -> List[dict]:
    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    # One line per parse at debug level otherwise: the figures would drown.
    configure_logging_and_warnings(logging.ERROR)
    configure_structlog(logging.ERROR)

    agent = Agent.load(model)
    return [await agent.parse_message(text) for text in texts]


def parse_all(model: str, texts: Sequence[str]) -> List[dict]:
    return asyncio.run(_parse_all(model, list(texts)))


def evaluate(model: str, names: Sequence[str]) -> Dict[str, Tuple[List[Example], List[str], dict]]:
    loaded = {name: read_examples(ROOT / FILES[name]) for name in names}
    texts = [e.text for name in names for e in loaded[name]]
    parses = parse_all(model, texts)
    results, at = {}, 0
    for name in names:
        examples = loaded[name]
        predicted = [acted_intent(p) for p in parses[at : at + len(examples)]]
        at += len(examples)
        results[name] = (examples, predicted, score(examples, predicted))
    return results


def report(
    name: str, result: dict, examples: Sequence[Example], predicted: Sequence[str], errors: bool
) -> str:
    lines = [
        f"== {FILES[name]}" + (" (lockbox: figures only)" if name == LOCKBOX else ""),
        f"   {result['n']} messages: intent macro-F1 {result['macro_f1']:.3f}, "
        f"accuracy {result['accuracy']:.3f}",
    ]
    if result["oos_recall"] is not None:
        lines.append(
            f"   out of scope: recall {result['oos_recall']:.3f} of {result['oos_n']}; "
            f"read as a topic {result['oos_read_as_topic']}, as fallback "
            f"{result['oos_read_as_fallback']}"
        )
    lines.append(
        f"   topics read as out of scope: {result['topic_read_as_oos']} of "
        f"{result['topic_n']}; topic precision {result['topic_precision']:.3f}"
    )
    lines.append("   per intent (F1, support):")
    for label, row in result["per_intent"].items():
        lines.append(f"     {label:34s} {row['f1']:.2f}  {row['support']:3d}")
    if len(result["per_kind"]) > 1:
        lines.append("   accuracy per kind:")
        for kind, row in result["per_kind"].items():
            lines.append(f"     {kind:34s} {row['accuracy']:.2f}  {row['n']:3d}")
    if errors and name != LOCKBOX:
        lines.append("   errors (gold -> predicted):")
        for example, guess in zip(examples, predicted):
            if example.intent != guess:
                lines.append(f"     [{example.kind}] {example.intent} -> {guess}: {example.text}")
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "nhsmail.tar.gz"))
    parser.add_argument("--files", nargs="+", choices=list(FILES), default=list(FILES))
    parser.add_argument("--errors", action="store_true", help="list errors (never the lockbox's)")
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args(argv)
    if not Path(args.model).exists():
        print(f"{args.model} is missing: run `make train`", file=sys.stderr)
        return 2
    logging.disable(logging.WARNING)
    results = evaluate(args.model, args.files)
    for name, (examples, predicted, result) in results.items():
        print(report(name, result, examples, predicted, args.errors))
    if args.json:
        Path(args.json).write_text(
            json.dumps({name: result for name, (_, _, result) in results.items()}, indent=1)
        )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.exit(main())
