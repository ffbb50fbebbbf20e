"""The candidates for "not for this assistant", compared on CLINC150's train
and val splits (never its test split) and the blind development file.

Each candidate scores a message's closeness to the in-scope training examples
(data/), with the MiniLM sentence embedding the pipeline uses:
- knn-1, knn-5, knn-10: the mean cosine to the k nearest in-scope examples;
- centroid: the highest cosine to an intent's mean embedding;
- mahalanobis: minus the smallest Mahalanobis distance to an intent's mean,
  with one shared covariance (shrunk, as 384 dimensions need);
Each is read at the threshold that keeps 98% and 99% of blind_dev.yml's
NHSmail questions: what share of CLINC150's requests (the measured ones,
scripts/clinc150.py) would still pass as in scope. Lower is better. Then, for
the winner, the rule config.yml uses: a percentile of the in-scope examples'
own leave-one-out scores, and what each percentile does to both.

Usage: python -m scripts.open_world_study   (printed; docs/understanding.md has the table)
"""

import sys
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np
import yaml

from nlp.encoder import MiniLMEncoder
from nlp.intents import BUTTON_ONLY, OUT_OF_SCOPE
from nlp.open_world import leave_one_out_scores
from scripts import clinc150
from scripts.nlu_eval import read_examples

ROOT = Path(__file__).resolve().parent.parent
ENCODER_DIR = ROOT / "build" / "minilm"


def training_examples() -> List[Tuple[str, str]]:
    """(text, intent) of every training example in data/."""
    pairs = []
    for path in sorted((ROOT / "data").glob("nlu*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            if "intent" not in item:
                continue
            for line in str(item["examples"]).splitlines():
                if line.strip().startswith("- "):
                    pairs.append((line.strip()[2:].strip(), item["intent"]))
    return pairs


def embed(encoder: MiniLMEncoder, texts: Sequence[str]) -> np.ndarray:
    vectors = np.vstack([e.sentence for e in encoder.encode(list(texts))]).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def knn(matrix: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    sims = queries @ matrix.T
    return np.partition(sims, -k, axis=1)[:, -k:].mean(axis=1)


def main() -> int:
    if not clinc150.available():
        print(f"{clinc150.path()} is missing", file=sys.stderr)
        return 2
    encoder = MiniLMEncoder(ENCODER_DIR, cache_size=0)
    train = [(t, i) for t, i in training_examples() if i not in BUTTON_ONLY]
    inside = [(t, i) for t, i in train if i != OUT_OF_SCOPE]
    x_in = embed(encoder, [t for t, _ in inside])
    labels = [i for _, i in inside]
    dev = [e for e in read_examples(ROOT / "tests/nlu/blind_dev.yml") if e.intent != OUT_OF_SCOPE]
    x_dev = embed(encoder, [e.text for e in dev])
    requests = clinc150.measured(clinc150.load(["train", "val", "oos_train", "oos_val"]))
    x_oos = embed(encoder, [r.text for r in requests])
    print(f"in-scope training examples {len(inside)}, blind_dev questions {len(dev)}, ")
    print(f"CLINC150 train+val (+oos) measured requests {len(requests)}")

    intents = sorted(set(labels))
    centroids = np.vstack(
        [x_in[[j for j, label in enumerate(labels) if label == i]].mean(0) for i in intents]
    )
    centroids_n = centroids / np.linalg.norm(centroids, axis=1, keepdims=True)
    resid = x_in - centroids[[intents.index(label) for label in labels]]
    cov = np.cov(resid.T) + 0.1 * np.eye(x_in.shape[1])
    prec = np.linalg.inv(cov)

    def mahalanobis(q: np.ndarray) -> np.ndarray:
        d = q[:, None, :] - centroids[None, :, :]
        return -np.einsum("nci,ij,ncj->nc", d, prec, d).min(axis=1)

    methods: Dict[str, object] = {
        "knn-1": lambda q: knn(x_in, q, 1),
        "knn-5": lambda q: knn(x_in, q, 5),
        "knn-10": lambda q: knn(x_in, q, 10),
        "centroid": lambda q: (q @ centroids_n.T).max(axis=1),
        "mahalanobis": mahalanobis,
    }
    print("\n| method | CLINC150 passing at 98% of blind_dev kept | at 99% kept |")
    print("|---|---|---|")
    for name, score in methods.items():
        s_dev, s_oos = score(x_dev), score(x_oos)  # type: ignore[operator]
        cells = []
        for keep in (98, 99):
            t = np.percentile(s_dev, 100 - keep)
            cells.append(f"{(s_oos >= t).mean():.2%}")
        print(f"| {name} | {cells[0]} | {cells[1]} |")

    loo = leave_one_out_scores(x_in, 5)
    s_dev, s_oos = knn(x_in, x_dev, 5), knn(x_in, x_oos, 5)
    print("\nknn-5, the rule: threshold = percentile p of the in-scope examples' own scores")
    print("| p | threshold | CLINC150 train+val passing | blind_dev questions rejected |")
    print("|---|---|---|---|")
    for p in (0.5, 1, 2, 3, 5, 7.5, 10):
        t = float(np.percentile(loo, p))
        print(f"| {p} | {t:.3f} | {(s_oos >= t).mean():.2%} | {(s_dev < t).mean():.2%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
