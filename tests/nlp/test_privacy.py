"""Masking before storage: what the assistant must never keep."""
import pytest

from nlp.privacy import is_nhs_number, looks_like_lone_secret, mask


@pytest.mark.parametrize(
    "text, masked",
    [
        ("my password is Fluffy22, can you reset it", "my password is [password removed], can you reset it"),
        ("email me at jo.bloggs@nhs.net please", "email me at [email removed] please"),
        ("my mobile is 07700 900123", "my mobile is [phone number removed]"),
        ("her NHS number is 943 476 5919", "her NHS number is [NHS number removed]"),
        ("NHS no 9434765919.", "NHS no [NHS number removed]."),
        ("how do I reset my password", "how do I reset my password"),
        ("our ODS code is VLAXL", "our ODS code is VLAXL"),  # not personal: kept
        ("I have 1234567890 problems", "I have 1234567890 problems"),  # fails the NHS check
    ],
)
def test_mask(text, masked):
    assert mask(text) == masked


def test_nhs_number_check_digit():
    assert is_nhs_number("9434765919")
    assert not is_nhs_number("9434765918")
    assert not is_nhs_number("943476591")


@pytest.mark.parametrize("word, secret", [
    ("Fluffy22", True), ("fluffybunny", True), ("Tr0ub4dor&3", True),
    ("thanks", False), ("ok", False), ("sorry!", False), ("reset my password", False), ("help", False)])
def test_a_lone_word_after_the_warning(word, secret):
    assert looks_like_lone_secret(word) is secret
