#!/usr/bin/env python3
"""The gateway (`bedrock-token proxy`) side by side with nginx as a plain reverse proxy.

Both sit in front of the same loopback upstream (an nginx answering a small JSON body);
wrk drives each, and the direct upstream, at 1 and 64 connections, in several rounds that
alternate between them (a shared machine drifts; each figure is the median of its
rounds, and the ratios' range over the rounds is printed too). Printed: requests/s,
latency p50/p99 and what each proxy adds, streaming time to first byte (an upstream that
sends its first chunk at once and the rest 300 ms later), and resident memory with 1 000
idle connections open. Ratios are gateway / nginx.

Targets (issue 15): throughput at least nginx's, added p99 at most 1.2x nginx's, RSS under
30 MiB at 1 000 connections.

With the `hyper_floor` example built, it runs too ("hyper alone"): hyper's HTTP/1 server
and client with nothing else (no checks, key, pool, timers or log), the floor under the
gateway's throughput.

Needs Debian's nginx and wrk (`apt-get install nginx wrk`) and a release build:
    cargo build --release -p bedrock-token [-p aws-bedrock-token-gateway --example hyper_floor]
    python3 benches/gateway_vs_nginx.py [--seconds 5] [--rounds 3] [--threads N]
Everything listens on 127.0.0.1; nothing leaves the machine. A benchmark, not a test.
"""

import argparse
import http.server
import os
import re
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("GATEWAY_BIN") or os.path.join(ROOT, "target", "release", "bedrock-token")
FLOOR = os.path.join(ROOT, "target", "release", "examples", "hyper_floor")
ENV = {
    "PATH": "/usr/bin:/bin:/usr/sbin",
    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "AWS_REGION": "us-west-2",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "RUST_LOG": "warn",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"nothing listens on 127.0.0.1:{port}")


def nginx(workdir, name, server_block):
    """Starts an nginx (2 workers, no access log) with one server block; its process."""
    conf = os.path.join(workdir, f"{name}.conf")
    with open(conf, "w") as f:
        f.write(
            f"""worker_processes 2;
daemon off;
pid {workdir}/{name}.pid;
error_log {workdir}/{name}.err warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {workdir}/{name}-body;
  proxy_temp_path {workdir}/{name}-proxy;
  fastcgi_temp_path {workdir}/{name}-fcgi;
  uwsgi_temp_path {workdir}/{name}-uwsgi;
  scgi_temp_path {workdir}/{name}-scgi;
  {server_block}
}}
"""
        )
    return subprocess.Popen(["nginx", "-c", conf, "-p", workdir], stderr=subprocess.DEVNULL)


class Streaming(http.server.BaseHTTPRequestHandler):
    """First chunk at once, the rest 300 ms later (an event stream's shape)."""

    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        for i, pause in enumerate([0, 0.3]):
            time.sleep(pause)
            data = f"data: chunk {i}\n\n".encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, *args):
        pass

    def handle(self):
        # The measuring client hangs up after the first chunk: not an error here.
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass


def wrk(url, connections, seconds, key=None):
    threads = min(2, connections)
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if key:
        cmd[1:1] = ["-H", f"Authorization: Bearer {key}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        sys.exit(f"{url}: {errors.group(1)} failed responses\n{out}")
    broken = re.search(r"Socket errors: .*", out)
    if broken:
        print(f"  (wrk, {url}: {broken.group(0)})", file=sys.stderr)
    return rps, pct(50), pct(99)


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


def p99_ratio(med):
    """What the gateway adds to p99 over what nginx adds. nginx's p99 under load can be
    below the direct run's (which wrk's own load distorts): then the ratio of the
    proxies' p99s."""
    direct, nginx, gateway = med["direct upstream"], med["nginx"], med["gateway"]
    added_nginx = nginx[2] - direct[2]
    if added_nginx > 0.05:
        return max(0.0, gateway[2] - direct[2]) / added_nginx
    return gateway[2] / nginx[2]


def ttfb(port, path, key=None, runs=20):
    """Median time to the first body byte of a streamed answer, in ms."""
    times = []
    for _ in range(runs):
        s = socket.create_connection(("127.0.0.1", port))
        auth = f"Authorization: Bearer {key}\r\n" if key else ""
        s.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}"
            "Content-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )
        start = time.perf_counter()
        buf = b""
        while b"chunk 0" not in buf:
            more = s.recv(4096)
            if not more:
                sys.exit(f"port {port}: stream ended early: {buf!r}")
            buf += more
        times.append((time.perf_counter() - start) * 1e3)
        s.close()
    times.sort()
    return times[len(times) // 2]


def rss_kib(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as f:
            total += int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
    return total


def nginx_pids(master):
    children = subprocess.run(
        ["pgrep", "-P", str(master)], capture_output=True, text=True
    ).stdout.split()
    return [master] + [int(c) for c in children]


def idle_rss(port, pids, n=1000):
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(n)]
    time.sleep(1.0)
    value = rss_kib(pids)
    for s in socks:
        s.close()
    return value


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, help="the gateway's (and hyper_floor's) --threads [default: its own]")
    args = ap.parse_args()
    for tool in ["nginx", "wrk"]:
        if not shutil.which(tool):
            sys.exit(f"{tool} not found: apt-get install nginx wrk")
    if not os.access(BIN, os.X_OK):
        sys.exit(f"{BIN} not found: cargo build --release -p bedrock-token")

    work = tempfile.mkdtemp(prefix="gw-bench-")
    procs = []
    try:
        up, ngx, stream_up, ngx_stream = (free_port() for _ in range(4))
        procs.append(nginx(work, "upstream", f"""server {{ listen 127.0.0.1:{up};
            location / {{ default_type application/json; return 200 '{{"ok":true}}'; }} }}"""))
        procs.append(nginx(work, "proxy", f"""upstream up {{ server 127.0.0.1:{up}; keepalive 64; }}
            upstream st {{ server 127.0.0.1:{stream_up}; keepalive 16; }}
            server {{ listen 127.0.0.1:{ngx};
              location / {{ proxy_pass http://up; proxy_http_version 1.1;
                            proxy_set_header Connection ""; }} }}
            server {{ listen 127.0.0.1:{ngx_stream};
              location / {{ proxy_pass http://st; proxy_http_version 1.1; proxy_buffering off;
                            proxy_set_header Connection ""; }} }}"""))
        server = socketserver.ThreadingTCPServer(("127.0.0.1", stream_up), Streaming)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()

        key_file = os.path.join(work, "client-key")
        gateways = {}
        for name, upstream in [("plain", up), ("stream", stream_up)]:
            port = free_port()
            p = subprocess.Popen(
                [BIN, "proxy", "--listen", f"127.0.0.1:{port}",
                 "--upstream", f"http://127.0.0.1:{upstream}", "--client-key-file", key_file]
                + (["--threads", str(args.threads)] if args.threads else []),
                env=ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            )
            procs.append(p)
            if not p.stdout.readline():
                sys.exit(f"{BIN} proxy did not start")
            gateways[name] = (port, p)
        key = open(key_file).read().strip()
        floor_port = None
        if os.access(FLOOR, os.X_OK):
            floor_port = free_port()
            # The gateway's own default: one thread per processor it may run on, at most 4.
            threads = args.threads or min(len(os.sched_getaffinity(0)), 4)
            p = subprocess.Popen(
                [FLOOR, f"127.0.0.1:{floor_port}", f"127.0.0.1:{up}", str(threads)],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            )
            procs.append(p)
            if not p.stdout.readline():
                sys.exit(f"{FLOOR} did not start")
        for port in [up, ngx, ngx_stream, stream_up]:
            wait_port(port)

        gw_port, gw_proc = gateways["plain"]
        print(f"{'run':<28}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'+p50':>8}{'+p99':>8}")
        ratios = []
        for c in [1, 64]:
            rounds = {"direct upstream": [], "nginx": [], "gateway": []}
            if floor_port:
                rounds["hyper alone"] = []
            for _ in range(args.rounds):
                rounds["direct upstream"].append(wrk(f"http://127.0.0.1:{up}/", c, args.seconds))
                rounds["nginx"].append(
                    wrk(f"http://127.0.0.1:{ngx}/model/m/converse", c, args.seconds))
                rounds["gateway"].append(
                    wrk(f"http://127.0.0.1:{gw_port}/model/m/converse", c, args.seconds, key))
                if floor_port:
                    rounds["hyper alone"].append(
                        wrk(f"http://127.0.0.1:{floor_port}/model/m/converse", c, args.seconds))
            med = {name: tuple(median(r[i] for r in runs) for i in range(3))
                   for name, runs in rounds.items()}
            direct = med["direct upstream"]
            for name, r in med.items():
                add = "" if r is direct else f"{r[1]-direct[1]:>8.3f}{r[2]-direct[2]:>8.3f}"
                print(f"{name + f' ({c} conn)':<28}{r[0]:>10.0f}{r[1]:>9.3f}{r[2]:>9.3f}{add}")
            per_round = [g[0] / n[0] for g, n in zip(rounds["gateway"], rounds["nginx"])]
            floor = med["hyper alone"][0] / med["nginx"][0] if floor_port else None
            ratios.append((c, med["gateway"][0] / med["nginx"][0], p99_ratio(med),
                           min(per_round), max(per_round), floor))
        st_port, _ = gateways["stream"]
        t_direct = ttfb(stream_up, "/")
        t_nginx = ttfb(ngx_stream, "/")
        t_gw = ttfb(st_port, "/model/m/converse-stream", key)
        print(f"\nstreaming first byte (median ms): direct {t_direct:.2f}, nginx {t_nginx:.2f}, "
              f"gateway {t_gw:.2f} (the rest arrives 300 ms later)")
        r_nginx = idle_rss(ngx, nginx_pids(procs[1].pid))
        r_gw = idle_rss(gw_port, [gw_proc.pid])
        print(f"RSS with 1000 idle connections: nginx {r_nginx/1024:.1f} MiB (master + 2 "
              f"workers), gateway {r_gw/1024:.1f} MiB")
        print("\nratios (gateway / nginx):")
        for c, thr, p99, low, high, floor in ratios:
            print(f"  {c:>2} conn: throughput {thr:.2f}x (rounds {low:.2f}-{high:.2f}; target "
                  f">= 1), (added) p99 {p99:.2f}x (target <= 1.2)")
            if floor:
                print(f"          hyper alone: throughput {floor:.2f}x")
        print(f"  RSS at 1000 connections: {r_gw/1024:.1f} MiB (target < 30 MiB)")
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
