#!/usr/bin/env bash
# Create (or refresh) a virtual environment with the runtime, the generator and the dev tools.
# usage: scripts/bootstrap.sh [PYTHON] [VENV_DIR]
# Needs only the given Python (with its stdlib venv and ensurepip) and a reachable package
# index: uv is installed into the virtualenv itself, where scripts and tests then find it
# ($VENV/bin/uv), whatever is or is not on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${1:-python3}"
VENV="${2:-.venv}"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
fi
if ! "$VENV/bin/uv" --version >/dev/null 2>&1; then
  # a virtualenv made by uv has no pip: give it one from the stdlib first
  "$VENV/bin/python" -m pip --version >/dev/null 2>&1 || "$VENV/bin/python" -m ensurepip --upgrade >/dev/null
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check uv
fi
pkgs=(-e "./runtime[postgres,redis,metrics]" -r requirements-dev.txt)
if [ -f generator/pyproject.toml ]; then pkgs+=(-e ./generator); fi
"$VENV/bin/uv" pip install --quiet --python "$VENV/bin/python" "${pkgs[@]}"
