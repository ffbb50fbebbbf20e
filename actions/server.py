"""Runs the action server: rasa_sdk's app, closed to callers without the token.

Rasa sends the token from endpoints.yml (`token: ${ACTION_SERVER_TOKEN}`) as a
query parameter; a call without it, or with another, gets 401. Malformed calls
get 400 before any action runs. CORS is closed (rasa_sdk opens it to "*").

Usage: python -m actions.server [--port 5055]   (ACTION_SERVER_TOKEN must be set)
"""

import argparse
import hmac
import logging
import sys
from typing import Any, Optional

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request

from actions.content import ContentError, load_at_start_up
from nlp.privacy import install_log_masking
from settings import SettingsError, get_settings

logger = logging.getLogger(__name__)
TOKEN_VARIABLE = "ACTION_SERVER_TOKEN"


def call_problem(body: Any) -> Optional[str]:
    """What is wrong with an action call's body, or None.

    Checks the parts the actions read, so that a malformed call is a 400 and
    not an exception inside an action.
    """
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    if not isinstance(body.get("next_action"), str):
        return '"next_action" must be a string'
    tracker = body.get("tracker")
    if not isinstance(tracker, dict):
        return '"tracker" must be an object'
    if not isinstance(tracker.get("sender_id"), str):
        return '"tracker.sender_id" must be a string'
    for key, kind in (("slots", dict), ("latest_message", dict), ("events", list)):
        if not isinstance(tracker.get(key), kind):
            return f'"tracker.{key}" must be a {"list" if kind is list else "object"}'
    latest = tracker["latest_message"]
    if not isinstance(latest.get("intent", {}), (dict, type(None))):
        return '"latest_message.intent" must be an object'
    for key in ("entities", "intent_ranking"):
        value = latest.get(key, [])
        if value is not None and (
            not isinstance(value, list) or not all(isinstance(v, dict) for v in value)
        ):
            return f'"latest_message.{key}" must be a list of objects'
    if not all(isinstance(e, dict) for e in tracker["events"]):
        return '"tracker.events" must be a list of objects'
    if not isinstance(body.get("domain", {}), dict):
        return '"domain" must be an object'
    return None


def create_server(token: str) -> Sanic:
    if not token:
        raise ValueError(f"{TOKEN_VARIABLE} is empty")
    app = create_app("actions", cors_origins=[])

    @app.middleware("request")
    async def guard(request: Request) -> Optional[response.HTTPResponse]:
        if request.path == "/health":
            return None
        supplied = request.args.get("token") or request.headers.get("Authorization", "")
        supplied = supplied.removeprefix("Bearer ")
        if not hmac.compare_digest(supplied.encode(), token.encode()):
            return response.json({"error": "a valid token is required"}, status=401)
        if request.path == "/webhook":
            try:
                body = request.json
            except Exception:
                return response.json({"error": "the body is not valid JSON"}, status=400)
            problem = call_problem(body)
            if problem:
                return response.json({"error": problem}, status=400)
        return None

    return app


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    try:
        secret = get_settings().action_server_token
    except SettingsError as error:
        sys.exit(str(error))
    token = secret.get_secret_value() if secret else ""
    if not token:
        sys.exit(f"Set {TOKEN_VARIABLE}: the action server refuses to run open.")
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)-8s %(name)s - %(message)s"
    )
    # A slip refuses to start; an overdue review only warns. Before the
    # masking, which would take the warning's "file:line" for a secret.
    try:
        load_at_start_up()
    except ContentError as error:
        sys.exit(str(error))
    # The trackers it receives are masked already; its log lines are masked too.
    install_log_masking()
    logger.info("Action server on %s:%s (token required)", args.host, args.port)
    create_server(token).run(host=args.host, port=args.port, access_log=False, workers=1)


if __name__ == "__main__":
    main()
