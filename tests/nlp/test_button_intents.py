"""The intents only a button sends never reach the classifier's training."""

from pathlib import Path

import yaml
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlp import intents
from nlp.button_intents import ButtonOnlyIntents

ROOT = Path(__file__).resolve().parents[2]


def component():
    return ButtonOnlyIntents.create({}, None, None, None)  # type: ignore[arg-type]


def test_the_votes_examples_are_dropped_and_every_other_kept():
    data = TrainingData().merge(
        *(load_data(str(path)) for path in sorted((ROOT / "data").glob("nlu*.yml")))
    )
    assert {"feedback_yes", "feedback_no"} <= data.intents
    kept = component().process_training_data(data)
    assert kept.intents == data.intents - {"feedback_yes", "feedback_no"}
    dropped = [m for m in data.training_examples if m.get("intent") in intents.BUTTON_ONLY]
    assert len(kept.training_examples) == len(data.training_examples) - len(dropped) > 0
    # The synonyms the entity mapper needs travel on.
    assert kept.entity_synonyms == data.entity_synonyms and kept.entity_synonyms


def test_a_storys_message_with_a_vote_is_dropped_too():
    data = TrainingData(
        [Message(data={"intent": "feedback_no"}), Message(data={"intent": "reset_password"})]
    )
    kept = component().process_training_data(data)
    assert [m.get("intent") for m in kept.training_examples] == ["reset_password"]


def test_at_run_time_it_changes_nothing():
    message = Message(data={"text": "No, it didn't"})
    assert component().process([message]) == [message]
    assert message.get("intent") is None


def test_it_runs_first_in_the_pipeline():
    pipeline = yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]
    assert pipeline[0]["name"] == "nlp.button_intents.ButtonOnlyIntents"


def test_the_button_only_intents_are_the_votes():
    assert intents.BUTTON_ONLY == (intents.FEEDBACK_YES, intents.FEEDBACK_NO)
    assert not set(intents.BUTTON_ONLY) & set(intents.CLASSIFIED)
