"""Slack through the Events API: POST /webhooks/slack/webhook.

One URL takes both kinds of request Slack sends: events (JSON: ``message`` in
a direct message, ``app_mention`` in a channel, and ``url_verification`` when
the URL is registered) and interactivity (a form with ``payload=``, type
``block_actions``: a click on one of our buttons).

Why not Rasa's own ``SlackInput``: it answers 500 to a malformed body and 400
to a bad signature, has no de-duplication of Slack's retries, posts buttons as
plain text, cannot point its client at another API URL (our tests' local fake)
and does not go through our guarded turn. So this is a small channel of its
own on slack_sdk's well-kept pieces: ``SignatureVerifier`` for the v0 HMAC
signature and the 5-minute timestamp window, ``AsyncWebClient`` for
chat.postMessage.

- Every request must be signed with SLACK_SIGNING_SECRET (else 401).
- Slack wants a 200 within 3 seconds or it sends the event again: we answer at
  once and run the turn in a background task; retries and concurrent
  duplicates of an event already seen (same event_id) get a 200 and nothing
  else. The seen ids are kept for an hour where the settings say
  (channels/state.py): in this process, or in Redis for every server of a
  cluster. A retry that reaches a server that has not seen its id is still
  caught by channels/idempotency.py once the first turn is stored, as the id
  is stored with the turn.
- Bots (our own replies included), edits, deletions and other message
  subtypes are ignored, so the bot never answers itself.
- Rasa's conversation id is ``<user>_<channel>`` or, inside a thread,
  ``<user>_<channel>_<thread_ts>``: the same person in a DM, in a channel and in
  each thread has separate conversations. Replies go to the thread the user
  wrote in, else to the channel (or DM) itself.
"""

import asyncio
import json
import logging
import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, Text
from urllib.parse import parse_qs

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from channels.settings import from_env
from channels.state import ChannelState, get_state
from channels.state import RecentIds as RecentIds  # re-exported: the in-memory seen ids
from channels.turn import Refused, TurnFailed, Turns

logger = logging.getLogger(__name__)

# Larger than the REST channel's limit: a button click carries the whole
# message it was on (text and blocks) back to us.
MAX_BODY_BYTES = 128 * 1024
# Slack's limits for Block Kit: characters in a section's text, buttons in one
# actions block, characters in a button's label.
SECTION_CHARS = 3000
BUTTONS_PER_BLOCK = 25
BUTTON_TITLE_CHARS = 75
# Slack retries an event three times within minutes; an id is kept an hour.
SEEN_SECONDS = 3600.0


def error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


# --- text in and out --------------------------------------------------------

SLACK_MARKUP = re.compile(r"<([^<>]*)>")


def _markup_to_text(match: "re.Match") -> str:
    inside = match.group(1)
    target, _, label = inside.partition("|")
    if target.startswith("@"):  # a person (or the bot): not part of the question
        return ""
    if target.startswith("#"):
        return f"#{label}" if label else ""
    if target.startswith("!"):  # <!here>, <!subteam^ID|@team>, <!date^...|fallback>
        return label or "@" + target[1:].split("^")[0]
    return label or target  # a link, labelled or bare, or a mailto: address


def from_slack(text: str) -> str:
    """Slack's message text as the user typed it.

    Slack turns links, mentions and channels into ``<...>`` markup and escapes
    ``&``, ``<`` and ``>``; we keep the labels, drop mentions, and unescape
    (``&amp;`` last, so ``&amp;lt;`` stays ``&lt;``).
    """
    text = SLACK_MARKUP.sub(_markup_to_text, text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def to_mrkdwn(text: str) -> str:
    """The bot's text, safe for Slack's mrkdwn.

    Slack reads ``<...>`` as markup and ``&`` as the start of an escape, so all
    three are escaped. Our replies hold bare URLs, which Slack links by itself,
    so we never need link markup of our own.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _chunks(text: str, limit: int) -> List[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at line breaks
    (and inside a line only when the line alone is longer than ``limit``)."""
    pieces = [""]
    for line in text.split("\n"):
        for start in range(0, max(len(line), 1), limit):
            part = line[start : start + limit]
            if pieces[-1] and len(pieces[-1]) + 1 + len(part) > limit:
                pieces.append(part)
            else:
                pieces[-1] = f"{pieces[-1]}\n{part}" if pieces[-1] else part
    return pieces


def button_blocks(text: str, buttons: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Block Kit for a reply with buttons: the text, then the buttons.

    Each button's value is its Rasa payload (what a click sends back), and its
    action_id is unique within the message, as Slack requires.
    """
    blocks: List[Dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": piece}}
        for piece in _chunks(to_mrkdwn(text), SECTION_CHARS)
        if piece.strip()
    ]
    elements = [
        {
            "type": "button",
            "text": {
                "type": "plain_text",
                "text": str(b["title"])[:BUTTON_TITLE_CHARS],
                "emoji": True,
            },
            "value": str(b["payload"]),
            "action_id": f"choice_{i}",
        }
        for i, b in enumerate(buttons)
    ]
    for start in range(0, len(elements), BUTTONS_PER_BLOCK):
        blocks.append({"type": "actions", "elements": elements[start : start + BUTTONS_PER_BLOCK]})
    return blocks


# --- what Slack sends -------------------------------------------------------


@dataclass(frozen=True)
class Incoming:
    """One message for Rasa: who wrote it, where, and what."""

    user: str
    channel: str
    thread_ts: Optional[str]
    text: str

    @property
    def sender_id(self) -> str:
        parts = [self.user, self.channel] + ([self.thread_ts] if self.thread_ts else [])
        return "_".join(parts)


@dataclass(frozen=True)
class Parsed:
    """What a verified request asks of us; ValueError when it is malformed."""

    challenge: Optional[str] = None
    dedup_key: Optional[str] = None
    message: Optional[Incoming] = None


def _string(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string.")
    return value


def _object(value: Any, what: str) -> Dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be a JSON object.")
    return value


def _bot_users(body: Dict[str, Any]) -> Set[str]:
    authorizations = body.get("authorizations")
    if not isinstance(authorizations, list):
        return set()
    return {
        a["user_id"]
        for a in authorizations
        if isinstance(a, dict) and a.get("is_bot") and isinstance(a.get("user_id"), str)
    }


def parse_event(body: Dict[str, Any]) -> Parsed:
    if body.get("type") == "url_verification":
        return Parsed(challenge=_string(body.get("challenge"), '"challenge"'))
    if body.get("type") != "event_callback":
        return Parsed()  # app_rate_limited and the like: nothing to answer
    event_id = _string(body.get("event_id"), '"event_id"')
    event = _object(body.get("event"), '"event"')
    kind = event.get("type")
    if kind not in ("message", "app_mention"):
        return Parsed(dedup_key=event_id)
    # Bots (ourselves included) and edits, deletions, joins, ... are not questions.
    if event.get("bot_id") or event.get("bot_profile") or event.get("subtype"):
        return Parsed(dedup_key=event_id)
    user = _string(event.get("user"), '"event.user"')
    if user in _bot_users(body):
        return Parsed(dedup_key=event_id)
    # In channels we answer only when mentioned (app_mention): a message.channels
    # subscription would otherwise make us answer every message, and twice.
    if kind == "message" and event.get("channel_type") != "im":
        return Parsed(dedup_key=event_id)
    text = event.get("text")
    if not isinstance(text, str):
        raise ValueError('"event.text" must be a string.')
    thread_ts = event.get("thread_ts")
    return Parsed(
        dedup_key=event_id,
        message=Incoming(
            user=user,
            channel=_string(event.get("channel"), '"event.channel"'),
            thread_ts=thread_ts if isinstance(thread_ts, str) and thread_ts else None,
            text=from_slack(text),
        ),
    )


def parse_interaction(payload: Dict[str, Any]) -> Parsed:
    """A click on one of our buttons: its value is the user's message."""
    if payload.get("type") != "block_actions":
        return Parsed()
    actions = payload.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        raise ValueError('"actions" must be a list of objects.')
    value = actions[0].get("value")
    if not isinstance(value, str):  # a link button or a menu we never send
        return Parsed()
    message = payload.get("message")
    thread_ts = message.get("thread_ts") if isinstance(message, dict) else None
    trigger_id = payload.get("trigger_id")
    return Parsed(
        dedup_key=f"click:{trigger_id}" if isinstance(trigger_id, str) and trigger_id else None,
        message=Incoming(
            user=_string(_object(payload.get("user"), '"user"').get("id"), '"user.id"'),
            channel=_string(_object(payload.get("channel"), '"channel"').get("id"), '"channel.id"'),
            thread_ts=thread_ts if isinstance(thread_ts, str) and thread_ts else None,
            text=value,
        ),
    )


def parse_request(content_type: str, body: bytes) -> Parsed:
    """Reads an event (JSON) or an interaction (form with ``payload=``)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("The body is not valid UTF-8.") from None
    try:
        if content_type == "application/x-www-form-urlencoded":
            payload = parse_qs(text).get("payload")
            if not payload:
                raise ValueError('The form has no "payload" field.')
            return parse_interaction(_object(json.loads(payload[0]), "The payload"))
        return parse_event(_object(json.loads(text), "The body"))
    except json.JSONDecodeError:
        raise ValueError("The body is not valid JSON.") from None


# --- answering ---------------------------------------------------------------


class SlackOutput(OutputChannel):
    """Posts Rasa's replies with chat.postMessage, in the user's thread if any."""

    @classmethod
    def name(cls) -> Text:
        return "slack"

    def __init__(self, client: AsyncWebClient, incoming: Incoming) -> None:
        self.client, self.incoming = client, incoming

    async def _post(self, text: str, **kwargs: Any) -> None:
        # Our replies cite sources by URL: no link previews under every answer.
        await self.client.chat_postMessage(
            channel=self.incoming.channel,
            thread_ts=self.incoming.thread_ts,
            text=to_mrkdwn(text),
            unfurl_links=False,
            unfurl_media=False,
            **kwargs,
        )

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._post(text)

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        # Quick replies arrive here too (OutputChannel.send_quick_replies).
        await self._post(text, blocks=button_blocks(text, buttons))

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self._post(image, blocks=[{"type": "image", "image_url": image, "alt_text": image}])


class SlackEventsInput(InputChannel):
    """Configured in credentials.yml; its settings come from the environment."""

    @classmethod
    def name(cls) -> Text:
        return "slack"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(
            from_env("Slack", ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"], ["SLACK_API_URL"])
        )

    def __init__(
        self, settings: Optional[Dict[str, str]], state: Optional[ChannelState] = None
    ) -> None:
        """``state``: where the seen ids and limits are kept (the process's own by default)."""
        self.settings = settings
        state = state or get_state()
        self.seen = state.seen_ids("slack", ttl=SEEN_SECONDS)
        # Running turns: asyncio keeps only weak references to tasks.
        self._tasks: Set["asyncio.Task[None]"] = set()
        if settings:
            self.turns = Turns(self.name(), state)
            self.verifier = SignatureVerifier(settings["SLACK_SIGNING_SECRET"])
            self.client = AsyncWebClient(
                settings["SLACK_BOT_TOKEN"], base_url=settings["SLACK_API_URL"]
            )

    def is_signed(self, body: bytes, headers: Dict[str, str]) -> bool:
        """Slack's v0 signature over the raw body, from the last 5 minutes."""
        try:
            return self.verifier.is_valid(
                body=body,
                timestamp=headers.get("x-slack-request-timestamp"),
                signature=headers.get("x-slack-signature"),
            )
        except ValueError:  # a timestamp that is not a number, a body not UTF-8
            return False

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("slack_events", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            if not self.settings:
                return error(503, "Slack channel is not configured")
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.settings:
                return error(503, "Slack channel is not configured")
            body = request.body or b""
            if len(body) > MAX_BODY_BYTES:
                return error(413, f"The body is larger than {MAX_BODY_BYTES} bytes.")
            if not self.is_signed(body, {k.lower(): v for k, v in request.headers.items()}):
                return error(401, "The request is not signed by Slack, or too old.")
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            try:
                parsed = parse_request(content_type, body)
            except ValueError as problem:
                return error(400, str(problem))
            if parsed.challenge is not None:
                return response.json({"challenge": parsed.challenge})
            if parsed.dedup_key and not self.seen.add(parsed.dedup_key):
                return response.json({"ok": True})  # a retry: already being answered
            if parsed.message:
                task = asyncio.create_task(
                    self.answer(parsed.message, on_new_message, parsed.dedup_key)
                )
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            return response.json({"ok": True})

        return webhook

    async def answer(
        self,
        incoming: Incoming,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        event_id: Optional[str] = None,
    ) -> None:
        """One turn, after Slack has had its 200. Never raises: it logs."""
        sender = incoming.sender_id
        output = SlackOutput(self.client, incoming)
        try:
            # Per Slack user, not per conversation: a new thread is no way round it.
            # Stored means posted (Rasa posts before it saves): a retry is dropped.
            await self.turns.run(
                on_new_message,
                output,
                sender=sender,
                text=incoming.text,
                channel=self.name(),
                limit_key=incoming.user,
                message_id=event_id,
                replay=False,
            )
        except Refused as refused:
            await self._post_safely(output, sender, self.turns.reply(refused.key))
        except TurnFailed:
            await self._post_safely(output, sender, self.turns.reply("unavailable"))

    @staticmethod
    async def _post_safely(output: SlackOutput, sender: str, text: str) -> None:
        try:
            await output.send_text_message(sender, text)
        except Exception:
            logger.exception("Could not post to Slack.")
