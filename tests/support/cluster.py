"""Talking to the cluster the tests start (tests/cluster/conftest.py): its
REST and readiness endpoints, what its PostgreSQL holds, and the replies a
user would see at each step of the scripts the tests run."""

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Tuple

import psycopg2
import pytest
import requests

from actions.content import get_content
from cluster.launch import Cluster
from settings import load as load_settings
from stores import sealing


# --- talking to it ----------------------------------------------------------
def post(
    url: str, sender: str, message: str, timeout: float = 60, message_id: Optional[str] = None
) -> requests.Response:
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


def retrying_post(
    url: str, sender: str, message: str, attempts: int, pause: float = 1.0
) -> Tuple[Optional[requests.Response], int]:
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


# --- what is stored -------------------------------------------------------------
def stored_events(cluster: Cluster, sender: str) -> List[Dict]:
    """The events as the assistant reads them back, opened with the tests' key."""
    return [sealer().open(row) for row in stored_rows(cluster, sender)]


def sealer() -> sealing.Sealer:
    return sealing.from_settings(load_settings(os.environ))


def stored_rows(cluster: Cluster, sender: str) -> List[Dict]:
    """The events as they rest in PostgreSQL: sealed."""
    s = cluster.settings
    connection = psycopg2.connect(
        host=s.pg_host,
        port=s.pg_port,
        dbname=s.database,
        user=s.pg_user,
        password=s.pg_password or None,
        connect_timeout=5,
    )
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
        return cls.content.facts["helpdesk_phone"] in text_of(replies) and not cls.managers_route(
            replies
        )


FORM_YES = [("my account was deleted", Expect.asks_the_question), ("yes", Expect.managers_route)]
FORM_NO = [("my account was deleted", Expect.asks_the_question), ("no", Expect.not_all_deleted)]
PASSWORD = [("how do I reset my password?", Expect.password_help)]
