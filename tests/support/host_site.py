"""A care provider's website for the browser tests, on another loopback port
(so another origin than the chat server's): a plain page embedding our widget
with the one tag docs/channels.md gives providers, under a strict
Content-Security-Policy that allows the chat server and nothing else; or a
page embedding rasa-webchat 1.0.1 from node_modules as its README says."""

import html
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, Optional, Tuple
from urllib.parse import urlsplit

from tests.support.servers import ROOT

RASA_WEBCHAT = ROOT / "node_modules" / "rasa-webchat" / "lib" / "index.js"
RASA_WEBCHAT_PATH = "/rasa-webchat/index.js"

PROVIDER_PAGE = """<!doctype html>
<html lang="en-GB">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Rosewood Care Home</title>
</head>
<body>
  <header><p>Rosewood Care Home</p></header>
  <main>
    <h1>Staff help</h1>
    <p>Questions about your NHSmail account? Use the chat button.</p>
  </main>
  <script src="{widget}"{attributes} defer></script>
</body>
</html>
"""


# rasa-webchat's script tag and its WebChat.default call (README, "In a
# <script> tag"), with the socket.io path Rasa uses. Some socket events the page
# sees are recorded in window.socketEvents for the test to read (not
# session_confirm: a handler given for it replaces rasa-webchat's own, which
# shows the widget once a session is confirmed). No CSP: rasa-webchat's bundle
# uses inline styles, as providers run it.
RASA_WEBCHAT_PAGE = """<!doctype html>
<html lang="en-GB">
<head><meta charset="utf-8"><title>Care provider</title></head>
<body>
<h1>Sunny Care Homes</h1>
<script src="__BUNDLE__"></script>
<script>
window.socketEvents = [];
const seen = name => () => window.socketEvents.push(name);
window.WebChat.default({
  socketUrl: __SOCKET_URL__,
  socketPath: "/socket.io/",
  customData: {language: "en"},
  title: "NHSmail help",
  inputTextFieldHint: "Type a message",
  hideWhenNotConnected: false,
  onSocketEvent: {
    connect: seen("connect"),
    connect_error: seen("connect_error"),
    bot_uttered: seen("bot_uttered"),
  },
}, null);
</script>
</body>
</html>
"""


HTML = "text/html; charset=utf-8"
JAVASCRIPT = "text/javascript; charset=utf-8"


class HostSite:
    """Serves what a test registers, each at its own path, until stopped. It
    binds its port at once, so its origin can be listed in CORS_ORIGINS before
    the Rasa server starts."""

    def __init__(self) -> None:
        # path: (body, content type, Content-Security-Policy or None)
        self.files: Dict[str, Tuple[bytes, str, Optional[str]]] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                if path not in site.files:
                    self.send_error(404)
                    return
                body, kind, csp = site.files[path]
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                if csp:
                    self.send_header("Content-Security-Policy", csp)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass  # quiet: the test output is the report

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "HostSite":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def provider_page(
        self, path: str, chat_url: str, server_url: Optional[str] = None, **data: str
    ) -> str:
        """A provider's page at `path` with the widget from `chat_url` (the chat
        server) and the given data- attributes (colour="#330072" is
        data-colour="#330072"); its URL. `server_url` is data-server-url: where the widget
        connects, the chat server unless given."""
        if server_url is not None:
            data["server_url"] = server_url
        attributes = "".join(
            f' data-{name.replace("_", "-")}="{html.escape(value)}"' for name, value in data.items()
        )
        page = PROVIDER_PAGE.format(
            widget=html.escape(f"{chat_url}/chat/widget.js"), attributes=attributes
        )
        # The chat's own server, and where it is told to connect, are the only
        # other origins the page trusts: no inline script or style.
        allowed = " ".join(
            sorted({chat_url, server_url or chat_url} | {ws(chat_url), ws(server_url or chat_url)})
        )
        csp = (
            f"default-src 'none'; script-src {chat_url}; style-src {chat_url}; "
            f"connect-src {allowed}; img-src 'self'; base-uri 'none'; form-action 'none'"
        )
        self.files[path] = (page.encode(), HTML, csp)
        return self.origin + path

    def rasa_webchat_page(self, path: str, socket_url: str) -> str:
        """A provider's page at `path` embedding rasa-webchat, pointed at
        `socket_url` (the Rasa server); its URL."""
        self.files[RASA_WEBCHAT_PATH] = (RASA_WEBCHAT.read_bytes(), JAVASCRIPT, None)
        page = RASA_WEBCHAT_PAGE.replace("__BUNDLE__", RASA_WEBCHAT_PATH)
        page = page.replace("__SOCKET_URL__", json.dumps(socket_url))
        self.files[path] = (page.encode(), HTML, None)
        return self.origin + path


def ws(url: str) -> str:
    """The websocket origin of an http(s) origin."""
    return "ws" + url[len("http") :]
