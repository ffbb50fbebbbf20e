"""Rasa NLU component: a message far from every NHSmail question is not for
this assistant, and who is asking decides where it is sent instead.

The classifier chooses one of its intents for anything, so "set a timer" or
"I'd like to apply for a job" came out as an NHSmail topic. This component
measures how far the message's MiniLM sentence embedding (nlp/encoder.py) is
from the in-scope training examples: the mean cosine to its ``k`` nearest.
That beat class centroids, the classifier's margin and the nearest single
example on CLINC150's train and val splits (docs/understanding.md,
`make eval`), and costs one matrix-vector product.

The threshold is not a number in a file: `make train` computes it from the
project's own training data by the rule in config.yml, the ``percentile`` of
the in-scope examples' own scores (each scored against the others, leaving
itself out). So a fresh clone trains and runs without the benchmark.

It also keeps out-of-scope examples by kind: the training data's, and its
own (nlp/open_world_examples.yml), which the classifier never sees. The
mean cosine to the ``k`` nearest of those is the "outside" score.

What it decides, after the classifier, the fallback and OtherSystemGuard:
- a topic (or the fallback's "unsure") in a message that does not name
  NHSmail, whose score is under the threshold or whose outside score beats
  it by more than ``margin``, becomes `out_of_scope`; the classifier's
  ranking stays behind it;
- the reverse: a message that names NHSmail and is not far, which the
  classifier put out of scope, is the fallback's "unsure" (its buttons are
  NHSmail topics);
- an `out_of_scope` message gets a kind, from the kinds of its nearest
  out-of-scope examples (data/nlu_open_world.yml), raised to `emergency`
  when its words say someone may be in danger (nlp/kinds.py).
A yes or a no is never overridden: it answers a form's question or an
answer's offer, and the dialogue reads it in that context; nor is hello,
thanks or goodbye.

The final call is the dialogue's (actions/dialogue.py): it reads
``open_world`` from the parse data and, with the conversation, may answer a
rejected short follow-up, or a staff channel's message, after all.

It runs before SecretGuard, so a password typed alongside still gets the warning.
"""

import hashlib
import json
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Tuple

import numpy as np
import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlp import kinds
from nlp.intents import (
    FEEDBACK,
    FORM_ANSWERS,
    NLU_FALLBACK,
    OUT_OF_SCOPE,
    SHARE_PASSWORD,
    SMALL_TALK,
)
from nlp.secret_guard import put_first
from nlp.systems import names_nhsmail, other_system_named

logger = logging.getLogger(__name__)

# What the component adds to the parse data.
OPEN_WORLD_KEY = "open_world"
# Intents it never overrides: a yes or a no answers a form's question or an
# offer, hello, thanks and goodbye get their own short replies in any
# language ("Diolch yn fawr"), a vote is a click, and the guards' own
# decisions stand.
KEPT = frozenset(FORM_ANSWERS + SMALL_TALK + FEEDBACK) | {OUT_OF_SCOPE, SHARE_PASSWORD}

_IN_SCOPE_FILE = "in_scope.npy"
_OUT_FILE = "out_of_scope.npy"
_META_FILE = "open_world.json"


def sentence_vector(message: Message) -> Optional[np.ndarray]:
    """The message's dense sentence feature, L2-normalised; None without one."""
    _, sentence = message.get_dense_features(TEXT)
    if sentence is None:
        return None
    vector = np.asarray(sentence.features, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else None


def knn_score(matrix: np.ndarray, vector: np.ndarray, k: int) -> float:
    """The mean cosine of ``vector`` to its ``k`` nearest rows (unit vectors)."""
    return top_k_mean(matrix @ vector, k)


def top_k_mean(sims: np.ndarray, k: int) -> float:
    """The mean of the ``k`` highest of ``sims``; -1 (no neighbour) when empty."""
    k = min(k, sims.shape[0])
    return float(np.partition(sims, -k)[-k:].mean()) if k else -1.0


def leave_one_out_scores(matrix: np.ndarray, k: int) -> np.ndarray:
    """Each row's score against the other rows: what a new in-scope message
    at the edge of the training data would score."""
    sims = matrix @ matrix.T
    np.fill_diagonal(sims, -np.inf)
    k = min(k, sims.shape[1] - 1)
    return np.partition(sims, -k, axis=1)[:, -k:].mean(axis=1)


def example_kind(message: Message) -> str:
    """An out-of-scope training example's kind, from its block's metadata
    (or its own); unlabelled ones are ``other``."""
    metadata = message.get("metadata") or {}
    for key in ("example", "intent"):
        kind = (metadata.get(key) or {}).get("kind") if isinstance(metadata, dict) else None
        if kind in kinds.KINDS:
            return str(kind)
    return kinds.OTHER


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class OpenWorldGuard(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Neighbours averaged for the in-scope and out-of-scope scores.
            "k": 5,
            # The threshold: this percentile of the in-scope examples' own scores.
            "percentile": 5.0,
            # Set aside too when the out-of-scope examples are closer than the
            # in-scope ones by more than this (cosine).
            "margin": 0.0,
            # Neighbours that vote on an out-of-scope message's kind.
            "kind_k": 5,
            # The guard's own out-of-scope examples by kind, encoded at
            # training with the pipeline's encoder (MiniLMFeaturizer's settings).
            "examples": "nlp/open_world_examples.yml",
            "model_dir": "build/minilm",
            "quantized": True,
        }

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """The examples file's digest: an edit to it retrains the guard
        instead of Rasa restoring the old one from its cache."""
        path = Path({**cls.get_default_config(), **config}["examples"])
        return (
            hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
            if path.is_file()
            else None
        )

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        in_scope: Optional[np.ndarray] = None,
        out_of_scope: Optional[np.ndarray] = None,
        out_kinds: Tuple[str, ...] = (),
        threshold: float = -1.0,
        loo_scores: Tuple[float, ...] = (),
    ) -> None:
        self.config = config
        self._model_storage = model_storage
        self._resource = resource
        self.in_scope = in_scope if in_scope is not None else np.zeros((0, 1), np.float32)
        self.out_of_scope = (
            out_of_scope if out_of_scope is not None else np.zeros((0, 1), np.float32)
        )
        self.out_kinds = out_kinds
        self.threshold = threshold
        self.loo_scores = loo_scores

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "OpenWorldGuard":
        return cls({**cls.get_default_config(), **config}, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        inside: List[np.ndarray] = []
        outside: List[np.ndarray] = []
        out_kinds: List[str] = []
        for message in training_data.intent_examples:
            intent = message.get(INTENT)
            vector = sentence_vector(message)
            if vector is None or not intent or intent == SHARE_PASSWORD:
                continue
            if intent == OUT_OF_SCOPE:
                outside.append(vector)
                out_kinds.append(example_kind(message))
            else:
                inside.append(vector)
        if len(inside) < 2:
            raise ValueError("OpenWorldGuard needs in-scope examples with dense sentence features")
        self.in_scope = np.vstack(inside).astype(np.float32)
        self.out_of_scope = (
            np.vstack(outside).astype(np.float32)
            if outside
            else np.zeros((0, self.in_scope.shape[1]), np.float32)
        )
        own, own_kinds = self.own_examples()
        if len(own):
            self.out_of_scope = np.vstack([self.out_of_scope, own]).astype(np.float32)
        self.out_kinds = tuple(out_kinds) + own_kinds
        scores = leave_one_out_scores(self.in_scope, int(self.config["k"]))
        self.loo_scores = tuple(float(s) for s in np.sort(scores))
        self.threshold = float(np.percentile(scores, float(self.config["percentile"])))
        logger.info(
            "OpenWorldGuard: %d in-scope and %d out-of-scope examples; threshold %.4f "
            "(percentile %s of the in-scope examples' own scores)",
            len(inside),
            len(self.out_kinds),
            self.threshold,
            self.config["percentile"],
        )
        self.persist()
        return self._resource

    def own_examples(self) -> Tuple[np.ndarray, Tuple[str, ...]]:
        """The examples file's messages, encoded, and their kinds."""
        path = Path(self.config["examples"])
        if not path.is_file():
            raise ValueError(f"OpenWorldGuard: {path} is missing")
        by_kind = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("kinds") or {}
        texts, labels = [], []
        for kind, examples in by_kind.items():
            if kind not in kinds.KINDS:
                raise ValueError(f"OpenWorldGuard: {path}: {kind!r} is not one of {kinds.KINDS}")
            texts += [str(text) for text in examples or []]
            labels += [kind] * len(examples or [])
        if not texts:
            return np.zeros((0, self.in_scope.shape[1]), np.float32), ()
        from nlp.encoder import MiniLMEncoder

        encoder = MiniLMEncoder(
            Path(self.config["model_dir"]), bool(self.config["quantized"]), cache_size=0
        )
        vectors = np.vstack([e.sentence for e in encoder.encode(texts)]).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors, tuple(labels)

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            np.save(directory / _IN_SCOPE_FILE, self.in_scope)
            np.save(directory / _OUT_FILE, self.out_of_scope)
            meta = {
                "threshold": self.threshold,
                "out_kinds": list(self.out_kinds),
                "loo_scores": list(self.loo_scores),
            }
            (directory / _META_FILE).write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "OpenWorldGuard":
        config = {**cls.get_default_config(), **config}
        try:
            with model_storage.read_from(resource) as directory:
                meta = json.loads((directory / _META_FILE).read_text(encoding="utf-8"))
                return cls(
                    config,
                    model_storage,
                    resource,
                    np.load(directory / _IN_SCOPE_FILE),
                    np.load(directory / _OUT_FILE),
                    tuple(meta["out_kinds"]),
                    float(meta["threshold"]),
                    tuple(meta["loo_scores"]),
                )
        except (ValueError, FileNotFoundError) as error:
            # A model without this component's files cannot judge scope:
            # say so loudly rather than answer everything as NHSmail.
            raise ValueError(f"OpenWorldGuard: the trained model has no data ({error})") from error

    def kind(self, sims: np.ndarray, outside: float, text: str) -> str:
        """The kind of an out-of-scope message, from its cosines ``sims`` to
        the out-of-scope examples and their top-k mean ``outside``: a vote of
        the nearest, weighted by similarity, then the danger words.

        The vote counts only when those examples are as close as the
        threshold asks of the in-scope ones: gibberish ("blorp the wibble")
        is near nothing, and its nearest examples must not make it an
        emergency. It is then ``other``, whose reply still says 999."""
        learned = None
        if outside >= self.threshold:
            k = min(int(self.config["kind_k"]), sims.shape[0])
            nearest = np.argpartition(sims, -k)[-k:]
            votes: Dict[str, float] = {}
            for row in nearest:
                votes[self.out_kinds[row]] = votes.get(self.out_kinds[row], 0.0) + float(sims[row])
            learned = max(votes, key=lambda name: votes[name])
        return kinds.decide(learned, text)

    @staticmethod
    def other_system(message: Message) -> bool:
        types = [entity.get("entity") for entity in message.get(ENTITIES) or []]
        return other_system_named(message.get(TEXT) or "", types)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            vector = sentence_vector(message)
            if vector is None or not self.in_scope.shape[0]:
                continue
            text = message.get(TEXT) or ""
            score = knn_score(self.in_scope, vector, int(self.config["k"]))
            verdict: Dict[str, Any] = {
                "score": round(score, 4),
                "threshold": round(self.threshold, 4),
            }
            intent = (message.get(INTENT) or {}).get("name")
            named = names_nhsmail(text)
            # One product with the out-of-scope examples: the outside score and the kind.
            out_sims = self.out_of_scope @ vector
            outside = top_k_mean(out_sims, int(self.config["k"]))
            verdict["outside"] = round(outside, 4)
            closer_outside = bool(len(self.out_kinds)) and outside - score > float(
                self.config["margin"]
            )
            far = score < self.threshold or closer_outside
            if intent not in KEPT and far and not named:
                verdict["rejected"] = intent
                put_first(message, OUT_OF_SCOPE)
            elif intent == OUT_OF_SCOPE and named and not far and not self.other_system(message):
                # It names NHSmail and sits among the NHSmail questions, yet
                # the classifier put it out of scope: unsure, so the fallback
                # offers NHSmail topics ("blorp nhsmail wibble").
                verdict["unsure"] = True
                put_first(message, NLU_FALLBACK)
            if (message.get(INTENT) or {}).get("name") == OUT_OF_SCOPE:
                verdict["kind"] = self.kind(out_sims, outside, text)
            message.set(OPEN_WORLD_KEY, verdict, add_to_output=True)
        return messages
