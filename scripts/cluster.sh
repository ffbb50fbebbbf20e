#!/usr/bin/env bash
# The scale-out profile: PostgreSQL, Redis and RabbitMQ (started if down),
# RASA_SERVERS Rasa servers and ACTION_SERVERS action servers on loopback,
# nginx on CLUSTER_PORT in front. Ctrl-C stops what it started (not the
# services). Called by `make run-cluster`; the work is in cluster/launch.py.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/sbin/nginx ] && ! command -v nginx >/dev/null; then
  echo "nginx is not installed: run 'make nginx' first." >&2
  exit 1
fi
mkdir -p var/cluster
exec .venv/bin/python -m cluster.launch
