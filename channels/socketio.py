"""The website chat: Rasa's socket.io channel, fixed and guarded, plus the widget.

Rasa's standard protocol, so any Rasa-compatible widget works: socket.io at
`/socket.io` on the Rasa port, `session_request` -> `session_confirm`,
`user_uttered` -> `bot_uttered`, with session persistence on (a conversation
follows its session_id across reconnects and page reloads).

What this class changes from Rasa 3.6.21's `SocketIOInput`:
- `enter_room` is awaited. python-socketio 5.10 made it a coroutine and Rasa
  still calls it without `await`, so with session persistence the socket never
  joins its session's room and every reply is lost (RasaHQ/rasa#13027).
- every message goes through the same guarded turn as the other channels'
  (channels/turn.py): cleaned, politely refused when empty, too long or too
  frequent (per session and per client address), its secrets decided and
  masked inside Rasa before it is parsed or stored;
- a malformed event is answered politely or logged and ignored, never raised;
  one without a message (rasa-webchat's initPayload when none is set) is
  ignored, so opening that widget does not get a "type a question" reply;
- client metadata is dropped (it would be stored in the tracker unmasked);
- cross-origin connections, polling and websocket alike, are refused unless
  the page's origin is listed in CORS_ORIGINS (Rasa turns the check off).

The widget (channels/widget/) is served from the same server under `/chat/`,
with the accessibility statement at `/chat/accessibility`.
Configured in credentials.yml as `channels.socketio.GuardedSocketIOInput`.
"""

import logging
import re
import uuid
from pathlib import Path
from typing import Any, Awaitable, Callable, Coroutine, Dict, List, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from actions.content import get_content
from channels import limits
from channels.accessibility import render_statement
from channels.guard import clean_text
from channels.turn import Refused, TurnFailed, Turns
from settings import get_settings

logger = logging.getLogger(__name__)

WIDGET_DIR = Path(__file__).with_name("widget")
# The only files served under /chat/ (no directory listing, no path from the URL
# reaches the file system): URL path -> (file, content type).
WIDGET_FILES = {
    "": ("index.html", "text/html; charset=utf-8"),
    "widget.js": ("widget.js", "text/javascript; charset=utf-8"),
    "widget.css": ("widget.css", "text/css; charset=utf-8"),
    "demo.css": ("demo.css", "text/css; charset=utf-8"),
    "vendor/socket.io.min.js": ("vendor/socket.io.min.js", "text/javascript; charset=utf-8"),
}
# The accessibility statement: rendered once, when the server starts, from the
# content file (channels/accessibility.py).
STATEMENT_PATH = "accessibility"
# The demo page and the statement run only their own files: no inline script or style, no framing.
# connect-src 'self' covers ws:/wss: to the same host (CSP Level 3).
DEMO_PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; img-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
# sanic-cors (Rasa's --cors, which scripts/run.sh sets from the same
# CORS_ORIGINS) skips a request whose context carries this flag.
SANIC_CORS_EVALUATED = "_sanic_cors_e"


class OriginCheck:
    """python-engineio's `cors_allowed_origins` as a callable: the same origin
    and the listed ones may connect, by polling or websocket; others get 400.

    (A list would allow only the listed origins and drop the same-origin
    default; `None` allows only the same origin; `[]` turns the check off,
    which is what Rasa passes.)
    """

    def __init__(self, listed: List[str]) -> None:
        self.listed = set(listed)

    def __call__(self, origin: Optional[str], environ: Dict[str, Any]) -> bool:
        origin = (origin or "").lower()
        return origin in self.listed or origin in self.same_origin(environ)

    @staticmethod
    def same_origin(environ: Dict[str, Any]) -> List[str]:
        """As engineio computes it: the Host header, or a proxy's forwarded host."""
        scheme = environ.get("wsgi.url_scheme", "http").split(",")[0].strip()
        hosts = [environ.get("HTTP_HOST", ""), environ.get("HTTP_X_FORWARDED_HOST", "")]
        return [f"{scheme}://{host.split(',')[0].strip()}".lower() for host in hosts if host]


def add_widget_routes(blueprint: Blueprint) -> None:
    """GET /chat/ (the demo page), /chat/widget.js, .css and the vendored client,
    and /chat/accessibility (the accessibility statement, from the content file)."""
    files = {
        path: ((WIDGET_DIR / name).read_bytes(), kind)
        for path, (name, kind) in WIDGET_FILES.items()
    }
    files[STATEMENT_PATH] = (render_statement(get_content()), "text/html; charset=utf-8")

    def handler(path: str) -> Callable[..., Coroutine[Any, Any, HTTPResponse]]:
        body, kind = files[path]
        headers = {
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-cache",
            "Referrer-Policy": "no-referrer",
        }
        if kind.startswith("text/html"):
            headers["Content-Security-Policy"] = DEMO_PAGE_CSP

        async def serve(_: Request) -> HTTPResponse:
            return response.raw(body, content_type=kind, headers=headers)

        return serve

    for path in files:
        blueprint.add_route(
            handler(path),
            f"/{path}",
            methods=["GET"],
            name="widget_" + re.sub(r"\W", "_", path or "index"),
        )


class ChatBlueprint(SocketBlueprint):
    """Rasa's socket blueprint (it attaches socket.io at /socket.io), which also
    keeps Rasa's CORS middleware off socket.io's responses: engineio already
    sends the CORS headers of the origins it allows, and sanic-cors would add a
    second Access-Control-Allow-Origin, which browsers refuse."""

    def register(self, app: Sanic, options: Dict[Text, Any]) -> None:
        prefix = "/" + self.ctx.socketio_path.strip("/") + "/"

        @app.middleware("request")
        async def leave_cors_to_engineio(request: Request) -> None:
            if request.path.startswith(prefix):
                setattr(request.ctx, SANIC_CORS_EVALUATED, True)

        super().register(app, options)


class GuardedSocketIOInput(SocketIOInput):
    @classmethod
    def name(cls) -> Text:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        """On by default, no secrets: the only setting is CORS_ORIGINS."""
        return cls(cors_origins=get_settings().cors_origins)

    def __init__(self, cors_origins: Optional[List[str]] = None) -> None:
        super().__init__(session_persistence=True)
        self.cors_origins = cors_origins or []
        self.turns = Turns("socketio")

    def url_prefix(self) -> Text:
        # Rasa mounts the blueprint at urljoin("/webhooks/", url_prefix()), so an
        # absolute path puts the widget at /chat/ instead of /webhooks/socketio/.
        return "/chat"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sio = AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=OriginCheck(self.cors_origins),
            cors_credentials=False,
            max_http_buffer_size=get_settings().chat_max_body_bytes,
        )
        self.sio = sio  # Rasa's get_output_channel() reads it
        chat = ChatBlueprint(sio, self.socketio_path, "website_chat", __name__)
        add_widget_routes(chat)
        ns = self.namespace

        @sio.on("connect", namespace=ns)
        async def connect(sid: Text, environ: Dict, auth: Any = None) -> bool:
            request = environ.get("sanic.request")
            address = (request.remote_addr or request.ip) if request else None
            await sio.save_session(
                sid, {"address": address or "unknown", "session_id": None}, namespace=ns
            )
            return True

        @sio.on("session_request", namespace=ns)
        async def session_request(sid: Text, *args: Any) -> None:
            data = args[0] if args and isinstance(args[0], dict) else {}
            session_id = valid_session_id(data.get("session_id")) or uuid.uuid4().hex
            state = await sio.get_session(sid, namespace=ns)
            if state["session_id"] and state["session_id"] != session_id:
                await sio.leave_room(sid, state["session_id"], namespace=ns)
            await sio.enter_room(sid, session_id, namespace=ns)  # awaited: RasaHQ/rasa#13027
            state["session_id"] = session_id
            await sio.save_session(sid, state, namespace=ns)
            await sio.emit("session_confirm", session_id, room=sid, namespace=ns)

        @sio.on(self.user_message_evt, namespace=ns)
        async def handle_message(sid: Text, *args: Any) -> None:
            data = args[0] if args else None
            state = await sio.get_session(sid, namespace=ns)
            session_id = state["session_id"]
            if not isinstance(data, dict) or not session_id or data.get("session_id") != session_id:
                # Rasa would raise or reply to nobody; the widget never sends these.
                logger.warning(
                    "Website chat: ignored a %s without the session_id "
                    "confirmed for this connection.",
                    self.user_message_evt,
                )
                return
            if data.get("message") is None:
                # rasa-webchat sends its initPayload when its panel opens, with
                # no message when the provider set none: nobody typed anything,
                # so nothing is answered (Rasa would parse a None).
                logger.debug("Website chat: a %s without a message.", self.user_message_evt)
                return
            text = data["message"] if isinstance(data["message"], str) else ""
            try:
                await self.turns.run(
                    on_new_message,
                    SocketIOOutput(sio, self.bot_message_evt),
                    sender=session_id,
                    text=text,
                    channel=self.name(),
                    address=state["address"],
                )
            except Refused as refused:
                await sio.emit(
                    self.bot_message_evt,
                    {"text": self.turns.reply(refused.key)},
                    room=sid,
                    namespace=ns,
                )
            except TurnFailed:
                await sio.emit(
                    self.bot_message_evt,
                    {"text": self.turns.reply("unavailable")},
                    room=sid,
                    namespace=ns,
                )

        return chat


def valid_session_id(value: Any) -> Optional[str]:
    """A client's session id if usable as a sender id, else None (a new one is made)."""
    if not isinstance(value, str):
        return None
    value = clean_text(value).strip()
    return value if 0 < len(value) <= limits.MAX_SENDER_CHARS else None
