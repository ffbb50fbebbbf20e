"""The launcher every Rasa server starts through (rasa_server.py) refuses,
before Rasa loads anything, a setting that would break a channel."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def start(tmp_path, credentials, **env):
    """`python -m rasa_server run` with ``credentials`` (text) and ``env``; a
    model that does not exist, so that anything past the checks fails fast."""
    path = tmp_path / "credentials.yml"
    path.write_text(credentials)
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "rasa_server",
            "run",
            "-m",
            str(tmp_path / "none.tar.gz"),
            "--credentials",
            str(path),
            "--port",
            "1",
        ],
        cwd=ROOT,
        env=dict(os.environ, RASA_TELEMETRY_ENABLED="false", **env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result, time.monotonic() - started


@pytest.mark.parametrize(
    "channel", ["channels.socketio.GuardedSocketIOInput:\n", "socketio:\n  user_message_evt: x\n"]
)
def test_two_workers_beside_the_website_chat_are_refused_with_the_way_out(tmp_path, channel):
    result, seconds = start(
        tmp_path, "channels.rest.GuardedRestInput:\n" + channel, SANIC_WORKERS="2"
    )
    assert result.returncode == 1
    assert result.stderr.startswith("Refused setting:\n  SANIC_WORKERS=2 with the website chat")
    assert "make run-cluster RASA_SERVERS=N" in result.stderr
    assert "Traceback" not in result.stderr
    assert seconds < 30  # refused before Rasa and TensorFlow load


def test_two_workers_without_the_website_chat_get_past_the_check(tmp_path):
    result, _ = start(tmp_path, "channels.rest.GuardedRestInput:\n", SANIC_WORKERS="2")
    assert "Refused setting" not in result.stderr
    # Rasa itself then stops, on the endpoints' unset token.
    assert result.returncode != 0


def test_one_worker_beside_the_website_chat_gets_past_the_check(tmp_path):
    result, _ = start(tmp_path, "channels.socketio.GuardedSocketIOInput:\n", SANIC_WORKERS="1")
    assert "Refused setting" not in result.stderr
