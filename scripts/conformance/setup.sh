#!/usr/bin/env bash
# Installs the official Python and JavaScript generators (pinned; the Python ones for
# Amazon Bedrock and Claude Platform on AWS, the JavaScript one for Bedrock) into
# scripts/conformance/.venv and scripts/conformance/node_modules.
# Used only to regenerate tests/data/vectors.json and for benches/compare.sh;
# the test suite reads the committed vectors and needs neither.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
if [ ! -d node_modules/@aws/bedrock-token-generator ]; then
  npm install --silent --no-audit --no-fund
fi
