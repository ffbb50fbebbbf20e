"""A local stand-in for Slack, both ways, for offline tests.

- ``FakeSlackApi``: the Web API's chat.postMessage on a free 127.0.0.1 port
  (a thread, so it serves the e2e Rasa server and in-process tests alike). It
  checks the bot token and records every message posted.
- ``signed_headers``, ``message_event``, ``button_click``: the requests Slack
  sends to our webhook, signed as Slack signs them.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional
from urllib.parse import parse_qs, urlencode

from slack_sdk.signature import SignatureVerifier


class FakeSlackApi:
    """``token`` and ``signing_secret``: the two secrets the Slack app shares."""

    def __init__(self, token: str, signing_secret: str) -> None:
        self.token, self.signing_secret = token, signing_secret
        self.posts: List[Dict[str, Any]] = []
        self.rejected: List[Dict[str, Any]] = []
        self._changed = threading.Condition()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    body = json.loads(raw or "{}")
                else:
                    body = {k: v[0] for k, v in parse_qs(raw).items()}
                answer = fake._handle(self.path, self.headers.get("Authorization"), body)
                data = json.dumps(answer).encode()
                self.send_response(200 if answer.get("error") != "unknown_method" else 404)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:  # keep pytest's output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/api/"
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def _handle(
        self, path: str, authorization: Optional[str], body: Dict[str, Any]
    ) -> Dict[str, Any]:
        if path != "/api/chat.postMessage":
            return {"ok": False, "error": "unknown_method"}
        with self._changed:
            if authorization != f"Bearer {self.token}":  # Slack answers 200 with ok: false
                self.rejected.append(body)
                return {"ok": False, "error": "invalid_auth"}
            ts = f"{time.time():.6f}"
            self.posts.append(dict(body, ts=ts))
            self._changed.notify_all()
        return {
            "ok": True,
            "channel": body.get("channel"),
            "ts": ts,
            "message": {"text": body.get("text"), "ts": ts},
        }

    def posts_to(self, channel: str) -> List[Dict[str, Any]]:
        with self._changed:
            return [p for p in self.posts if p.get("channel") == channel]

    def wait_for(
        self,
        channel: str,
        predicate: Callable[[List[Dict[str, Any]]], bool] = bool,
        timeout: float = 30.0,
    ) -> List[Dict[str, Any]]:
        """The posts to ``channel`` once ``predicate(posts)`` holds, or AssertionError."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                posts = [p for p in self.posts if p.get("channel") == channel]
                if predicate(posts):
                    return posts
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"after {timeout}s, the posts to {channel}: {posts}")
                self._changed.wait(left)

    def wait_for_text(
        self, channel: str, needle: str, timeout: float = 30.0
    ) -> List[Dict[str, Any]]:
        return self.wait_for(
            channel, lambda posts: any(needle in p.get("text", "") for p in posts), timeout
        )

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# --- what Slack sends to the webhook ------------------------------------------


def signed_headers(
    secret: str,
    body: bytes,
    content_type: str = "application/json",
    timestamp: Optional[int] = None,
    retry: Optional[int] = None,
) -> Dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": SignatureVerifier(secret).generate_signature(
            timestamp=str(timestamp), body=body
        ),
    }
    if retry:
        headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
    return headers


def message_event(
    text: str,
    *,
    user: str,
    channel: str,
    event_id: str,
    kind: str = "message",
    channel_type: str = "im",
    thread_ts: Optional[str] = None,
    bot_user: str = "U0BOT",
    **extra: Any,
) -> bytes:
    """An Events API callback, as Slack sends it for ``message.im`` or ``app_mention``."""
    event = {
        "type": kind,
        "user": user,
        "text": text,
        "ts": f"{time.time():.6f}",
        "channel": channel,
        "event_ts": f"{time.time():.6f}",
        **extra,
    }
    if kind == "message":
        event["channel_type"] = channel_type
    if thread_ts:
        event["thread_ts"] = thread_ts
    return json.dumps(
        {
            "token": "unused-verification-token",
            "team_id": "T0TEAM",
            "api_app_id": "A0APP",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": "T0TEAM", "user_id": bot_user, "is_bot": True}],
            "event": event,
        }
    ).encode()


def button_click(
    value: str,
    *,
    user: str,
    channel: str,
    trigger_id: str,
    thread_ts: Optional[str] = None,
    action_id: str = "choice_0",
) -> bytes:
    """An interactivity request (``block_actions``): a form with ``payload=`` JSON."""
    message = {"type": "message", "text": "(the bot's message)", "ts": f"{time.time():.6f}"}
    if thread_ts:
        message["thread_ts"] = thread_ts
    payload = {
        "type": "block_actions",
        "trigger_id": trigger_id,
        "user": {"id": user, "username": "someone", "team_id": "T0TEAM"},
        "team": {"id": "T0TEAM"},
        "channel": {"id": channel, "name": "directmessage"},
        "container": {"type": "message", "channel_id": channel, "message_ts": message["ts"]},
        "message": message,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b1",
                "text": {"type": "plain_text", "text": "a button"},
                "value": value,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()
