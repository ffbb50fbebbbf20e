"""The website chat as the tests speak it: the one listed origin, a socket.io
client speaking Rasa's protocol, and the user's messages read back from the
tracker store."""

import logging
import queue
import time
from typing import List

import pytest
import socketio

from tests.support.servers import stored_events

# The site the socket.io tests claim to be, allowed to embed the chat; the other
# listed origin is the provider site's (tests/support/host_site.py), and
# any other is refused.
LISTED_ORIGIN = "https://care-home.example"

REPLY_SECONDS = 30  # a first answer can take a while on a 2-core machine
# A connection closed with abort=True (Chat.close) leaves python-engineio's
# writer thread to time out 30 s later with a harmless "packet queue is empty".
QUIET = logging.getLogger("tests.e2e.engineio_client")
QUIET.setLevel(logging.CRITICAL)


class Chat:
    """One socket.io connection speaking Rasa's protocol."""

    def __init__(self, servers, origin=None):
        self.client = socketio.Client(reconnection=False, engineio_logger=QUIET)
        self.replies: "queue.Queue[dict]" = queue.Queue()
        # Every bot_uttered that wait() has read, whole (text, quick_replies).
        self.received: List[dict] = []
        self.confirmed: "queue.Queue[str]" = queue.Queue()
        self.client.on("bot_uttered", self.replies.put)
        self.client.on("session_confirm", self.confirmed.put)
        headers = {"Origin": origin} if origin else {}
        self.client.connect(
            servers["url"],
            headers=headers,
            transports=["polling"],
            socketio_path="/socket.io",
            wait_timeout=10,
        )

    def start(self, session_id=None) -> str:
        self.client.emit("session_request", {"session_id": session_id})
        self.session_id = self.confirmed.get(timeout=10)
        return self.session_id

    def send(self, payload):
        self.client.emit("user_uttered", payload)

    def ask(self, text, until, seconds=REPLY_SECONDS):
        """Sends text; returns the replies once `until(texts)` holds (or fails)."""
        self.send({"message": text, "session_id": self.session_id})
        return self.wait(until, seconds)

    def wait(self, until, seconds=REPLY_SECONDS):
        texts = []
        try:
            while not until(texts):
                self.received.append(self.replies.get(timeout=seconds))
                texts.append(self.received[-1].get("text", ""))
        except queue.Empty:
            pytest.fail(f"no reply satisfying the test within {seconds}s; got {texts}")
        return texts

    def close(self):
        # Without abort, python-engineio's client waits for the long-poll
        # request in flight, which the server answers only at the next ping
        # (25 s); the CLOSE packet it sends first ends the session all the same.
        self.client.eio.disconnect(abort=True)


def stored_user_texts(servers, session_id, count, seconds=10):
    """The user's messages in the tracker store, once Rasa has saved the turn
    (it saves after the replies have gone out, so a test can get there first)."""
    deadline = time.monotonic() + seconds
    while True:
        said = [e["text"] for e in stored_events(servers, session_id) if e["event"] == "user"]
        if len(said) >= count or time.monotonic() > deadline:
            return said
        time.sleep(0.2)
