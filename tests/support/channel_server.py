"""One of the project's channels served as Rasa serves it, but in-process: a
Sanic app in a thread on a free loopback port, with the channel's blueprint
mounted at its Rasa path and a stand-in for Rasa that records what reaches it
and answers. Several of them in one test are several servers."""

import asyncio
import threading
import time
import uuid
from typing import Any, Dict, List

import requests
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Sanic

from tests.support.servers import free_port

BUTTONS = [
    {"title": "I work in a pharmacy", "payload": "/pharmacy"},
    {"title": "Yes", "payload": "/affirm"},
]


class StandInRasa:
    """Records each message (sender, text) and answers: "buttons" gets
    ``BUTTONS``, anything else "You said: <text>"."""

    def __init__(self) -> None:
        self.received: List[Dict[str, str]] = []

    async def __call__(self, message: UserMessage) -> None:
        self.received.append({"sender": message.sender_id, "text": message.text})
        out = message.output_channel
        if message.text == "buttons":
            await out.send_text_with_buttons(message.sender_id, "Pick one", BUTTONS)
        else:
            await out.send_text_message(message.sender_id, f"You said: {message.text}")

    def wait_for(self, count: int, timeout: float = 10.0) -> List[Dict[str, str]]:
        """What reached it, once that is ``count`` messages or at the timeout."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.received)


class ChannelServer:
    """``channel`` served at ``/webhooks/<path>``; ``start()``, then ``stop()``."""

    def __init__(self, channel: InputChannel, path: str, rasa: Any = None) -> None:
        """``rasa``: what stands in for Rasa (a StandInRasa unless given)."""
        self.channel, self.rasa, self.port = channel, rasa or StandInRasa(), free_port()
        self.url = f"http://127.0.0.1:{self.port}/webhooks/{path}"
        self.webhook = f"{self.url}/webhook"
        Sanic.test_mode = True  # lets one process run several apps, as sanic-testing does
        self.app = Sanic(f"channel_test_{uuid.uuid4().hex[:8]}")
        self.app.blueprint(channel.blueprint(self.rasa), url_prefix=f"/webhooks/{path}")
        self.app.register_listener(self._started, "after_server_start")
        self.loop: Any = None
        self.thread = threading.Thread(
            target=self.app.run,
            daemon=True,
            kwargs=dict(
                host="127.0.0.1",
                port=self.port,
                register_sys_signals=False,
                motd=False,
                access_log=False,
            ),
        )

    async def _started(self, app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def start(self) -> "ChannelServer":
        self.thread.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/", timeout=1)
                return self
            except requests.ConnectionError:
                time.sleep(0.05)
        raise AssertionError("the test server did not start")

    def health(self) -> Any:
        return requests.get(self.url + "/", timeout=5).json().get("status")

    def wait_until_healthy(self, seconds: float = 10) -> "ChannelServer":
        """Until the channel's health says ok (Teams: Microsoft's keys are loaded)."""
        deadline = time.monotonic() + seconds
        while self.health() != "ok":
            assert time.monotonic() < deadline, f"{self.url} never said ok"
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.app.stop)
        self.thread.join(10)
