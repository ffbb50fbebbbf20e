"""Blind conversations over REST: follow-ups, compound questions, other
systems, situations in other words, text-speak.

Each conversation is played on the real servers with a fresh sender. The dev
file lists its failures; the final file is a lockbox and reports only its
figure. Gates sit just under what the pipeline reaches (README, `make eval`).
"""

import uuid

import pytest

from tests.support import conversations
from tests.support.measured import MEASURED
from tests.support.servers import say

GATES = {"blind_dev": 0.90, "blind_final": 0.80}


def _play(servers, content, domain, name):
    results = []
    for conversation in conversations.load(name):
        sender = f"conv-{uuid.uuid4().hex[:12]}"

        def send(text, sender=sender):
            return "\n".join(m.get("text", "") for m in say(servers, sender, text))

        results.append((conversation, conversations.run(conversation, send, content, domain)))
    return results


@pytest.mark.parametrize("name", list(GATES))
def test_blind_conversations_get_the_right_answer_at_every_turn(servers, content, domain, name):
    results = _play(servers, content, domain, name)
    passed = sum(problem is None for _, problem in results)
    share = passed / len(results)
    MEASURED.append(
        f"{conversations.FILES[name]}: {passed} of {len(results)} conversations "
        f"right at every turn ({share:.2f}; gate {GATES[name]})"
    )
    detail = (
        ""
        if name == "blind_final"
        else "\n".join(f"- {c.name}: {problem}" for c, problem in results if problem)
    )
    assert share >= GATES[name], f"{passed}/{len(results)} right\n{detail}"
