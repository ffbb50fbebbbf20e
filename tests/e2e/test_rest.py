"""End to end: the real action server and Rasa server, talked to over REST.

Slow: starts both servers on free ports with a throwaway SQLite tracker store.
"""
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "nhsmail.tar.gz"
BIN = Path(sys.executable).parent

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, log: Path, seconds: int = 180) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited early:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    pytest.fail(f"{url} not up after {seconds}s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test does it first)")
    tmp = tmp_path_factory.mktemp("e2e")
    actions_port, rasa_port = free_port(), free_port()
    db = tmp / "tracker.db"
    endpoints = tmp / "endpoints.yml"
    endpoints.write_text(
        f"action_endpoint:\n  url: http://127.0.0.1:{actions_port}/webhook\n"
        f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {db}\n"
    )
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3")
    logs = {name: tmp / f"{name}.log" for name in ("actions", "rasa")}
    procs = {
        "actions": subprocess.Popen(
            [str(BIN / "rasa"), "run", "actions", "--port", str(actions_port), "--debug"],
            cwd=ROOT, env=env, stdout=open(logs["actions"], "w"), stderr=subprocess.STDOUT),
        "rasa": subprocess.Popen(
            [str(BIN / "rasa"), "run", "-m", str(MODEL), "--port", str(rasa_port),
             "--endpoints", str(endpoints), "--credentials", "credentials.yml"],
            cwd=ROOT, env=env, stdout=open(logs["rasa"], "w"), stderr=subprocess.STDOUT),
    }
    try:
        wait_for(f"http://127.0.0.1:{actions_port}/health", procs["actions"], logs["actions"])
        wait_for(f"http://127.0.0.1:{rasa_port}/", procs["rasa"], logs["rasa"])
        yield {"url": f"http://127.0.0.1:{rasa_port}", "db": db, "logs": logs}
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def say(servers, sender: str, message: str):
    response = requests.post(f"{servers['url']}/webhooks/rest/webhook",
                             json={"sender": sender, "message": message}, timeout=60)
    response.raise_for_status()
    return response.json()


def stored_events(servers, sender: str):
    with sqlite3.connect(servers["db"]) as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,))
        return [json.loads(data) for (data,) in rows]


def test_password_question_gets_the_helpdesk_from_the_action_server(servers):
    replies = say(servers, "e2e-password", "how do I reset my password?")
    text = "\n".join(r.get("text", "") for r in replies)
    assert "Phone: 0333 200 1133" in text
    assert "Email: helpdesk@nhs.net" in text
    assert '1. Press 1: "unable to access account".' in text
    assert any(b["payload"] == "/prepare_call" for r in replies for b in r.get("buttons", []))
    # The number lives only in the content file, so only the action server can
    # have sent it; the stored conversation shows the action that ran.
    actions = [e["name"] for e in stored_events(servers, "e2e-password") if e["event"] == "action"]
    assert "action_answer_topic" in actions
    assert "Received request to run 'action_answer_topic'" in servers["logs"]["actions"].read_text()


def test_deleted_accounts_question_then_yes_gives_the_managers_route(servers):
    first = say(servers, "e2e-deleted", "my nhsmail account has been deleted")
    assert first[-1]["text"].startswith("Has every NHSmail account linked")
    second = say(servers, "e2e-deleted", "yes")
    text = second[0]["text"]
    assert "current manager" in text and "registered landline" in text


def test_stating_the_case_in_the_first_message_skips_the_question(servers):
    replies = say(servers, "e2e-all", "our manager and all the staff accounts were deleted")
    text = "\n".join(r.get("text", "") for r in replies)
    assert "current manager" in text
    assert "Has every NHSmail account" not in text


def test_a_typed_password_is_warned_about_and_not_echoed(servers):
    replies = say(servers, "e2e-secret", "my password is Fluffy22 and it doesnt work")
    text = "\n".join(r.get("text", "") for r in replies)
    assert "don't type passwords" in text
    assert "Fluffy22" not in text


def test_unclear_message_offers_two_topics_then_asks_to_rephrase(servers):
    first = say(servers, "e2e-unclear", "blorp the wibble")
    assert first[0]["text"] == "Sorry, I'm not sure what you need. Is it one of these?"
    payloads = [b["payload"] for b in first[0]["buttons"]]
    assert len(payloads) == 3 and payloads[-1] == "/out_of_scope"
    second = say(servers, "e2e-unclear", "/out_of_scope")
    assert "say it another way" in second[0]["text"]
    third = say(servers, "e2e-unclear", "I've forgotten my password")
    assert "Phone: 0333 200 1133" in third[0]["text"]
