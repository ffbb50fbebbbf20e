"""Two Rasa servers sharing PostgreSQL, Redis and RabbitMQ, behind nginx.

The servers are started once (tests/cluster/conftest.py). The tests run in
this order on purpose: the last ones stop the tests' own PostgreSQL and kill a
server.
"""

import signal
import threading
import time

import redis
import requests

from channels import state
from cluster import services
from stores.lock import AtomicRedisLockStore
from tests.support.cluster import (
    FORM_NO,
    FORM_YES,
    PASSWORD,
    Expect,
    in_parallel,
    post,
    ready,
    retrying_post,
    say,
    sealer,
    stored_events,
    stored_turns,
    stored_user_texts,
    text_of,
    wait_until_ready,
)
from tests.support.measured import MEASURED
from tests.support.metrics import scrape, value
from tests.support.services import read_queue
from tests.support.widget import Chat


def test_a_conversation_alternating_between_servers_mid_form_stays_coherent(cluster):
    a, b = cluster.rasa_url(0), cluster.rasa_url(1)
    for sender, (first, second), servers in [
        ("alt-yes", FORM_YES, (a, b)),
        ("alt-no", FORM_NO, (b, a)),
    ]:
        replies = say(servers[0], sender, first[0])
        assert first[1](replies), text_of(replies)
        # The other server goes on with the form the first one started.
        replies = say(servers[1], sender, second[0])
        assert second[1](replies), text_of(replies)
        assert stored_user_texts(cluster, sender) == [first[0], second[0]]
        loops = [
            e.get("name") for e in stored_events(cluster, sender) if e["event"] == "active_loop"
        ]
        assert loops == ["reinstate_form", None]  # opened once, closed once


def test_the_website_chat_works_through_nginx_from_the_clusters_own_page(cluster):
    """The widget's page is served by the cluster (nginx's origin, port
    included), so its socket.io connection must pass the same-origin check
    behind the proxy and reach a server that answers; another origin must not."""
    phone = Expect.content.facts["helpdesk_phone"]
    served = {"url": cluster.url}
    assert requests.get(f"{cluster.url}/chat/", timeout=10).status_code == 200
    chat = Chat(served, origin=cluster.url)
    try:
        chat.start()
        replies = chat.ask(
            "how do I reset my password?", until=lambda texts: any(phone in t for t in texts)
        )
        assert any(phone in t for t in replies)
    finally:
        chat.close()
    refused = requests.get(
        f"{cluster.url}/socket.io/",
        params={"EIO": "4", "transport": "polling"},
        headers={"Origin": "https://someone-else.example"},
        timeout=10,
    )
    assert refused.status_code == 400


def test_concurrent_messages_for_one_sender_are_processed_in_order(cluster):
    """While a turn is in progress (the test holds the conversation's lock, as
    a server would), four messages arrive 0.1 s apart, alternately at each
    server. They queue in the Redis lock store; then each is processed after
    the one before, so each answer fits the conversation so far, and the store
    holds the turns in the order sent, not interleaved."""
    script = PASSWORD + FORM_YES + PASSWORD
    senders = [f"burst-{i}" for i in range(2)]
    s = cluster.settings
    locks = AtomicRedisLockStore(
        host=services.HOST, port=services.PORTS["redis"], db=s.redis_db, key_prefix=s.redis_prefix
    )
    tickets = {sender: locks.issue_ticket(sender, 60) for sender in senders}
    replies, threads = {}, []
    for i, (message, _) in enumerate(script):
        for sender in senders:
            thread = threading.Thread(
                # Defaults bind this iteration's values; the call runs once, here.
                target=lambda k=(sender, i), m=message, u=cluster.rasa_url(i % 2): (  # noqa: B008
                    replies.__setitem__(k, post(u, k[0], m, timeout=90))
                )
            )
            thread.start()
            threads.append(thread)
        time.sleep(0.1)
    time.sleep(1)
    queued = {sender: len(locks.get_lock(sender).tickets) for sender in senders}
    started = time.monotonic()
    for sender in senders:
        locks.cleanup(sender, tickets[sender])
    for thread in threads:
        thread.join(timeout=120)
    MEASURED.append(
        f"cluster: 2 senders x {len(script)} queued messages over 2 servers "
        f"processed in {time.monotonic() - started:.1f}s"
    )
    for sender in senders:
        for i, (message, expected) in enumerate(script):
            answer = replies[(sender, i)]
            assert answer.status_code == 200, answer.text
            assert expected(answer.json()), (
                f"{sender} turn {i} ({message!r}): {answer.text}; "
                f"stored: {[(e['event'], e.get('name') or (e.get('parse_data') or {}).get('intent', {}).get('name'), e.get('value'), e.get('timestamp')) for e in stored_events(cluster, sender)]}"
            )
        turns = stored_turns(cluster, sender)
        assert [user for user, _ in turns] == [m for m, _ in script]
        # Each turn's stored bot messages are exactly what that request answered.
        for i, (_, bot_texts) in enumerate(turns):
            assert bot_texts == [r.get("text") for r in replies[(sender, i)].json()]
    assert queued == {sender: 1 + len(script) for sender in senders}  # all were waiting at once


def test_readiness_reports_each_dependency(cluster):
    for url in (cluster.rasa_url(0), cluster.rasa_url(1), cluster.url):
        status, report = ready(url)
        assert status == 200, report
        assert report == {
            "model": "up",
            "tracker_store": "up",
            "lock_store": "up",
            "action_server": "up",
            "ready": True,
            "event_broker": "up",
        }
    names = [n for n in cluster.processes if n.startswith("actions")]
    try:
        for name in names:
            cluster.kill(name, signal.SIGTERM)
        for url in (cluster.rasa_url(0), cluster.rasa_url(1)):
            status, report = ready(url)
            assert status == 503, report
            assert report["action_server"] == "down" and report["ready"] is False
            assert report["tracker_store"] == report["lock_store"] == report["model"] == "up"
    finally:
        cluster.start(names)
        cluster.wait_ready(names, seconds=60)
    for url in (cluster.rasa_url(0), cluster.rasa_url(1)):
        assert wait_until_ready(url, seconds=30)["action_server"] == "up"


def test_events_reach_rabbitmq_once_each_in_order(cluster):
    """Every stored event of every conversation so far is one queue message,
    in the conversation's order (the earlier tests' conversations included)."""
    for i in range(3):
        for turn, (message, expected) in enumerate(FORM_YES):
            assert expected(say(cluster.rasa_url((i + turn) % 2), f"events-{i}", message))
    messages = read_queue(cluster.settings.queue)
    by_sender = {}
    for message in messages:
        by_sender.setdefault(message["sender_id"], []).append(message)
    assert {f"events-{i}" for i in range(3)} <= set(by_sender)
    for sender, published in by_sender.items():
        stored = stored_events(cluster, sender)
        key = lambda e: (e["event"], e.get("timestamp"), e.get("name"), e.get("text"))  # noqa: E731
        opened = [sealer().open(e) for e in published]
        assert [key(e) for e in opened] == [key(e) for e in stored], sender
    MEASURED.append(
        f"cluster: {len(messages)} events in RabbitMQ for {len(by_sender)} "
        "conversations, each once, in order"
    )


def test_a_message_sent_again_to_the_other_server_is_answered_from_the_stored_turn(cluster):
    """What a retry after a lost answer does: the same message id on the other
    server (PostgreSQL, the Redis lock) gets the first answer, and the form is
    not asked twice."""
    a, b = cluster.rasa_url(0), cluster.rasa_url(1)
    sender = "retried-elsewhere"
    for i, (message, expected) in enumerate(FORM_YES):
        first = post(a, sender, message, message_id=f"m{i}")
        again = post(b, sender, message, message_id=f"m{i}")
        assert first.status_code == again.status_code == 200
        assert expected(first.json()) and again.json() == first.json()
    assert stored_user_texts(cluster, sender) == [m for m, _ in FORM_YES]
    assert cluster.log("rasa1").read_text().count("answered from the stored turn") >= 2


def test_both_servers_and_nginx_count_one_sender_in_one_shared_window(cluster):
    """The launcher gives the servers CHANNEL_STATE=redis: a sender's messages
    to either server land in one sliding window in Redis, under the run's
    prefix (the limits themselves are lifted for these tests)."""
    sender = "counted-once-across-the-cluster"
    for url in (cluster.rasa_url(0), cluster.rasa_url(1), cluster.rasa_url(1), cluster.url):
        assert say(url, sender, "hello")
    prefix = f"{cluster.settings.redis_prefix}:channels"
    key = state.redis_key(prefix, "rate", "rest:sender", sender)
    red = redis.Redis(host=services.HOST, db=cluster.settings.redis_db)
    assert red.zcard(key) == 4
    assert 0 < red.pttl(key) <= 60_000
    assert not [k for k in red.scan_iter(f"{prefix}:*") if sender.encode() in k]


def test_each_server_counts_its_own_turns_on_its_own_metrics_port(cluster):
    ports = cluster.metrics_ports()
    assert len(set(ports)) == 2

    def turns():
        return [value(scrape(p), "nhsmail_turns_total", channel="rest") for p in ports]

    start = turns()
    say(cluster.rasa_url(0), "metrics-a", "how do I reset my password?")
    for sender in ("metrics-b", "metrics-c"):
        say(cluster.rasa_url(1), sender, "how do I reset my password?")
    direct = turns()
    assert [d - s for d, s in zip(direct, start)] == [1, 2]
    for i in range(4):
        say(cluster.url, f"metrics-nginx-{i}", "hello")
    assert sum(turns()) - sum(direct) == 4
    # nginx passes /metrics to a Rasa server's own port, which has none.
    assert requests.get(f"{cluster.url}/metrics", timeout=10).status_code == 404


def test_with_the_database_down_a_turn_is_refused_then_the_conversation_goes_on(cluster, postgres):
    a, b = cluster.rasa_url(0), cluster.rasa_url(1)
    assert Expect.asks_the_question(say(a, "db-down", "my account was deleted"))
    try:
        postgres.stop()
        answer = post(b, "db-down", "yes")
        assert answer.status_code == 503
        assert answer.json()[0]["text"] == Expect.unavailable
        status, report = ready(b)
        assert status == 503 and report["tracker_store"] == "down", report
    finally:
        postgres.ensure_running()
    wait_until_ready(b, seconds=30)
    # No memory fallback: the stored form goes on where it was.
    assert Expect.managers_route(say(b, "db-down", "yes"))
    assert stored_user_texts(cluster, "db-down") == ["my account was deleted", "yes"]
    log = cluster.log("rasa1").read_text()
    assert "refusing the turn instead of keeping it in memory" in log


def test_postgresql_restart_during_traffic_loses_and_splits_nothing(cluster, postgres):
    """Six conversations talk through nginx while PostgreSQL restarts. Turns
    caught by the restart wait (the store retries) or are refused with 503 and
    sent again by the client; none is lost, none stored twice, every form goes
    on, and both servers are ready again without a restart of their own."""
    script = FORM_NO + PASSWORD + PASSWORD
    senders = [f"pg-restart-{i}" for i in range(6)]
    refused, answered, spans, restart = [], {}, [], {}
    # Each conversation has two turns answered, then waits for the restart to
    # begin and sends the rest into it: the overlap does not depend on how
    # fast a turn is.
    two_turns_each, restarting = threading.Semaphore(0), threading.Event()

    def talk(sender):
        for i, (message, _expected) in enumerate(script):
            if i == 2:
                two_turns_each.release()
                restarting.wait(timeout=120)
            began = time.monotonic()
            answer, failed = retrying_post(cluster.url, sender, message, attempts=15)
            spans.append((began, time.monotonic()))
            refused.append(failed)
            answered[(sender, i)] = answer
            time.sleep(0.2)

    def restart_postgres():
        for _ in senders:
            two_turns_each.acquire(timeout=120)
        restart["began"] = time.monotonic()
        restarting.set()
        postgres.restart()
        restart["ended"] = time.monotonic()

    started = time.monotonic()
    try:
        in_parallel([restart_postgres] + [lambda s=s: talk(s) for s in senders])
    finally:
        postgres.ensure_running()
    during = sum(
        1 for began, ended in spans if began < restart["ended"] and ended > restart["began"]
    )
    assert during > 0, "no turn was in flight while PostgreSQL restarted"
    for sender in senders:
        for i, (message, expected) in enumerate(script):
            answer = answered[(sender, i)]
            assert answer is not None and answer.status_code == 200, f"{sender} turn {i} unanswered"
            assert expected(answer.json()), f"{sender} turn {i} ({message!r}): {answer.text}"
        assert stored_user_texts(cluster, sender) == [m for m, _ in script], sender
    for url in (cluster.rasa_url(0), cluster.rasa_url(1)):
        wait_until_ready(url, seconds=30)
    MEASURED.append(
        f"cluster: PostgreSQL restarted ({restart['ended'] - restart['began']:.1f}s) "
        f"under 6 conversations x {len(script)} turns: {during} turns in flight "
        f"during it, {sum(refused)} attempts refused (503) and retried, "
        f"{time.monotonic() - started:.1f}s"
    )


def answered_from_store(cluster) -> int:
    """How many retries the Rasa servers answered from a stored turn (their logs)."""
    return sum(
        cluster.log(name).read_text().count("answered from the stored turn")
        for name in cluster.processes
        if name.startswith("rasa")
    )


def test_killing_a_server_under_load_loses_no_turn(cluster):
    """10 conversations through nginx; one Rasa server is killed (-9) midway.
    The client retries a failed request once, with the same message id; nginx
    sends it to the survivor, which waits out the dead server's lock ticket and
    then either handles the turn or, if the dead server had stored it, answers
    it from the stored turn: every answer is the right one, each turn stored once."""
    script = PASSWORD + FORM_YES + PASSWORD
    senders = [f"kill-{i}" for i in range(10)]
    answered, retried = {}, set()
    progress = threading.Semaphore(0)

    def talk(sender):
        for i, (message, _) in enumerate(script):
            message_id = f"{sender}-turn-{i}"
            try:
                answer = post(cluster.url, sender, message, message_id=message_id)
            except Exception:
                answer = None
            if answer is None or answer.status_code >= 500:
                retried.add((sender, i))
                time.sleep(0.5)
                answer = post(cluster.url, sender, message, timeout=90, message_id=message_id)
            answered[(sender, i)] = answer
            progress.release()

    def kill():
        for _ in range(12):  # a third of the turns answered
            progress.acquire(timeout=120)
        cluster.kill("rasa1", signal.SIGKILL)

    from_store_before = answered_from_store(cluster)
    started = time.monotonic()
    in_parallel([kill] + [lambda s=s: talk(s) for s in senders])
    elapsed = time.monotonic() - started
    assert cluster.processes["rasa1"].poll() is not None, "the server was not killed"
    for sender in senders:
        for i, (message, expected) in enumerate(script):
            answer = answered[(sender, i)]
            assert answer.status_code == 200, (
                f"{sender} turn {i}: {answer.status_code} {answer.text}"
            )
            assert expected(answer.json()), f"{sender} turn {i} ({message!r}): {answer.text}"
        assert stored_user_texts(cluster, sender) == [m for m, _ in script]
    from_store = answered_from_store(cluster) - from_store_before
    MEASURED.append(
        f"cluster: kill -9 of one of 2 servers under 10 conversations x {len(script)} "
        f"turns: {len(retried)} requests retried, all answered rightly, "
        f"{from_store} of them from a turn the killed server had stored, "
        f"each turn stored once, {elapsed:.1f}s"
    )
