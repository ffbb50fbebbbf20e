"""A care provider's website for the browser tests: a plain page on another
loopback port (so another origin than the chat server's), embedding the widget
with the one tag docs/channels.md gives providers, under a strict
Content-Security-Policy that allows the chat server and nothing else."""

import html
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, Optional
from urllib.parse import urlsplit

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


class HostSite:
    """Serves the pages a test registers, each at its own path, until stopped."""

    def __init__(self) -> None:
        self.pages: Dict[str, str] = {}
        self.csp: Dict[str, str] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                if path not in site.pages:
                    self.send_error(404)
                    return
                body = site.pages[path].encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Content-Security-Policy", site.csp[path])
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
        self.pages[path] = PROVIDER_PAGE.format(
            widget=html.escape(f"{chat_url}/chat/widget.js"), attributes=attributes
        )
        # The chat's own server, and where it is told to connect, are the only
        # other origins the page trusts: no inline script or style.
        allowed = " ".join(
            sorted({chat_url, server_url or chat_url} | {ws(chat_url), ws(server_url or chat_url)})
        )
        self.csp[path] = (
            f"default-src 'none'; script-src {chat_url}; style-src {chat_url}; "
            f"connect-src {allowed}; img-src 'self'; base-uri 'none'; form-action 'none'"
        )
        return self.origin + path


def ws(url: str) -> str:
    """The websocket origin of an http(s) origin."""
    return "ws" + url[len("http") :]
