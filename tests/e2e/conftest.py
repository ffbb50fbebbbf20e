"""Shared by the end-to-end tests: the real action server and Rasa server,
started once per test run on free ports with a throwaway SQLite tracker store,
and each channel's fakes (local Microsoft and Slack endpoints) with the
environment variables that point the Rasa server at them. The Rasa server
serves its Prometheus metrics on a free loopback port of its own. The helpers
these tests call are in tests/support/."""

import functools
import os
import secrets
import subprocess

import pytest

from tests.support.fakes.microsoft import FakeMicrosoft
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.host_site import HostSite
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
from tests.support.widget import LISTED_ORIGIN


# --- the website chat ---------------------------------------------------------------
@pytest.fixture(scope="session")
def host_site():
    """A care provider's site on its own loopback port, for the browser tests."""
    site = HostSite().start()
    yield site
    site.stop()


@pytest.fixture(scope="session")
def widget_env(host_site):
    """Environment variables for the Rasa server: the widget channel is on by
    default, so only CORS_ORIGINS is set: the tests' listed origin and the
    provider's site."""
    return {"CORS_ORIGINS": f"{LISTED_ORIGIN} {host_site.origin}"}


# --- Teams: a local Microsoft -------------------------------------------------------
@functools.lru_cache(maxsize=None)
def fake_microsoft() -> FakeMicrosoft:
    """One fake per test run, shared by the two fixtures below."""
    return FakeMicrosoft()


@pytest.fixture(scope="session")
def teams_env():
    """Starts the fake; the variables that switch the Teams channel on, pointed at it."""
    fake = fake_microsoft()
    fake.start()
    yield fake.env()
    fake.stop()


@pytest.fixture(scope="session")
def microsoft(teams_env):
    """The running fake: tests sign activities with it and read the replies it got."""
    return fake_microsoft()


# --- Slack: a local Web API ---------------------------------------------------------
@functools.lru_cache(maxsize=None)
def fake_slack_api() -> FakeSlackApi:
    """One fake per test run, shared by the two fixtures below."""
    return FakeSlackApi(
        token=f"xoxb-test-{secrets.token_hex(8)}", signing_secret=secrets.token_hex(16)
    )


@pytest.fixture(scope="session")
def slack_env():
    api = fake_slack_api()
    yield {
        "SLACK_BOT_TOKEN": api.token,
        "SLACK_SIGNING_SECRET": api.signing_secret,
        "SLACK_API_URL": api.url,
    }
    api.close()


@pytest.fixture(scope="session")
def slack_api(slack_env):
    """The fake the Rasa server posts to: read what it captured."""
    return fake_slack_api()


# --- the servers ----------------------------------------------------------------------
@pytest.fixture(scope="session")
def servers(tmp_path_factory, widget_env, teams_env, slack_env):
    require_model()
    tmp = tmp_path_factory.mktemp("e2e")
    actions_port, rasa_port, metrics_port = free_port(), free_port(), free_port()
    db = tmp / "tracker.db"
    endpoints = write_endpoints(tmp / "endpoints.yml", f"http://127.0.0.1:{actions_port}", db)
    token = secrets.token_urlsafe(16)
    env = dict(
        os.environ,
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="3",
        ACTION_SERVER_TOKEN=token,
        CHAT_RATE_PER_SENDER="8",
        CHAT_RATE_PER_ADDRESS="1000000",
        METRICS_PORT=str(metrics_port),
        **widget_env,
        **teams_env,
        **slack_env,
    )
    logs = {name: tmp / f"{name}.log" for name in ("actions", "rasa")}
    procs = {
        "actions": subprocess.Popen(
            actions_command(actions_port),
            cwd=ROOT,
            env=env,
            stdout=open(logs["actions"], "w"),
            stderr=subprocess.STDOUT,
        ),
        "rasa": subprocess.Popen(
            rasa_run_command(MODEL, rasa_port, endpoints),
            cwd=ROOT,
            env=env,
            stdout=open(logs["rasa"], "w"),
            stderr=subprocess.STDOUT,
        ),
    }
    try:
        wait_for(f"http://127.0.0.1:{actions_port}/health", procs["actions"], logs["actions"])
        wait_for(f"http://127.0.0.1:{rasa_port}/", procs["rasa"], logs["rasa"])
        yield {
            "url": f"http://127.0.0.1:{rasa_port}",
            "db": db,
            "logs": logs,
            "actions_url": f"http://127.0.0.1:{actions_port}",
            "token": token,
            "tmp": tmp,
            "metrics_port": metrics_port,
        }
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
