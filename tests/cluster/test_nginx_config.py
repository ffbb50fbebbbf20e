"""nginx's configuration for the cluster, checked by nginx itself."""

import re
import subprocess

import pytest

from cluster import nginx
from cluster.launch import Cluster, Settings
from tests.support.services import unavailable


@pytest.fixture
def config(tmp_path):
    path = nginx.write_config(
        tmp_path,
        port=18080,
        rasa_ports=[15005, 15006],
        actions_port=18055,
        action_ports=[15055, 15056],
    )
    return tmp_path, path.read_text()


def test_nginx_accepts_the_configuration(config):
    try:
        binary = nginx.binary()
    except FileNotFoundError as problem:
        unavailable(str(problem))
    directory, _ = config
    result = subprocess.run(
        [binary, "-t", "-p", str(directory), "-c", str(directory / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr


def test_socketio_is_sticky_with_the_websocket_upgrade_and_rest_is_balanced(config):
    _, text = config
    sticky = re.search(r"upstream rasa_sticky \{(.*?)\}", text, re.S).group(1)
    balanced = re.search(r"upstream rasa \{(.*?)\}", text, re.S).group(1)
    assert "ip_hash;" in sticky and "least_conn;" in balanced
    for upstream in (sticky, balanced):
        assert "127.0.0.1:15005" in upstream and "127.0.0.1:15006" in upstream
    socketio = re.search(r"location /socket.io/ \{(.*?)\}", text, re.S).group(1)
    assert "proxy_pass http://rasa_sticky;" in socketio
    assert "proxy_http_version 1.1;" in socketio
    assert "proxy_set_header Upgrade $http_upgrade;" in socketio
    assert "proxy_set_header Connection $connection_upgrade;" in socketio


def test_everything_listens_on_loopback_and_stays_in_its_directory(config):
    directory, text = config
    assert re.findall(r"listen ([\d.]+):", text) == ["127.0.0.1", "127.0.0.1"]
    paths = re.findall(r"(?:pid|error_log|access_log|_temp_path) (/\S+)", text)
    assert paths and all(p.startswith(str(directory)) for p in paths)


def test_nginx_proxies_the_rasa_servers_own_ports_and_never_a_metrics_port(tmp_path):
    cluster = Cluster(
        Settings(
            directory=tmp_path,
            port=18080,
            actions_port=18055,
            rasa_ports=[15005, 15006],
            action_ports=[15055, 15056],
            metrics_port=19105,
        )
    )
    text = cluster.write_nginx_config().read_text()
    proxied = {int(p) for p in re.findall(r"server 127\.0\.0\.1:(\d+)", text)}
    assert proxied == {15005, 15006, 15055, 15056}
    assert cluster.metrics_ports() == [19105, 19106]
    assert not any(str(p) in text for p in cluster.metrics_ports())
    assert "metrics" not in text
