"""An async load generator for the REST channel: bounded, loopback only.

Runs scripted multi-turn conversations, ``concurrency`` at a time, until
``conversations`` have finished or ``time_limit`` seconds have passed, and
records every turn's latency (ms), its position in the conversation, whether
it failed, its HTTP status and when it finished. `make bench` and `make soak`
(scripts/bench/soak.py) both send their load with it. The pure parts
(percentiles, the loopback check, the summary) are tested in
tests/test_bench.py.
"""

import asyncio
import ipaddress
import itertools
import math
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Sequence
from urllib.parse import urlsplit

# Realistic five-turn conversations, phrased as in data/ and tests/: a
# question, a follow-up button payload or the reinstate form's yes/no, thanks.
CONVERSATIONS: List[List[str]] = [
    ["hi", "how do I reset my password?", "/prepare_call", "thanks", "bye"],
    [
        "my nhsmail account has been deleted",
        "yes",
        "how do I add a new user",
        "thank you",
        "goodbye",
    ],
    ["hello", "my account was deleted", "no", "/shared_mailbox", "cheers"],
    [
        "how do I set up outlook",
        "/helpdesk_contact",
        "who do I call in a pharmacy",
        "thanks a lot",
        "bye",
    ],
]
# A long conversation (20 turns), to see how a turn's cost grows with history.
LONG_CONVERSATION: List[str] = list(
    itertools.islice(
        itertools.cycle(
            [
                "how do I reset my password?",
                "/prepare_call",
                "how do I add a new user",
                "thanks",
                "how do I remove a leaver",
            ]
        ),
        20,
    )
)

MAX_CONVERSATIONS = 10_000
MAX_SECONDS = 600


def require_loopback(url: str) -> str:
    """``url`` if its host is a loopback address or localhost; ValueError otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    host = parts.hostname
    if host != "localhost":
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ValueError(f"refusing a non-loopback URL: {url!r}")
    return url


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100), nearest-rank; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(slots=True)  # a soak keeps hundreds of thousands
class Turn:
    position: int  # 1-based turn number within its conversation
    ms: float
    ok: bool
    at: float = 0.0  # time.perf_counter() when the turn finished
    status: int | None = None  # the HTTP status; None when no response came


@dataclass
class Result:
    concurrency: int
    seconds: float
    turns: List[Turn] = field(default_factory=list)

    def summary(self) -> Dict[str, float]:
        ok = [t.ms for t in self.turns if t.ok]
        return {
            "concurrency": self.concurrency,
            "turns": len(self.turns),
            "errors": sum(not t.ok for t in self.turns),
            "seconds": round(self.seconds, 2),
            "turns_per_s": len(ok) / self.seconds if self.seconds else math.nan,
            "p50_ms": percentile(ok, 50),
            "p95_ms": percentile(ok, 95),
            "p99_ms": percentile(ok, 99),
        }


def median_of(results: List["Result"]) -> Dict[str, Any]:
    """The summary of the run with the median throughput, with every run's
    throughput under "runs" (single runs on this machine vary by about 25%)."""
    summaries = sorted((r.summary() for r in results), key=lambda s: s["turns_per_s"])
    middle: Dict[str, Any] = dict(summaries[(len(summaries) - 1) // 2])
    middle["runs"] = [round(s["turns_per_s"], 1) for s in summaries]
    return middle


async def run_load(
    url: str,
    concurrency: int,
    conversations: int,
    time_limit: float = 60,
    scripts: List[List[str]] | None = None,
    timeout: float = 30,
    *,
    sender_prefix: str = "bench",
    on_turn: Callable[[Turn], None] | None = None,
    max_conversations: int = MAX_CONVERSATIONS,
    max_seconds: float = MAX_SECONDS,
) -> Result:
    """Sends ``conversations`` scripted conversations, ``concurrency`` at a time,
    each from a new sender id. ``on_turn`` sees each turn as it finishes. The
    caps bound a mistyped count or limit; the soak, which runs for longer,
    passes its own."""
    import aiohttp

    require_loopback(url)
    conversations = min(conversations, max_conversations)
    time_limit = min(time_limit, max_seconds)
    scripts = scripts or CONVERSATIONS
    endpoint = url.rstrip("/") + "/webhooks/rest/webhook"
    result = Result(concurrency, 0.0)
    numbers = iter(range(conversations))
    run_id = uuid.uuid4().hex[:8]
    start = time.perf_counter()
    deadline = start + time_limit

    async def worker(session):
        for n in numbers:
            if time.perf_counter() > deadline:
                return
            sender = f"{sender_prefix}-{run_id}-{n}"
            for position, message in enumerate(scripts[n % len(scripts)], 1):
                t0 = time.perf_counter()
                status = None
                try:
                    async with session.post(
                        endpoint, json={"sender": sender, "message": message}
                    ) as response:
                        status = response.status
                        body = await response.json(content_type=None)
                        ok = status == 200 and isinstance(body, list) and bool(body)
                except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                    ok = False
                now = time.perf_counter()
                turn = Turn(position, (now - t0) * 1000, ok, at=now, status=status)
                result.turns.append(turn)
                if on_turn:
                    on_turn(turn)

    limits = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(
        connector=limits, timeout=aiohttp.ClientTimeout(total=timeout)
    ) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    result.seconds = time.perf_counter() - start
    return result
