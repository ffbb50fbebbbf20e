"""End to end: the Rasa server's Prometheus metrics count known REST traffic
exactly, on a loopback port of their own that Rasa's public port does not serve.

Other tests share the servers, so each count is read before and after the
traffic and the increase is checked."""

import os
import socket
import time
from pathlib import Path

import pytest
import requests

from settings import load
from tests.support.metrics import helps, scrape, value
from tests.support.servers import say

CHANNEL = "rest"


def traffic(servers, content):
    """Two topic questions, a fallback, an out-of-scope question, an empty and a
    too-long message; each reply is checked so that the counts mean what they say."""
    helpdesk = f"Phone: {content.facts['helpdesk_phone']}"
    replies = say(servers, "e2e-metrics-1", "how do I reset my password?")
    assert helpdesk in "\n".join(r.get("text", "") for r in replies)
    replies = say(servers, "e2e-metrics-2", "I've forgotten my password")
    assert helpdesk in "\n".join(r.get("text", "") for r in replies)
    [reply] = say(servers, "e2e-metrics-3", "blorp nhsmail wibble")
    assert reply["text"] == "Sorry, I'm not sure what you need. Is it one of these?"
    [reply] = say(servers, "e2e-metrics-4", "the guest wifi code")
    assert reply["text"].startswith("That isn't NHSmail, so I can't help with it here.")
    [reply] = say(servers, "e2e-metrics-5", "")
    assert reply["text"] == content.fill(content.messages["input_empty"])
    too_long = "help " * (load(os.environ).chat_max_message_chars // 5 + 1)
    [reply] = say(servers, "e2e-metrics-6", too_long)
    assert reply["text"] == content.fill(content.messages["input_too_long"])


def test_known_traffic_is_counted_exactly(servers, content):
    port = servers["metrics_port"]
    before = scrape(port)
    started = time.monotonic()
    traffic(servers, content)
    elapsed = time.monotonic() - started
    after = scrape(port)

    def increase(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    # Four messages reached Rasa; the empty and the too-long one were refused.
    assert increase("nhsmail_turns_total", channel=CHANNEL) == 4
    assert increase("nhsmail_turn_seconds_count", channel=CHANNEL) == 4
    assert increase("nhsmail_turn_seconds_bucket", channel=CHANNEL, le="+Inf") == 4
    assert 0 < increase("nhsmail_turn_seconds_sum", channel=CHANNEL) < elapsed
    assert increase("nhsmail_fallback_answers_total", channel=CHANNEL) == 1
    assert increase("nhsmail_out_of_scope_answers_total", channel=CHANNEL) == 1
    refused = {
        reason: increase("nhsmail_refused_turns_total", reason=reason, channel=CHANNEL)
        for reason in ("input_empty", "input_too_long", "rate_limited", "unavailable")
    }
    assert refused == {"input_empty": 1, "input_too_long": 1, "rate_limited": 0, "unavailable": 0}
    assert increase("nhsmail_action_server_errors_total", action="action_answer_topic") == 0
    # Nothing else moved: no other channel, no action error of any kind.
    for (name, labels), number in after.items():
        if name.startswith("nhsmail_") and dict(labels).get("channel", CHANNEL) != CHANNEL:
            assert number == before.get((name, labels), 0), (name, labels)
        if name == "nhsmail_action_server_errors_total":
            assert number == before.get((name, labels), 0), labels


def test_every_metric_says_what_it_counts_and_no_label_is_personal(servers):
    text = requests.get(f"http://127.0.0.1:{servers['metrics_port']}/metrics", timeout=10).text
    ours = {name: what for name, what in helps(text).items() if name.startswith("nhsmail_")}
    assert set(ours) == {
        "nhsmail_turns",
        "nhsmail_turn_seconds",
        "nhsmail_fallback_answers",
        "nhsmail_out_of_scope_answers",
        "nhsmail_refused_turns",
        "nhsmail_action_server_errors",
    }
    assert all(len(what) > 20 for what in ours.values()), ours
    # The senders and texts of this run's conversations are nowhere in the output.
    for personal in ("e2e-metrics", "e2e-password", "blorp", "wifi", "password?"):
        assert personal not in text


def _listening(port: int, table: Path):
    """The local addresses (hex, as the kernel writes them) listening on ``port``."""
    found = []
    for line in table.read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if int(hex_port, 16) == port and state == "0A":  # 0A: LISTEN
            found.append(address)
    return found


def test_the_metrics_port_listens_on_127_0_0_1_only(servers):
    port = servers["metrics_port"]
    assert _listening(port, Path("/proc/net/tcp")) == ["0100007F"]  # 127.0.0.1
    if Path("/proc/net/tcp6").exists():
        assert _listening(port, Path("/proc/net/tcp6")) == []
    # 127.0.0.2 is this machine too, and a socket bound to every address
    # answers there; the metrics port does not.
    with socket.socket() as control:
        control.bind(("0.0.0.0", 0))
        control.listen()
        socket.create_connection(("127.0.0.2", control.getsockname()[1]), timeout=5).close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.2", port), timeout=5).close()


def test_the_rasa_servers_own_port_has_no_metrics(servers):
    response = requests.get(f"{servers['url']}/metrics", timeout=10)
    assert response.status_code == 404
    assert "nhsmail_turns_total" not in response.text
