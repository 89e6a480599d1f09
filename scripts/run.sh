#!/usr/bin/env bash
# Serve the example app on the embedded defaults (http://127.0.0.1:8000).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh python3 .venv
cd examples/hello
exec ../../.venv/bin/python app.py
