"""The website chat channel without a model: its settings, its origin check,
its widget files, and the socket.io fix, on an in-process Sanic server whose
"agent" answers every message with an echo and a button."""

import asyncio
import contextlib
import hashlib
import logging
import re
import uuid
from contextlib import asynccontextmanager

import pytest
import requests
import socketio
from rasa.core.channels.channel import UserMessage, register
from rasa.core.channels.socketio import SocketIOInput
from rasa.server import configure_cors
from sanic import Sanic

from channels.limits import RateLimiter
from channels.socketio import WIDGET_DIR, GuardedSocketIOInput, OriginCheck
from settings import get_settings
from tests.support.servers import free_port

SITE = "https://care-home.example"
# Clients closed with abort=True leave a writer task that may log a harmless
# "packet queue is empty" when it times out.
QUIET = logging.getLogger("tests.channels.engineio_client")
QUIET.setLevel(logging.CRITICAL)


# --- settings and the origin check ------------------------------------------


def test_the_channel_is_on_without_settings_and_reads_cors_origins(monkeypatch):
    monkeypatch.delenv("CORS_ORIGINS", raising=False)
    assert GuardedSocketIOInput.from_credentials(None).cors_origins == []
    monkeypatch.setenv("CORS_ORIGINS", SITE)
    get_settings.cache_clear()  # as a server started with it would read it
    channel = GuardedSocketIOInput.from_credentials(None)
    assert channel.cors_origins == [SITE] and channel.session_persistence


@pytest.mark.parametrize(
    "origin, environ, allowed",
    [
        (SITE, {"HTTP_HOST": "chat.example"}, True),
        ("http://chat.example", {"HTTP_HOST": "chat.example", "wsgi.url_scheme": "http"}, True),
        (
            "https://chat.example",
            {
                "HTTP_HOST": "internal:5005",
                "wsgi.url_scheme": "https",
                "HTTP_X_FORWARDED_HOST": "chat.example",
            },
            True,
        ),
        ("https://chat.example", {"HTTP_HOST": "chat.example", "wsgi.url_scheme": "http"}, False),
        ("https://evil.example", {"HTTP_HOST": "chat.example"}, False),
        ("null", {"HTTP_HOST": "chat.example"}, False),
    ],
)
def test_only_the_same_origin_and_listed_origins_may_connect(origin, environ, allowed):
    assert OriginCheck([SITE])(origin, environ) is allowed


# --- the widget's files ---------------------------------------------------------


def test_the_vendored_client_matches_the_checksum_in_its_readme():
    readme = (WIDGET_DIR / "vendor" / "README.md").read_text()
    recorded = re.search(r"\| socket\.io\.min\.js \| `([0-9a-f]{64})`", readme).group(1)
    actual = hashlib.sha256((WIDGET_DIR / "vendor" / "socket.io.min.js").read_bytes()).hexdigest()
    assert actual == recorded


def test_the_demo_page_has_no_inline_script_or_style():
    page = (WIDGET_DIR / "index.html").read_text()
    assert all('src="' in tag for tag in re.findall(r"<script[^>]*>", page))
    assert "<style" not in page and " style=" not in page
    assert not re.search(r"\son[a-z]+\s*=", page)  # no onclick= and the like


def test_the_widget_never_builds_html_from_text():
    script = (WIDGET_DIR / "widget.js").read_text()
    for sink in (".innerHTML", ".outerHTML", ".insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script


# --- on a server ----------------------------------------------------------------


class EchoAgent:
    """Stands in for Rasa's agent: answers through the channel's output."""

    def __init__(self):
        self.received = []

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append((message.sender_id, message.text))
        await message.output_channel.send_text_with_buttons(
            message.sender_id, f"echo: {message.text}", [{"title": "Yes", "payload": "/affirm"}]
        )


@pytest.fixture(autouse=True)
def sanic_test_mode(monkeypatch):
    """Lets one process build several Sanic apps (Sanic patches its own code once
    per app unless in test mode)."""
    monkeypatch.setattr(Sanic, "test_mode", True)


@asynccontextmanager
async def serving(channel, cors_origins=None):
    """The channel mounted as Rasa mounts it, on a free port."""
    app = Sanic(f"socketio_test_{uuid.uuid4().hex}")
    if cors_origins:
        configure_cors(app, cors_origins)  # as `rasa run --cors`, from scripts/run.sh
    app.ctx.agent = EchoAgent()
    register([channel], app, route="/webhooks/")
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        yield f"http://127.0.0.1:{port}", app.ctx.agent
    finally:
        server.close()
        await server.wait_closed()


async def one_exchange(url, text, session_id=None, seconds=3.0):
    """Session request, one message; the session id and the replies received."""
    client = socketio.AsyncClient(reconnection=False, engineio_logger=QUIET)
    replies, confirmed = asyncio.Queue(), asyncio.Queue()
    client.on("bot_uttered", replies.put)
    client.on("session_confirm", confirmed.put)
    await client.connect(url, transports=["polling"], socketio_path="/socket.io")
    try:
        await client.emit("session_request", {"session_id": session_id})
        session_id = await asyncio.wait_for(confirmed.get(), 5)
        await client.emit("user_uttered", {"message": text, "session_id": session_id})
        try:
            return session_id, [await asyncio.wait_for(replies.get(), seconds)]
        except asyncio.TimeoutError:
            return session_id, []
    finally:
        await client.eio.disconnect(abort=True)


def test_with_session_persistence_the_reply_reaches_the_user():
    async def run():
        async with serving(GuardedSocketIOInput()) as (url, agent):
            session_id, replies = await one_exchange(url, "hello <b>there</b>")
        assert agent.received == [(session_id, "hello <b>there</b>")]
        assert replies == [
            {
                "text": "echo: hello <b>there</b>",
                "quick_replies": [{"content_type": "text", "title": "Yes", "payload": "/affirm"}],
            }
        ]

    asyncio.run(run())


@pytest.mark.filterwarnings("ignore:coroutine 'AsyncServer.enter_room' was never awaited")
def test_rasas_own_handler_loses_the_reply_which_is_why_the_subclass_exists():
    """RasaHQ/rasa#13027: if this starts failing, Rasa has fixed enter_room and
    GuardedSocketIOInput.session_request can go back to Rasa's."""

    async def run():
        async with serving(SocketIOInput(session_persistence=True)) as (url, agent):
            _, replies = await one_exchange(url, "hello", seconds=1.5)
        assert len(agent.received) == 1 and replies == []

    asyncio.run(run())


def test_a_message_without_text_as_rasa_webchat_opens_is_not_answered():
    """rasa-webchat sends {"message": undefined, "customData", "session_id"}
    (its initPayload, none set) when its panel opens; JSON drops the key."""

    async def run():
        async with serving(GuardedSocketIOInput()) as (url, agent):
            client = socketio.AsyncClient(reconnection=False, engineio_logger=QUIET)
            replies, confirmed = asyncio.Queue(), asyncio.Queue()
            client.on("bot_uttered", replies.put)
            client.on("session_confirm", confirmed.put)
            await client.connect(url, transports=["polling"], socketio_path="/socket.io")
            try:
                await client.emit("session_request", {"session_id": None})
                session_id = await asyncio.wait_for(confirmed.get(), 5)
                for opened in ({}, {"message": None}):
                    await client.emit(
                        "user_uttered",
                        {**opened, "customData": {"language": "en"}, "session_id": session_id},
                    )
                await client.emit("user_uttered", {"message": "hello", "session_id": session_id})
                said = [await asyncio.wait_for(replies.get(), 3)]
                # Anything said about the two without text would come within a second.
                with contextlib.suppress(asyncio.TimeoutError):
                    while True:
                        said.append(await asyncio.wait_for(replies.get(), 1))
            finally:
                await client.eio.disconnect(abort=True)
        assert [r["text"] for r in said] == ["echo: hello"]
        assert agent.received == [(session_id, "hello")]

    asyncio.run(run())


def test_the_per_address_limit_counts_every_conversation_from_one_address():
    async def run():
        channel = GuardedSocketIOInput()
        channel.turns.guard.per_address = RateLimiter(2)
        async with serving(channel) as (url, agent):
            replies = [(await one_exchange(url, f"question {n}"))[1] for n in range(3)]
        assert [r[0]["text"] for r in replies[:2]] == ["echo: question 0", "echo: question 1"]
        assert replies[2] == [{"text": channel.turns.reply("rate_limited")}]
        assert len(agent.received) == 2

    asyncio.run(run())


def test_with_rasas_cors_on_too_a_listed_origin_gets_one_allow_origin_header():
    """Browsers refuse a response with two Access-Control-Allow-Origin headers."""

    async def run():
        async with serving(GuardedSocketIOInput([SITE]), cors_origins=[SITE]) as (url, _):
            listed, other = await asyncio.gather(
                *(
                    asyncio.to_thread(
                        requests.get,
                        f"{url}/socket.io/?EIO=4&transport=polling",
                        headers={"Origin": origin},
                        timeout=5,
                    )
                    for origin in (SITE, "https://evil.example")
                )
            )
        assert listed.status_code == 200
        assert listed.raw.headers.getlist("Access-Control-Allow-Origin") == [SITE]
        assert other.status_code == 400

    asyncio.run(run())


def test_the_widget_is_served_under_chat():
    async def run():
        async with serving(GuardedSocketIOInput()) as (url, _):
            page, script = await asyncio.gather(
                asyncio.to_thread(requests.get, f"{url}/chat/", timeout=5),
                asyncio.to_thread(requests.get, f"{url}/chat/widget.js", timeout=5),
            )
        return page, script

    page, script = asyncio.run(run())
    assert (
        page.status_code == 200
        and "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    )
    assert script.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert script.content == (WIDGET_DIR / "widget.js").read_bytes()
