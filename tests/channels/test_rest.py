"""The hardened REST channel's parsing and limits, without a server."""
import pytest

from channels import limits
from channels.guard import clean_text
from channels.rest import parse_body


def test_a_good_body_is_parsed_and_cleaned():
    assert parse_body(b'{"sender": " s1 ", "message": "hi\\u0000 there\\n"}') == {
        "sender": "s1", "message": "hi there\n"}


@pytest.mark.parametrize(
    "body, problem",
    [
        (b"", "not valid JSON"),
        (b"\xff", "not valid UTF-8"),
        (b"[1]", "must be a JSON object"),
        (b'{"sender": "", "message": "x"}', '"sender" must be a non-empty string'),
        (b'{"sender": "\\u0001", "message": "x"}', '"sender" must be a non-empty string'),
        (b'{"sender": "' + b"s" * 129 + b'", "message": "x"}', "at most 128 characters"),
        (b'{"sender": "s", "message": null}', '"message" must be a string'),
        (b"{" + b" " * limits.MAX_BODY_BYTES + b"}", "larger than"),
    ],
)
def test_bad_bodies_say_what_is_wrong(body, problem):
    with pytest.raises(ValueError, match=problem):
        parse_body(body)


def test_clean_text_drops_control_and_direction_characters_but_keeps_emoji_and_rtl():
    assert clean_text("a\x07b\u202ec 🔑 كلمة") == "abc 🔑 كلمة"


def test_rate_limiter_allows_the_limit_then_refuses_until_the_window_passes():
    limiter = limits.RateLimiter(limit=3, window=60)
    assert [limiter.allow("s", now=t) for t in (0, 1, 2, 3)] == [True, True, True, False]
    assert limiter.allow("other", now=3)
    assert limiter.allow("s", now=61)


def test_rate_limiter_keeps_a_bounded_number_of_keys():
    limiter = limits.RateLimiter(limit=1, window=60, max_keys=100)
    for i in range(1_000):
        limiter.allow(f"sender-{i}", now=0)
    assert len(limiter._hits) == 100
