"""Fixtures every layer uses, and the layers themselves.

Each test has exactly one layer marker (pytest.ini lists them;
tests/test_layers.py checks it). A test's layer is its directory's
(tests/support/layers.py) unless its module or the test itself carries one. Unit
tests run with the machine's PostgreSQL, Redis and RabbitMQ out of reach, so
one that needs them fails instead of passing by luck.
"""

import os
import socket
from pathlib import Path
from typing import Any, Dict

import pytest
import yaml
from cryptography.fernet import Fernet
from rasa_sdk.executor import CollectingDispatcher

from actions.content import get_content
from tests.support import layers
from tests.support.measured import MEASURED

ROOT = Path(__file__).resolve().parent.parent
# Every server a test starts seals what it keeps (stores/sealing.py): with a
# key of this run's own, which the tests' helpers use to open what was kept.
os.environ.setdefault("AT_REST_KEY", Fernet.generate_key().decode())
# The machine's services, refused to unit tests.
SERVICE_PORTS = {5432: "PostgreSQL", 6379: "Redis", 5672: "RabbitMQ"}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects: every collected test is recorded
def pytest_collection_modifyitems(config, items):
    config.stash[layers.COLLECTED] = layers.assign(items)


def _refuse_services(connect):
    def guarded(self, address, *args):
        if isinstance(address, tuple) and len(address) >= 2 and address[1] in SERVICE_PORTS:
            raise AssertionError(
                f"a unit test connected to {SERVICE_PORTS[address[1]]} at "
                f"{address[0]}:{address[1]}: mark it integration"
            )
        return connect(self, address, *args)

    return guarded


@pytest.fixture(autouse=True)
def _unit_tests_use_no_service(request, monkeypatch):
    if request.node.get_closest_marker("unit") is None:
        return
    for name in ("connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, _refuse_services(getattr(socket.socket, name)))
    try:
        import psycopg2
    except ImportError:
        return

    def no_postgresql(*args, **kwargs):
        raise AssertionError("a unit test connected to PostgreSQL: mark it integration")

    monkeypatch.setattr(psycopg2, "connect", no_postgresql)


@pytest.fixture(scope="session")
def content():
    return get_content()


@pytest.fixture(scope="session")
def domain() -> Dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text())


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def pytest_terminal_summary(terminalreporter):
    if MEASURED:
        terminalreporter.write_sep("-", "measured")
        for line in MEASURED:
            terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def fresh_settings():
    """Each test reads the settings from its own environment (monkeypatch.setenv),
    as each server process reads them once from its own."""
    from settings import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
