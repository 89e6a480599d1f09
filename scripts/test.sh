#!/usr/bin/env bash
# The whole test suite: lint, format check, strict type check, then pytest on Python 3.11
# and 3.12 (tests marked `once`, such as the template's, which drive subprocesses, run on
# 3.11 only). Installs what it needs (uv, the virtualenvs, PostgreSQL and Redis via
# scripts/services.sh unless KHORSYIO_TEST_PG_DSN is already set).
# usage: scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${KHORSYIO_TEST_PG_DSN:-}" ] || [ -z "${KHORSYIO_TEST_REDIS_URL:-}" ]; then
  eval "$(bash scripts/services.sh)"
fi

find_python() {  # find_python 3.12: a python3.12 that runs (pyenv shims may not)
  local v="$1" root cand
  root="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"
  for cand in $(ls -d "$root"/versions/"$v".*/bin/python"$v" 2>/dev/null | sort -Vr) \
              $(command -v "python$v" 2>/dev/null); do
    if "$cand" -c 'import sys' >/dev/null 2>&1; then echo "$cand"; return; fi
  done
}
PY311="$(find_python 3.11)"; PY312="$(find_python 3.12)"
[ -n "$PY311" ] || { echo "python3.11 not found" >&2; exit 2; }
[ -n "$PY312" ] || { echo "python3.12 not found (pyenv install 3.12)" >&2; exit 2; }

echo "== setting up virtualenvs"
bash scripts/bootstrap.sh "$PY311" .venv
bash scripts/bootstrap.sh "$PY312" .venv312

echo "== ruff check"; .venv/bin/ruff check .
echo "== ruff format --check"; .venv/bin/ruff format --check .
echo "== mypy --strict"; .venv/bin/mypy

status=0
echo "== pytest (Python 3.11)"
.venv/bin/python -m pytest --durations=15 "$@" || status=$?
echo "== pytest (Python 3.12)"
.venv312/bin/python -m pytest -p no:cacheprovider -m "not once" "$@" || status=$?
exit $status
