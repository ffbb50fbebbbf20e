"""The REST channel, hardened: POST /webhooks/rest/webhook as Rasa's, plus

- clear 4xx errors for malformed bodies (Rasa's own answers 500 to an empty
  body, `[]`, `null` or a bare JSON string);
- a polite reply to empty, over-long or too-frequent messages;
- personal data and passwords masked *before* Rasa sees the message, so they
  never reach the tracker store, the logs or the action server (nlp/privacy.py).

Configured in credentials.yml as `channels.rest.GuardedRestInput`.
"""
import json
import logging
from typing import Any, Awaitable, Callable, Dict, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels import limits
from channels.guard import MessageGuard, clean_text
from channels.idempotency import MAX_ID_CHARS, user_message

logger = logging.getLogger(__name__)

USAGE = ('Send JSON like {"sender": "a-conversation-id", "message": "your question"}, '
         'optionally with "message_id": the same id on a retry gets the same answer.')


def error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message, "usage": USAGE}, status=status)


def parse_body(raw: bytes) -> Dict[str, Any]:
    """The sender and message of a request body, or ValueError saying what is wrong."""
    if len(raw) > limits.MAX_BODY_BYTES:
        raise ValueError(f"The body is larger than {limits.MAX_BODY_BYTES} bytes.")
    try:
        payload = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError("The body is not valid UTF-8.")
    except json.JSONDecodeError:
        raise ValueError("The body is not valid JSON.")
    if not isinstance(payload, dict):
        raise ValueError("The body must be a JSON object.")
    sender, message = payload.get("sender"), payload.get("message")
    if not isinstance(sender, str) or not clean_text(sender).strip():
        raise ValueError('"sender" must be a non-empty string.')
    if len(sender) > limits.MAX_SENDER_CHARS:
        raise ValueError(f'"sender" must be at most {limits.MAX_SENDER_CHARS} characters.')
    if not isinstance(message, str):
        raise ValueError('"message" must be a string.')
    body = {"sender": clean_text(sender).strip(), "message": clean_text(message)}
    message_id = payload.get("message_id")
    if message_id is not None:
        cleaned = clean_text(message_id).strip() if isinstance(message_id, str) else ""
        if not cleaned or len(message_id) > MAX_ID_CHARS:
            raise ValueError(f'"message_id", if given, must be a non-empty string of at most '
                             f'{MAX_ID_CHARS} characters.')
        body["message_id"] = cleaned
    return body


class GuardedRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def __init__(self) -> None:
        self.guard = MessageGuard()

    def _reply(self, sender: str, key: str, status: int = 200) -> HTTPResponse:
        return response.json([{"recipient_id": sender, "text": self.guard.reply(key)}],
                             status=status)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("guarded_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = parse_body(request.body or b"")
            except ValueError as problem:
                status = 413 if "larger than" in str(problem) else 400
                return error(status, str(problem))
            sender, text = body["sender"], body["message"]
            address = request.remote_addr or request.ip or "unknown"
            refusal = self.guard.refusal(sender, text, address)
            if refusal:
                return self._reply(sender, refusal, status=429 if refusal == "rate_limited" else 200)
            collector = CollectingOutputChannel()
            # A retry with the same message_id gets the stored turn's replies.
            message = user_message(self.guard.mask(sender, text), collector, sender,
                                   self.name(), body.get("message_id"))
            try:
                await on_new_message(message)
            except Exception:  # never a 500 to the user; the log has no message text
                # Even when some replies were collected: the turn may not have
                # been stored (tracker store down), so the client should retry
                # rather than go on from a conversation the server lost.
                logger.exception("Could not handle a message from the REST channel.")
                return self._reply(sender, "unavailable", status=503)
            self.guard.remember_messages(sender, collector.messages)
            return response.json(collector.messages)

        return webhook
