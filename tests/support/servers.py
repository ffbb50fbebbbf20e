"""The project's servers as the end-to-end tests start them: free ports, the
Rasa command line, the project's endpoints.yml pointed at a throwaway SQLite
file, and what a test reads back (replies, stored events)."""

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import pytest
import requests

from settings import load as load_settings
from stores import sealing

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "nhsmail.tar.gz"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_ports_in_a_row(count: int) -> int:
    """The first of ``count`` consecutive loopback ports that are all free now."""
    while True:
        first = free_port()
        try:
            for port in range(first + 1, first + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first


def require_model() -> None:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test does it first)")


def write_endpoints(path: Path, actions_url: str, tracker_db: Path) -> Path:
    """The project's own endpoints.yml, pointed at this run's action server and
    SQLite file."""
    path.write_text(
        (ROOT / "endpoints.yml")
        .read_text()
        .replace("http://localhost:5055", actions_url)
        .replace("var/tracker.db", str(tracker_db))
    )
    return path


def rasa_run_command(model: Path, port: int, endpoints: Path, *extra: str) -> List[str]:
    """`rasa run` as every single-machine test starts it: through the launcher
    that installs the project's patches (rasa_server.py), with the project's
    credentials.yml; ``extra`` are further options."""
    return [
        str(BIN / "python"),
        "-m",
        "rasa_server",
        "run",
        "-m",
        str(model),
        "--port",
        str(port),
        "--endpoints",
        str(endpoints),
        "--credentials",
        "credentials.yml",
        *extra,
    ]


def actions_command(port: int) -> List[str]:
    return [sys.executable, "-m", "actions.server", "--port", str(port)]


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


def say(servers: Dict, sender: str, message: str):
    response = requests.post(
        f"{servers['url']}/webhooks/rest/webhook",
        json={"sender": sender, "message": message},
        timeout=60,
    )
    response.raise_for_status()
    return response.json()


def stored_rows(servers: Dict, sender: str) -> List[Dict]:
    """The events as they rest in the SQLite file: sealed."""
    with sqlite3.connect(servers["db"]) as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,))
        return [json.loads(data) for (data,) in rows]


def stored_events(servers: Dict, sender: str) -> List[Dict]:
    """The events as the assistant reads them back, opened with the tests' key."""
    sealer = sealing.from_settings(load_settings(os.environ))
    return [sealer.open(row) for row in stored_rows(servers, sender)]
