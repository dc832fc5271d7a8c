#!/usr/bin/env node
// Runs the bedrock-token binary of this platform, from the optional dependency npm
// installed for it (@bedrock-token/<platform>-<arch>), with the arguments, standard
// streams and exit status passed through. BEDROCK_TOKEN_BINARY_PATH names another binary
// to run instead (as ESBUILD_BINARY_PATH does for esbuild).
"use strict";

const { spawn } = require("node:child_process");

const OVERRIDE = "BEDROCK_TOKEN_BINARY_PATH";

function binaryPath() {
  const given = process.env[OVERRIDE];
  if (given) return given;
  const { platforms } = require("../platforms.json");
  const platform = `${process.platform}-${process.arch}`;
  const exe = process.platform === "win32" ? "bedrock-token.exe" : "bedrock-token";
  if (platforms[platform]) {
    try {
      return require.resolve(`@bedrock-token/${platform}/bin/${exe}`);
    } catch (_) {
      // Not installed: said below.
    }
  }
  const known = Object.keys(platforms).join(", ");
  process.stderr.write(
    `bedrock-token: no bedrock-token binary for this platform (${platform}).\n` +
      (platforms[platform]
        ? `  Its package, @bedrock-token/${platform}, is not installed: reinstall without ` +
          `--no-optional / --omit=optional.\n`
        : `  Binaries are packaged for: ${known}.\n`) +
      `  Alternatives: pip install bedrock-token, or cargo install ` +
      `bedrock-token (the Rust package), then set ${OVERRIDE} to the binary.\n`,
  );
  process.exit(1);
}

const child = spawn(binaryPath(), process.argv.slice(2), { stdio: "inherit" });

// The terminal sends Ctrl-C (SIGINT) and Ctrl-\ (SIGQUIT) to the whole foreground
// process group, the binary included: this launcher must not end before it. Signals
// sent to the launcher alone are passed on. (SIGUSR1 is Node's own, for its debugger.)
const quiet = () => {};
for (const signal of ["SIGINT", "SIGQUIT"]) process.on(signal, quiet);
const forward = (signal) => child.kill(signal);
for (const signal of ["SIGTERM", "SIGHUP", "SIGUSR2"]) process.on(signal, forward);

child.on("error", (error) => {
  process.stderr.write(`bedrock-token: cannot run ${error.path || "the binary"}: ${error.code}\n`);
  process.exit(1);
});
child.on("exit", (code, signal) => {
  if (signal) {
    // Ended by a signal: end the same way, so that the caller sees it.
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code === null ? 1 : code);
});
