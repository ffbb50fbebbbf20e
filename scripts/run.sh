#!/usr/bin/env bash
# Starts the action server and Rasa together; Ctrl-C stops both.
# Called by `make run` (REST channel on RASA_PORT) and `make shell` (SHELL_MODE=1).
set -euo pipefail
cd "$(dirname "$0")/.."
RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
BIN=.venv/bin
mkdir -p var

# Every setting is checked before anything starts (settings.py; docs/settings.md).
"$BIN/python" -m settings check || exit 1

# A clear word, not a stack trace, when another server holds a port.
for port in "$ACTIONS_PORT" "$RASA_PORT"; do
  if "$BIN/python" -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1', $port)) != 0)"; then
    echo "Port $port is already in use (is the assistant already running?)." >&2
    echo "Stop it, or choose other ports: make run RASA_PORT=5006 ACTIONS_PORT=5056" >&2
    exit 1
  fi
done

# The action server's shared token: from the environment, or new for this run.
export ACTION_SERVER_TOKEN=${ACTION_SERVER_TOKEN:-$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(32))')}

# The key that seals conversations at rest (stores/sealing.py): from the
# environment, or this machine's development key in var/at-rest.key.
export AT_REST_KEY=${AT_REST_KEY:-$("$BIN/python" -m stores.sealing dev-key)}

# Closed by default: Rasa listens on loopback, the HTTP API is off, no CORS.
RASA_INTERFACE=${RASA_INTERFACE:-127.0.0.1}
extra=()
if [ "${RASA_ENABLE_API:-0}" = 1 ]; then
  if [ -n "${RASA_JWT_SECRET:-}" ]; then
    extra+=(--enable-api --jwt-secret "$RASA_JWT_SECRET" --jwt-method "${RASA_JWT_METHOD:-HS256}")
  elif [ -n "${RASA_AUTH_TOKEN:-}" ]; then
    extra+=(--enable-api --auth-token "$RASA_AUTH_TOKEN")
  fi
fi
# CORS_ORIGINS: the sites allowed to embed the widget, separated by commas or
# spaces (a wildcard is refused by the check above); the socket.io channel
# reads the same variable.
if [ -n "${CORS_ORIGINS:-}" ]; then
  read -r -a origins <<< "${CORS_ORIGINS//,/ }"
  extra+=(--cors "${origins[@]}")
fi

# endpoints.yml points at the action server on 5055 and keeps conversations in
# var/tracker.db; another port or TRACKER_DB (a SQLite file) gets a copy.
ENDPOINTS=endpoints.yml
TRACKER_DB=${TRACKER_DB:-var/tracker.db}
if [ "$ACTIONS_PORT" != 5055 ] || [ "$TRACKER_DB" != var/tracker.db ]; then
  ENDPOINTS=var/endpoints-$RASA_PORT.yml
  sed -e "s#localhost:5055#localhost:$ACTIONS_PORT#" -e "s#var/tracker.db#$TRACKER_DB#" \
    endpoints.yml > "$ENDPOINTS"
fi

"$BIN/python" -m actions.server --port "$ACTIONS_PORT" &
actions_pid=$!
stop() { kill "$actions_pid" 2>/dev/null || true; wait "$actions_pid" 2>/dev/null || true; }
trap stop EXIT
trap 'exit 130' INT TERM

# Wait for the action server before Rasa takes traffic.
for _ in $(seq 1 60); do
  "$BIN/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$ACTIONS_PORT/health', timeout=1)" 2>/dev/null && break
  kill -0 "$actions_pid" 2>/dev/null || { echo "The action server did not start." >&2; exit 1; }
  sleep 0.5
done

# The Rasa server, as `make run` and `make shell` both start it.
# rasa_server is Rasa's command line with the project's patches in force.
rasa_run=("$BIN/python" -m rasa_server run -m models/nhsmail.tar.gz --port "$RASA_PORT"
          --credentials credentials.yml --endpoints "$ENDPOINTS" "${extra[@]}")

if [ "${SHELL_MODE:-}" = 1 ]; then
  # The same server as `make run`, quietly in the background, and a console
  # that talks to its REST channel (scripts/shell.py says why).
  echo "Starting the assistant (log: var/shell-rasa.log)..."
  "${rasa_run[@]}" -i 127.0.0.1 > var/shell-rasa.log 2>&1 &
  rasa_pid=$!
  trap 'kill "$rasa_pid" 2>/dev/null || true; wait "$rasa_pid" 2>/dev/null || true; stop' EXIT
  for _ in $(seq 1 240); do
    "$BIN/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$RASA_PORT/webhooks/rest/', timeout=1)" 2>/dev/null && break
    kill -0 "$rasa_pid" 2>/dev/null || { echo "The assistant did not start: see var/shell-rasa.log." >&2; exit 1; }
    sleep 0.5
  done
  "$BIN/python" scripts/shell.py --url "http://127.0.0.1:$RASA_PORT"
  exit
fi

cat <<MSG

  The assistant is starting on http://localhost:$RASA_PORT (the HTTP API is off).
  When it says "Rasa server is up and running":

  - the website widget's demo page:  http://localhost:$RASA_PORT/chat/
  - or talk to it from another shell:

    curl -s localhost:$RASA_PORT/webhooks/rest/webhook \\
      -H 'Content-Type: application/json' \\
      -d '{"sender": "me", "message": "how do I reset my password?"}'

  Ctrl-C stops both servers.

MSG
"${rasa_run[@]}" -i "$RASA_INTERFACE"
