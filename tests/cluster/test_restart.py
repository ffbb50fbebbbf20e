"""The default single machine: conversations in the project's SQLite file
survive a restart of the Rasa server, mid-form."""

import os
import secrets
import subprocess

import pytest
import requests

from tests.support.cluster import Expect, say, text_of
from tests.support.servers import (
    MODEL,
    ROOT,
    actions_command,
    free_port,
    rasa_run_command,
    require_model,
    wait_for,
    write_endpoints,
)

# One server on its SQLite file, started and stopped by the test: no cluster.
pytestmark = pytest.mark.e2e


def test_a_form_goes_on_after_the_server_restarts(tmp_path):
    require_model()
    actions_port, rasa_port = free_port(), free_port()
    # The project's own endpoints.yml: the embedded SQLite store, in this run's file.
    endpoints = write_endpoints(
        tmp_path / "endpoints.yml", f"http://127.0.0.1:{actions_port}", tmp_path / "tracker.db"
    )
    env = dict(
        os.environ,
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="3",
        ACTION_SERVER_TOKEN=secrets.token_urlsafe(16),
    )
    url = f"http://127.0.0.1:{rasa_port}"
    log = tmp_path / "rasa.log"

    def start_rasa() -> subprocess.Popen:
        process = subprocess.Popen(
            rasa_run_command(MODEL, rasa_port, endpoints),
            cwd=ROOT,
            env=env,
            stdout=open(log, "a"),
            stderr=subprocess.STDOUT,
        )
        wait_for(f"{url}/webhooks/ready/", process, log)
        return process

    actions = subprocess.Popen(
        actions_command(actions_port),
        cwd=ROOT,
        env=env,
        stdout=open(tmp_path / "actions.log", "w"),
        stderr=subprocess.STDOUT,
    )
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
