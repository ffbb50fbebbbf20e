"""Rasa dense featurizer: all-MiniLM-L6-v2 on ONNX Runtime.

Rasa's LanguageModelFeaturizer runs the same model in TensorFlow and made a
turn about 8x slower; this one runs the graph that nlp/build_encoder.py writes
(`python -m nlp.build_encoder build/minilm`), int8-quantised by default, on
ONNX Runtime with one thread, and keeps the features of recent texts in an
in-process LRU cache, so a repeated text costs a dictionary look-up.
The fp32 graph matches transformers' BERT to about 1e-5; the int8 one stays
within a cosine of 0.99 of it on sentence embeddings (tests/nlp/test_encoder.py).

For TEXT it sets
  - sequence features: one 384-d vector per Rasa token (from the tokenizer
    already in the pipeline), the mean of the vectors of the word-pieces that
    overlap the token's characters. A token with no word-piece (characters
    the BERT normaliser drops, or past the 128-piece truncation) gets zeros,
    which Rasa's pooling and DIET treat as "no information";
  - the sentence feature: the mask-weighted mean of all word-piece vectors,
    [CLS] and [SEP] included, L2-normalised: the sentence-transformers
    embedding of all-MiniLM-L6-v2.
A message with no text or no tokens gets no features, as the
CountVectorsFeaturizer does, so the featurizers agree on which messages have
any.

Nothing is downloaded: model_dir must hold the built files.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Text, Tuple, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from settings import get_settings

logger = logging.getLogger(__name__)

# Word-pieces per text, [CLS] and [SEP] included: the length the model was
# tuned on (sentence-transformers' training used 128); chat turns are shorter.
MAX_WORD_PIECES = 128
# Training texts handed to the encoder at once: tokenised together, and for
# fp32 run together, long enough to amortise the per-run overhead, short
# enough that padding to the longest of a length-sorted batch costs little.
# (int8 runs them one by one: MiniLMEncoder.run_size.)
TRAINING_BATCH_SIZE = 64

FP32_FILE = "model.onnx"
INT8_FILE = "model.int8.onnx"
TOKENIZER_FILE = "tokenizer.json"
BUILD_HINT = ".venv/bin/python -m nlp.build_encoder {dir}"


@dataclass(frozen=True)
class Encoded:
    """The model's output for one text, independent of any Rasa tokenisation."""

    # [n, 384] vectors of the text's word-pieces, [CLS]/[SEP] left out.
    pieces: np.ndarray
    # [n, 2] character offsets (start, end) of those word-pieces in the text.
    offsets: np.ndarray
    # [384] mean-pooled, L2-normalised sentence embedding.
    sentence: np.ndarray


# A relative model_dir is the project's: servers may start from another folder.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def model_files(model_dir: Path, quantized: bool) -> Tuple[Path, Path]:
    """The ONNX file and tokenizer.json to load, or a clear error."""
    if not model_dir.is_absolute():
        model_dir = PROJECT_ROOT / model_dir
    onnx_path = model_dir / (INT8_FILE if quantized else FP32_FILE)
    tokenizer_path = model_dir / TOKENIZER_FILE
    missing = [str(p) for p in (onnx_path, tokenizer_path) if not p.is_file()]
    if missing:
        raise InvalidConfigException(
            f"MiniLMFeaturizer: missing {', '.join(missing)}. Build it with "
            f"`{BUILD_HINT.format(dir=model_dir)}` (see requirements-encoder.txt)."
        )
    return onnx_path, tokenizer_path


# One ONNX session and tokenizer per (file, threads) in the process: Rasa
# creates the component more than once (training graph, inference graph,
# each loaded model), and a session costs ~60 MB of memory for int8, ~120 MB
# for fp32, and a few hundred ms to load.
_RUNTIMES: Dict[Tuple[str, str, int], Tuple[Any, Any]] = {}
_RUNTIMES_LOCK = threading.Lock()


def load_runtime(onnx_path: Path, tokenizer_path: Path, intra_op_threads: int) -> Tuple[Any, Any]:
    key = (str(onnx_path.resolve()), str(tokenizer_path.resolve()), intra_op_threads)
    with _RUNTIMES_LOCK:
        if key not in _RUNTIMES:
            import onnxruntime as ort
            from tokenizers import Tokenizer as HFTokenizer

            options = ort.SessionOptions()
            options.intra_op_num_threads = intra_op_threads
            # One graph, run node after node: inter-op parallelism buys nothing.
            options.inter_op_num_threads = 1
            options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            session = ort.InferenceSession(
                str(onnx_path), options, providers=["CPUExecutionProvider"]
            )

            tokenizer = HFTokenizer.from_file(str(tokenizer_path))
            # tokenizer.json pads every text to 128; padding is done per batch
            # here, to the batch's longest text, so a short turn stays short.
            tokenizer.no_padding()
            tokenizer.enable_truncation(max_length=MAX_WORD_PIECES)
            _RUNTIMES[key] = (session, tokenizer)
        return _RUNTIMES[key]


class MiniLMEncoder:
    """Texts -> Encoded, through the tokenizer, the ONNX session and the cache."""

    def __init__(
        self,
        model_dir: Path,
        quantized: bool = True,
        intra_op_threads: int = 1,
        cache_size: int = 2048,
    ) -> None:
        onnx_path, tokenizer_path = model_files(Path(model_dir), quantized)
        self.session, self.tokenizer = load_runtime(onnx_path, tokenizer_path, intra_op_threads)
        self._input_names = {i.name for i in self.session.get_inputs()}
        # int8 quantises each MatMul's input with one scale per run, taken over
        # the whole batch, padding included: a text batched with others comes
        # out a little different (cosine ~0.977 in the worst case seen) from
        # the same text alone, as it is parsed. So int8 runs one text at a
        # time, and training sees the very features a parse gets; fp32 batches
        # exactly (1e-6) and runs the whole batch at once.
        self.run_size = 1 if quantized else None
        self.cache_size = cache_size
        self._cache: "OrderedDict[str, Encoded]" = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def encode(self, texts: Sequence[str]) -> List[Encoded]:
        """Encoded for each text, from the cache where it has them."""
        found: Dict[str, Encoded] = {}
        with self._lock:
            for text in texts:
                if text in self._cache:
                    self._cache.move_to_end(text)
                    found[text] = self._cache[text]
                    self.hits += 1
        todo = list(dict.fromkeys(t for t in texts if t not in found))
        if todo:
            computed = dict(zip(todo, self._run(todo)))
            found.update(computed)
            with self._lock:
                self.misses += len(todo)
                if self.cache_size > 0:
                    for text, encoded in computed.items():
                        self._cache[text] = encoded
                        self._cache.move_to_end(text)
                    while len(self._cache) > self.cache_size:
                        self._cache.popitem(last=False)
        return [found[t] for t in texts]

    def _run(self, texts: List[str]) -> List[Encoded]:
        encodings = self.tokenizer.encode_batch(texts)
        step = self.run_size or len(encodings)
        results: List[Encoded] = []
        for start in range(0, len(encodings), step):
            results.extend(self._run_encodings(encodings[start : start + step]))
        return results

    def _run_encodings(self, encodings: List[Any]) -> List[Encoded]:
        longest = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), longest), dtype=np.int64)
        mask = np.zeros((len(encodings), longest), dtype=np.int64)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        (hidden,) = self.session.run(
            None, {k: v for k, v in feeds.items() if k in self._input_names}
        )

        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

        results = []
        for row, e in enumerate(encodings):
            # Special tokens ([CLS], [SEP]) cover no characters of the text.
            keep = np.array([not s for s in e.special_tokens_mask], dtype=bool)
            pieces = np.ascontiguousarray(hidden[row, : len(e.ids)][keep], dtype=np.float32)
            offsets = np.array(e.offsets, dtype=np.int64).reshape(-1, 2)[keep]
            sentence = pooled[row].copy()
            for array in (pieces, offsets, sentence):
                # Cached arrays are shared between messages: nobody may edit them.
                array.setflags(write=False)
            results.append(Encoded(pieces, offsets, sentence))
        return results


def token_features(encoded: Encoded, tokens: Sequence[Token]) -> np.ndarray:
    """[len(tokens), 384]: per token, the mean of the word-pieces it overlaps."""
    starts = np.array([t.start for t in tokens], dtype=np.int64)[:, None]
    ends = np.array([t.end for t in tokens], dtype=np.int64)[:, None]
    piece_starts = encoded.offsets[:, 0][None, :]
    piece_ends = encoded.offsets[:, 1][None, :]
    overlap = ((piece_starts < ends) & (piece_ends > starts)).astype(np.float32)
    counts = overlap.sum(axis=1, keepdims=True)
    return (overlap @ encoded.pieces) / np.maximum(counts, 1.0)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class MiniLMFeaturizer(DenseFeaturizer, GraphComponent):
    """all-MiniLM-L6-v2 sequence and sentence features for TEXT, on ONNX Runtime."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def required_packages() -> List[Text]:
        return ["onnxruntime", "tokenizers"]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            # Folder written by `python -m nlp.build_encoder`, relative to the
            # directory Rasa runs in (the repository root).
            "model_dir": "build/minilm",
            # model.int8.onnx (true) or model.onnx (false).
            "quantized": True,
            # ONNX Runtime threads for one run; one leaves the other core to
            # the rest of the turn and to concurrent conversations (0: ONNX
            # Runtime's default, one per core).
            "intra_op_threads": 1,
            # Texts whose features are kept (LRU); 0 turns the cache off.
            "cache_size": 2048,
        }

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, config)
        self.encoder = MiniLMEncoder(
            Path(self._config["model_dir"]),
            quantized=self._config["quantized"],
            intra_op_threads=self._config["intra_op_threads"],
            # The bench's lever (`make bench`, "every text new"): the load
            # generator repeats a few scripted texts, which the cache would
            # otherwise answer after the warm-up.
            cache_size=self._cache_size(),
        )

    def _cache_size(self) -> int:
        size = get_settings().minilm_cache_size
        return int(self._config["cache_size"] if size is None else size)

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "MiniLMFeaturizer":
        return cls({**cls.get_default_config(), **config}, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        config = {**cls.get_default_config(), **config}
        if not isinstance(config["quantized"], bool):
            raise InvalidConfigException("MiniLMFeaturizer: `quantized` must be true or false.")
        for key, least in (("intra_op_threads", 0), ("cache_size", 0)):
            value = config[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise InvalidConfigException(
                    f"MiniLMFeaturizer: `{key}` must be a whole number >= {least}, not {value!r}."
                )

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """The model file's digest, so rebuilt weights re-featurise the data
        instead of Rasa reusing cached features of the old ones."""
        config = {**cls.get_default_config(), **config}
        model_dir = Path(config["model_dir"])
        path = model_dir / (INT8_FILE if config["quantized"] else FP32_FILE)
        if not path.is_file():
            return None
        digest = hashlib.blake2b(digest_size=16)
        for p in (path, model_dir / TOKENIZER_FILE):
            if p.is_file():
                with p.open("rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        digest.update(chunk)
        return digest.hexdigest()

    def _featurise(self, messages: Iterable[Message]) -> None:
        todo = [
            (m, m.get(TOKENS_NAMES[TEXT]))
            for m in messages
            if m.get(TEXT) and m.get(TOKENS_NAMES[TEXT])
        ]
        if not todo:
            return
        encoded = self.encoder.encode([m.get(TEXT) for m, _ in todo])
        for (message, tokens), e in zip(todo, encoded):
            self.add_features_to_message(
                sequence=token_features(e, tokens),
                sentence=e.sentence.reshape(1, -1).copy(),
                attribute=TEXT,
                message=message,
            )

    def process(self, messages: List[Message]) -> List[Message]:
        self._featurise(messages)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        # Sorted by length so each batch pads to about its own texts' length.
        examples = sorted(
            (m for m in training_data.training_examples if m.get(TEXT)),
            key=lambda m: len(m.get(TEXT)),
        )
        for start in range(0, len(examples), TRAINING_BATCH_SIZE):
            self._featurise(examples[start : start + TRAINING_BATCH_SIZE])
        return training_data
