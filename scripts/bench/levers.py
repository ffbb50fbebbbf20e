"""The action-server round trip, timed apart from Rasa.

Every turn of this bot calls the action server at least once (the slot
validation action `action_validate_slot_mappings` runs after each message) and
Rasa sends the whole domain with each call unless `enable_selective_domain` is
on. Timing the call with the domain and without it shows both costs.
"""

import statistics
import time
from pathlib import Path
from typing import Dict

import requests

from scripts.bench.loadgen import percentile, require_loopback

ROOT = Path(__file__).resolve().parents[2]


def _body(domain: dict) -> dict:
    from rasa.shared.core.domain import Domain

    slots = {slot.name: None for slot in Domain.load(str(ROOT / "domain.yml")).slots}
    tracker = {
        "sender_id": "bench-action",
        "slots": slots,
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
        "latest_message": {
            "text": "how do I reset my password?",
            "intent": {"name": "reset_password", "confidence": 1.0},
            "entities": [],
            "intent_ranking": [],
        },
        "events": [],
    }
    return {
        "next_action": "action_validate_slot_mappings",
        "sender_id": "bench-action",
        "tracker": tracker,
        "domain": domain,
        "version": "3.6.21",
    }


def action_round_trip(actions_url: str, token: str, calls: int = 200) -> dict:
    """p50/p95 (ms) of one action call, with the whole domain and with none."""
    from rasa.shared.core.domain import Domain

    require_loopback(actions_url)
    full = Domain.load(str(ROOT / "domain.yml")).as_dict()
    out: Dict[str, Dict[str, float]] = {}
    with requests.Session() as session:
        for label, domain in (("whole domain", full), ("no domain", {})):
            body = _body(domain)
            times = []
            for _ in range(calls):
                start = time.perf_counter()
                response = session.post(
                    f"{actions_url}/webhook",
                    json=body,
                    headers={"Authorization": token},
                    timeout=10,
                )
                times.append((time.perf_counter() - start) * 1000)
                response.raise_for_status()
            sent = response.request.body
            assert isinstance(sent, bytes)  # requests encodes the JSON it was given
            out[label] = {
                "p50_ms": statistics.median(times),
                "p95_ms": percentile(times, 95),
                "body_kb": len(sent) / 1024,
            }
    return out
