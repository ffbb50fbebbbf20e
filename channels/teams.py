"""Microsoft Teams (an Azure Bot): POST /webhooks/teams/webhook.

Written instead of Rasa's BotFrameworkInput, which fetches Microsoft's keys
synchronously when it is built (so `rasa run` dies offline), takes tokens from
the multi-tenant endpoint that single-tenant bots cannot use, and sends
buttons in a form Teams ignores. Here:

- every request's JWT is checked (channels/teams_auth.py); Microsoft's keys
  load in the background and Teams traffic gets 503 until they have;
- replies go to the activity's serviceUrl (which the token vouches for) with
  the bot's own token, as markdown with paragraph breaks so lines show;
- buttons and quick replies are a hero card of imBack buttons. imBack sends
  the button's value back as the user's text, so the value is the title the
  user reads (not "/intent"), and the channel maps a clicked title back to its
  payload for Rasa (``OfferedButtons``, kept where the settings say,
  channels/state.py: in this process, or in Redis so that a click reaching
  another server of a cluster is mapped too);
- @mentions are taken out of channel and group-chat messages;
- every message goes through the guarded turn every channel shares
  (channels/turn.py).

Rasa's sender id is a hash of the conversation id and the user id: one tracker
per user per conversation (a 1:1 chat is one tracker; in a channel each user
in each thread has their own), of bounded length (Teams ids can be long) and
without the raw Teams ids.

The reply is sent before the request is answered (Bot Framework waits about
15 s; a turn here takes well under a second), so replies keep their order and
a failure is logged where it happens. A turn still running after
``answer_within`` seconds is left to finish on its own and the request gets 202.
"""

import asyncio
import hashlib
import json
import logging
import re
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, Text
from urllib.parse import quote

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels import teams_auth
from channels.guard import clean_text
from channels.settings import from_env
from channels.state import ChannelState, Mappings, MemoryMappings, get_state
from channels.turn import BadRequest, Refused, TooLarge, TurnFailed, Turns

logger = logging.getLogger(__name__)

REQUIRED = ("TEAMS_APP_ID", "TEAMS_APP_PASSWORD", "TEAMS_TENANT_ID")
OPTIONAL = ("TEAMS_OPENID_URL", "TEAMS_TOKEN_URL", "TEAMS_ISSUER")
MAX_ACTIVITY_BYTES = 256 * 1024  # activities carry entities and channelData, far below this
HERO_CARD = "application/vnd.microsoft.card.hero"
# A card's buttons are clicked within the day; later, a title is read as typed.
OFFER_SECONDS = 24 * 3600
_MENTION = re.compile(r"\s*<at\b[^>]*>.*?</at>\s*", re.I | re.S)


def error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def parse_activity(raw: bytes) -> Dict[str, Any]:
    """The activity in a request body, or BadRequest saying what is wrong."""
    if len(raw) > MAX_ACTIVITY_BYTES:
        raise TooLarge(f"The body is larger than {MAX_ACTIVITY_BYTES} bytes.")
    try:
        activity = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadRequest("The body is not valid UTF-8 JSON.") from None
    if not isinstance(activity, dict) or not isinstance(activity.get("type"), str):
        raise BadRequest("The body must be a Bot Framework activity (a JSON object with a type).")
    if activity["type"] != "message":
        return activity
    for name, parent in (("serviceUrl", None), ("id", "conversation"), ("id", "from")):
        holder = activity.get(parent) if parent else activity
        if (
            not isinstance(holder, dict)
            or not isinstance(holder.get(name), str)
            or not holder[name]
        ):
            where = f"{parent}.{name}" if parent else name
            raise BadRequest(f"A message activity needs a string {where}.")
    if not isinstance(activity.get("text", ""), str):
        raise BadRequest("The activity's text must be a string.")
    return activity


def user_text(activity: Dict[str, Any]) -> str:
    """The user's words: cleaned, and without @mentions in channels and group chats."""
    text = clean_text(activity.get("text") or "")
    if (activity.get("conversation") or {}).get("conversationType") in ("channel", "groupChat"):
        text = _MENTION.sub(" ", text)
    return text.strip()


def user_id(activity: Dict[str, Any]) -> str:
    sender = activity["from"]
    return sender.get("aadObjectId") or sender["id"]


def sender_id(activity: Dict[str, Any]) -> str:
    """Rasa's sender id: one tracker per user per conversation (see the module doc)."""
    key = f"{activity['conversation']['id']}\n{user_id(activity)}"
    return "teams-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]


def markdown(text: str) -> str:
    """Every line its own paragraph: Teams' markdown drops single line breaks."""
    return "\n\n".join(line.rstrip() for line in text.splitlines() if line.strip())


def hero_card(buttons: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Rasa's buttons as a hero card; each click sends its title back as text."""
    return {
        "contentType": HERO_CARD,
        "content": {
            "buttons": [
                {"type": "imBack", "title": b["title"], "value": b["title"]} for b in buttons
            ]
        },
    }


class OfferedButtons:
    """The buttons lately offered to each sender, so a click (its title, as
    text) reaches Rasa as the button's payload. Titles are matched without
    regard to case or surrounding spaces. Where nothing was offered (after a
    restart with the state in memory, after OFFER_SECONDS in Redis) a clicked
    title is read as typed text, which the NLU understands."""

    def __init__(self, store: Optional[Mappings] = None) -> None:
        self.store = store if store is not None else MemoryMappings()

    def offer(self, sender: str, buttons: List[Dict[str, Any]]) -> None:
        self.store.remember(
            sender,
            {b["title"].strip().casefold(): b.get("payload") or b["title"] for b in buttons},
        )

    def payload(self, sender: str, text: str) -> Optional[str]:
        return self.store.recall(sender, text.strip().casefold())


class TeamsOutput(OutputChannel):
    """Sends Rasa's replies into the conversation the activity came from."""

    @classmethod
    def name(cls) -> Text:
        return "teams"

    def __init__(self, channel: "TeamsInput", activity: Dict[str, Any], sender: str) -> None:
        self.channel, self.activity, self.sender = channel, activity, sender

    async def _send(self, text: str, attachments: Optional[List[Dict[str, Any]]] = None) -> None:
        await self.channel.reply(self.activity, text, attachments)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._send(text)

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        self.channel.offered.offer(self.sender, buttons)
        await self._send(text, [hero_card(buttons)])

    async def send_quick_replies(
        self, recipient_id: Text, text: Text, quick_replies: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies)


class TeamsInput(InputChannel):
    """The Teams webhook; off (503) when its settings are missing."""

    @classmethod
    def name(cls) -> Text:
        return "teams"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(from_env("Teams", REQUIRED, OPTIONAL))

    def __init__(
        self,
        settings: Optional[Dict[str, str]],
        answer_within: float = 10.0,
        state: Optional[ChannelState] = None,
    ) -> None:
        """``state``: where the offered buttons and the limits are kept (the
        process's own by default, channels/state.py)."""
        self.settings = settings
        self.answer_within = answer_within
        state = state or get_state()
        self.turns = Turns(self.name(), state)
        self.offered = OfferedButtons(state.mappings("teams:offered", ttl=OFFER_SECONDS))
        self.session: Optional[aiohttp.ClientSession] = None
        self._background: Set[asyncio.Task] = set()
        if settings:
            self.app_id = settings["TEAMS_APP_ID"]
            self.keys = teams_auth.SigningKeys(settings["TEAMS_OPENID_URL"])
            self.token = teams_auth.BotToken(
                settings["TEAMS_TOKEN_URL"].replace("{tenant}", settings["TEAMS_TENANT_ID"]),
                self.app_id,
                settings["TEAMS_APP_PASSWORD"],
            )

    # --- lifecycle: Microsoft is only contacted once the server runs ------------

    def _start(self) -> None:
        if self.settings and self.session is None:
            self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
            self._spawn(self.keys.keep_loaded(self.session))

    def _spawn(self, work: Awaitable[Any]) -> asyncio.Task:
        task = asyncio.ensure_future(work)
        self._background.add(task)  # keep a reference until it is done
        task.add_done_callback(self._background.discard)
        return task

    async def _stop(self) -> None:
        for task in list(self._background):
            task.cancel()
        if self.session is not None:
            await self.session.close()
            self.session = None

    # --- replies ----------------------------------------------------------------

    async def reply(
        self,
        activity: Dict[str, Any],
        text: str,
        attachments: Optional[List[Dict[str, Any]]] = None,
    ) -> None:
        """Posts one message in reply to ``activity``; failures are logged, not raised."""
        reply = {
            "type": "message",
            "textFormat": "markdown",
            "text": markdown(text),
            "from": activity.get("recipient"),
            "recipient": activity["from"],
            "conversation": activity["conversation"],
            "replyToId": activity.get("id"),
        }
        if attachments:
            reply["attachments"] = attachments
        url = (
            f"{activity['serviceUrl'].rstrip('/')}/v3/conversations/"
            f"{quote(activity['conversation']['id'], safe='')}/activities"
        )
        if activity.get("id"):
            url += "/" + quote(activity["id"], safe="")
        session = self._open_session()
        try:
            token = await self.token.get(session)
            async with session.post(
                url, json=reply, headers={"Authorization": f"Bearer {token}"}
            ) as answer:
                if answer.status >= 300:
                    logger.error(
                        "Teams channel: the Bot Connector refused a reply (%s).", answer.status
                    )
        except (aiohttp.ClientError, asyncio.TimeoutError, KeyError, ValueError) as problem:
            logger.error("Teams channel: could not send a reply (%s).", type(problem).__name__)

    def _open_session(self) -> aiohttp.ClientSession:
        """The HTTP session, opened when the server starts (``_start``)."""
        self._start()
        assert self.session is not None
        return self.session

    # --- incoming ---------------------------------------------------------------

    async def _authenticate(self, request: Request, activity: Dict[str, Any]) -> Optional[str]:
        """None when the request is Microsoft's, else the reason to refuse it."""
        scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return "a Bearer token is required"
        assert self.settings is not None  # the webhook answers 503 before this when it is off
        check = (token.strip(), self.keys, self.app_id, self.settings["TEAMS_ISSUER"], activity)
        try:
            teams_auth.verify(*check)
        except teams_auth.UnknownKey as problem:
            if not await self.keys.reload_for_unknown_kid(self._open_session()):
                return str(problem)
            try:
                teams_auth.verify(*check)
            except teams_auth.AuthError as again:
                return str(again)
        except teams_auth.AuthError as problem:
            return str(problem)
        return None

    async def _handle(
        self, activity: Dict[str, Any], on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        sender, text = sender_id(activity), user_text(activity)
        # A clicked button's title goes to Rasa as its payload.
        text = self.offered.payload(sender, text) or text
        try:
            # Microsoft sends an activity again when our 200 was slow or lost;
            # Rasa sends replies before it stores, so a stored one is dropped.
            await self.turns.run(
                on_new_message,
                TeamsOutput(self, activity, sender),
                sender=sender,
                text=text,
                channel=self.name(),
                limit_key=user_id(activity),
                message_id=activity.get("id"),
                replay=False,
            )
        except Refused as refused:
            await self.reply(activity, self.turns.reply(refused.key))
        except TurnFailed:
            await self.reply(activity, self.turns.reply("unavailable"))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("teams_webhook", __name__)

        @webhook.listener("after_server_start")
        async def start(app: Any, loop: Any) -> None:
            self._start()

        @webhook.listener("before_server_stop")
        async def stop(app: Any, loop: Any) -> None:
            await self._stop()

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            if not self.settings:
                return response.json({"status": "off"})
            return response.json({"status": "ok" if self.keys.ready else "waiting for keys"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.settings:
                return error(503, "The Teams channel is not configured.")
            self._start()  # in case the server started before this blueprint was added
            try:
                activity = parse_activity(request.body or b"")
            except BadRequest as problem:
                return error(problem.status, str(problem))
            if not self.keys.ready:
                return error(
                    503,
                    "The Teams channel cannot check tokens yet: "
                    "Microsoft's signing keys are not loaded.",
                )
            refused = await self._authenticate(request, activity)
            if refused:
                logger.warning("Teams channel: refused a request: %s.", refused)
                return error(401, f"Unauthorized: {refused}.")
            if activity["type"] != "message":
                return response.json({"status": "ignored"})
            turn = self._spawn(self._handle(activity, on_new_message))
            done, _ = await asyncio.wait({turn}, timeout=self.answer_within)
            if not done:
                return response.json({"status": "accepted"}, status=202)
            return response.json({"status": "ok"})

        return webhook
