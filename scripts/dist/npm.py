#!/usr/bin/env python3
"""Builds the npm packages of bedrock-token into OUT_DIR as tarballs (npm pack).

    scripts/dist/npm.py VERSION BINARY OUT_DIR [PLATFORM]

- `bedrock-token-VERSION.tgz`: the launcher (npm/bedrock-token), whose `bin` runs the
  binary of the optional dependency that fits the platform; every platform of
  npm/platforms.json is an optional dependency, at VERSION.
- `bedrock-token-PLATFORM-VERSION.tgz`: the package `@bedrock-token/PLATFORM` (os, cpu and,
  on Linux, libc fields) carrying BINARY, for PLATFORM (default: this machine's, as Node
  names it: `process.platform-process.arch`). A release job runs this once per target
  with that target's binary.

Only the standard library and npm. Run by scripts/dist/build.
"""
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
NPM = ROOT / "npm"


def host_platform():
    out = subprocess.run(
        ["node", "-p", "process.platform + '-' + process.arch"],
        check=True, capture_output=True, text=True,
    )
    return out.stdout.strip()


def pack(package_dir, out_dir):
    out = subprocess.run(
        ["npm", "pack", "--silent", "--pack-destination", str(out_dir)],
        cwd=package_dir, check=True, capture_output=True, text=True,
    )
    return out.stdout.strip().splitlines()[-1]


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    version, binary, out_dir = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
    platforms = json.loads((NPM / "platforms.json").read_text())["platforms"]
    platform = sys.argv[4] if len(sys.argv) == 5 else host_platform()
    if platform not in platforms:
        sys.exit(f"npm.py: {platform} is not in npm/platforms.json")
    out_dir.mkdir(parents=True, exist_ok=True)
    common = {
        "version": version,
        "license": "Apache-2.0",
        "homepage": "https://docs.rs/aws-bedrock-token-generator",
    }
    with tempfile.TemporaryDirectory() as work:
        work = pathlib.Path(work)

        launcher = work / "bedrock-token"
        shutil.copytree(NPM / "bedrock-token", launcher)
        shutil.copy(NPM / "platforms.json", launcher / "platforms.json")
        (launcher / "package.json").write_text(json.dumps({
            "name": "bedrock-token",
            **common,
            "description": "AWS API keys (Amazon Bedrock, Claude Platform on AWS, SageMaker AI): "
                           "mint short-term keys, run tools through a refreshing local gateway",
            "bin": {"bedrock-token": "bin/bedrock-token.js"},
            "files": ["bin", "platforms.json", "README.md"],
            "engines": {"node": ">=18"},
            "optionalDependencies": {f"@bedrock-token/{p}": version for p in platforms},
        }, indent=2) + "\n")

        facts = platforms[platform]
        exe = "bedrock-token.exe" if facts["os"] == "win32" else "bedrock-token"
        native = work / f"bedrock-token-{platform}"
        (native / "bin").mkdir(parents=True)
        shutil.copy2(binary, native / "bin" / exe)
        (native / "bin" / exe).chmod(0o755)
        manifest = {
            "name": f"@bedrock-token/{platform}",
            **common,
            "description": f"The bedrock-token binary for {platform} ({facts['target']})",
            "os": [facts["os"]],
            "cpu": [facts["cpu"]],
            "files": ["bin"],
            "preferUnplugged": True,
        }
        if "libc" in facts:
            manifest["libc"] = [facts["libc"]]
        (native / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
        (native / "README.md").write_text(
            f"The `bedrock-token` binary for {platform} ({facts['target']}), installed by the "
            "`bedrock-token` package as an optional dependency. Install that one.\n"
        )

        for package in (launcher, native):
            print(out_dir / pack(package, out_dir.resolve()))


if __name__ == "__main__":
    main()
