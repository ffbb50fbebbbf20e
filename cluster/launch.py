"""Starts and stops the cluster: N Rasa servers, M action servers, nginx.

`make run-cluster` (scripts/cluster.sh) runs ``main``; tests/cluster/ drives
the same Cluster class to kill and restart single servers. Every server reads
endpoints.cluster.yml, filled from the environment this class builds: the
PostgreSQL tracker store, the Redis lock store, the RabbitMQ event broker and
nginx's action-server port; and the channels' state goes to the same Redis
(CHANNEL_STATE=redis), so that the servers share one set of rate limits,
Slack's seen event ids and Teams' offered buttons.
"""

import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Set

import requests

from cluster import nginx, services
from rasa_server import workers_refused
from settings import SettingsError, get_settings

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
MODEL = ROOT / "models" / "nhsmail.tar.gz"
ENDPOINTS = ROOT / "endpoints.cluster.yml"


@dataclass
class Settings:
    directory: Path
    port: int = 8080  # nginx, public: REST, widget, readiness
    actions_port: int = 8055  # nginx, loopback: Rasa's action endpoint
    rasa_ports: List[int] = field(default_factory=lambda: [5005, 5006])
    action_ports: List[int] = field(default_factory=lambda: [5055, 5056])
    database: str = "nhsmail"
    pg_host: str = services.HOST  # the machine's PostgreSQL unless told otherwise
    pg_port: int = services.PORTS["postgresql"]
    pg_user: str = "postgres"
    pg_password: str = ""
    redis_db: int = 1
    redis_prefix: str = "nhsmail"
    rabbitmq_user: str = "guest"
    rabbitmq_password: str = "guest"
    queue: str = "nhsmail_events"
    exchange: str = "nhsmail_exchange"
    lock_lifetime: int = 20  # seconds a dead server's ticket blocks a conversation
    retry_seconds: float = 5  # database downtime a turn waits out before 503
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    cors: List[str] = field(default_factory=list)
    # Loopback: Rasa server i serves its metrics on metrics_port + i; 0: none.
    metrics_port: int = 0
    # Sanic worker processes per Rasa server (SANIC_WORKERS), each with the
    # model loaded; Redis's lock store keeps one conversation's turns in order
    # whichever worker takes them.
    workers: int = 1
    model: Path = MODEL
    credentials: Path = ROOT / "credentials.yml"
    extra_env: Dict[str, str] = field(default_factory=dict)


class Cluster:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.processes: Dict[str, subprocess.Popen] = {}
        settings.directory.mkdir(parents=True, exist_ok=True)

    # --- what each process gets ---------------------------------------------
    def env(self) -> Dict[str, str]:
        s = self.settings
        return dict(
            os.environ,
            RASA_TELEMETRY_ENABLED="false",
            TF_CPP_MIN_LOG_LEVEL="3",
            SQLALCHEMY_SILENCE_UBER_WARNING="1",
            PYTHONWARNINGS="ignore::DeprecationWarning",
            ACTION_SERVER_TOKEN=s.token,
            ACTION_SERVER_URL=f"http://127.0.0.1:{s.actions_port}/webhook",
            PGHOST=s.pg_host,
            PGPORT=str(s.pg_port),
            PGDATABASE=s.database,
            PGUSER=s.pg_user,
            PGPASSWORD=s.pg_password,
            TRACKER_RETRY_SECONDS=str(s.retry_seconds),
            REDIS_HOST=services.HOST,
            REDIS_PORT=str(services.PORTS["redis"]),
            REDIS_DB=str(s.redis_db),
            REDIS_KEY_PREFIX=s.redis_prefix,
            # The channels' limits, Slack's seen ids and Teams' buttons, shared
            # by the servers (channels/state.py), under the lock store's prefix.
            CHANNEL_STATE="redis",
            CHANNEL_STATE_PREFIX=f"{s.redis_prefix}:channels",
            TICKET_LOCK_LIFETIME=str(s.lock_lifetime),
            RABBITMQ_HOST=services.HOST,
            RABBITMQ_PORT=str(services.PORTS["rabbitmq"]),
            RABBITMQ_USER=s.rabbitmq_user,
            RABBITMQ_PASSWORD=s.rabbitmq_password,
            RABBITMQ_QUEUE=s.queue,
            RABBITMQ_EXCHANGE=s.exchange,
            # Behind nginx: the client's address comes from X-Forwarded-For.
            SANIC_PROXIES_COUNT="1",
            SANIC_WORKERS=str(s.workers),
            **s.extra_env,
        )

    def metrics_ports(self) -> List[int]:
        return metrics_ports(self.settings)

    def env_for(self, name: str) -> Dict[str, str]:
        """One process's environment: a Rasa server gets its own METRICS_PORT,
        since each process counts for itself; no other process serves metrics."""
        env = self.env()
        env.pop("METRICS_PORT", None)
        if name.startswith("rasa") and self.settings.metrics_port:
            env["METRICS_PORT"] = str(self.metrics_ports()[int(name[4:])])
        return env

    def commands(self) -> Dict[str, List[str]]:
        s = self.settings
        found = {
            f"actions{i}": [str(BIN / "python"), "-m", "actions.server", "--port", str(p)]
            for i, p in enumerate(s.action_ports)
        }
        cors = ["--cors", *s.cors] if s.cors else []
        for i, p in enumerate(s.rasa_ports):
            found[f"rasa{i}"] = [
                str(BIN / "python"),
                "-m",
                "rasa_server",
                "run",
                "-m",
                str(s.model),
                "-i",
                "127.0.0.1",
                "--port",
                str(p),
                "--credentials",
                str(s.credentials),
                "--endpoints",
                str(ENDPOINTS),
                *cors,
            ]
        found["nginx"] = nginx.command(s.directory)
        return found

    def rasa_url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.settings.rasa_ports[i]}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.port}"

    def log(self, name: str) -> Path:
        return self.settings.directory / f"{name}.log"

    # --- starting and stopping ---------------------------------------------
    def prepare(self) -> None:
        """Services up, the database there, nginx configured."""
        s = self.settings
        names = ["redis", "rabbitmq"]
        if (s.pg_host, s.pg_port) == (services.HOST, services.PORTS["postgresql"]):
            names.insert(0, "postgresql")  # a server elsewhere is its owner's to start
        for name in names:
            services.ensure_running(name)
        services.create_database(
            s.database, s.pg_user, s.pg_password, host=s.pg_host, port=s.pg_port
        )
        self.write_nginx_config()

    def write_nginx_config(self) -> Path:
        """nginx's configuration: the Rasa servers' own ports and the action
        servers', never a metrics port (metrics stay on loopback, unproxied)."""
        s = self.settings
        return nginx.write_config(
            s.directory,
            port=s.port,
            rasa_ports=s.rasa_ports,
            actions_port=s.actions_port,
            action_ports=s.action_ports,
        )

    def start(self, names: Optional[List[str]] = None) -> None:
        commands = self.commands()
        for name in names or list(commands):
            with open(self.log(name), "a") as log:
                self.processes[name] = subprocess.Popen(
                    commands[name],
                    cwd=ROOT,
                    env=self.env_for(name),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )

    def wait_ready(self, names: Optional[List[str]] = None, seconds: float = 240) -> None:
        """Waits until each named process answers (Rasa: its readiness report)."""
        deadline = time.monotonic() + seconds
        for name in names or list(self.processes):
            url = self._ready_url(name)
            while True:
                process = self.processes[name]
                if process.poll() is not None:
                    raise RuntimeError(
                        f"{name} exited ({process.returncode}):\n"
                        f"{self.log(name).read_text()[-3000:]}"
                    )
                try:
                    if url is None or requests.get(url, timeout=3).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{name} not ready after {seconds:.0f}s:\n"
                        f"{self.log(name).read_text()[-3000:]}"
                    )
                time.sleep(0.5)

    def _ready_url(self, name: str) -> Optional[str]:
        s = self.settings
        if name.startswith("rasa"):
            return f"{self.rasa_url(int(name[4:]))}/webhooks/ready/"
        if name.startswith("actions"):
            return f"http://127.0.0.1:{s.action_ports[int(name[7:])]}/health"
        return f"{self.url}/webhooks/ready/" if name == "nginx" else None

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signals one process; one still running 20 s later is killed with
        its process group: a Rasa server's Sanic workers go with it, where a
        worker that was still starting would have ignored the stop."""
        process = self.processes.get(name)
        if process is not None and process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait(timeout=10)

    def stop(self) -> None:
        for name in reversed(list(self.processes)):
            self.kill(name, signal.SIGTERM)


def _ports(first: int, count: int) -> List[int]:
    return [first + i for i in range(count)]


def metrics_ports(settings: Settings) -> List[int]:
    """Each Rasa server's own metrics port, in order (none when metrics are off)."""
    return _ports(settings.metrics_port, len(settings.rasa_ports)) if settings.metrics_port else []


def settings_from_env() -> Settings:
    """The cluster's settings from the project's settings object, which has
    checked every variable (settings.py); a bad one stops the launcher."""
    try:
        env = get_settings()
    except SettingsError as error:
        sys.exit(str(error))
    return Settings(
        directory=ROOT / "var" / "cluster",
        port=env.cluster_port,
        actions_port=env.cluster_actions_port,
        rasa_ports=_ports(env.rasa_port, env.rasa_servers),
        action_ports=_ports(env.actions_port, env.action_servers),
        database=env.pgdatabase,
        pg_host=env.pghost,
        pg_port=env.pgport,
        pg_user=env.pguser,
        pg_password=env.pgpassword.get_secret_value() if env.pgpassword else "",
        redis_db=env.redis_db,
        redis_prefix=env.redis_key_prefix,
        rabbitmq_user=env.rabbitmq_user,
        rabbitmq_password=env.rabbitmq_password.get_secret_value(),
        lock_lifetime=env.ticket_lock_lifetime,
        token=(
            env.action_server_token.get_secret_value()
            if env.action_server_token
            else secrets.token_urlsafe(32)
        ),
        cors=env.cors_origins,
        metrics_port=env.metrics_port,
        workers=env.sanic_workers,
    )


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    settings = settings_from_env()
    if get_settings().at_rest_key is None:
        # A production profile: no development key is made for it.
        sys.exit(
            "AT_REST_KEY is not set: the cluster seals conversations at rest and will not "
            "start without the key (docs/security.md). For a trial on this machine: "
            "AT_REST_KEY=$(.venv/bin/python -m stores.sealing new-key) make run-cluster"
        )
    ports = [settings.port, settings.actions_port, *settings.rasa_ports, *settings.action_ports]
    overlap = sorted(set(ports) & set(metrics_ports(settings)))
    if overlap:
        sys.exit(
            f"METRICS_PORT={settings.metrics_port} gives the Rasa servers metrics ports "
            f"{overlap} that the cluster already uses: choose another."
        )
    refused = workers_refused(settings.workers, str(settings.credentials))
    if refused:
        sys.exit(refused)
    busy = [p for p in [*ports, *metrics_ports(settings)] if services.port_open(p)]
    if busy:
        sys.exit(
            f"Ports already in use: {busy} (is the cluster or `make run` running?). "
            "Choose others: make run-cluster CLUSTER_PORT=8090 RASA_PORT=5105 ACTIONS_PORT=5155"
        )
    cluster = Cluster(settings)
    try:
        cluster.prepare()
    except services.ServiceUnavailable as problem:
        sys.exit(f"Cannot start the cluster: {problem}")
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)  # even where a parent shell ignores it
    status = 0
    try:
        cluster.start()
        print(
            f"Starting {len(settings.rasa_ports)} Rasa servers, {len(settings.action_ports)} "
            f"action servers and nginx (logs in {settings.directory}) ...",
            flush=True,
        )
        cluster.wait_ready()
        action_ports = ", ".join(str(p) for p in settings.action_ports)
        metrics = (
            "  - metrics:        "
            + ", ".join(f"http://127.0.0.1:{p}/metrics" for p in cluster.metrics_ports())
            + " (loopback)\n"
            if settings.metrics_port
            else ""
        )
        print(
            f"""
  The cluster is up: http://127.0.0.1:{settings.port}  (nginx)
  - readiness:  curl -s http://127.0.0.1:{settings.port}/webhooks/ready/
  - talk:       curl -s http://127.0.0.1:{settings.port}/webhooks/rest/webhook \\
                  -H 'Content-Type: application/json' -d '{{"sender": "me", "message": "hello"}}'
  - Rasa servers:   {", ".join(str(p) for p in settings.rasa_ports)} (loopback)
{metrics}  - action servers: {action_ports} behind nginx :{settings.actions_port}
  - PostgreSQL database '{settings.database}', Redis db {settings.redis_db}, \
RabbitMQ queue '{settings.queue}'

  Ctrl-C stops them all.
""",
            flush=True,
        )
        reported: Set[str] = set()
        while True:
            for name, process in cluster.processes.items():
                if process.poll() is not None and name not in reported:
                    reported.add(name)
                    print(
                        f"{name} exited ({process.returncode}); see {cluster.log(name)}",
                        file=sys.stderr,
                        flush=True,
                    )
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    except RuntimeError as problem:
        print(problem, file=sys.stderr)
        status = 1
    finally:
        print("Stopping the cluster ...", flush=True)
        cluster.stop()
    sys.exit(status)


if __name__ == "__main__":
    main()
