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


# --- not for this assistant: CLINC150 and the visitors' files ------------------------

VISITOR_FILES = {
    "visitors_final": "tests/nlu/visitors_final.yml",
    "visitors_dev": "tests/nlu/visitors_dev.yml",
}
VISITORS_LOCKBOX = "visitors_final"
# The reply each visitor's label names, as the dialogue decides it from the parse.
REPLY_OF_KIND = {
    "visitor": "provider_contact",
    "safeguarding": "safeguarding",
    "emergency": "emergency",
    "other": "other",
}
# The replies that say 999 (of REPLY_OF_KIND's values; not another system's).
CARRIES_999 = ("emergency", "safeguarding", "provider_contact", "other")
# Percentiles of the in-scope examples' own scores tried by the calibration.
PERCENTILES = (2.0, 5.0, 7.5, 10.0)
# Margins tried (None: the outside score unused).
MARGINS = (None, 0.05, 0.0, -0.03)


def pre_guard(parse: dict) -> str:
    """The intent before the open-world guard: what it set aside, or what stood."""
    rejected = (parse.get("open_world") or {}).get("rejected")
    return rejected or acted_intent(parse)


def redecide(parse: dict, threshold: float, margin: Optional[float]) -> str:
    """The acted intent had the guard's threshold and margin been these
    (``margin`` None: the outside score unused); the rescue aside."""
    from nlp.open_world import KEPT
    from nlp.systems import names_nhsmail

    intent = pre_guard(parse)
    verdict = parse.get("open_world") or {}
    score, outside = verdict.get("score"), verdict.get("outside")
    if intent in KEPT or score is None:
        return intent
    closer_outside = margin is not None and outside is not None and outside - score > margin
    if (score < threshold or closer_outside) and not names_nhsmail(parse.get("text") or ""):
        return OUT_OF_SCOPE
    return intent


def reply_kind(parse: dict) -> str:
    """Which kind of reply the dialogue gives a single message with no
    conversation before it: "topic", "fallback", "conversation", or a
    not-for-me kind's reply (REPLY_OF_KIND's values)."""
    from nlp import kinds

    intent = acted_intent(parse)
    if intent == NLU_FALLBACK:
        return "fallback"
    if intent in CONVERSATION:
        return "conversation"
    if intent != OUT_OF_SCOPE:
        return "topic"
    types = [e.get("entity") for e in parse.get("entities") or []]
    kind = kinds.reply_kind(
        (parse.get("open_world") or {}).get("kind"), parse.get("text") or "", types
    )
    # Another system's reply, and the NHSmail topics' buttons, as their own.
    return {kinds.OTHER_SYSTEM: "other_system", kinds.CLARIFY: "fallback"}.get(
        kind, REPLY_OF_KIND.get(kind, "other")
    )


@dataclass(frozen=True)
class Visitor:
    text: str
    reply: str
    kind: str


def read_visitors(path: Path) -> List[Visitor]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Visitor(str(m["text"]), str(m["reply"]), str(m.get("kind") or "-"))
        for m in data["messages"]
    ]


def right_reply(label: str, reply: str) -> bool:
    """The reply is the one the label names; "other" is anything else's reply,
    another system's included."""
    return label == reply or (label == "other" and reply == "other_system")


def score_visitors(visitors: Sequence[Visitor], parses: Sequence[dict]) -> Tuple[dict, List[str]]:
    from nlp.kinds import EMERGENCY

    replies = [reply_kind(p) for p in parses]
    emergencies = [(v, r) for v, r in zip(visitors, replies) if v.reply == EMERGENCY]
    by_label: Dict[str, List[bool]] = defaultdict(list)
    for v, r in zip(visitors, replies):
        by_label[v.reply].append(right_reply(v.reply, r))
    return {
        "n": len(visitors),
        "topic": sum(r == "topic" for r in replies) / len(replies),
        "right_reply": sum(right_reply(v.reply, r) for v, r in zip(visitors, replies))
        / len(replies),
        "per_label": {k: (sum(v), len(v)) for k, v in sorted(by_label.items())},
        # Emergencies whose reply carries 999: every not-for-me reply does
        # (tests/actions/test_not_for_me.py checks each); a topic, the
        # fallback's buttons or another system's reply do not.
        "emergency_999": sum(r in CARRIES_999 for _, r in emergencies),
        "emergency_n": len(emergencies),
    }, replies


def model_meta(model: str) -> dict:
    """What the trained open-world guard stored: its threshold and the
    in-scope examples' own scores, for the calibration table."""
    import tarfile

    with tarfile.open(model) as archive:
        for member in archive.getmembers():
            if member.name.endswith("open_world.json"):
                handle = archive.extractfile(member)
                if handle is not None:
                    return json.loads(handle.read())
    return {}


def evaluate_open_world(model: str, calibrate: bool, errors: bool) -> List[str]:
    """CLINC150's test figures (and, calibrating, its train and val) and the
    visitors' files, as printed lines."""
    import numpy as np

    from nlp.intents import TOPICS
    from scripts import clinc150

    lines: List[str] = []
    visitors = {name: read_visitors(ROOT / path) for name, path in VISITOR_FILES.items()}
    texts = [v.text for name in visitors for v in visitors[name]]
    clinc_sets: Dict[str, list] = {}
    if clinc150.available():
        clinc_sets["test"] = clinc150.load(["test"])
        clinc_sets["oos_test"] = clinc150.load(["oos_test"])
        if calibrate:
            clinc_sets["train+val"] = clinc150.load(["train", "val", "oos_train", "oos_val"])
        for requests in clinc_sets.values():
            texts += [r.text for r in requests]
    # One model load for every text: the calibration's blind_dev goes at the end.
    dev = read_examples(ROOT / FILES["blind_dev"]) if calibrate else []
    parses = parse_all(model, texts + [e.text for e in dev])
    dev_parses = parses[len(texts) :]
    visitor_parses: Dict[str, List[dict]] = {}
    at = 0
    for name, rows in visitors.items():
        chunk = parses[at : at + len(rows)]
        visitor_parses[name] = chunk
        at += len(rows)
        figures, replies = score_visitors(rows, chunk)
        lockbox = name == VISITORS_LOCKBOX
        lines.append(f"== {VISITOR_FILES[name]}" + (" (lockbox: figures only)" if lockbox else ""))
        lines.append(
            f"   {figures['n']} website visitors' messages: NHSmail topic {figures['topic']:.1%}, "
            f"the reply their label names {figures['right_reply']:.1%}; someone in danger: "
            f"{figures['emergency_999']} of {figures['emergency_n']} told 999"
        )
        lines.append(
            "   per label (right / all): "
            + ", ".join(f"{k} {a}/{b}" for k, (a, b) in figures["per_label"].items())
        )
        if errors and not lockbox:
            for v, r in zip(rows, replies):
                if not right_reply(v.reply, r):
                    lines.append(f"     [{v.kind}] {v.reply} -> {r}: {v.text}")
    if not clinc_sets:
        lines.append(f"== CLINC150: {clinc150.path()} is missing; its figures are skipped")
        return lines
    conversation = list(CONVERSATION)
    lines.append(f"== {clinc150.CITATION}")
    lines.append(
        "   Measured: distinct requests, CLINC150's small talk apart (greeting, goodbye, "
        "thank_you, yes, no, are_you_a_bot: scored on getting the assistant's own reply), "
        "and leaving out every request that mentions passwords, PINs, e-mail, log-ins or "
        "accounts (scripts/clinc150.py, MENTIONS_ACCOUNTS)."
    )
    split_parses = {}
    for split, requests in clinc_sets.items():
        split_parses[split] = parses[at : at + len(requests)]
        at += len(requests)
    meta = model_meta(model)
    for split in ("test", "oos_test"):
        requests, chunk = clinc_sets[split], split_parses[split]
        by_text = dict(zip([r.text for r in requests], chunk))
        measured = clinc150.measured(requests)
        acted = [acted_intent(by_text[r.text]) for r in measured]
        shares = clinc150.shares(acted, TOPICS, conversation)
        left_out = clinc150.left_out(requests)
        talk = clinc150.small_talk(requests)
        lines.append(
            f"   {split}: {len(requests)} distinct, {len(left_out)} left out for account words, "
            f"{len(talk)} small talk; the rest: {shares.line()}"
        )
        if talk:
            right = clinc150.small_talk_right(talk, [acted_intent(by_text[r.text]) for r in talk])
            lines.append(f"   {split} small talk: {right:.1%} got the assistant's own reply")
        lo_acted = [acted_intent(by_text[r.text]) for r in left_out]
        if left_out:
            lo = clinc150.shares(lo_acted, TOPICS, conversation)
            lines.append(f"   {split}, the left-out account requests (not gated): {lo.line()}")
    if "test" in clinc_sets:
        both = [
            acted_intent(dict(zip([r.text for r in clinc_sets[s]], split_parses[s]))[r.text])
            for s in ("test", "oos_test")
            for r in clinc150.measured(clinc_sets[s])
        ]
        lines.append("   test + oos_test: " + clinc150.shares(both, TOPICS, conversation).line())
    if calibrate and meta:
        requests = clinc150.measured(clinc_sets["train+val"])
        by_text = dict(zip([r.text for r in clinc_sets["train+val"]], split_parses["train+val"]))
        chosen = [by_text[r.text] for r in requests]
        loo = np.asarray(meta["loo_scores"])
        lines.append(
            "   calibration on CLINC150 train + val (the rule: threshold = percentile p of the "
            "in-scope training examples' own scores; blind_dev.yml for what it costs):"
        )
        vis_parses = visitor_parses["visitors_dev"]
        lines.append(
            "     p     margin  threshold  CLINC150 topic  visitors_dev topic  "
            "blind_dev questions read as out of scope"
        )
        n_topics = sum(1 for e in dev if is_topic(e.intent))
        for p in PERCENTILES:
            t = float(np.percentile(loo, p))
            for m in MARGINS:
                acted = [redecide(x, t, m) for x in chosen]
                topic = clinc150.shares(acted, TOPICS, conversation).topic
                vis = sum(redecide(x, t, m) in TOPICS for x in vis_parses) / len(vis_parses)
                lost = sum(
                    1
                    for e, x in zip(dev, dev_parses)
                    if is_topic(e.intent) and redecide(x, t, m) == OUT_OF_SCOPE
                )
                shown = "off" if m is None else f"{m:+.2f}"
                lines.append(
                    f"     {p:<5} {shown:6}  {t:.4f}     {topic:6.2%}          {vis:6.2%}"
                    f"              {lost} of {n_topics}"
                )
        lines.append(f"   the trained model's threshold: {meta['threshold']:.4f}")
    return lines


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "nhsmail.tar.gz"))
    parser.add_argument("--files", nargs="+", choices=list(FILES), default=list(FILES))
    parser.add_argument("--errors", action="store_true", help="list errors (never the lockbox's)")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument(
        "--no-open-world", action="store_true", help="skip CLINC150 and the visitors' files"
    )
    parser.add_argument(
        "--calibrate",
        action="store_true",
        help="also CLINC150's train and val splits: the threshold rule's table (3-4 minutes)",
    )
    args = parser.parse_args(argv)
    if not Path(args.model).exists():
        print(f"{args.model} is missing: run `make train`", file=sys.stderr)
        return 2
    logging.disable(logging.WARNING)
    results = evaluate(args.model, args.files)
    for name, (examples, predicted, result) in results.items():
        print(report(name, result, examples, predicted, args.errors))
    if not args.no_open_world:
        print("\n".join(evaluate_open_world(args.model, args.calibrate, args.errors)))
    if args.json:
        Path(args.json).write_text(
            json.dumps({name: result for name, (_, _, result) in results.items()}, indent=1)
        )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.exit(main())
