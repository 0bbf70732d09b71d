#!/usr/bin/env bash
# Create .venv (Python 3.11) and install the pinned dependencies and the project.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-$(command -v python3.11 || command -v python3)}
"$python" -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/pip install -q --upgrade pip 'setuptools<81'
.venv/bin/pip install -q -r requirements-dev.txt
.venv/bin/pip install -q --no-deps --no-build-isolation -e .
# the console's front-end files (HTMX and its SSE extension), pinned in console/package-lock.json
if command -v npm >/dev/null; then
  npm ci --prefix console --no-audit --no-fund --loglevel=error
else
  echo "warning: npm is missing, so the console's scripts are not installed (apt-get install npm)" >&2
fi
