"""The intent contract: nlp/intents.py names every intent once, and domain.yml,
docs/intents.md, the rules and the blind test files agree with it."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from actions import actions as answer_actions
from actions.content import REQUIRED_TOPICS
from nlp import intents
from scripts.nlu_eval import FILES, read_examples

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT / "docs" / "intents.md"

# Every group the code acts on: the module's tuples of intent names.
GROUPS = {
    name: value
    for name, value in vars(intents).items()
    if name.isupper() and isinstance(value, tuple) and name != "INTENTS"
}


def contract_intents():
    """Intents in the first column of the contract's tables."""
    return set(re.findall(r"^\| `([a-z_+]+)` \|", CONTRACT.read_text(), re.MULTILINE))


def rules():
    return yaml.safe_load((ROOT / "data" / "rules.yml").read_text())["rules"]


def rule_intents(title):
    """The intents that the rule called ``title`` starts from (an `or:` or one)."""
    [rule] = [r for r in rules() if r["rule"] == title]
    first = rule["steps"][0]
    return {step["intent"] for step in first.get("or", [first])}


def test_the_module_and_the_domain_name_the_same_intents(domain):
    assert set(intents.INTENTS) == set(domain["intents"])
    assert len(intents.INTENTS) == len(domain["intents"])


def test_every_intent_has_a_meaning_and_every_constant_is_an_intent():
    assert all(intents.MEANINGS[name].strip() for name in intents.INTENTS)
    constants = {
        value
        for name, value in vars(intents).items()
        if name.isupper() and isinstance(value, str) and re.fullmatch(r"[a-z][a-z_+]*", value)
    }
    assert constants - set(intents.INTENTS) == {intents.NLU_FALLBACK}


def test_the_module_finds_its_groups():
    assert {"TOPICS", "COMPOUNDS", "FOLLOW_UPS", "SMALL_TALK", "SET_BY_GUARDS"} <= set(GROUPS)


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_every_group_is_made_of_domain_intents(domain, group):
    assert GROUPS[group], group
    assert set(GROUPS[group]) <= set(domain["intents"])


def test_the_action_server_reads_the_contract_without_importing_rasa():
    code = (
        "import sys, actions.actions, actions.slots, actions.server; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'rasa'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_fallback_intent_is_rasas():
    from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME

    assert intents.NLU_FALLBACK == DEFAULT_NLU_FALLBACK_INTENT_NAME


def test_compounds_are_pairs_of_topics_joined_by_the_tokenizers_split_symbol():
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    [tokenizer] = [c for c in config["pipeline"] if c["name"] == "SpacyTokenizer"]
    assert tokenizer["intent_split_symbol"] == intents.COMPOUND_SEPARATOR
    for name in intents.COMPOUNDS:
        parts = intents.compound_parts(name)
        assert len(parts) == 2 and set(parts) <= set(intents.TOPICS), name
    assert intents.compound_parts(intents.RESET_PASSWORD) == ()


def test_every_topic_intent_has_its_topic_in_the_content_file(content):
    assert set(intents.TOPICS) <= set(content.topics)
    assert set(intents.TOPICS) <= set(REQUIRED_TOPICS)


def test_small_talk_is_answered_by_the_domains_responses(domain):
    assert set(answer_actions.RESPONSES) == set(intents.SMALL_TALK)
    assert set(answer_actions.RESPONSES.values()) <= set(domain["responses"])


# --- the contract document ------------------------------------------------------


def test_the_contract_documents_every_intent_of_the_domain(domain):
    assert contract_intents() == set(domain["intents"])


def test_the_contracts_tables_are_generated_from_the_module():
    committed = CONTRACT.read_text(encoding="utf-8")
    assert intents.render_doc(committed) == committed, "run: python -m nlp.intents"


def test_a_changed_meaning_makes_the_contract_out_of_date(monkeypatch):
    committed = CONTRACT.read_text(encoding="utf-8")
    monkeypatch.setitem(intents.MEANINGS, intents.DENY, "says no")
    fresh = intents.render_doc(committed)
    assert fresh != committed
    assert "| `deny` | says no |" in fresh


def test_every_group_the_contract_shows_is_an_intent_group():
    shown = re.findall(r"^<!-- table (\w+): ", CONTRACT.read_text(), re.MULTILINE)
    assert shown and set(shown) <= set(GROUPS)
    # Each intent appears in one table only.
    tables = [name for group in shown for name in GROUPS[group]]
    assert sorted(tables) == sorted(set(tables)) == sorted(intents.INTENTS)


# --- the rules and stories ---------------------------------------------------------


def test_every_intent_has_a_rule_or_story(domain):
    steps = rules() + yaml.safe_load((ROOT / "data" / "stories.yml").read_text())["stories"]
    text = yaml.safe_dump(steps)
    missing = [name for name in domain["intents"] if f"intent: {name}\n" not in text]
    assert missing == []


def test_the_rules_route_each_group_to_its_action():
    topics = set(intents.TOPICS) - set(intents.FORM_TOPICS)
    assert rule_intents("answer a guidance topic") == topics
    assert rule_intents("a compound question gets one reply for both parts") == set(
        intents.COMPOUNDS
    )
    assert rule_intents("a yes, a no or an organisation type answers the latest answer") == set(
        intents.FOLLOW_UPS
    )
    assert rule_intents("deleted account starts the reinstatement form") == set(intents.FORM_TOPICS)
    assert rule_intents("a vote on the latest answer gets thanks or an apology") == set(
        intents.FEEDBACK
    )
    assert rule_intents("out of scope") == set(intents.NOT_NHSMAIL)
    assert rule_intents("a typed password gets a warning, never an echo") == set(
        intents.SET_BY_GUARDS
    )
    # Anything but the answer to its question leaves reinstate_form.
    assert rule_intents("another question instead of an answer leaves the form") == set(
        intents.INTENTS
    ) - set(intents.FORM_ANSWERS) | {intents.NLU_FALLBACK}


# --- the test files ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["blind_dev", "blind_final"])
def test_the_blind_files_label_only_classified_intents(name):
    labels = {example.intent for example in read_examples(ROOT / FILES[name])}
    assert labels <= set(intents.CLASSIFIED)
