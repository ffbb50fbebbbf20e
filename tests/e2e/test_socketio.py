"""End to end: the website chat's socket.io channel on the real Rasa server.

python-socketio's client speaks Rasa's protocol, as the widget does, over
long-polling (the python-engineio client beside Rasa's aiohttp pin cannot
open a websocket; the browser test covers websocket). Websocket handshakes
are checked with a raw HTTP request.
"""

import json
import socket
from urllib.parse import urlsplit

import pytest
import requests
import socketio

from tests.support import feedback
from tests.support.servers import stored_events
from tests.support.widget import LISTED_ORIGIN, Chat, stored_user_texts

OTHER_ORIGIN = "https://someone-else.example"


@pytest.fixture
def chat(servers):
    opened = []

    def open_chat(origin=None):
        opened.append(Chat(servers, origin))
        return opened[-1]

    yield open_chat
    for c in opened:
        c.close()


def contains(*fragments):
    """Until every fragment has arrived (Rasa splits a reply into several bubbles)."""
    return lambda texts: all(f in "\n".join(texts) for f in fragments)


def websocket_handshake(servers, origin) -> str:
    """The status line the server answers a browser's websocket handshake with."""
    host, port = urlsplit(servers["url"]).hostname, urlsplit(servers["url"]).port
    request = (
        f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        f"Origin: {origin}\r\n\r\n"
    )
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(request.encode())
        return conn.recv(4096).decode("latin-1").split("\r\n")[0]


def test_password_question_over_socketio_gets_the_helpdesk_number(chat, content):
    c = chat()
    session_id = c.start()
    assert len(session_id) == 32  # a fresh uuid4, made by the server
    phone = content.facts["helpdesk_phone"]
    texts = c.ask("how do I reset my password?", contains(phone))
    assert any(f"Phone: {phone}" in t for t in texts)


def test_a_new_connection_with_the_same_session_id_continues_the_conversation(servers, chat):
    first = chat()
    session_id = first.start()
    first.ask("my nhsmail account has been deleted", contains("Has every NHSmail account linked"))
    first.close()

    second = chat()
    assert second.start(session_id) == session_id
    # "yes" only means something as the answer to the question asked before.
    second.ask("yes", contains("current manager", "registered landline"))
    assert stored_user_texts(servers, session_id, 2) == [
        "my nhsmail account has been deleted",
        "yes",
    ]


def test_a_typed_password_is_masked_in_the_tracker_and_warned_about(servers, chat):
    c = chat()
    session_id = c.start()
    texts = c.ask("my password is Fluffy22 and it doesnt work", contains("don't type passwords"))
    assert not any("Fluffy22" in t for t in texts)
    assert stored_user_texts(servers, session_id, 1) == [
        "my password is [password removed] and it doesnt work"
    ]
    assert "Fluffy22" not in json.dumps(stored_events(servers, session_id))


def test_html_is_answered_politely_and_the_conversation_goes_on(chat, content):
    c = chat()
    c.start()
    texts = c.ask("<img src=x onerror=alert(1)>", lambda texts: bool(texts))
    # Markup says nothing about NHSmail: the one short line and the topic buttons.
    assert texts[0] == content.fill(content.messages["other_short"])
    phone = content.facts["helpdesk_phone"]
    c.ask("I've forgotten my password", contains(phone))


def test_an_empty_message_gets_the_polite_input_empty_reply(chat, content):
    c = chat()
    c.start()
    texts = c.ask("   \n ", lambda texts: bool(texts), seconds=10)
    assert texts == [content.fill(content.messages["input_empty"])]


def test_too_many_messages_get_the_polite_rate_limited_reply(chat, content):
    c = chat()
    c.start()
    # The end-to-end servers allow 8 messages a minute per conversation
    # (tests/e2e/conftest.py); empty ones are refused without reaching Rasa.
    for _ in range(8):
        assert c.ask("", lambda texts: bool(texts), seconds=10) == [
            content.fill(content.messages["input_empty"])
        ]
    assert c.ask("how do I reset my password?", lambda texts: bool(texts), seconds=10) == [
        content.fill(content.messages["rate_limited"])
    ]


def test_malformed_events_are_answered_or_ignored_never_an_error(servers, chat, content):
    log = servers["logs"]["rasa"]
    log_before = log.read_text()
    c = chat()
    session_id = c.start()
    c.client.emit("user_uttered")  # no payload at all
    c.send("just a string")  # not a dict
    c.send({"message": "hello"})  # no session_id
    c.send({"message": "hello", "session_id": "someone-else"})  # not this socket's
    c.client.emit("session_request", "not a dict")  # a new session for us
    new_session = c.confirmed.get(timeout=10)
    assert new_session != session_id and len(new_session) == 32
    c.session_id = new_session
    c.send({"message": 42, "session_id": new_session})  # message not a string
    texts = c.wait(lambda texts: bool(texts), seconds=10)
    assert texts == [content.fill(content.messages["input_empty"])]
    # The connection still works, and the ignored events reached no conversation.
    c.ask("how do I reset my password?", contains(content.facts["helpdesk_phone"]))
    assert stored_events(servers, "someone-else") == []
    logged = log.read_text()[len(log_before) :]
    assert "ignored a user_uttered without the session_id" in logged
    assert "Traceback" not in logged and "Task exception" not in logged


def test_an_origin_not_in_cors_origins_is_refused_by_polling_and_websocket(servers):
    with pytest.raises(socketio.exceptions.ConnectionError):
        Chat(servers, origin=OTHER_ORIGIN)
    assert websocket_handshake(servers, OTHER_ORIGIN).startswith("HTTP/1.1 400")


@pytest.mark.parametrize("origin", ["listed", "same"])
def test_a_listed_origin_and_the_same_origin_are_accepted(servers, chat, origin):
    origin = LISTED_ORIGIN if origin == "listed" else servers["url"]
    c = chat(origin=origin)
    assert len(c.start()) == 32
    assert websocket_handshake(servers, origin).startswith("HTTP/1.1 101")


def test_the_widget_and_its_demo_page_are_served_with_a_strict_policy(servers):
    page = requests.get(f"{servers['url']}/chat/", timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert 'src="/chat/widget.js"' in page.text
    for path, kind in [
        ("widget.js", "text/javascript"),
        ("widget.css", "text/css"),
        ("vendor/socket.io.min.js", "text/javascript"),
    ]:
        asset = requests.get(f"{servers['url']}/chat/{path}", timeout=10)
        assert asset.status_code == 200, path
        assert asset.headers["Content-Type"].startswith(kind), path
        assert asset.headers["X-Content-Type-Options"] == "nosniff"


def test_did_this_help_comes_as_two_quick_replies_and_no_gets_the_helpdesk(chat, content):
    c = chat()
    c.start()
    c.ask("how do I reset my password?", contains(feedback.question(content)))
    vote = c.received[-1]
    assert vote["text"] == feedback.question(content)
    assert [(b["title"], b["payload"]) for b in vote["quick_replies"]] == [
        (b["title"], b["payload"]) for b in feedback.buttons(content)
    ]
    # The widget sends a click as its payload.
    assert c.ask(feedback.NO, contains(feedback.sorry(content))) == [feedback.sorry(content)]
    assert feedback.sorry_has_the_helpdesk(content, c.received[-1]["text"])
