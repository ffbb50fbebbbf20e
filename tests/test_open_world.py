"""The gates on what is not for this assistant, with the trained model:
CLINC150's test splits, the blind visitors' lockbox, and what it costs the
blind NHSmail lockbox. Figures only: no message of CLINC150 or of a lockbox is
printed (`make eval` prints the same figures).

CLINC150 is read from ../shared/data/clinc150/ (scripts/clinc150.py). Where the
file is absent the test skips with a plain message, and fails under CI=true.
"""

import os
from pathlib import Path

import pytest

from nlp.intents import CONVERSATION, TOPICS
from scripts import clinc150
from scripts.nlu_eval import (
    FILES,
    VISITOR_FILES,
    acted_intent,
    evaluate,
    parse_all,
    read_visitors,
    score_visitors,
)

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "nhsmail.tar.gz"

pytestmark = pytest.mark.integration

# The gates (docs/understanding.md, "Not for this assistant"). CLINC150's and
# the blind NHSmail lockbox's macro-F1 are issue 23's targets, and met. Three
# targets are not met yet: each has a test of its own below, marked as an
# expected failure (strict: it fails the run once the target is reached, so
# the mark comes off), and a gate at today's figure, so that nothing slides.
CLINC_TOPIC_AT_MOST = 0.01
CLINC_OUT_OF_SCOPE_AT_LEAST = 0.95
BLIND_MACRO_F1_AT_LEAST = 0.95
VISITORS_TOPIC_TARGET, VISITORS_TOPIC_TODAY = 0.02, 0.03  # 4 of 142 today
VISITORS_RIGHT_REPLY_TARGET, VISITORS_RIGHT_REPLY_TODAY = 0.90, 0.81  # 0.817 today
# blind_final.yml's NHSmail questions read as out of scope by the model of
# main before the open-world guard (304bd80, seed 2024, `make eval`): the
# target is no more; today the guard adds one.
BLIND_TOPICS_READ_AS_OOS_BEFORE, BLIND_TOPICS_READ_AS_OOS_TODAY = 3, 4
NOT_YET = "issue 23's target, not met yet (docs/understanding.md)"


@pytest.fixture(scope="module")
def model():
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test does it first)")
    return str(MODEL)


@pytest.fixture(scope="module")
def clinc_requests():
    if not clinc150.available():
        message = (
            f"CLINC150 is not at {clinc150.path()}: its gate needs the shared data set "
            "(../shared/data/clinc150/data_full.json)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return clinc150.measured(clinc150.load(["test", "oos_test"]))


def test_clinc150_everyday_requests_get_no_nhsmail_answer(model, clinc_requests):
    acted = [acted_intent(p) for p in parse_all(model, [r.text for r in clinc_requests])]
    shares = clinc150.shares(acted, TOPICS, list(CONVERSATION))
    print(f"CLINC150 test + oos_test: {shares.line()}")
    assert len(clinc_requests) > 4500, "the measure's denominator shrank: check the rule"
    assert shares.topic <= CLINC_TOPIC_AT_MOST, shares.line()
    assert shares.out_of_scope >= CLINC_OUT_OF_SCOPE_AT_LEAST, shares.line()


@pytest.fixture(scope="module")
def visitors_lockbox(model):
    visitors = read_visitors(ROOT / VISITOR_FILES["visitors_final"])
    figures, _ = score_visitors(visitors, parse_all(model, [v.text for v in visitors]))
    return figures


def test_the_visitors_lockbox_is_big_enough_and_has_every_kind():
    visitors = read_visitors(ROOT / VISITOR_FILES["visitors_final"])
    assert len(visitors) >= 120
    assert {v.reply for v in visitors} == {"provider_contact", "safeguarding", "emergency", "other"}


def test_website_visitors_get_no_more_nhsmail_answers_than_today(visitors_lockbox):
    assert visitors_lockbox["topic"] <= VISITORS_TOPIC_TODAY, visitors_lockbox["topic"]


@pytest.mark.xfail(strict=True, reason=NOT_YET)
def test_website_visitors_get_no_nhsmail_answer(visitors_lockbox):
    assert visitors_lockbox["topic"] <= VISITORS_TOPIC_TARGET, visitors_lockbox["topic"]


def test_website_visitors_get_the_right_reply_no_less_often_than_today(visitors_lockbox):
    assert visitors_lockbox["right_reply"] >= VISITORS_RIGHT_REPLY_TODAY, {
        k: visitors_lockbox[k] for k in ("right_reply", "per_label")
    }


@pytest.mark.xfail(strict=True, reason=NOT_YET)
def test_website_visitors_get_the_reply_their_message_needs(visitors_lockbox):
    assert visitors_lockbox["right_reply"] >= VISITORS_RIGHT_REPLY_TARGET


def test_everyone_in_danger_is_told_999(visitors_lockbox):
    assert visitors_lockbox["emergency_n"] > 0
    assert visitors_lockbox["emergency_999"] == visitors_lockbox["emergency_n"], visitors_lockbox


@pytest.fixture(scope="module")
def blind_lockbox(model):
    _, _, figures = evaluate(model, ["blind_final"])["blind_final"]
    return figures


def test_the_blind_nhsmail_lockbox_still_understands_staff(blind_lockbox):
    assert blind_lockbox["macro_f1"] >= BLIND_MACRO_F1_AT_LEAST, blind_lockbox["macro_f1"]


def test_the_guard_reads_no_more_nhsmail_questions_as_out_of_scope_than_today(blind_lockbox):
    assert blind_lockbox["topic_read_as_oos"] <= BLIND_TOPICS_READ_AS_OOS_TODAY, (
        f"{blind_lockbox['topic_read_as_oos']} of {blind_lockbox['topic_n']} "
        f"({FILES['blind_final']})"
    )


@pytest.mark.xfail(strict=True, reason=NOT_YET)
def test_the_guard_reads_no_more_nhsmail_questions_as_out_of_scope(blind_lockbox):
    assert blind_lockbox["topic_read_as_oos"] <= BLIND_TOPICS_READ_AS_OOS_BEFORE


def test_no_visitors_message_is_a_training_example():
    from scripts.nlu_eval import read_examples

    trained = set()
    for path in (ROOT / "data").glob("nlu*.yml"):
        trained |= {example.text.lower() for example in read_examples(path)}
    for path in VISITOR_FILES.values():
        texts = {v.text.lower() for v in read_visitors(ROOT / path)}
        shared = texts & trained
        assert not shared, f"{path}: {len(shared)} shared with data/"


def test_no_training_example_is_a_clinc150_request(clinc_requests):
    import re

    from scripts.nlu_eval import read_examples

    def words(text):
        return " ".join(re.findall(r"[a-z0-9']+", text.lower()))

    # Four words or fewer ("thank you so much") are everyone's words.
    everything = {words(r.text) for r in clinc150.load(list(clinc150.SPLITS))}
    for path in (ROOT / "data").glob("nlu*.yml"):
        copied = [
            e.text
            for e in read_examples(path)
            if len(e.text.split()) > 4 and words(e.text) in everything
        ]
        assert not copied, f"{path.name}: {copied}"
