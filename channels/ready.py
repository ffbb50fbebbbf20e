"""GET /webhooks/ready/: is this server ready to take conversations?

For a load balancer or Kubernetes readiness probe in front of several Rasa
servers. Answers 200 when the model is loaded and the tracker store, the lock
store and the action server all answer now; 503 otherwise, saying which:

    {"model": "up", "tracker_store": "up", "lock_store": "up",
     "action_server": "down", "ready": false}

The event broker is reported too but does not gate readiness: analytics can
wait (Rasa's broker keeps unpublished events and reconnects); chats cannot.

Configured in credentials.yml as `channels.ready.ReadinessInput:`.
"""

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

import aiohttp
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from stores.tracker import primary

logger = logging.getLogger(__name__)

CHECK_SECONDS = 2.0
UP, DOWN = "up", "down"


async def _check(blocking: Callable[[], Any]) -> Text:
    """Runs a blocking ping in a thread, bounded in time: "up" or "down"."""
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(loop.run_in_executor(None, blocking), CHECK_SECONDS)
        return UP
    except Exception as error:  # any failure means not ready; the log says why
        logger.warning("Readiness check failed: %r", error)
        return DOWN


def _tracker_store_ping(agent: Any) -> Callable[[], Any]:
    store = primary(agent.tracker_store)
    if hasattr(store, "ping"):
        return store.ping
    if hasattr(store, "engine"):  # Rasa's own SQLTrackerStore (the SQLite default)
        return lambda: store.engine.connect().close()
    return lambda: None  # in memory: up while this process is


def _lock_store_ping(agent: Any) -> Callable[[], Any]:
    red = getattr(agent.lock_store, "red", None)
    return red.ping if red is not None else (lambda: None)


async def _action_server(agent: Any) -> Optional[Text]:
    endpoint = getattr(agent, "action_endpoint", None)
    if endpoint is None or not endpoint.url:
        return None
    url = endpoint.url.rsplit("/webhook", 1)[0] + "/health"
    try:
        timeout = aiohttp.ClientTimeout(total=CHECK_SECONDS)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.get(url) as answer:
                return UP if answer.status == 200 else DOWN
    except Exception as error:
        logger.warning("Readiness check of the action server failed: %r", error)
        return DOWN


async def readiness(agent: Any) -> Dict[Text, Any]:
    if agent is None or not agent.is_ready():
        return {
            "model": DOWN,
            "tracker_store": DOWN,
            "lock_store": DOWN,
            "action_server": DOWN,
            "ready": False,
        }
    report: Dict[Text, Any] = {"model": UP}
    report["tracker_store"], report["lock_store"], actions = await asyncio.gather(
        _check(_tracker_store_ping(agent)), _check(_lock_store_ping(agent)), _action_server(agent)
    )
    if actions is not None:
        report["action_server"] = actions
    report["ready"] = all(v == UP for v in report.values())
    broker = getattr(agent.tracker_store, "event_broker", None)
    if broker is not None:
        report["event_broker"] = UP if broker.is_ready() else DOWN
    return report


class ReadinessInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "ready"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        ready = Blueprint("readiness", __name__)

        @ready.route("/", methods=["GET"])
        async def report(request: Request) -> HTTPResponse:
            result = await readiness(getattr(request.app.ctx, "agent", None))
            return response.json(result, status=200 if result["ready"] else 503)

        return ready
