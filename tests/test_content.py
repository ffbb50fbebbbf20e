"""The content file: complete, sourced, dated, and the only place facts live."""

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from actions.config import CONTENT_PATH
from actions.content import REQUIRED_TOPICS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def raw():
    return yaml.safe_load(CONTENT_PATH.read_text())


def test_every_fact_has_a_known_source_and_a_review_date(raw):
    for name, fact in raw["facts"].items():
        assert fact["source"] in raw["sources"], name
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(fact["reviewed"])), name


def test_every_public_source_has_a_link(raw):
    for name, source in raw["sources"].items():
        if name != "guide":
            assert source["url"].startswith("https://"), name


# The one test that holds facts to fixed values, on purpose: the national
# policies the guide predates, as their public sources state them. A change here
# is a change of policy, to be checked against the source.
def test_policy_that_moved_on_is_included_with_its_source(content):
    assert content.facts["inactive_after_days"] == "30"
    assert content.facts["deleted_after_days"] == "60"
    assert content.facts["restorable_days"] == "30"
    assert (
        content.sources["account_status"]["url"]
        == "https://support.nhs.net/knowledge-base/types-of-account-status/"
    )
    assert content.sources["mfa"]["url"].endswith("/multi-factor-authentication-mfa/")
    assert content.facts["secret_characters_asked"] == "3"


def test_all_topics_of_the_intent_contract_are_present(content):
    assert set(REQUIRED_TOPICS) <= set(content.topics)


# The checks' refusals, each with its line and YAML path: tests/actions/test_content_check.py.


# --- facts live once -------------------------------------------------------

LOOPBACK = r"(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])"
# Not NHSmail facts: the chat platforms' own endpoints (channel defaults), the
# upstream issues the Rasa patches name, and the reserved example hosts the
# docs' snippets use.
PLATFORM = (
    r"(?:[\w-]+\.)*(?:botframework\.com|microsoftonline\.com|slack\.com|github\.com"
    r"|example\.(?:org|com|net))\b|HOST\b"
)
FACT_PATTERNS = {
    "link": re.compile(rf"https?://(?!{LOOPBACK}|{PLATFORM})|\bwww\.", re.I),
    "email address": re.compile(r"\b[\w.+-]+@[\w-]+\.[a-z]{2,}", re.I),
    "phone number": re.compile(r"\b0\d{2,4}[ -]?\d{3,4}[ -]?\d{3,4}\b"),
    "menu step": re.compile(r"\b(?:press|option)\s+\d\b", re.I),
}
# The content file holds the facts; tests read them from it, and their
# corpora quote them as people type them; vendored third-party code is kept as
# published, and npm's lock file names the registry's addresses.
EXEMPT = ("content/nhsmail.yml", "tests/", "channels/widget/vendor/", "package-lock.json")


def fact_findings(text, extra_values=()):
    found = [kind for kind, pattern in FACT_PATTERNS.items() if pattern.search(text)]
    found += [f"fact {value!r}" for value in extra_values if value in text]
    return found


def project_files():
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in listed:
        path = ROOT / name
        if name.startswith(EXEMPT) or not path.is_file():
            continue
        try:
            yield name, path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue


def distinctive_fact_values(content):
    """Fact values specific enough to search for (numbers, addresses, links)."""
    return [v for v in content.facts.values() if re.search(r"[\d@/]", v) and len(v) >= 5]


def test_the_scanner_finds_facts_written_elsewhere(content):
    values = distinctive_fact_values(content)
    facts = content.facts
    assert fact_findings(f"ring {facts['helpdesk_phone']}") == ["phone number"]
    assert fact_findings(f"see {facts['portal_url']}") == ["link"]
    assert fact_findings(f"then press {content.menu_first.option}") == ["menu step"]
    since = facts["inactivity_rule_since"]
    assert fact_findings(f"since {since}", values) == [f"fact {since!r}"]
    assert fact_findings("curl http://localhost:5005/webhooks/rest/webhook") == []
    assert fact_findings("https://login.botframework.com/v1/.well-known/openidconfiguration") == []
    assert fact_findings("https://slack.com/api/ and https://HOST/webhooks/slack/webhook") == []
    assert fact_findings("https://care.example.org/chat/") == []
    assert fact_findings("https://support.nhs.net/slack.com") == ["link"]


def test_no_number_or_link_is_written_outside_the_content_file(content):
    values = distinctive_fact_values(content)
    offenders = {
        name: found for name, text in project_files() if (found := fact_findings(text, values))
    }
    assert offenders == {}, f"facts written outside content/nhsmail.yml: {offenders}"
