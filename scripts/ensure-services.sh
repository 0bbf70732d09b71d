#!/usr/bin/env bash
# Make sure RabbitMQ (127.0.0.1:5672) and PostgreSQL (127.0.0.1:5432) are up: start them when
# installed but stopped; install them from Debian's packages when missing and we are root.
set -euo pipefail

port_open() { python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 2)" 2>/dev/null; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  if ! command -v apt-get >/dev/null; then
    echo "error: $1 is not installed and there is no apt-get; install $1 and start it." >&2; exit 1
  fi
  as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@"
}

if ! port_open 5672; then
  command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
  echo "starting RabbitMQ"
  as_root rabbitmq-server -detached || true
  for _ in $(seq 1 60); do port_open 5672 && break; sleep 2; done
  as_root rabbitmqctl await_startup >/dev/null 2>&1 || true
fi
port_open 5672 || { echo "error: RabbitMQ did not come up on 127.0.0.1:5672" >&2; exit 1; }

if ! port_open 5432; then
  command -v pg_ctlcluster >/dev/null || apt_install postgresql
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  hba=/etc/postgresql/$version/main/pg_hba.conf
  # local test database: trust connections from this machine only
  if ! as_root grep -q "^host all all 127.0.0.1/32 trust" "$hba"; then
    as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  echo "starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do port_open 5432 && break; sleep 1; done
fi
port_open 5432 || { echo "error: PostgreSQL did not come up on 127.0.0.1:5432" >&2; exit 1; }
echo "RabbitMQ and PostgreSQL are up"
