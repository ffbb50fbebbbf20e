"""The default single machine: conversations in the project's SQLite file
survive a restart of the Rasa server, mid-form."""
import os
import secrets
import subprocess
import sys

import pytest
import requests

from tests.cluster.conftest import Expect, say, text_of
from tests.e2e.conftest import BIN, MODEL, ROOT, free_port, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def test_a_form_goes_on_after_the_server_restarts(tmp_path):
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test does it first)")
    actions_port, rasa_port = free_port(), free_port()
    endpoints = tmp_path / "endpoints.yml"
    # The project's own endpoints.yml: the embedded SQLite store, in this run's file.
    endpoints.write_text((ROOT / "endpoints.yml").read_text()
                         .replace("localhost:5055", f"127.0.0.1:{actions_port}")
                         .replace("var/tracker.db", str(tmp_path / "tracker.db")))
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3",
               ACTION_SERVER_TOKEN=secrets.token_urlsafe(16))
    url = f"http://127.0.0.1:{rasa_port}"
    log = tmp_path / "rasa.log"

    def start_rasa() -> subprocess.Popen:
        process = subprocess.Popen(
            [str(BIN / "python"), "-m", "rasa_server", "run", "-m", str(MODEL), "--port", str(rasa_port),
             "--endpoints", str(endpoints), "--credentials", "credentials.yml"],
            cwd=ROOT, env=env, stdout=open(log, "a"), stderr=subprocess.STDOUT)
        wait_for(f"{url}/webhooks/ready/", process, log)
        return process

    actions = subprocess.Popen([sys.executable, "-m", "actions.server", "--port", str(actions_port)],
                               cwd=ROOT, env=env, stdout=open(tmp_path / "actions.log", "w"),
                               stderr=subprocess.STDOUT)
    rasa = None
    try:
        wait_for(f"http://127.0.0.1:{actions_port}/health", actions, tmp_path / "actions.log")
        rasa = start_rasa()
        assert Expect.asks_the_question(say(url, "restart-me", "my account was deleted"))
        rasa.terminate()
        rasa.wait(timeout=30)
        with pytest.raises(requests.ConnectionError):
            requests.get(url, timeout=2)
        rasa = start_rasa()
        replies = say(url, "restart-me", "yes")
        assert Expect.managers_route(replies), text_of(replies)
    finally:
        for process in (rasa, actions):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
