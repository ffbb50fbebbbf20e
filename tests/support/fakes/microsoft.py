"""A local stand-in for Microsoft, for the Teams channel's tests.

On 127.0.0.1, in a thread: the Bot Framework OpenID configuration and JWKS
(an RSA key made here), the tenant's token endpoint (checks the client id,
secret and scope), and a Bot Connector serviceUrl that keeps every activity
posted with a token it issued. Tests sign activities with ``sign``/``post``.
"""

import json
import secrets
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional
from urllib.parse import parse_qs, unquote

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.support.servers import free_port

APP_ID = "00000000-test-bot-app-id"
APP_PASSWORD = "test-client-secret"
TENANT = "test-tenant"
ISSUER = "https://api.botframework.com"
SCOPE = "https://api.botframework.com/.default"


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeMicrosoft:
    def __init__(self, port: Optional[int] = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.openid_url = f"{self.url}/openid"
        self.token_url = self.url + "/{tenant}/oauth2/v2.0/token"
        self.service_url = f"{self.url}/service"
        self.key, self.kid = new_key(), "fake-key-1"
        self.published = [self.jwk(self.key, self.kid)]
        self.issued: set = set()
        self.counts = {"openid": 0, "jwks": 0, "token": 0}
        self.activities: List[Dict[str, Any]] = []
        self.changed = threading.Condition()
        self.server: Optional[ThreadingHTTPServer] = None

    # --- what the Rasa server is given ------------------------------------------

    def env(self) -> Dict[str, str]:
        return {
            "TEAMS_APP_ID": APP_ID,
            "TEAMS_APP_PASSWORD": APP_PASSWORD,
            "TEAMS_TENANT_ID": TENANT,
            "TEAMS_OPENID_URL": self.openid_url,
            "TEAMS_TOKEN_URL": self.token_url,
        }

    @staticmethod
    def jwk(key, kid: str, endorsements=("msteams",)) -> Dict[str, Any]:
        data = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
        data.update(kid=kid, use="sig", endorsements=list(endorsements))
        return data

    # --- the test's side: signed activities, captured replies --------------------

    def message(
        self,
        text: str,
        conversation: Optional[str] = None,
        user: str = "user-1",
        conversation_type: str = "personal",
    ) -> Dict[str, Any]:
        return {
            "type": "message",
            "id": f"activity-{uuid.uuid4().hex[:8]}",
            "channelId": "msteams",
            "serviceUrl": self.service_url,
            "text": text,
            "from": {"id": f"29:{user}", "name": "Care Worker", "aadObjectId": f"aad-{user}"},
            "recipient": {"id": f"28:{APP_ID}", "name": "NHSmail bot"},
            "conversation": {
                "id": conversation or f"a:conv-{uuid.uuid4().hex[:12]}",
                "conversationType": conversation_type,
                "tenantId": TENANT,
            },
        }

    def sign(self, key=None, kid: Optional[str] = None, alg: str = "RS256", **claims: Any) -> str:
        """A Bot Connector token; a claim given as None is left out."""
        now = int(time.time())
        body = {
            "iss": ISSUER,
            "aud": APP_ID,
            "nbf": now - 10,
            "exp": now + 3600,
            "serviceurl": self.service_url,
        }
        body.update(claims)
        body = {name: value for name, value in body.items() if value is not None}
        headers = {"kid": kid or self.kid}
        if alg == "none":
            return jwt.encode(body, None, algorithm="none", headers=headers)
        return jwt.encode(body, key or self.key, algorithm=alg, headers=headers)

    def post(
        self, webhook: str, activity: Dict[str, Any], token: Optional[str] = None, **claims: Any
    ) -> requests.Response:
        token = self.sign(**claims) if token is None else token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.post(webhook, json=activity, headers=headers, timeout=30)

    def replies(self, conversation: str) -> List[Dict[str, Any]]:
        with self.changed:
            return [a for a in self.activities if a["conversation"]["id"] == conversation]

    def wait_for_replies(
        self, conversation: str, count: int = 1, timeout: float = 15.0
    ) -> List[Dict[str, Any]]:
        """The replies posted to the conversation once there are ``count`` (or at the timeout)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(self.replies(conversation)) < count and time.monotonic() < deadline:
                self.changed.wait(deadline - time.monotonic())
            return self.replies(conversation)

    # --- the server ---------------------------------------------------------------

    def start(self) -> "FakeMicrosoft":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def answer(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path == "/openid":
                    fake.counts["openid"] += 1
                    self.answer(
                        200,
                        {
                            "issuer": ISSUER,
                            "jwks_uri": f"{fake.url}/keys",
                            "id_token_signing_alg_values_supported": ["RS256"],
                        },
                    )
                elif self.path == "/keys":
                    fake.counts["jwks"] += 1
                    self.answer(200, {"keys": fake.published})
                else:
                    self.answer(404, {"error": "not found"})

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == f"/{TENANT}/oauth2/v2.0/token":
                    fake.counts["token"] += 1
                    form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                    if form != {
                        "grant_type": "client_credentials",
                        "client_id": APP_ID,
                        "client_secret": APP_PASSWORD,
                        "scope": SCOPE,
                    }:
                        return self.answer(401, {"error": "invalid_client"})
                    token = secrets.token_urlsafe(24)
                    fake.issued.add(token)
                    return self.answer(
                        200, {"token_type": "Bearer", "expires_in": 3599, "access_token": token}
                    )
                if self.path.startswith("/service/v3/conversations/"):
                    bearer = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                    if bearer not in fake.issued:
                        return self.answer(401, {"error": "unknown token"})
                    activity = json.loads(raw)
                    activity["_path"] = unquote(self.path)
                    with fake.changed:
                        fake.activities.append(activity)
                        fake.changed.notify_all()
                    return self.answer(201, {"id": uuid.uuid4().hex})
                self.answer(404, {"error": "not found"})

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
