"""The project's spaCy pipeline: entities the dialogue uses and personal data it finds."""

import pytest

from nlp.build_model import build


@pytest.fixture(scope="module")
def nlp():
    return build()


def ents(nlp, text):
    return [(e.text, e.label_) for e in nlp(text).ents]


@pytest.mark.parametrize(
    "text, found",
    [
        ("I work in a Pharmacy and forgot my password", ("Pharmacy", "org_type")),
        ("our care home shared mailbox", ("care home", "org_type")),
        ("im at a gp surgery", ("gp surgery", "org_type")),
        (
            "our manager and all the staff accounts were deleted",
            ("manager and all the staff", "account_scope"),
        ),
        ("nobody can get into the shared mailbox", ("nobody", "account_scope")),
        ("none of us can log in", ("none of us", "account_scope")),
        ("every account linked to the mailbox is gone", ("every account", "account_scope")),
        ("got a new phone and the authenticator wont work", ("new phone", "mfa")),
    ],
)
def test_dialogue_entities(nlp, text, found):
    assert found in ents(nlp, text)


@pytest.mark.parametrize(
    "text, found",
    [
        ("email me at jo.bloggs@nhs.net", ("jo.bloggs@nhs.net", "EMAIL")),
        ("my mobile is 07700 900123", ("07700 900123", "UK_PHONE")),
        ("my mobile is 07700900123", ("07700900123", "UK_PHONE")),
        ("ring +44 7700 900123", ("+44 7700 900123", "UK_PHONE")),
        ("landline 020 7946 0000", ("020 7946 0000", "UK_PHONE")),
        ("our site code is VLAXL", ("VLAXL", "ODS_CODE")),
        ("our site code is v1a2b", ("v1a2b", "ODS_CODE")),
    ],
)
def test_personal_data_is_found(nlp, text, found):
    assert found in ents(nlp, text)


@pytest.mark.parametrize(
    "text", ["is there a video guide", "I have 2 accounts", "my password is valid"]
)
def test_ordinary_words_are_not_personal_data(nlp, text):
    assert not [e for e in nlp(text).ents if e.label_ in ("EMAIL", "UK_PHONE", "ODS_CODE")]


def test_lemmas_come_from_the_lookup_tables(nlp):
    assert [t.lemma_ for t in nlp("accounts deleted")] == ["account", "delete"]
