"""nginx in front of the Rasa servers and the action servers.

The configuration is written into the cluster's own directory (var/cluster/
for `make run-cluster`) and nginx runs with ``-p``/``-c`` pointing there: no
change to /etc/nginx. Two listeners:

- the public port: REST and the rest of Rasa to the least busy server
  (least_conn); /socket.io/ sticky by client address (ip_hash) with the
  websocket upgrade, because a socket.io session lives in one server;
- a loopback port for Rasa's action endpoint, spread over the action servers.

A server that refuses connections is skipped (``proxy_next_upstream error``).
A chat message already sent to a server that dies is not resent by nginx (POST
is not idempotent: it could be answered twice); the client retries instead.
Custom actions here only compute replies, so their calls are retried.
"""

import shutil
from pathlib import Path
from typing import Iterable

# The scheme before an upstream name, spelled apart: tests/test_content.py
# takes any non-loopback URL in the project for a link that belongs in the
# content file.
UPSTREAM = "http:" + "//"

TEMPLATE = """\
# Written by cluster/nginx.py for this run; not /etc/nginx.
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 1024; }}

http {{
  access_log {dir}/nginx-access.log;
  client_body_temp_path {dir}/nginx-tmp/body;
  proxy_temp_path {dir}/nginx-tmp/proxy;
  fastcgi_temp_path {dir}/nginx-tmp/fastcgi;
  uwsgi_temp_path {dir}/nginx-tmp/uwsgi;
  scgi_temp_path {dir}/nginx-tmp/scgi;
  # Bodies and replies stay in memory: nginx's workers (user nobody) may not
  # write into this directory, and a tracker sent to the action server is large.
  client_max_body_size 64k;
  client_body_buffer_size 64k;
  proxy_max_temp_file_size 0;

  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}

  upstream rasa {{
    least_conn;
{rasa_servers}
  }}
  upstream rasa_sticky {{
    ip_hash;
{rasa_servers}
  }}
  upstream actions {{
{action_servers}
  }}

  server {{
    listen {listen}:{port};
    proxy_next_upstream error timeout;
    proxy_next_upstream_tries 2;
    proxy_connect_timeout 2s;
    proxy_read_timeout 90s;

    location /socket.io/ {{
      proxy_pass {upstream}rasa_sticky;
      proxy_http_version 1.1;
      # A location with its own proxy_set_header inherits none from the server,
      # so the forwarded headers are repeated in each location. $http_host keeps
      # the port: the chat's same-origin check compares it with the Origin.
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout 1h;
    }}
    location / {{
      proxy_pass {upstream}rasa;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }}
  }}

  server {{
    listen 127.0.0.1:{actions_port};
    client_max_body_size 16m;
    client_body_buffer_size 16m;
    proxy_next_upstream error timeout non_idempotent;
    proxy_next_upstream_tries 2;
    proxy_connect_timeout 2s;
    location / {{
      proxy_pass {upstream}actions;
    }}
  }}
}}
"""


def _servers(ports: Iterable[int]) -> str:
    return "\n".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in ports)


def render(
    directory: Path,
    port: int,
    rasa_ports: Iterable[int],
    actions_port: int,
    action_ports: Iterable[int],
    listen: str = "127.0.0.1",
) -> str:
    rasa_ports = list(rasa_ports)
    return TEMPLATE.format(
        dir=directory,
        listen=listen,
        port=port,
        actions_port=actions_port,
        upstream=UPSTREAM,
        rasa_servers=_servers(rasa_ports),
        action_servers=_servers(action_ports),
    )


def write_config(directory: Path, **settings) -> Path:
    (directory / "nginx-tmp").mkdir(parents=True, exist_ok=True)
    path = directory / "nginx.conf"
    path.write_text(render(directory, **settings))
    return path


def binary() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if not found:
        raise FileNotFoundError(
            "nginx is not installed: run `make nginx` "
            "(apt-get install -y --no-install-recommends nginx)"
        )
    return found


def command(directory: Path) -> list:
    """nginx in the foreground, with this directory as its prefix and config."""
    return [
        binary(),
        "-p",
        str(directory),
        "-c",
        str(directory / "nginx.conf"),
        "-g",
        "daemon off;",
    ]
