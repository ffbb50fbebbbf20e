"""Bad input at every entry point: a clear 4xx or a polite reply, never a 500."""

import collections
import json

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.measured import MEASURED
from tests.support.servers import say


def post(servers, body: bytes, path="/webhooks/rest/webhook"):
    return requests.post(
        servers["url"] + path, data=body, timeout=60, headers={"Content-Type": "application/json"}
    )


@pytest.mark.parametrize(
    "body, status, says",
    [
        (b"", 400, "not valid JSON"),
        (b"[]", 400, "must be a JSON object"),
        (b"null", 400, "must be a JSON object"),
        (b'"hello"', 400, "must be a JSON object"),
        (b"{", 400, "not valid JSON"),
        (b"\xff\xfe{}", 400, "not valid UTF-8"),
        (b'{"message": "hi"}', 400, '"sender" must be a non-empty string'),
        (b'{"sender": 7, "message": "hi"}', 400, '"sender" must be a non-empty string'),
        (b'{"sender": "a"}', 400, '"message" must be a string'),
        (b'{"sender": "a", "message": ["hi"]}', 400, '"message" must be a string'),
        (b'{"sender": "a", "message": "' + b"x" * 1_048_576 + b'"}', 413, "larger than"),
    ],
)
def test_malformed_bodies_get_a_clear_4xx(servers, body, status, says):
    response = post(servers, body)
    assert response.status_code == status
    assert says in response.json()["error"]
    assert "usage" in response.json()


@pytest.mark.parametrize("message", ["", "   ", "\x00\x01\x02"])
def test_empty_messages_get_a_polite_reply(servers, message):
    reply = say(servers, "empty-" + str(len(message)), message)
    assert reply[0]["text"].startswith("Please type your question about NHSmail")


def test_an_over_long_message_gets_a_polite_reply(servers):
    reply = say(servers, "long", "help " * 400)
    assert reply[0]["text"].startswith("Sorry, that message is too long for me.")


@pytest.mark.parametrize(
    "message",
    [
        "🔑🔒 password help 😩",
        "كلمة المرور passwort vergessen",
        "<script>alert(1)</script> reset password",
        "<b>hi</b>",
        "pass\u202eword reset",
        "line one\nline two",
    ],
)
def test_odd_characters_and_html_get_an_answer_that_never_echoes_them(servers, message):
    replies = say(servers, "odd", message)
    assert replies, "no reply"
    text = " ".join(r.get("text", "") for r in replies)
    assert "<script>" not in text and "<b>" not in text


def test_too_many_messages_from_one_sender_get_a_polite_429(servers):
    codes = []
    for _ in range(9):  # the test servers allow 8 a minute per sender
        response = requests.post(
            servers["url"] + "/webhooks/rest/webhook",
            json={"sender": "hasty", "message": "hi"},
            timeout=60,
        )
        codes.append(response.status_code)
    assert codes[:8] == [200] * 8
    assert codes[8] == 429
    assert response.json()[0]["text"].startswith(
        "You're sending messages faster than I can answer."
    )


def action_call(servers, body, token="yes"):
    params = {"token": servers["token"]} if token == "yes" else ({"token": token} if token else {})
    return requests.post(servers["actions_url"] + "/webhook", params=params, data=body, timeout=30)


def test_action_server_refuses_calls_without_the_token(servers):
    assert action_call(servers, b"{}", token=None).status_code == 401
    assert action_call(servers, b"{}", token="wrong").status_code == 401
    assert requests.get(servers["actions_url"] + "/health", timeout=5).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"[]",
        b"null",
        b"{",
        b"\xff",
        b'{"next_action": 1}',
        b'{"next_action": "action_answer_topic", "tracker": []}',
        b'{"next_action": "action_answer_topic", "tracker": {"sender_id": "x", "slots": {}, '
        b'"latest_message": {"intent": "reset_password"}, "events": []}}',
    ],
)
def test_action_server_answers_malformed_calls_with_400(servers, body):
    response = action_call(servers, body)
    assert response.status_code == 400, response.text


# --- generated input -------------------------------------------------------

weird_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300
) | st.sampled_from(["<script>alert(1)</script>", "' OR 1=1 --", "\u202e\u200f", "🔥" * 50, ""])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | weird_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(weird_text, inner, max_size=4),
    max_leaves=8,
)
rest_bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {"sender": weird_text | json_values, "message": weird_text | json_values}
    ).map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({"sender": st.uuids().map(str), "message": weird_text}).map(
        lambda v: json.dumps(v).encode()
    ),
)
action_bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {"next_action": weird_text | json_values, "tracker": json_values, "domain": json_values}
    ).map(lambda v: json.dumps(v).encode()),
)

FUZZ = {"rest": 8_000, "actions": 2_000}


@pytest.mark.parametrize("entry", list(FUZZ))
def test_generated_inputs_never_get_a_5xx(servers, entry, content):
    seen = collections.Counter()
    strategy = rest_bodies if entry == "rest" else action_bodies

    @settings(
        max_examples=FUZZ[entry],
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def send(body):
        status = (
            post(servers, body) if entry == "rest" else action_call(servers, body)
        ).status_code
        seen[status] += 1
        assert status < 500, body

    send()
    still_answers = (
        f"Phone: {content.facts['helpdesk_phone']}"
        in say(servers, "after-fuzz-" + entry, "I forgot my password")[0]["text"]
    )
    server_errors = sum(n for status, n in seen.items() if status >= 500)
    MEASURED.append(
        f"fuzz {entry}: {sum(seen.values())} inputs sent, {server_errors} 5xx, "
        f"statuses {dict(sorted(seen.items()))}, still answers: {still_answers}"
    )
    assert sum(seen.values()) >= FUZZ[entry]
    assert server_errors == 0 and still_answers


# --- what is open ------------------------------------------------------------


@pytest.mark.parametrize("path", ["/status", "/model/parse", "/conversations/x/tracker"])
def test_the_http_api_is_off_by_default(servers, path):
    response = requests.request(
        "POST" if path == "/model/parse" else "GET",
        servers["url"] + path,
        json={"text": "hi"},
        timeout=10,
    )
    assert response.status_code in (403, 404, 405)


def test_cors_is_closed_by_default(servers):
    response = requests.options(
        servers["url"] + "/webhooks/rest/webhook",
        timeout=10,
        headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in response.headers
