#!/usr/bin/env bash
# Installs the official Python and JavaScript generators (pinned; the Python ones for
# Amazon Bedrock and Claude Platform on AWS, the JavaScript one for Bedrock) into
# scripts/conformance/.venv and scripts/conformance/node_modules, and fetches the
# Amazon SageMaker AI one into scripts/conformance/.cache (see below).
# Used only to regenerate tests/data/vectors.json and for benches/compare.sh;
# the test suite reads the committed vectors and needs neither.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
# Amazon SageMaker AI: the generator is one file of sagemaker-core, whose package
# __init__ imports the whole SageMaker SDK. So the wheel is downloaded, not installed
# (--no-deps), and gen_vectors.py loads sagemaker/core/token_generator/token_generator.py
# from the extracted copy by path; it needs only botocore (pinned in requirements.txt).
SAGEMAKER_CORE=2.27.0
cache=.cache/sagemaker-core-$SAGEMAKER_CORE
if [ ! -f "$cache/sagemaker/core/token_generator/token_generator.py" ]; then
  mkdir -p "$cache"
  .venv/bin/pip download --quiet --disable-pip-version-check --no-deps \
    --only-binary=:all: -d "$cache" "sagemaker-core==$SAGEMAKER_CORE"
  .venv/bin/python - "$cache" <<'PY'
import pathlib, sys, zipfile
cache = pathlib.Path(sys.argv[1])
wheel, = cache.glob("sagemaker_core-*.whl")
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith("sagemaker/core/token_generator/") or name.endswith(".dist-info/METADATA"):
            z.extract(name, cache)
PY
fi
if [ ! -d node_modules/@aws/bedrock-token-generator ]; then
  npm install --silent --no-audit --no-fund
fi
