"""The cluster profile keeps no secret either: the same disclosures through
nginx (which spreads them over the Rasa servers that are up), then
PostgreSQL's events, every RabbitMQ message published since, and the servers'
logs are searched."""

import random
import secrets
import string

from tests.support.cluster import say, stored_events, stored_rows
from tests.support.disclosures import conversation, warnings_in
from tests.support.services import read_queue


def test_no_secret_reaches_postgresql_rabbitmq_or_the_logs(cluster):
    turns, values = conversation()
    sender = "disclose-cluster-" + secrets.token_hex(3)
    for message, discloses in turns:
        texts = [r.get("text", "") for r in say(cluster.url, sender, message)]
        assert warnings_in(texts) == (1 if discloses else 0), (message, texts)
    stored = str(stored_events(cluster, sender))
    assert stored.count("[password removed]") >= 4
    published = [m for m in read_queue(cluster.settings.queue) if m.get("sender_id") == sender]
    assert sum(m["event"] == "user" for m in published) == len(turns)
    logs = "".join(
        path.read_text(errors="replace") for path in cluster.settings.directory.glob("*.log")
    )
    for value in values.values():
        assert value not in stored
        assert value not in str(published)
        assert value not in logs


def test_what_the_masking_misses_is_sealed_in_postgresql_and_rabbitmq(cluster):
    """The backstop (stores/sealing.py) on the cluster: text the detector lets
    through is readable with the key, and nowhere in PostgreSQL's rows, the
    queue's messages or the servers' logs."""
    missed = "".join(random.choice(string.ascii_lowercase) for _ in range(12))
    sender = "missed-cluster-" + secrets.token_hex(3)
    message = f"our new lounge is called {missed} now"
    say(cluster.url, sender, message)
    assert message in [e.get("text") for e in stored_events(cluster, sender)]
    assert missed not in str(stored_rows(cluster, sender))
    published = [m for m in read_queue(cluster.settings.queue) if m.get("sender_id") == sender]
    assert published and all("text" not in m for m in published)
    assert missed not in str(published)
    logs = "".join(
        path.read_text(errors="replace") for path in cluster.settings.directory.glob("*.log")
    )
    assert missed not in logs
