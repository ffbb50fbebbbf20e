"""End to end: a Rasa server with two Sanic workers shows, on its one metrics
port, every turn whichever worker answered it (Prometheus' multiprocess
mode, rasa_server.py and metrics.py), and leaves no counting files behind.

The server is this module's own: two workers, the e2e action server, a
SQLite store of its own, and the Redis lock store of the machine's Redis
(Rasa runs one worker with any other lock store), under a key prefix of this
run's own that is removed after it. Its channels are REST and the readiness
report: the website chat's socket.io needs one worker (rasa_server.py refuses
more, tests/test_rasa_server.py)."""

import os
import secrets
import signal
import subprocess
import time
from pathlib import Path

import pytest

from cluster import services
from tests.support.metrics import scrape, value
from tests.support.servers import (
    MODEL,
    ROOT,
    free_port,
    rasa_run_command,
    require_model,
    say,
    wait_for,
    write_endpoints,
)
from tests.support.services import machine_services, unavailable

WORKERS = 2


def _children(pid: int):
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(child) for child in task.read_text().split()]
    return found


@pytest.fixture(scope="module")
def two_workers(servers, tmp_path_factory):
    require_model()
    tmp = tmp_path_factory.mktemp("workers")
    prefix = f"test-workers-{secrets.token_hex(4)}"
    endpoints = write_endpoints(tmp / "endpoints.yml", servers["actions_url"], tmp / "tracker.db")
    endpoints.write_text(
        endpoints.read_text()
        + "\nlock_store:\n  type: stores.lock.AtomicRedisLockStore\n"
        + f"  url: {services.HOST}\n  port: {services.PORTS['redis']}\n"
        + f"  db: 1\n  key_prefix: {prefix}\n"
    )
    credentials = tmp / "credentials.yml"
    credentials.write_text("channels.rest.GuardedRestInput:\nchannels.ready.ReadinessInput:\n")
    port, metrics_port = free_port(), free_port()
    counting = tmp / "temporary"  # where the server makes its counting directory
    counting.mkdir()
    log = tmp / "rasa.log"
    env = dict(
        os.environ,
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="3",
        ACTION_SERVER_TOKEN=servers["token"],
        CHAT_RATE_PER_SENDER="1000000",
        CHAT_RATE_PER_ADDRESS="1000000",
        SANIC_WORKERS=str(WORKERS),
        METRICS_PORT=str(metrics_port),
        TMPDIR=str(counting),
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    try:
        with machine_services("redis"):
            process = subprocess.Popen(
                rasa_run_command(MODEL, port, endpoints, "--credentials", str(credentials)),
                cwd=ROOT,
                env=env,
                stdout=open(log, "w"),
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its workers with it, if it must be killed
            )
            try:
                server = {"url": f"http://127.0.0.1:{port}"}
                wait_for(f"{server['url']}/", process, log)
                # One worker answers while the other may still load the model;
                # Sanic's parent does not pass a stop on to a worker before it
                # is up, so the tests begin when both are.
                deadline = time.monotonic() + 120
                while log.read_text().count("Rasa server is up and running") < WORKERS:
                    assert time.monotonic() < deadline, log.read_text()[-2000:]
                    time.sleep(0.5)
                yield dict(
                    server, process=process, metrics_port=metrics_port, counting=counting, log=log
                )
            finally:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)
                services.delete_redis_keys(1, prefix)
    except services.ServiceUnavailable as problem:
        unavailable(f"two Sanic workers need the Redis lock store: {problem}")


def test_the_server_runs_two_workers(two_workers):
    workers = _children(two_workers["process"].pid)
    assert len(workers) == WORKERS, two_workers["log"].read_text()[-2000:]


def test_one_metrics_port_counts_the_turns_of_every_worker(two_workers, content):
    port = two_workers["metrics_port"]
    before = scrape(port)
    helpdesk = f"Phone: {content.facts['helpdesk_phone']}"
    # Each turn is its own connection, so the kernel hands them to both workers.
    for i in range(8):
        replies = say(two_workers, f"e2e-workers-{i}", "how do I reset my password?")
        assert helpdesk in "\n".join(r.get("text", "") for r in replies)
    [reply] = say(two_workers, "e2e-workers-fallback", "blorp nhsmail wibble")
    assert reply["text"] == "Sorry, I'm not sure what you need. Is it one of these?"
    after = scrape(port)

    def increase(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert increase("nhsmail_turns_total", channel="rest") == 9
    assert increase("nhsmail_turn_seconds_count", channel="rest") == 9
    assert increase("nhsmail_fallback_answers_total", channel="rest") == 1
    # The counts are the workers' own files, one set per worker that counted.
    [directory] = two_workers["counting"].glob("nhsmail-metrics-*")
    counted_by = {path.stem.rsplit("_", 1)[1] for path in directory.glob("counter_*.db")}
    assert counted_by <= {
        str(p) for p in [two_workers["process"].pid, *_children(two_workers["process"].pid)]
    }


def test_the_counting_files_go_when_the_server_stops(two_workers):
    # Runs last in this module (pytest keeps file order): it stops the server.
    process = two_workers["process"]
    assert list(two_workers["counting"].glob("nhsmail-metrics-*"))
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    assert list(two_workers["counting"].glob("nhsmail-metrics-*")) == []
