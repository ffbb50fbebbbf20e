"""The cluster profile keeps no secret either: the same disclosures through
nginx (which spreads them over the Rasa servers that are up), then
PostgreSQL's events, every RabbitMQ message published since, and the servers'
logs are searched."""

import secrets

from tests.support.cluster import say, stored_events
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
