"""Starts an action server and a Rasa server on free loopback ports, as
tests/e2e/conftest.py does: a throwaway SQLite store, a fresh token, the
REST channel only, and rate limits high enough not to throttle the load."""

import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list:
    """The ids of a process's children and theirs (Linux /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in task.read_text().split():
            found += [int(child), *children(int(child))]
    return found


def process_rss_mb(pid: int) -> float:
    """One process's resident memory in MB (Linux /proc); 0 if it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    found = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(found.group(1)) / 1024 if found else 0.0


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    return sum(process_rss_mb(p) for p in [pid, *children(pid)])


class ActionServer:
    def __init__(self, workdir: Path, env: dict):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"actions-{self.port}.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "actions.server", "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=open(self.log, "w"),
            stderr=subprocess.STDOUT,
        )
        wait_until(lambda: requests.get(f"{self.url}/health", timeout=1).ok, self.proc, self.log)

    def stop(self):
        stop(self.proc)


class RasaServer:
    """``rasa run`` with ``model``; ``ready_s`` is start to first REST answer."""

    def __init__(
        self,
        model: str,
        workdir: Path,
        env: dict,
        actions: ActionServer,
        extra_env: dict | None = None,
        workers: int = 1,
        rasa_tracker_store: bool = False,
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"rasa-{self.port}.log"
        endpoints = workdir / f"endpoints-{self.port}.yml"
        text = (
            (ROOT / "endpoints.yml")
            .read_text()
            .replace("localhost:5055", f"127.0.0.1:{actions.port}")
            .replace("var/tracker.db", str(workdir / f"tracker-{self.port}.db"))
        )
        if rasa_tracker_store:  # the lever: Rasa's own SQL store on the same file
            text = text.replace("type: stores.tracker.StrictSQLTrackerStore", "type: SQL")
        extra_env = dict(extra_env or {})
        if workers > 1:
            # Several Sanic workers share one conversation store and need a
            # lock store all of them see: the cluster's Redis one.
            from cluster import services

            services.ensure_running("redis")
            text += (
                "\nlock_store:\n  type: stores.lock.AtomicRedisLockStore\n"
                f"  url: {services.HOST}\n  port: {services.PORTS['redis']}\n"
                f"  db: 1\n  key_prefix: bench{self.port}\n"
            )
            extra_env["SANIC_WORKERS"] = str(workers)
        endpoints.write_text(text)
        credentials = workdir / "credentials.yml"
        credentials.write_text("channels.rest.GuardedRestInput:\n")
        start = time.perf_counter()
        self.proc = subprocess.Popen(
            [
                str(BIN / "python"),
                "-m",
                "rasa_server",
                "run",
                "-m",
                model,
                "--port",
                str(self.port),
                "--interface",
                "127.0.0.1",
                "--endpoints",
                str(endpoints),
                "--credentials",
                str(credentials),
            ],
            cwd=ROOT,
            env=dict(env, **(extra_env or {})),
            stdout=open(self.log, "w"),
            stderr=subprocess.STDOUT,
        )
        webhook = f"{self.url}/webhooks/rest/webhook"
        wait_until(
            lambda: (
                requests.post(
                    webhook, json={"sender": "bench-ready", "message": "hi"}, timeout=5
                ).ok
            ),
            self.proc,
            self.log,
        )
        self.ready_s = time.perf_counter() - start

    def rss_mb(self) -> float:
        """The largest process's resident memory (a worker holds the model)."""
        return max(process_rss_mb(p) for p in [self.proc.pid, *children(self.proc.pid)])

    def total_rss_mb(self) -> float:
        return rss_mb(self.proc.pid)

    def stop(self):
        stop(self.proc)


def server_env(**extra) -> dict:
    return dict(
        os.environ,
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="3",
        ACTION_SERVER_TOKEN=secrets.token_urlsafe(16),
        CHAT_RATE_PER_SENDER="1000000000",
        CHAT_RATE_PER_ADDRESS="1000000000",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        **extra,
    )


def wait_until(check, proc, log: Path, seconds: float = 300):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()[-3000:]}")
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server not ready after {seconds}s:\n{log.read_text()[-3000:]}")


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
