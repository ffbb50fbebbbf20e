"""A care provider's own website on another origin (another loopback port),
embedding rasa-webchat 1.0.1 from node_modules as its README says, pointed at
the Rasa server under test."""

import html
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional

from tests.support.servers import ROOT

RASA_WEBCHAT = ROOT / "node_modules" / "rasa-webchat" / "lib" / "index.js"

# The provider's page: rasa-webchat's script tag and its WebChat.default call
# (README, "In a <script> tag"), with the socket.io path Rasa uses. Some socket
# events the page sees are recorded in window.socketEvents for the test to read
# (not session_confirm: a handler given for it replaces rasa-webchat's own,
# which shows the widget once a session is confirmed).
PAGE = """<!doctype html>
<html lang="en-GB">
<head><meta charset="utf-8"><title>Care provider</title></head>
<body>
<h1>Sunny Care Homes</h1>
<script src="/rasa-webchat/index.js"></script>
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


class ProviderSite:
    """An HTTP server on 127.0.0.1 serving the provider's page at / and
    rasa-webchat's bundle at /rasa-webchat/index.js. It binds its port at once,
    so its origin can be listed in CORS_ORIGINS before the Rasa server starts;
    the socket URL is set once that server is up."""

    def __init__(self) -> None:
        self.socket_url: Optional[str] = None
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/":
                    if site.socket_url is None:
                        self.send_error(503, "the Rasa server is not up yet")
                        return
                    body = PAGE.replace("__SOCKET_URL__", json.dumps(site.socket_url)).encode()
                    kind = "text/html; charset=utf-8"
                elif self.path == "/rasa-webchat/index.js":
                    body, kind = RASA_WEBCHAT.read_bytes(), "text/javascript; charset=utf-8"
                else:
                    self.send_error(404, html.escape(self.path))
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass  # the test output stays the tests'

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
