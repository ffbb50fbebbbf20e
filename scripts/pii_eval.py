"""What nlp.privacy masks of a labelled corpus of personal data, per kind.

    .venv/bin/python -m scripts.pii_eval tests/privacy/pii_corpus.yml [--errors]

A labelled value counts as masked when a masked span of the same kind covers
it; "masked as anything" when any masked span does (what matters for
privacy: it is not kept). A masked span that covers no labelled value is a
false alarm.
"""
import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import List

import yaml

from nlp.privacy import personal_data_spans

KINDS = ("EMAIL", "UK_PHONE", "NHS_NUMBER", "POSTCODE", "DATE_OF_BIRTH", "PERSON")


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--errors", action="store_true")
    args = parser.parse_args(argv)
    cases = yaml.safe_load(args.corpus.read_text(encoding="utf-8"))["cases"]
    gold, same, anything, alarms = Counter(), Counter(), Counter(), Counter()
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
    print(f"{args.corpus.name}: {len(cases)} messages, {sum(gold.values())} labelled values")
    print("| kind | labelled | masked as that kind | masked as anything | false alarms |")
    print("|---|---|---|---|---|")
    for kind in KINDS:
        n = gold[kind] or 1
        print(f"| {kind} | {gold[kind]} | {same[kind] / n:.0%} | {anything[kind] / n:.0%} "
              f"| {alarms[kind]} |")
    print(f"Messages without personal data that had something masked: {quiet_alarmed} of {quiet}")
    if args.errors:
        print("\n".join(errors))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
