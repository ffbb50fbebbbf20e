"""The detector's gates on the blind corpora (tests/privacy/, written by helpers
who never saw the detector or these tests).

- secrets_final.yml is the lockbox: only its figures are printed, its errors
  are never read, and nothing is tuned to it.
- secrets_dev*.yml are development files: their errors were read and the
  detector improved on them. Their floor (0.93 masked in full, dev5's voice-
  typed passphrases being the hardest) guards against regressions; the
  lockbox is the measure.
- secrets_kinds_final.yml is the lockbox of passphrases of ordinary words,
  spoken spellings and secrets given as answers (issue 24), under the same
  rule; secrets_kinds_dev.yml is its development file.
- Clean messages from outside: CLINC150's test requests (Larson et al., 2019;
  ../shared/data/clinc150/, CC BY 3.0, read in place) and the website
  visitors' blind files (tests/nlu/visitors_*.yml) raise no warning.
- pii_corpus.yml: personal data typed by staff (development figures).
"""

import os
from pathlib import Path

import pytest
import yaml

from nlp.secrets import find_secrets
from scripts import clinc150
from scripts.pii_eval import load as load_pii
from scripts.pii_eval import measure
from scripts.secrets_eval import evaluate, load
from tests.support.measured import MEASURED

HERE = Path(__file__).parent
LOCKBOX = HERE / "secrets_final.yml"
KINDS_LOCKBOX = HERE / "secrets_kinds_final.yml"
DEVELOPMENT = sorted(HERE.glob("secrets_dev*.yml"))
KINDS_DEVELOPMENT = HERE / "secrets_kinds_dev.yml"
VISITORS = sorted((HERE.parent / "nlu").glob("visitors_*.yml"))


def test_the_lockbox_is_big_enough_and_labelled():
    cases = load(LOCKBOX)
    disclosures = [c for c in cases if c.get("secrets")]
    assert len(disclosures) >= 300 and len(cases) - len(disclosures) >= 300
    for case in disclosures:
        assert all(secret in case["text"] for secret in case["secrets"]), case["id"]


def test_lockbox_recall_and_false_alarms():
    result = evaluate(load(LOCKBOX))
    MEASURED.append(
        f"secrets lockbox ({LOCKBOX.name}, {result['disclosures']} disclosures, "
        f"{result['non_disclosures']} not): warned {result['warned']:.3f}, warned and fully "
        f"masked {result['recall']:.3f}, false alarms {result['false_alarm_rate']:.2%}"
    )
    assert result["warned"] >= 0.98
    assert result["recall"] >= 0.975
    assert result["false_alarm_rate"] <= 0.01


def test_the_kinds_lockbox_is_big_enough_and_labelled():
    cases = load(KINDS_LOCKBOX)
    disclosures = [c for c in cases if c.get("secrets")]
    assert len(disclosures) >= 300 and len(cases) - len(disclosures) >= 300
    kinds = {c["kind"] for c in disclosures}
    assert {"passphrase_words", "passphrase_joined", "spoken", "answer_in_context"} <= kinds
    for case in disclosures:
        assert all(secret in case["text"] for secret in case["secrets"]), case["id"]


@pytest.fixture(scope="module")
def kinds_lockbox():
    result = evaluate(load(KINDS_LOCKBOX))
    MEASURED.append(
        f"secrets kinds lockbox ({KINDS_LOCKBOX.name}, {result['disclosures']} disclosures, "
        f"{result['non_disclosures']} not): warned {result['warned']:.3f}, warned and fully "
        f"masked {result['recall']:.3f}, false alarms {result['false_alarm_rate']:.2%}"
    )
    return result


def test_kinds_lockbox_holds_todays_figures(kinds_lockbox):
    """Its figures, never its errors, were printed seven times on 2026-12-08 as
    rules built on the development file's four blind writers went in (warned /
    masked in full: 0.830 / 0.808 at the first look, 0.944 / 0.935 at the last,
    false alarms 4 of 308 each time): nothing may slide below the last."""
    assert kinds_lockbox["warned"] >= 0.94
    assert kinds_lockbox["recall"] >= 0.93
    assert kinds_lockbox["false_alarms"] <= 4


@pytest.mark.xfail(strict=True, reason="issue 24's target, not reached: 0.944 / 0.935 / 1.30%")
def test_kinds_lockbox_reaches_the_target(kinds_lockbox):
    assert kinds_lockbox["warned"] >= 0.98
    assert kinds_lockbox["recall"] >= 0.98
    assert kinds_lockbox["false_alarm_rate"] <= 0.01


def clean_sources():
    sources = [
        pytest.param(path.name, id=path.name, marks=_visitors_mark(path)) for path in VISITORS
    ]
    return sources + [pytest.param("CLINC150 test", id="clinc150-test")]


def _visitors_mark(path):
    if path.name != "visitors_final.yml":
        return ()
    return pytest.mark.xfail(strict=True, reason="2 of 142 warned (1.4%): above the 1% target")


def clean_texts(name):
    if name.startswith("CLINC150"):
        if not clinc150.available():
            if os.environ.get("CI"):
                pytest.fail(f"CLINC150 is missing at {clinc150.path()}")
            pytest.skip(f"CLINC150 is not at {clinc150.path()}")
        return [r.text for r in clinc150.load(["test", "oos_test"])]
    return [m["text"] for m in yaml.safe_load((HERE.parent / "nlu" / name).read_text())["messages"]]


@pytest.mark.parametrize("name", clean_sources())
def test_no_warning_for_everyday_requests_or_website_visitors(name):
    messages = clean_texts(name)
    alarms = [t for t in messages if find_secrets(t).disclosed]
    MEASURED.append(f"secrets false alarms on {name}: {len(alarms)} of {len(messages)}")
    if name.startswith("visitors"):
        assert len(alarms) <= 2  # today's figure, the visitors' lockbox's included
    assert len(alarms) / len(messages) <= 0.01


def test_kinds_development_file():
    result = evaluate(load(KINDS_DEVELOPMENT))
    MEASURED.append(
        f"secrets {KINDS_DEVELOPMENT.name}: warned and fully masked {result['recall']:.3f}, "
        f"false alarms {result['false_alarm_rate']:.2%}"
    )
    assert result["recall"] >= 0.95
    assert result["false_alarm_rate"] <= 0.011  # 1.08%: above the 1% the older files keep


@pytest.mark.parametrize("corpus", DEVELOPMENT, ids=lambda p: p.name)
def test_development_corpora(corpus):
    result = evaluate(load(corpus))
    MEASURED.append(
        f"secrets {corpus.name}: warned and fully masked {result['recall']:.3f}, "
        f"false alarms {result['false_alarm_rate']:.2%}"
    )
    assert result["recall"] >= 0.93
    assert result["false_alarm_rate"] <= 0.01


def test_personal_data_typed_by_staff_is_masked():
    result = measure(load_pii(HERE / "pii_corpus.yml"))
    rate = result["masked"]
    MEASURED.append(
        "personal data masked: "
        + ", ".join(f"{kind} {rate[kind]:.0%}" for kind in sorted(rate))
        + f"; {result['quiet_alarmed']} of {result['quiet']} messages without any had "
        "something masked"
    )
    for kind in ("EMAIL", "UK_PHONE", "NHS_NUMBER", "POSTCODE"):
        assert rate[kind] >= 0.98, kind
    assert rate["DATE_OF_BIRTH"] >= 0.95
    assert rate["PERSON"] >= 0.70  # names without a title or a rare word are missed
    assert result["quiet_alarmed"] / result["quiet"] <= 0.02
