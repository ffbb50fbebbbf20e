"""`make run-cluster`'s script refuses what it must, before starting anything."""

import dataclasses
import os
import socket
import subprocess

from cluster import nginx
from cluster.launch import ROOT, Cluster, Settings, settings_from_env
from cluster.services import port_open as services_port_open
from settings import load
from tests.support.servers import free_port
from tests.support.services import unavailable


def run_script(**env):
    try:
        nginx.binary()  # the script asks for it first
    except FileNotFoundError as problem:
        unavailable(str(problem))
    return subprocess.run(
        ["scripts/cluster.sh"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, **env),
    )


def test_a_port_in_use_is_named_and_nothing_starts():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_script(
            CLUSTER_PORT=str(port),
            RASA_PORT=str(free_port()),
            ACTIONS_PORT=str(free_port()),
            CLUSTER_ACTIONS_PORT=str(free_port()),
        )
    assert result.returncode != 0
    assert f"Ports already in use: [{port}]" in result.stderr


def test_a_cors_wildcard_is_refused():
    result = run_script(CORS_ORIGINS="https://care.example.org, *")
    assert result.returncode != 0
    assert "'*' is refused" in result.stderr


def test_every_server_gets_the_shared_stores_from_the_environment(tmp_path):
    cluster = Cluster(
        Settings(
            directory=tmp_path,
            rasa_ports=[7001, 7002],
            actions_port=7055,
            database="nhsmail_x",
            pg_port=15432,
            redis_prefix="px",
            queue="q",
            exchange="x",
        )
    )
    env, commands = cluster.env(), cluster.commands()
    assert env["ACTION_SERVER_URL"] == "http://127.0.0.1:7055/webhook"  # nginx, not one server
    assert (env["PGDATABASE"], env["REDIS_KEY_PREFIX"], env["RABBITMQ_QUEUE"]) == (
        "nhsmail_x",
        "px",
        "q",
    )
    assert (env["PGHOST"], env["PGPORT"]) == ("127.0.0.1", "15432")
    assert len(env["ACTION_SERVER_TOKEN"]) >= 32
    rasa = [c for name, c in commands.items() if name.startswith("rasa")]
    assert len(rasa) == 2 and all(str(ROOT / "endpoints.cluster.yml") in c for c in rasa)
    assert all(c[c.index("-i") + 1] == "127.0.0.1" for c in rasa)


def test_every_server_keeps_the_channels_state_in_the_lock_stores_redis(tmp_path, monkeypatch):
    env = Cluster(Settings(directory=tmp_path, redis_prefix="px", redis_db=2)).env()
    read = load(env)  # what each Rasa server's settings say
    assert (read.channel_state, read.channel_state_prefix) == ("redis", "px:channels")
    assert (read.redis_host, read.redis_port, read.redis_db) == ("127.0.0.1", 6379, 2)
    # `make run-cluster` takes the prefix from REDIS_KEY_PREFIX.
    monkeypatch.setenv("REDIS_KEY_PREFIX", "site-b")
    settings = dataclasses.replace(settings_from_env(), directory=tmp_path)
    assert Cluster(settings).env()["CHANNEL_STATE_PREFIX"] == "site-b:channels"


def test_each_rasa_server_gets_its_own_metrics_port_and_no_other_process_one(tmp_path):
    def env_of(metrics_port, name):
        settings = Settings(directory=tmp_path, rasa_ports=[7001, 7002], metrics_port=metrics_port)
        return Cluster(settings).env_for(name)

    assert [env_of(9105, name).get("METRICS_PORT") for name in ("rasa0", "rasa1")] == [
        "9105",
        "9106",
    ]
    for name in ("actions0", "actions1", "nginx"):
        assert "METRICS_PORT" not in env_of(9105, name)
    assert "METRICS_PORT" not in env_of(0, "rasa0")


def test_a_metrics_port_that_the_cluster_uses_is_refused_before_anything_starts():
    rasa = free_port()
    result = run_script(
        CLUSTER_PORT=str(free_port()),
        CLUSTER_ACTIONS_PORT=str(free_port()),
        RASA_PORT=str(rasa),
        ACTIONS_PORT=str(free_port()),
        METRICS_PORT=str(rasa - 1),  # the second Rasa server's metrics on the first's port
    )
    assert result.returncode != 0
    assert f"metrics ports [{rasa}] that the cluster already uses" in result.stderr


def test_two_workers_per_server_beside_the_website_chat_are_refused_before_anything_starts():
    ports = dict(
        CLUSTER_PORT=str(free_port()),
        CLUSTER_ACTIONS_PORT=str(free_port()),
        RASA_PORT=str(free_port()),
        ACTIONS_PORT=str(free_port()),
    )
    result = run_script(SANIC_WORKERS="2", **ports)
    assert result.returncode == 1
    assert result.stderr.startswith("Refused setting:\n  SANIC_WORKERS=2 with the website chat")
    assert "Starting" not in result.stdout
    assert not services_port_open(int(ports["RASA_PORT"]))


def test_the_servers_get_the_workers_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("SANIC_WORKERS", "3")
    settings = dataclasses.replace(settings_from_env(), directory=tmp_path)
    assert settings.workers == 3
    assert Cluster(settings).env_for("rasa0")["SANIC_WORKERS"] == "3"
    assert Cluster(Settings(directory=tmp_path)).env_for("rasa1")["SANIC_WORKERS"] == "1"


def test_make_run_cluster_uses_the_machines_postgresql(tmp_path, monkeypatch):
    monkeypatch.delenv("CORS_ORIGINS", raising=False)
    settings = dataclasses.replace(settings_from_env(), directory=tmp_path)
    env = Cluster(settings).env()
    assert (env["PGHOST"], env["PGPORT"]) == ("127.0.0.1", "5432")
