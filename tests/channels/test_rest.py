"""The hardened REST channel's parsing and limits, and one turn in a small app."""

import threading
import time
import uuid

import pytest
import requests
from sanic import Sanic

from actions.content import get_content
from channels import limits
from channels.guard import clean_text
from channels.rest import GuardedRestInput, parse_body
from settings import load
from tests.support.servers import free_port


def test_a_good_body_is_parsed_and_cleaned():
    assert parse_body(b'{"sender": " s1 ", "message": "hi\\u0000 there\\n"}') == {
        "sender": "s1",
        "message": "hi there\n",
    }


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
        (b"{" + b" " * load({}).chat_max_body_bytes + b"}", "larger than"),
        (b'{"sender": "s", "message": "x", "message_id": 7}', '"message_id", if given, must be'),
        (b'{"sender": "s", "message": "x", "message_id": " "}', '"message_id", if given, must be'),
        (
            b'{"sender": "s", "message": "x", "message_id": "' + b"m" * 129 + b'"}',
            "at most 128 characters",
        ),
    ],
)
def test_bad_bodies_say_what_is_wrong(body, problem):
    with pytest.raises(ValueError, match=problem):
        parse_body(body)


def test_a_message_id_is_kept_for_retries():
    assert parse_body(b'{"sender": "s1", "message": "yes", "message_id": " m-1 "}') == {
        "sender": "s1",
        "message": "yes",
        "message_id": "m-1",
    }


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


# --- a turn that fails after replies were collected --------------------------


def serve_rest(on_new_message):
    """The REST channel in a small Sanic app on loopback, as Rasa mounts it."""
    port = free_port()
    Sanic.test_mode = True  # several apps in one process, as sanic-testing does
    app = Sanic(f"rest_test_{uuid.uuid4().hex[:8]}")
    app.blueprint(GuardedRestInput().blueprint(on_new_message), url_prefix="/webhooks/rest")
    loops = []
    app.register_listener(lambda app, loop: loops.append(loop), "after_server_start")
    threading.Thread(
        target=app.run,
        daemon=True,
        kwargs=dict(
            host="127.0.0.1", port=port, register_sys_signals=False, motd=False, access_log=False
        ),
    ).start()
    url = f"http://127.0.0.1:{port}/webhooks/rest"
    deadline = time.monotonic() + 20
    while True:
        try:
            requests.get(url + "/", timeout=1)
            break
        except requests.ConnectionError:
            assert time.monotonic() < deadline, "the test server did not start"
            time.sleep(0.05)
    return url, lambda: loops[0].call_soon_threadsafe(app.stop)


def test_a_turn_that_fails_after_replying_is_answered_503_so_the_client_asks_again():
    """E.g. the tracker store failed while saving: the reply would be out of a
    conversation the server did not keep, so none of it is sent."""

    async def replies_then_fails(message):
        await message.output_channel.send_text_message(message.sender_id, "an answer")
        raise RuntimeError("cannot write the conversation")

    url, stop = serve_rest(replies_then_fails)
    try:
        answer = requests.post(
            url + "/webhook", json={"sender": "s1", "message": "yes"}, timeout=10
        )
    finally:
        stop()
    content = get_content()
    assert answer.status_code == 503
    assert answer.json() == [
        {"recipient_id": "s1", "text": content.fill(content.messages["unavailable"])}
    ]
