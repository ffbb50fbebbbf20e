"""What nlp.privacy masks of a labelled corpus of personal data, per kind.

    .venv/bin/python -m scripts.pii_eval tests/privacy/pii_corpus.yml [--errors]

A labelled value counts as masked when a masked span of the same kind covers
it; "masked as anything" when any masked span does (what matters for
privacy: it is not kept). A masked span that covers no labelled value is a
false alarm. tests/privacy/test_corpora.py gates on ``measure``.
"""

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List

import yaml

from nlp.privacy import personal_data_spans

KINDS = ("EMAIL", "UK_PHONE", "NHS_NUMBER", "POSTCODE", "DATE_OF_BIRTH", "PERSON")


def load(path: Path) -> List[Dict[str, Any]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]


def measure(cases: List[Dict[str, Any]]) -> Dict[str, Any]:
    gold: Counter = Counter()
    same: Counter = Counter()
    anything: Counter = Counter()
    alarms: Counter = Counter()
    quiet_alarmed = quiet = 0
    errors = []
    for case in cases:
        text = case["text"]
        spans = personal_data_spans(text)
        used = set()
        for item in case.get("pii") or []:
            start = text.find(item["value"])
            end = start + len(item["value"])
            gold[item["kind"]] += 1
            covering = [i for i, (a, b, _) in enumerate(spans) if a < end and start < b]
            used.update(covering)
            if any(spans[i][2] == item["kind"] for i in covering):
                same[item["kind"]] += 1
            if covering:
                anything[item["kind"]] += 1
            else:
                errors.append(f"missed {item['kind']} {item['value']!r} in {text!r}")
        for i, (a, b, kind) in enumerate(spans):
            if i not in used:
                alarms[kind] += 1
                errors.append(f"false alarm {kind} {text[a:b]!r} in {text!r}")
        if not case.get("pii"):
            quiet += 1
            quiet_alarmed += bool(spans)
    return {
        "gold": gold,
        "same": same,
        "anything": anything,
        "alarms": alarms,
        "masked": {kind: anything[kind] / gold[kind] for kind in gold},
        "quiet": quiet,
        "quiet_alarmed": quiet_alarmed,
        "errors": errors,
    }


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--errors", action="store_true")
    args = parser.parse_args(argv)
    cases = load(args.corpus)
    result = measure(cases)
    gold = result["gold"]
    print(f"{args.corpus.name}: {len(cases)} messages, {sum(gold.values())} labelled values")
    print("| kind | labelled | masked as that kind | masked as anything | false alarms |")
    print("|---|---|---|---|---|")
    for kind in KINDS:
        n = gold[kind] or 1
        print(
            f"| {kind} | {gold[kind]} | {result['same'][kind] / n:.0%} | "
            f"{result['anything'][kind] / n:.0%} | {result['alarms'][kind]} |"
        )
    print(
        f"Messages without personal data that had something masked: "
        f"{result['quiet_alarmed']} of {result['quiet']}"
    )
    if args.errors:
        print("\n".join(result["errors"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
