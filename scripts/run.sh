#!/usr/bin/env bash
# Set up a virtual environment and start the app on http://localhost:8501.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
make_venv requirements.txt
.venv/bin/python -m playground.serving.limits  # a malformed PLAYGROUND_* variable stops here, with its name
exec .venv/bin/streamlit run app.py "$@"
