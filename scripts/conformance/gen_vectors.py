#!/usr/bin/env python3
"""Regenerates tests/data/vectors.json from the official generators.

Run scripts/conformance/setup.sh first, then:
    scripts/conformance/.venv/bin/python scripts/conformance/gen_vectors.py

Each case is minted by the Python generator (botocore, signing time fixed by
patching botocore.auth.get_current_datetime) and by the JS generator (global
Date replaced, see js_token.js). The Rust test suite checks our tokens against
both, offline, from the committed JSON. All credentials are fake.

The same cases are minted for Claude Platform on AWS by the official Python
generator, token-generator-for-aws-external-anthropic (its `_build_token`, with
the same patched signing time), into "claude_platform_vectors". (Its npm
package, @aws/token-generator-for-aws-external-anthropic, is not on the npm
registry this was run against, so there is no JS column for it.)

The same cases again for Amazon SageMaker AI by the official Python generator,
sagemaker/core/token_generator/token_generator.py of PyPI sagemaker-core (its
`_generate_token`, with the same patched signing time), into "sagemaker_vectors".
The package's __init__ imports the whole SageMaker SDK, so setup.sh downloads the
wheel without installing it and this script loads that one file by path; it
needs only botocore.
"""
import datetime as dt
import importlib.util
import json
import pathlib
import subprocess
import sys
from unittest import mock

import botocore.auth
from botocore.credentials import Credentials
from aws_bedrock_token_generator import __version__ as py_version
from aws_bedrock_token_generator.token_generator import _generate_token
from importlib.metadata import version as dist_version
from token_generator_for_aws_external_anthropic.token_generator import _build_token

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE.parent.parent / "tests" / "data" / "vectors.json"

SAGEMAKER_CORE_VERSION = "2.27.0"  # keep in step with setup.sh
SAGEMAKER_CORE = HERE / ".cache" / f"sagemaker-core-{SAGEMAKER_CORE_VERSION}"


def load_sagemaker_generator():
    """The official SageMaker generator module, loaded by path from the extracted wheel."""
    path = SAGEMAKER_CORE / "sagemaker" / "core" / "token_generator" / "token_generator.py"
    if not path.is_file():
        sys.exit(f"{path} is missing: run scripts/conformance/setup.sh first")
    spec = importlib.util.spec_from_file_location("official_sagemaker_token_generator", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sagemaker_core_version():
    """The version recorded in the extracted wheel's own metadata (not just the pin)."""
    (meta,) = SAGEMAKER_CORE.glob("sagemaker_core-*.dist-info/METADATA")
    for line in meta.read_text().splitlines():
        if line.startswith("Version: "):
            return line[len("Version: "):]
    sys.exit(f"no Version in {meta}")

AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
ASIA = "ASIAEXAMPLEEXAMPLE01"
# Fake session tokens exercising the characters that need percent-encoding.
TOKEN_PLUS_SLASH_EQ = "FwoGZXIvYXdzEXAMPLE+abc/def==+/="
TOKEN_LONG = "IQoJb3JpZ2luX2VjEXAMPLE/" + "Ab+Cd/Ef=" * 40 + "=="

NOON = "2024-06-15T12:00:00.000Z"


def case(name, region, *, when=NOON, expires=43200, akid=AKID, secret=SECRET, session=None):
    return {
        "name": name,
        "access_key_id": akid,
        "secret_access_key": secret,
        "session_token": session,
        "region": region,
        "expires_secs": expires,
        "signing_time": when,
    }


CASES = [
    # Every partition: commercial, GovCloud, China, ISO (ISO, ISOB, ISOE, ISOF).
    case("commercial us-east-1", "us-east-1"),
    case("commercial us-west-2", "us-west-2"),
    case("commercial eu-central-1", "eu-central-1"),
    case("commercial ap-southeast-2", "ap-southeast-2"),
    case("govcloud us-gov-west-1", "us-gov-west-1"),
    case("govcloud us-gov-east-1", "us-gov-east-1"),
    case("china cn-north-1", "cn-north-1"),
    case("china cn-northwest-1", "cn-northwest-1"),
    case("iso us-iso-east-1", "us-iso-east-1"),
    case("isob us-isob-east-1", "us-isob-east-1"),
    case("isoe eu-isoe-west-1", "eu-isoe-west-1"),
    case("isof us-isof-south-1", "us-isof-south-1"),
    # Session tokens with characters that must be percent-encoded.
    case("session token + / =", "us-east-1", akid=ASIA, session=TOKEN_PLUS_SLASH_EQ),
    case("long session token", "us-gov-west-1", akid=ASIA, session=TOKEN_LONG, expires=900),
    case("session token china", "cn-north-1", akid=ASIA, session=TOKEN_PLUS_SLASH_EQ, expires=1),
    # Expiry bounds.
    case("expiry 1 s", "us-west-2", expires=1),
    case("expiry 12 h", "us-west-2", expires=43200),
    case("expiry 15 min", "eu-west-1", expires=900),
    # Signing times.
    case("midnight utc", "us-east-1", when="2025-01-01T00:00:00.000Z"),
    case("leap day", "us-east-1", when="2024-02-29T23:59:59.000Z"),
    case("leap day midnight", "ap-northeast-1", when="2024-02-29T00:00:00.000Z"),
    case("fractional seconds", "us-east-1", when="2024-06-15T12:34:56.789Z"),
    case("fractional seconds just below next second", "us-west-2", when="2024-06-15T23:59:59.999Z"),
    case("after 2038", "us-east-1", when="2038-01-19T03:14:08.000Z"),
    case("far after 2038", "eu-west-3", when="2099-12-31T23:59:59.500Z", session=TOKEN_PLUS_SLASH_EQ, akid=ASIA),
    case("epoch-ish", "us-east-1", when="1999-12-31T23:59:59.000Z", expires=3600),
]


def parse_time(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)


def python_token(c, mint=_generate_token):
    when = parse_time(c["signing_time"])
    creds = Credentials(c["access_key_id"], c["secret_access_key"], c["session_token"])
    # botocore expects a naive UTC datetime from get_current_datetime.
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=when.replace(tzinfo=None)):
        return mint(creds, c["region"], c["expires_secs"])


def js_tokens(cases):
    payload = []
    for c in cases:
        d = dict(c)
        d["signing_time_millis"] = unix_millis(c)
        payload.append(d)
    out = subprocess.run(
        ["node", str(HERE / "js_token.js")],
        input=json.dumps(payload).encode(),
        capture_output=True,
        check=True,
        cwd=HERE,
    )
    return json.loads(out.stdout)


def unix_millis(c):
    when = parse_time(c["signing_time"])
    return int(when.timestamp() * 1000 + 0.5) if when.microsecond else int(when.timestamp()) * 1000


def main():
    sagemaker = load_sagemaker_generator()
    js = js_tokens(CASES)
    vectors = []
    for c, js_tok in zip(CASES, js):
        v = dict(c)
        v["signing_time_unix_millis"] = unix_millis(c)
        v["python_token"] = python_token(c)
        v["js_token"] = js_tok
        vectors.append(v)
    claude = []
    for c in CASES:
        v = dict(c)
        v["signing_time_unix_millis"] = unix_millis(c)
        v["python_token"] = python_token(c, _build_token)
        claude.append(v)
    sm = []
    for c in CASES:
        v = dict(c)
        v["signing_time_unix_millis"] = unix_millis(c)
        v["python_token"] = python_token(c, sagemaker._generate_token)
        sm.append(v)
    doc = {
        "generated_by": {
            "python": f"aws-bedrock-token-generator {py_version} (botocore {botocore.__version__})",
            "js": "@aws/bedrock-token-generator " + json.loads(
                (HERE / "node_modules/@aws/bedrock-token-generator/package.json").read_text())["version"],
            "script": "scripts/conformance/gen_vectors.py",
        },
        "note": "All credentials are fake. Regenerate with scripts/conformance/gen_vectors.py.",
        "vectors": vectors,
        "claude_platform_generated_by": {
            "python": "token-generator-for-aws-external-anthropic "
            + dist_version("token-generator-for-aws-external-anthropic")
            + f" (botocore {botocore.__version__})",
            "script": "scripts/conformance/gen_vectors.py",
        },
        "claude_platform_vectors": claude,
        "sagemaker_generated_by": {
            "python": f"sagemaker-core {sagemaker_core_version()}"
            " (sagemaker/core/token_generator/token_generator.py, loaded by path;"
            f" botocore {botocore.__version__})",
            "script": "scripts/conformance/gen_vectors.py",
        },
        "sagemaker_vectors": sm,
    }
    OUT.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"wrote {len(vectors)} + {len(claude)} + {len(sm)} vectors to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
