"""nlp/open_world.py and nlp/kinds.py on small vectors of our own: the score,
the threshold rule, what it overrides and what it never does, the kind.

No trained model: the messages carry hand-made sentence features."""

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlp import kinds
from nlp.open_world import (
    OPEN_WORLD_KEY,
    OpenWorldGuard,
    knn_score,
    leave_one_out_scores,
)

DIM = 8


def unit(*values):
    v = np.zeros(DIM, np.float32)
    v[: len(values)] = values
    return v / np.linalg.norm(v)


def message(text, vector, intent=None, kind=None):
    m = Message(data={TEXT: text})
    if intent:
        m.set(INTENT, intent)
    if kind:
        m.set("metadata", {"intent": {"kind": kind}})
    m.add_features(Features(vector.reshape(1, -1), FEATURE_TYPE_SENTENCE, TEXT, "MiniLMFeaturizer"))
    return m


def classified(text, vector, intent, confidence=0.9):
    m = message(text, vector)
    m.set(INTENT, {"name": intent, "confidence": confidence}, add_to_output=True)
    m.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": confidence}], add_to_output=True)
    return m


@pytest.fixture
def guard(tmp_path):
    rng = np.random.default_rng(0)
    examples = []
    # In scope: a tight cloud around the first axis.
    for i in range(40):
        v = unit(1.0, *(rng.normal(0, 0.15, 3)))
        examples.append(message(f"nhs {i}", v, "reset_password"))
    # Out of scope, by kind: visitors near the fifth axis, emergencies near the sixth.
    for i in range(10):
        examples.append(
            message(
                f"visit {i}",
                unit(0, 0, 0, 0, 1.0, *(rng.normal(0, 0.1, 2))),
                "out_of_scope",
                "visitor",
            )
        )
        examples.append(
            message(
                f"help {i}",
                unit(0, 0, 0, 0, 0, 1.0, *(rng.normal(0, 0.1, 1))),
                "out_of_scope",
                "emergency",
            )
        )
    # The guard's own examples file, empty here: the kinds come with the data.
    own = tmp_path / "own.yml"
    own.write_text("kinds: {}\n")
    config = {"k": 5, "percentile": 5.0, "margin": 0.0, "examples": str(own)}
    (tmp_path / "model").mkdir()
    storage = LocalModelStorage(tmp_path / "model")
    component = OpenWorldGuard.create(
        {**OpenWorldGuard.get_default_config(), **config},
        storage,
        Resource("open_world"),
        ExecutionContext(None),
    )
    resource = component.train(TrainingData(examples))
    return OpenWorldGuard.load(config, storage, resource, ExecutionContext(None))


def test_knn_score_is_the_mean_of_the_k_nearest_cosines():
    matrix = np.vstack([unit(1), unit(0, 1), unit(1, 1)])
    assert knn_score(matrix, unit(1), 2) == pytest.approx((1.0 + 2**-0.5) / 2)
    assert knn_score(matrix, unit(1), 1) == pytest.approx(1.0)


def test_leave_one_out_scores_never_count_the_example_itself():
    matrix = np.vstack([unit(1), unit(0, 1)])
    assert leave_one_out_scores(matrix, 1).tolist() == pytest.approx([0.0, 0.0])


def test_the_threshold_is_the_configured_percentile_of_the_examples_own_scores(guard):
    scores = np.asarray(guard.loo_scores)
    assert guard.threshold == pytest.approx(float(np.percentile(scores, 5.0)))
    assert guard.in_scope.shape == (40, DIM)
    assert guard.out_kinds.count("visitor") == 10


def test_a_message_far_from_every_question_becomes_out_of_scope_with_its_kind(guard):
    [m] = guard.process([classified("can I visit on sunday", unit(0, 0, 0, 0, 1), "add_user")])
    assert m.get(INTENT)["name"] == "out_of_scope"
    # The classifier's choice stays behind it for the dialogue.
    assert [r["name"] for r in m.get(INTENT_RANKING_KEY)] == ["out_of_scope", "add_user"]
    verdict = m.get(OPEN_WORLD_KEY)
    assert verdict["rejected"] == "add_user" and verdict["kind"] == "visitor"
    assert verdict["score"] < verdict["threshold"]


def test_a_message_nearer_the_out_of_scope_examples_is_set_aside_too(guard):
    # Over the threshold, but nearer a visitor's words than any question's.
    guard.threshold = 0.5
    vector = unit(0.6, 0, 0, 0, 0.8)
    [m] = guard.process([classified("can my dad have a new carer", vector, "add_user")])
    verdict = m.get(OPEN_WORLD_KEY)
    assert verdict["outside"] > verdict["score"]
    assert m.get(INTENT)["name"] == "out_of_scope" and verdict["kind"] == "visitor"


def test_the_guards_own_examples_file_must_name_known_kinds(tmp_path):
    own = tmp_path / "own.yml"
    own.write_text("kinds:\n  strangers: [hello]\n")
    component = OpenWorldGuard.create(
        {**OpenWorldGuard.get_default_config(), "examples": str(own)},
        LocalModelStorage(tmp_path),
        Resource("open_world"),
        ExecutionContext(None),
    )
    with pytest.raises(ValueError, match="'strangers' is not one of"):
        component.own_examples()


def test_a_message_close_to_the_questions_keeps_its_topic(guard):
    [m] = guard.process([classified("forgot my password", unit(1, 0.05), "reset_password")])
    assert m.get(INTENT)["name"] == "reset_password"
    assert "rejected" not in m.get(OPEN_WORLD_KEY)
    assert m.get(OPEN_WORLD_KEY)["score"] >= m.get(OPEN_WORLD_KEY)["threshold"]


def test_a_message_that_names_nhsmail_is_never_set_aside(guard):
    text = "czy moge dostac pomoc z nhsmail"
    [m] = guard.process([classified(text, unit(0, 0, 0, 0, 1), "reset_password")])
    assert m.get(INTENT)["name"] == "reset_password"


@pytest.mark.parametrize(
    "intent", ["affirm", "deny", "greet", "thanks", "goodbye", "feedback_yes", "share_password"]
)
def test_form_answers_votes_and_guard_intents_are_never_overridden(guard, intent):
    [m] = guard.process([classified("whatever", unit(0, 0, 0, 0, 1), intent)])
    assert m.get(INTENT)["name"] == intent


def test_an_organisation_type_far_from_the_questions_is_set_aside(guard):
    # The dialogue takes it back when it follows an answer (actions/dialogue.py).
    [m] = guard.process([classified("we sell cars", unit(0, 0, 0, 1), "inform_org_type")])
    assert m.get(OPEN_WORLD_KEY)["rejected"] == "inform_org_type"


def test_the_fallbacks_unsure_far_message_is_out_of_scope_too(guard):
    [m] = guard.process([classified("timer", unit(0, 0, 0, 1), "nlu_fallback", 0.5)])
    assert m.get(INTENT)["name"] == "out_of_scope"


def test_danger_words_raise_any_kind_to_emergency(guard):
    [m] = guard.process(
        [classified("my dad is on the floor and not breathing", unit(0, 0, 0, 0, 1), "add_user")]
    )
    assert m.get(OPEN_WORLD_KEY)["kind"] == "emergency"


def test_loading_a_model_without_its_data_fails_loudly(tmp_path):
    storage = LocalModelStorage(tmp_path)
    with pytest.raises(ValueError, match="OpenWorldGuard"):
        OpenWorldGuard.load({}, storage, Resource("missing"), ExecutionContext(None))


@pytest.mark.parametrize(
    "text",
    [
        "a resident has fallen and is bleeding",
        "my dad is not breathing",
        "there's a fire in the lounge",
        "someone is threatening the night staff",
        "my friend says she is going to kill herself",
        "she's having a stroke, her face has dropped",
    ],
)
def test_danger_is_read_from_the_words(text):
    assert kinds.in_danger(text)
    assert kinds.decide("visitor", text) == kinds.EMERGENCY


@pytest.mark.parametrize(
    "text",
    [
        "what is the fire procedure for visitors",
        "when is the next fire drill",
        "my uncle moved in after his stroke last year",
        "I fell behind with the fees",
        "can I visit on sunday",
    ],
)
def test_plans_and_history_are_not_danger(text):
    assert not kinds.in_danger(text)
    assert kinds.decide("visitor", text) == kinds.VISITOR


@pytest.mark.parametrize(
    "text, death",
    [
        ("my mum passed away last night", True),
        ("we need to collect my late father's things", True),
        ("the funeral is on friday", True),
        ("my mum left her glasses", False),
        ("a nurse left last week", False),
    ],
)
def test_a_death_is_read_from_the_words(text, death):
    assert kinds.mentions_death(text) is death


def test_an_unknown_learned_kind_is_other():
    assert kinds.decide("nonsense", "what's the weather") == kinds.OTHER
    assert kinds.decide(None, "what's the weather") == kinds.OTHER


def test_an_out_of_scope_message_naming_nhsmail_among_the_questions_is_unsure(guard):
    # The fallback offers it NHSmail topics as buttons; no topic is guessed.
    m = message("blorp nhsmail wibble", unit(1, 0.05))
    ranking = [
        {"name": "out_of_scope", "confidence": 0.6},
        {"name": "nhsmail_purpose", "confidence": 0.3},
    ]
    m.set(INTENT, ranking[0], add_to_output=True)
    m.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
    [m] = guard.process([m])
    assert m.get(INTENT)["name"] == "nlu_fallback"
    assert m.get(OPEN_WORLD_KEY)["unsure"] is True


def test_gibberish_near_nothing_is_other_whatever_its_nearest_examples(guard):
    # Far from every example, in scope or out: its nearest (emergencies
    # here) do not vote; "other" still says 999 (actions/guidance.py).
    [m] = guard.process(
        [classified("blorp the wibble", unit(0, 0, 0, 0, 0, 0.2, 0, 1), "add_user")]
    )
    assert m.get(OPEN_WORLD_KEY)["kind"] == "other"


@pytest.mark.parametrize(
    "learned, text, types, reply",
    [
        # Danger before another system: a fire by the eMAR trolley is a fire.
        ("other", "there's a fire by the emar trolley", ["other_system"], "emergency"),
        ("visitor", "the emar login is broken", ["other_system"], "other_system"),
        ("other", "blorp nhsmail wibble", [], "clarify"),
        ("visitor", "can I visit on sunday", [], "visitor"),
        (None, "/out_of_scope", [], "other"),
    ],
)
def test_the_reply_to_an_out_of_scope_message_in_order(learned, text, types, reply):
    assert kinds.reply_kind(learned, text, types) == reply
