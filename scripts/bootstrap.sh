#!/usr/bin/env bash
# Create (or refresh) a virtual environment with the runtime, the generator and the dev tools.
# usage: scripts/bootstrap.sh [PYTHON] [VENV_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${1:-python3}"
VENV="${2:-.venv}"
if ! command -v uv >/dev/null 2>&1; then
  "$PY" -m pip install --quiet --disable-pip-version-check uv || python3 -m pip install --quiet uv
fi
UV="$(command -v uv || echo "$(python3 -c 'import sysconfig;print(sysconfig.get_path("scripts"))')/uv")"
if [ ! -x "$VENV/bin/python" ]; then
  "$UV" venv --quiet --python "$(command -v "$PY" || echo "$PY")" "$VENV"
fi
pkgs=(-e "./runtime[postgres,redis]" -r requirements-dev.txt)
if [ -f generator/pyproject.toml ]; then pkgs+=(-e ./generator); fi
"$UV" pip install --quiet --python "$VENV/bin/python" "${pkgs[@]}"
