#!/usr/bin/env bash
# Run the ViVa Python tests (unittest) with Debian's interpreter and OpenBLAS. Exits non-zero on failure.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="${VIVA_PYTHON:-/usr/bin/python3}"
OPENBLAS=/usr/lib/x86_64-linux-gnu/openblas-openmp
if [ -d "$OPENBLAS" ]; then export LD_LIBRARY_PATH="$OPENBLAS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; fi
export PYTHONDONTWRITEBYTECODE=1 PYTHONWARNINGS="${PYTHONWARNINGS:-ignore}"
"$PY" -c "import torch, onnx, numpy" || { echo "run_tests.sh: $PY lacks torch/onnx/numpy (apt: python3-torch python3-onnx python3-numpy)" >&2; exit 2; }
exec "$PY" -m unittest discover -s "$HERE/tests" -t "$HERE/tests" -v "$@"
