"""`make run`'s script refuses to open what must stay closed."""

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_script(**env):
    return subprocess.run(
        ["scripts/run.sh"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, RASA_PORT="5991", ACTIONS_PORT="5992", **env),
    )


def test_the_http_api_needs_a_token_or_a_jwt_secret():
    result = run_script(RASA_ENABLE_API="1", RASA_AUTH_TOKEN="", RASA_JWT_SECRET="")
    assert result.returncode == 1
    assert "RASA_ENABLE_API=1 needs RASA_AUTH_TOKEN or RASA_JWT_SECRET" in result.stderr


def test_a_cors_wildcard_stops_the_server_before_it_starts():
    result = run_script(CORS_ORIGINS="https://care.example.org, *")
    assert result.returncode == 1
    assert (
        "CORS_ORIGINS='https://care.example.org, *': origins must be listed explicitly"
        in result.stderr
    )
