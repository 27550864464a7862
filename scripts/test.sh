#!/usr/bin/env bash
# Set up a virtual environment and run every test, browser tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
if [ -z "${CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ]; then
  apt_install chromium
fi
make_venv requirements-dev.txt
# pytest exits non-zero (5) when it collects no test, so an empty run fails here too
exec .venv/bin/python -m pytest "$@"
