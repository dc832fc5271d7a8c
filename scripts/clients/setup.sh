#!/usr/bin/env bash
# Creates scripts/clients/.venv with the pinned clients; prints its python's path.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv >&2
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt >&2
echo "$PWD/.venv/bin/python"
