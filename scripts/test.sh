#!/usr/bin/env bash
# Set up a virtual environment and run every test, browser tests included. No test depends on the
# machine's speed: the benchmarks are separate commands (python -m playground.experiments.bench, python -m tools.NAME).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
need=()
[ -n "${CHROMIUM:-}" ] || [ -x /usr/bin/chromium ] || need+=(chromium)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)  # the rooms' shared store
command -v haproxy >/dev/null || need+=(haproxy)  # the replicas test
[ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"
make_venv requirements-dev.txt
# pytest exits non-zero (5) when it collects no test, so an empty run fails here too
exec .venv/bin/python -m pytest "$@"
