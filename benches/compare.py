#!/usr/bin/env python3
"""Side-by-side benchmark: this crate vs the official Python (botocore) and JS generators.

    python3 benches/compare.py [--iterations N] [--runs R] [--skip-minting] [--skip-startup]

Installs the pinned official packages with scripts/conformance/setup.sh, then in one
run, on the same machine:
  1. per-token minting time (median of R runs of N tokens each) of our generate_token,
     botocore's generator, the JS generator, and the SigV4 lower bound;
  2. whole process: printing one token from environment credentials with the release
     `bedrock-token` (built here with `cargo build --release -p bedrock-token`), and with `bedrock-token --cache`
     answering from its cache, vs `python -c "... provide_token()"`: wall time (median)
     and peak RSS of each.
Prints the figures and the ratios against the targets (bedrock-token at most 1/40 of
Python's time and under half its peak memory). Offline: example credentials only.
"""
import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
CONF = ROOT / "scripts" / "conformance"
PY = CONF / ".venv" / "bin" / "python"

ENV = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "HOME": os.environ.get("HOME", "/tmp"),
    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "AWS_REGION": "us-west-2",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}

PY_LOOP = r"""
import sys, time
from botocore.credentials import Credentials
from aws_bedrock_token_generator.token_generator import _generate_token
n = int(sys.argv[1])
c = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
for _ in range(n // 10): _generate_token(c, "us-west-2", 43200)
t = time.perf_counter()
for _ in range(n): _generate_token(c, "us-west-2", 43200)
print((time.perf_counter() - t) * 1e6 / n)
"""

JS_LOOP = r"""
const { getToken } = require("@aws/bedrock-token-generator");
const n = Number(process.argv[1]);
const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
(async () => {
  for (let i = 0; i < n / 10; i++) await getToken({ credentials, region: "us-west-2" });
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await getToken({ credentials, region: "us-west-2" });
  console.log(Number(process.hrtime.bigint() - t) / 1e3 / n);
})();
"""

PY_STARTUP = "from aws_bedrock_token_generator import provide_token; print(provide_token())"


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def minting(iterations, runs):
    subprocess.run(["cargo", "bench", "--bench", "mint_loop", "--no-run", "-q"], cwd=ROOT, check=True)
    ours, warm, bound, py, js = [], [], [], [], []
    for _ in range(runs):
        m, w, b = run(["cargo", "bench", "-q", "--bench", "mint_loop", "--", str(iterations)], cwd=ROOT).split()
        ours.append(float(m))
        warm.append(float(w))
        bound.append(float(b))
        py.append(float(run([str(PY), "-c", PY_LOOP, str(max(iterations // 10, 100))])))
        js.append(float(run(["node", "-e", JS_LOOP, str(max(iterations // 4, 100))], cwd=CONF)))
    return {k: statistics.median(v) for k, v in
            {"rust": ours, "warm": warm, "bound": bound, "python": py, "js": js}.items()}


def run_once(cmd, env):
    """Runs `cmd`; returns (wall seconds, ru_maxrss in MiB). Exits if it fails."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.read()
    p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    if status != 0 or not out.startswith(b"bedrock-api-key-"):
        sys.exit(f"{cmd[0]} failed (status {status})")
    return wall, usage.ru_maxrss / 1024


# On Linux a child's ru_maxrss starts from its parent's resident size at fork (here,
# this Python script's). GNU time forks from a small process, so its figure is the
# command's own.
GNU_TIME = "/usr/bin/time" if sys.platform.startswith("linux") and os.access("/usr/bin/time", os.X_OK) else None


def peak_mib(cmd, env):
    """The command's own peak RSS in MiB (an upper bound without GNU time)."""
    if GNU_TIME is None:
        return run_once(cmd, env)[1]
    with tempfile.NamedTemporaryFile("r") as f:
        run_once([GNU_TIME, "-f", "%M", "-o", f.name, *cmd], env)
        return int(f.read().split()[-1]) / 1024


def measure_process(cmd, runs, env=ENV):
    """Median wall seconds and max peak RSS (MiB) of `cmd`, run `runs` times each way."""
    walls = [run_once(cmd, env)[0] for _ in range(runs)]
    peaks = [peak_mib(cmd, env) for _ in range(runs)]
    return statistics.median(walls), max(peaks)


def startup(runs):
    """(wall s, peak MiB) of: bedrock-token, bedrock-token --cache hit, Python's provide_token()."""
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    binary = str(target / "release" / "bedrock-token")
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "bedrock-token"],
                   cwd=ROOT, check=True)
    ours = measure_process([binary], runs)
    with tempfile.TemporaryDirectory() as cache:
        env = dict(ENV, XDG_CACHE_HOME=cache)
        measure_process([binary, "--cache"], 1, env)  # mints and stores the entry
        hit = measure_process([binary, "--cache"], runs, env)
    py = measure_process([str(PY), "-c", PY_STARTUP], runs)
    return ours, hit, py


def verdict(ok):
    return "ok" if ok else "MISSED"


def per_token(iterations, runs):
    m = minting(iterations, runs)
    print(f"per token (median of {runs} runs):")
    for name, label in [("rust", "this crate, generate_token (one-shot)"),
                        ("warm", "this crate, Minter (day's key kept)"),
                        ("bound", "SigV4 lower bound (hash + 5 HMACs)"),
                        ("python", "botocore (Python generator)"), ("js", "JS generator")]:
        print(f"  {label:38s} {m[name]:9.2f} us")
    r_py, r_js, r_bound = m["python"] / m["rust"], m["js"] / m["rust"], m["rust"] / m["bound"]
    r_warm = m["warm"] / m["bound"]
    print(f"  python / rust = {r_py:6.1f}x   (target >= 15x: {verdict(r_py >= 15)})")
    print(f"  js / rust     = {r_js:6.1f}x   (target >= 6x: {verdict(r_js >= 6)})")
    print(f"  python / warm = {m['python'] / m['warm']:6.1f}x")
    print(f"  js / warm     = {m['js'] / m['warm']:6.1f}x")
    print(f"  one-shot / bound = {r_bound:6.2f}x   (target <= 1.2x: {verdict(r_bound <= 1.2)})")
    print(f"  warm / bound     = {r_warm:6.2f}x   (target < 1x: {verdict(r_warm < 1)})")


def whole_process(runs):
    (o_wall, o_rss), (h_wall, h_rss), (p_wall, p_rss) = startup(runs)
    print(f"\nwhole process, one token from environment credentials (median of {runs}):")
    print(f"  bedrock-token (release)        {o_wall * 1000:8.1f} ms  peak {o_rss:6.1f} MiB")
    print(f"  bedrock-token --cache (hit)    {h_wall * 1000:8.1f} ms  peak {h_rss:6.1f} MiB")
    print(f"  python provide_token()         {p_wall * 1000:8.1f} ms  peak {p_rss:6.1f} MiB")
    for label, wall, rss in [("bedrock-token", o_wall, o_rss), ("--cache hit", h_wall, h_rss)]:
        r, m = p_wall / wall, rss / p_rss
        print(f"  python / {label:13s} wall = {r:6.1f}x (target >= 40x: {verdict(r >= 40)}); "
              f"peak memory = {m:4.2f} of python's (target < 0.5: {verdict(m < 0.5)})")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--iterations", type=int, default=20000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--skip-minting", action="store_true", help="only the whole-process comparison")
    ap.add_argument("--skip-startup", action="store_true", help="only the per-token comparison")
    args = ap.parse_args()
    subprocess.run([str(CONF / "setup.sh")], check=True)
    if not args.skip_minting:
        per_token(args.iterations, args.runs)
    if not args.skip_startup:
        whole_process(args.runs)


if __name__ == "__main__":
    main()
