"""docs/intents.md is the intent contract: it, domain.yml, the rules and the
blind test files name the same intents."""
import re
from pathlib import Path

import pytest
import yaml

from scripts.nlu_eval import FILES, read_examples

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT / "docs" / "intents.md"


def contract_intents():
    """Intents in the first column of the contract's tables, and `share_password`."""
    names = set(re.findall(r"^\| `([a-z_+]+)` \|", CONTRACT.read_text(), re.MULTILINE))
    names |= set(re.findall(r"^`([a-z_]+)`:", CONTRACT.read_text(), re.MULTILINE))
    return names


def test_the_contract_and_the_domain_name_the_same_intents(domain):
    assert contract_intents() == set(domain["intents"])


def test_every_intent_has_a_rule_or_story():
    steps = yaml.safe_load((ROOT / "data" / "rules.yml").read_text())["rules"]
    steps += yaml.safe_load((ROOT / "data" / "stories.yml").read_text())["stories"]
    text = yaml.safe_dump(steps)
    missing = [name for name in contract_intents() if f"intent: {name}\n" not in text]
    assert missing == []


@pytest.mark.parametrize("name", ["blind_dev", "blind_final"])
def test_the_blind_files_label_only_contract_intents_and_never_share_password(name):
    labels = {example.intent for example in read_examples(ROOT / FILES[name])}
    assert labels <= contract_intents() - {"share_password"}
