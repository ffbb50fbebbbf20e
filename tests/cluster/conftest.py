"""The cluster tests' servers: two Rasa servers and two action servers behind
nginx, sharing this machine's PostgreSQL, Redis and RabbitMQ, started once per
test run with the project's own code (cluster/launch.py, endpoints.cluster.yml).

Each run gets its own database (nhsmail_test_<id>), Redis key prefix, RabbitMQ
queue and exchange, all removed at the end. A service that is down is started;
one that cannot start skips these tests with the reason, or fails them when
CI is set.
"""
import json
import os
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Tuple

import psycopg2
import pytest
import redis
import requests

from actions.content import get_content
from cluster import nginx, services
from cluster.launch import MODEL, Cluster, Settings
from tests.conftest import MEASURED
from tests.e2e.conftest import free_port

RUN_ID = secrets.token_hex(4)
UNLIMITED = "1000000"


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test does it first)")
    try:
        nginx.binary()
        for name in ("postgresql", "redis", "rabbitmq"):
            services.ensure_running(name)
    except (FileNotFoundError, services.ServiceUnavailable) as problem:
        unavailable(f"cluster tests need it: {problem}")
    settings = Settings(
        directory=tmp_path_factory.mktemp("cluster"),
        port=free_port(), actions_port=free_port(),
        rasa_ports=[free_port(), free_port()], action_ports=[free_port(), free_port()],
        database=f"nhsmail_test_{RUN_ID}", redis_db=1, redis_prefix=f"test{RUN_ID}",
        queue=f"nhsmail_test_{RUN_ID}", exchange=f"nhsmail_test_{RUN_ID}",
        lock_lifetime=8, retry_seconds=2,
        extra_env={"CHAT_RATE_PER_SENDER": UNLIMITED, "CHAT_RATE_PER_ADDRESS": UNLIMITED},
    )
    cluster = Cluster(settings)
    try:
        cluster.prepare()
        started = time.monotonic()
        cluster.start()
        cluster.wait_ready()
        for i in range(len(settings.rasa_ports)):  # the first turn of a server is slow
            say(cluster.rasa_url(i), f"warm-up-{i}", "hello")
        MEASURED.append(f"cluster: 2 Rasa servers, 2 action servers and nginx ready in "
                        f"{time.monotonic() - started:.0f}s")
        yield cluster
    finally:
        cluster.stop()
        ensure_postgres_running()
        services.drop_database(settings.database)
        services.delete_queue_and_exchange(settings.queue, settings.exchange)
        red = redis.Redis(host=services.HOST, db=settings.redis_db)
        for key in red.scan_iter(f"{settings.redis_prefix}:*"):
            red.delete(key)


def ensure_postgres_running() -> None:
    if not services.port_open(services.PORTS["postgresql"]):
        services.postgres("start")


# --- talking to it ----------------------------------------------------------
def post(url: str, sender: str, message: str, timeout: float = 60,
         message_id: Optional[str] = None) -> requests.Response:
    body = {"sender": sender, "message": message}
    if message_id:
        body["message_id"] = message_id  # a retry with it is answered, not handled, again
    return requests.post(f"{url}/webhooks/rest/webhook", json=body, timeout=timeout)


def say(url: str, sender: str, message: str) -> List[Dict]:
    answer = post(url, sender, message)
    assert answer.status_code == 200, answer.text
    return answer.json()


def text_of(replies: List[Dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def ready(url: str) -> Tuple[int, Dict]:
    answer = requests.get(f"{url}/webhooks/ready/", timeout=10)
    return answer.status_code, answer.json()


def wait_until_ready(url: str, seconds: float = 60) -> Dict:
    deadline = time.monotonic() + seconds
    while True:
        try:
            status, report = ready(url)
            if status == 200:
                return report
        except requests.RequestException as error:
            report = {"error": repr(error)}
        if time.monotonic() > deadline:
            pytest.fail(f"{url} not ready after {seconds}s: {report}")
        time.sleep(0.5)


def in_parallel(jobs) -> list:
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = [pool.submit(job) for job in jobs]
        return [f.result() for f in futures]


# --- what is stored -------------------------------------------------------------
def stored_events(cluster: Cluster, sender: str) -> List[Dict]:
    connection = psycopg2.connect(host=services.HOST, dbname=cluster.settings.database,
                                  user=cluster.settings.pg_user, connect_timeout=5)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT data FROM events WHERE sender_id = %s ORDER BY id", (sender,))
            return [json.loads(data) for (data,) in cursor.fetchall()]
    finally:
        connection.close()


def stored_user_texts(cluster: Cluster, sender: str) -> List[str]:
    return [e["text"] for e in stored_events(cluster, sender) if e["event"] == "user"]


def stored_turns(cluster: Cluster, sender: str) -> List[Tuple[str, List[str]]]:
    """(user text, bot texts that followed it) for each stored turn, in order."""
    turns: List[Tuple[str, List[str]]] = []
    for event in stored_events(cluster, sender):
        if event["event"] == "user":
            turns.append((event["text"], []))
        elif event["event"] == "bot" and turns:
            turns[-1][1].append(event.get("text") or "")
    return turns


# --- the replies a user would see ---------------------------------------------
class Expect:
    content = get_content()
    question = "Has every NHSmail account linked"
    unavailable = content.fill(content.messages["unavailable"])
    not_all = content.fill(content.messages["reinstate_not_all"])

    @classmethod
    def asks_the_question(cls, replies: List[Dict]) -> bool:
        return bool(replies) and (replies[-1].get("text") or "").startswith(cls.question)

    @staticmethod
    def managers_route(replies: List[Dict]) -> bool:
        text = text_of(replies)
        return "current manager" in text and "registered landline" in text

    @classmethod
    def not_all_deleted(cls, replies: List[Dict]) -> bool:
        return bool(replies) and replies[0].get("text") == cls.not_all

    @classmethod
    def password_help(cls, replies: List[Dict]) -> bool:
        return cls.content.facts["helpdesk_phone"] in text_of(replies) and not cls.managers_route(replies)


FORM_YES = [("my account was deleted", Expect.asks_the_question), ("yes", Expect.managers_route)]
FORM_NO = [("my account was deleted", Expect.asks_the_question), ("no", Expect.not_all_deleted)]
PASSWORD = [("how do I reset my password?", Expect.password_help)]


def retrying_post(url: str, sender: str, message: str, attempts: int,
                  pause: float = 1.0) -> Tuple[Optional[requests.Response], int]:
    """The reply, and how many attempts failed first (connection error or 5xx)."""
    failed = 0
    for _ in range(attempts):
        try:
            answer = post(url, sender, message)
            if answer.status_code < 500:
                return answer, failed
        except requests.RequestException:
            pass
        failed += 1
        time.sleep(pause)
    return None, failed
