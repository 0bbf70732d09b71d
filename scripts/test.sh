#!/usr/bin/env bash
# Set up and run the whole test suite against the real RabbitMQ and PostgreSQL.
# Extra arguments go to pytest, e.g. `scripts/test.sh tests/unit`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/ensure-services.sh
bash scripts/ensure-browser.sh
PYTHONWARNINGS=ignore exec .venv/bin/python -m pytest "$@"
