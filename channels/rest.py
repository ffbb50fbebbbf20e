"""The REST channel, hardened: POST /webhooks/rest/webhook as Rasa's, plus

- clear 4xx errors for malformed bodies (Rasa's own answers 500 to an empty
  body, `[]`, `null` or a bare JSON string);
- a polite reply to empty, over-long or too-frequent messages, and 503 with
  the polite "unavailable" text when a turn fails (channels/turn.py);
- passwords and personal data decided and masked inside Rasa before the
  message is parsed or stored (channels/disclosure.py).

Configured in credentials.yml as `channels.rest.GuardedRestInput`.
"""

import json
from typing import Any, Awaitable, Callable, Dict, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels import limits
from channels.guard import clean_text
from channels.idempotency import MAX_ID_CHARS
from channels.turn import BadRequest, Refused, TooLarge, TurnFailed, Turns
from settings import get_settings

USAGE = (
    'Send JSON like {"sender": "a-conversation-id", "message": "your question"}, '
    'optionally with "message_id": the same id on a retry gets the same answer.'
)


def error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message, "usage": USAGE}, status=status)


def parse_body(raw: bytes) -> Dict[str, Any]:
    """The sender and message of a request body, or BadRequest saying what is wrong."""
    max_bytes = get_settings().chat_max_body_bytes
    if len(raw) > max_bytes:
        raise TooLarge(f"The body is larger than {max_bytes} bytes.")
    try:
        payload = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest("The body is not valid UTF-8.") from None
    except json.JSONDecodeError:
        raise BadRequest("The body is not valid JSON.") from None
    if not isinstance(payload, dict):
        raise BadRequest("The body must be a JSON object.")
    sender, message = payload.get("sender"), payload.get("message")
    if not isinstance(sender, str) or not clean_text(sender).strip():
        raise BadRequest('"sender" must be a non-empty string.')
    if len(sender) > limits.MAX_SENDER_CHARS:
        raise BadRequest(f'"sender" must be at most {limits.MAX_SENDER_CHARS} characters.')
    if not isinstance(message, str):
        raise BadRequest('"message" must be a string.')
    body = {"sender": clean_text(sender).strip(), "message": clean_text(message)}
    message_id = payload.get("message_id")
    if message_id is not None:
        cleaned = clean_text(message_id).strip() if isinstance(message_id, str) else ""
        if not cleaned or len(message_id) > MAX_ID_CHARS:
            raise BadRequest(
                f'"message_id", if given, must be a non-empty string of at most '
                f"{MAX_ID_CHARS} characters."
            )
        body["message_id"] = cleaned
    return body


class GuardedRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def __init__(self) -> None:
        self.turns = Turns("rest")

    def _reply(self, sender: str, key: str, status: int = 200) -> HTTPResponse:
        return response.json(
            [{"recipient_id": sender, "text": self.turns.reply(key)}], status=status
        )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("guarded_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = parse_body(request.body or b"")
            except BadRequest as problem:
                return error(problem.status, str(problem))
            sender = body["sender"]
            collector = CollectingOutputChannel()
            try:
                # A retry with the same message_id gets the stored turn's replies.
                await self.turns.run(
                    on_new_message,
                    collector,
                    sender=sender,
                    text=body["message"],
                    channel=self.name(),
                    address=request.remote_addr or request.ip or "unknown",
                    message_id=body.get("message_id"),
                )
            except Refused as refused:
                return self._reply(sender, refused.key, status=refused.status)
            except TurnFailed:
                # Even when some replies were collected: the turn may not have
                # been stored, so the client should retry rather than go on
                # from a conversation the server lost.
                return self._reply(sender, "unavailable", status=503)
            return response.json(collector.messages)

        return webhook
