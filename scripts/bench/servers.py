"""Starts an action server and a Rasa server on free loopback ports, as
tests/e2e/conftest.py does: a throwaway SQLite store, a fresh token, the
REST channel only, and rate limits high enough not to throttle the load."""

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from cryptography.fernet import Fernet

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
        # The bench's conversations are its own: sealed with a key of its own.
        AT_REST_KEY=os.environ.get("AT_REST_KEY") or Fernet.generate_key().decode(),
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
    """Stops a server and its Sanic workers: a worker still starting ignores
    the stop its parent passes on, so what is left after 20 s is killed."""
    family = children(proc.pid)
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    for pid in family:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class ClusterServer:
    """The cluster profile (cluster/launch.py) serving ``model``: ``servers``
    Rasa servers of ``workers`` Sanic workers each, two action servers and
    nginx, with the PostgreSQL tracker store, the Redis lock store and the
    RabbitMQ event broker of the machine, as `make run-cluster` runs them.

    Its database, Redis keys, queue and exchange are this run's own, and are
    removed by ``stop``. ``url`` is nginx's; ``ready_s`` is start to the
    first REST answer through it."""

    def __init__(self, model: str, workdir: Path, env: dict, servers: int = 2, workers: int = 1):
        from cluster import services
        from cluster.launch import Cluster, Settings

        self.run_id = secrets.token_hex(4)
        directory = workdir / f"cluster-{self.run_id}"
        directory.mkdir(parents=True)
        # REST (the load) and the readiness report (nginx's and the launcher's
        # probe): the website chat's socket.io would refuse two workers
        # (rasa_server.py), and the other channels take no load here.
        credentials = directory / "credentials.yml"
        credentials.write_text("channels.rest.GuardedRestInput:\nchannels.ready.ReadinessInput:\n")
        self.settings = Settings(
            directory=directory,
            credentials=credentials,
            port=free_port(),
            actions_port=free_port(),
            rasa_ports=[free_port() for _ in range(servers)],
            action_ports=[free_port(), free_port()],
            database=f"nhsmail_bench_{self.run_id}",
            redis_prefix=f"bench{self.run_id}",
            queue=f"nhsmail_bench_{self.run_id}",
            exchange=f"nhsmail_bench_{self.run_id}",
            token=env["ACTION_SERVER_TOKEN"],
            workers=workers,
            model=Path(model),
            extra_env={
                k: env[k] for k in ("CHAT_RATE_PER_SENDER", "CHAT_RATE_PER_ADDRESS") if k in env
            },
        )
        self.cluster = Cluster(self.settings)
        self.url = self.cluster.url
        self.services = services
        start = time.perf_counter()
        try:
            self.cluster.prepare()
            self.cluster.start()
            self.cluster.wait_ready(seconds=300)
            for i in range(servers):
                requests.post(
                    f"{self.cluster.rasa_url(i)}/webhooks/rest/webhook",
                    json={"sender": f"bench-ready-{i}", "message": "hi"},
                    timeout=30,
                ).raise_for_status()
        except BaseException:
            self.stop()
            raise
        self.ready_s = time.perf_counter() - start

    def groups(self) -> dict:
        """The cluster's own pids by role: Rasa servers (with their workers),
        action servers, nginx (with its workers)."""
        found: dict = {"Rasa servers": [], "action servers": [], "nginx": []}
        for name, proc in self.cluster.processes.items():
            group = (
                "Rasa servers"
                if name.startswith("rasa")
                else "action servers"
                if name.startswith("actions")
                else "nginx"
            )
            found[group] += [proc.pid, *children(proc.pid)]
        return found

    def rss_mb(self) -> float:
        """The largest Rasa process's resident memory."""
        return max(process_rss_mb(p) for p in self.groups()["Rasa servers"])

    def total_rss_mb(self) -> float:
        return sum(process_rss_mb(p) for pids in self.groups().values() for p in pids)

    def actions_rss_mb(self) -> float:
        """The largest action server's resident memory."""
        return max(process_rss_mb(p) for p in self.groups()["action servers"])

    def stop(self):
        self.cluster.stop()
        s = self.settings
        try:
            self.services.drop_database(s.database)
        except Exception as problem:  # the run's figures are kept either way
            print(f"bench: could not drop database {s.database}: {problem}", file=sys.stderr)
        self.services.delete_redis_keys(s.redis_db, s.redis_prefix)
        self.services.delete_queue_and_exchange(s.queue, s.exchange)
