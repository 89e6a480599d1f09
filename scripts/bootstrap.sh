#!/usr/bin/env bash
# Create (or refresh) a virtual environment with the runtime, the generator and the dev tools.
# usage: scripts/bootstrap.sh [PYTHON] [VENV_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${1:-python3}"
VENV="${2:-.venv}"
# uv: one that runs (a pyenv shim may point at a Python without it), else install it with pip
scripts_dir() { "$1" -c 'import sysconfig; print(sysconfig.get_path("scripts"))'; }
UV=""
for cand in "$(command -v uv 2>/dev/null || true)" "$(scripts_dir "$PY")/uv"; do
  if [ -n "$cand" ] && "$cand" --version >/dev/null 2>&1; then UV="$cand"; break; fi
done
if [ -z "$UV" ]; then
  "$PY" -m pip install --quiet --disable-pip-version-check uv
  UV="$(scripts_dir "$PY")/uv"
fi
if [ ! -x "$VENV/bin/python" ]; then
  "$UV" venv --quiet --python "$PY" "$VENV"
fi
pkgs=(-e "./runtime[postgres,redis]" -r requirements-dev.txt)
if [ -f generator/pyproject.toml ]; then pkgs+=(-e ./generator); fi
"$UV" pip install --quiet --python "$VENV/bin/python" "${pkgs[@]}"
