"""Shared by the end-to-end tests: the real action server and Rasa server,
started once per test run on free ports with a throwaway SQLite tracker store."""
import json
import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

# Each channel's fakes (local Microsoft and Slack endpoints, ...) and the
# environment variables that point the Rasa server at them.
from tests.e2e.support_slack import slack_api, slack_env  # noqa: F401
from tests.e2e.support_teams import microsoft, teams_env  # noqa: F401
from tests.e2e.support_widget import widget_env  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "nhsmail.tar.gz"
BIN = Path(sys.executable).parent

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


@pytest.fixture(scope="session")
def servers(tmp_path_factory, widget_env, teams_env, slack_env):
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test does it first)")
    tmp = tmp_path_factory.mktemp("e2e")
    actions_port, rasa_port = free_port(), free_port()
    db = tmp / "tracker.db"
    endpoints = tmp / "endpoints.yml"
    # The project's own endpoints.yml, pointed at this run's port and database.
    endpoints.write_text(
        (ROOT / "endpoints.yml").read_text()
        .replace("localhost:5055", f"127.0.0.1:{actions_port}")
        .replace("var/tracker.db", str(db))
    )
    token = secrets.token_urlsafe(16)
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3",
               ACTION_SERVER_TOKEN=token, CHAT_RATE_PER_SENDER="8",
               CHAT_RATE_PER_ADDRESS="1000000", **widget_env, **teams_env, **slack_env)
    logs = {name: tmp / f"{name}.log" for name in ("actions", "rasa")}
    procs = {
        "actions": subprocess.Popen(
            [sys.executable, "-m", "actions.server", "--port", str(actions_port)],
            cwd=ROOT, env=env, stdout=open(logs["actions"], "w"), stderr=subprocess.STDOUT),
        "rasa": subprocess.Popen(
            [str(BIN / "python"), "-m", "rasa_server", "run", "-m", str(MODEL), "--port", str(rasa_port),
             "--endpoints", str(endpoints), "--credentials", "credentials.yml"],
            cwd=ROOT, env=env, stdout=open(logs["rasa"], "w"), stderr=subprocess.STDOUT),
    }
    try:
        wait_for(f"http://127.0.0.1:{actions_port}/health", procs["actions"], logs["actions"])
        wait_for(f"http://127.0.0.1:{rasa_port}/", procs["rasa"], logs["rasa"])
        yield {"url": f"http://127.0.0.1:{rasa_port}", "db": db, "logs": logs,
               "actions_url": f"http://127.0.0.1:{actions_port}", "token": token, "tmp": tmp}
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


