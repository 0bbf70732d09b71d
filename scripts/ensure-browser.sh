#!/usr/bin/env bash
# The console's browser tests drive Debian's chromium through Playwright; install it when missing.
set -euo pipefail
command -v chromium >/dev/null && fc-list :lang=zh 2>/dev/null | grep -q . && exit 0
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v apt-get >/dev/null; then
  echo "error: chromium is not installed and there is no apt-get; install chromium." >&2; exit 1
fi
echo "installing chromium and a Chinese font for the browser tests"
as_root apt-get update -qq
DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
