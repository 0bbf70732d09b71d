#!/usr/bin/env bash
# Set up and run the whole suite locally: every service as its own process (Procfile), the
# gateway on :8000, SQLite files under var/, and demo data. Ctrl-C stops everything.
# Each process runs under infra/supervise.py: one that crashes is started again by itself
# while the others keep serving (honcho alone would stop them all).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if ! python3 -c "import socket; socket.create_connection(('127.0.0.1', 5672), 2)" 2>/dev/null; then
  if command -v rabbitmq-server >/dev/null; then
    echo "starting RabbitMQ"; rabbitmq-server -detached
    for _ in $(seq 1 60); do
      python3 -c "import socket; socket.create_connection(('127.0.0.1', 5672), 2)" 2>/dev/null && break
      sleep 2
    done
  else
    echo "RabbitMQ is not installed. Install it (Debian: apt-get install rabbitmq-server)," >&2
    echo "or point AMQP_URI at a running broker, then run this again." >&2
    exit 1
  fi
fi
export PYTHONWARNINGS=ignore
export PATH="$PWD/.venv/bin:$PATH"
.venv/bin/anchang migrate
.venv/bin/anchang declare
.venv/bin/anchang create-user admin "${ANCHANG_ADMIN_PASSWORD:-anchang-demo-key}" admin 2>/dev/null || true
( sleep 6 && .venv/bin/anchang demo-data --gateway "http://127.0.0.1:${GATEWAY_PORT:-8000}" ) &
echo "console: http://127.0.0.1:${CONSOLE_PORT:-8001}/ (demo users are printed below)"
var_dir=${ANCHANG_VAR_DIR:-var}
mkdir -p "$var_dir"
sed -E 's/^([A-Za-z0-9_-]+):[[:space:]]*(.*)$/\1: python -m infra.supervise \1 -- \2/' Procfile \
  > "$var_dir/Procfile.supervised"
CONSOLE_ADDRESS="0.0.0.0:${CONSOLE_PORT:-8001}" GATEWAY_ADDRESS="0.0.0.0:${GATEWAY_PORT:-8000}" \
  exec .venv/bin/honcho start -f "$var_dir/Procfile.supervised" -d "$PWD"
