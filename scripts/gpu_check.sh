#!/usr/bin/env bash
# On a machine with a CUDA GPU: test the CUDA path, then benchmark it. One script, one run.
# usage: bash scripts/gpu_check.sh   (after scripts/test.sh or make_venv requirements-dev.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
[ -x "$py" ] || py=python3
"$py" -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print(torch.cuda.get_device_name(0))"
"$py" -m pytest -q tests/test_cuda.py tests/test_engine.py
"$py" -m playground.experiments.bench --device cuda --models 11 --json
"$py" -m playground.experiments.bench --device cuda --models 110 --steps 100 --repeats 2 --json  # the plain loop takes minutes otherwise
"$py" -m playground.experiments.bench --device cuda --sweep --json
