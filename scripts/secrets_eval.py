"""Recall and false alarms of the secrets detector on a labelled corpus.

    .venv/bin/python -m scripts.secrets_eval tests/privacy/secrets_dev.yml [--errors]

A disclosure counts as caught when the message is flagged (the user is warned)
and every labelled secret lies inside a masked span (nothing of it is kept).
A message that discloses nothing and is flagged is a false alarm. The message
before (``previous``) or the assistant's reply (``previous_bot``), where the
corpus gives one, sets the context as it would in a chat.

`--errors` lists the misses and false alarms. Use it on the development file
only: tests/privacy/secrets_final.yml is a lockbox, its figures are printed
and its errors are never read.
"""

import argparse
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List

import yaml

from nlp.secrets import find_secrets, reply_context


def load(path: Path) -> List[Dict[str, Any]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]


def after_context(case: Dict[str, Any]) -> str:
    """The context the message is read in, as nlp.privacy reads it from a
    conversation: the user's previous message (``previous``), or the
    assistant's reply since (``previous_bot``)."""
    replied = reply_context(case.get("previous_bot") or "")
    if replied:
        return replied
    previous = case.get("previous")
    if not previous:
        return ""
    finding = find_secrets(previous)
    return finding.context or ("password" if finding.disclosed else "")


def judge(case: Dict[str, Any]) -> Dict[str, Any]:
    text, secrets = case["text"], case.get("secrets") or []
    finding = find_secrets(text, after_context(case))
    covered = all(
        any(text.find(s) >= a and text.find(s) + len(s) <= b for a, b in finding.spans)
        for s in secrets
    )
    if secrets:
        ok = finding.disclosed and covered
    else:
        ok = not finding.disclosed
    return {"ok": ok, "flagged": finding.disclosed, "covered": covered, "spans": finding.spans}


def evaluate(cases: List[Dict[str, Any]]) -> Dict[str, Any]:
    by_kind: Dict[str, List[bool]] = defaultdict(list)
    disclosures = caught = warned = quiet = alarms = 0
    errors = []
    for case in cases:
        verdict = judge(case)
        by_kind[case.get("kind", "?")].append(verdict["ok"])
        if case.get("secrets"):
            disclosures += 1
            caught += verdict["ok"]
            warned += verdict["flagged"]
        else:
            quiet += 1
            alarms += verdict["flagged"]
        if not verdict["ok"]:
            errors.append((case, verdict))
    return {
        "disclosures": disclosures,
        "non_disclosures": quiet,
        "recall": caught / disclosures if disclosures else 1.0,
        "warned": warned / disclosures if disclosures else 1.0,
        "false_alarm_rate": alarms / quiet if quiet else 0.0,
        "false_alarms": alarms,
        "missed": disclosures - caught,
        "by_kind": {k: (sum(v), len(v)) for k, v in sorted(by_kind.items())},
        "errors": errors,
    }


def report(name: str, result: Dict[str, Any]) -> str:
    lines = [
        f"{name}: {result['disclosures']} disclosures, {result['non_disclosures']} non-disclosures",
        f"  recall (warned and fully masked) {result['recall']:.3f}; warned "
        f"{result['warned']:.3f}; false alarms {result['false_alarm_rate']:.3%} "
        f"({result['false_alarms']})",
        "  | kind | right | cases |",
        "  |---|---|---|",
    ]
    lines += [f"  | {k} | {ok} | {n} |" for k, (ok, n) in result["by_kind"].items()]
    return "\n".join(lines)


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path, nargs="+")
    parser.add_argument("--errors", action="store_true")
    args = parser.parse_args(argv)
    for path in args.corpus:
        result = evaluate(load(path))
        print(report(path.name, result))
        if args.errors:
            if "final" in path.name:
                print("  (errors of the lockbox are not shown)")
                continue
            for case, verdict in result["errors"]:
                print(
                    f"  - [{case.get('kind')}] prev={case.get('previous')!r} "
                    f"bot={case.get('previous_bot')!r} "
                    f"text={case['text']!r} secrets={case.get('secrets')} "
                    f"flagged={verdict['flagged']} spans="
                    f"{[case['text'][a:b] for a, b in verdict['spans']]}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
