#!/usr/bin/env bash
# Installs the pinned JavaScript clients the gateway is tested with, each from its
# committed package-lock.json (npm ci, from the npm registry only):
#   node/                 @anthropic-ai/bedrock-sdk and @aws-sdk/client-bedrock-runtime,
#                         called by node/clients.mjs
#   claude/VERSION/       Claude Code VERSION, run by claude.sh claude/VERSION
#                         (2.1.100: the last Node build; 2.1.197: native, Bun <= 1.4.3;
#                         2.1.332: native, newer Bun)
# Prints on stdout only the absolute path of this directory (scripts/clients), which holds
# them all; everything else goes to stderr. Fails (non-zero) if any client is not installed
# and working, including a native Claude Code whose binary did not come out of its npm
# optional dependency (@anthropic-ai/claude-code-<platform>): the package's postinstall
# only links that binary into place (no download), and soft-fails, leaving a stub that
# exits 1, when it is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
CLAUDE_CODE_VERSIONS=(2.1.100 2.1.197 2.1.332)

command -v node >/dev/null || { echo "setup-node.sh: node is not installed" >&2; exit 1; }
command -v npm >/dev/null || { echo "setup-node.sh: npm is not installed" >&2; exit 1; }

install() { # DIR: a clean install from DIR/package-lock.json, scripts on, optional deps in
  (cd "$1" && npm ci --no-audit --no-fund --include=optional --ignore-scripts=false \
    --loglevel=error) >&2
}

node_clients_ok() { # the pinned versions in node_modules, and both import
  local name version
  while read -r name version; do
    [ "$(node -p "require('./node/node_modules/$name/package.json').version" 2>/dev/null)" = "$version" ] ||
      return 1
  done <<'PINS'
@anthropic-ai/bedrock-sdk 1.2.1
@aws-sdk/client-bedrock-runtime 3.1178.0
PINS
  (cd node && node --input-type=module \
    -e 'await import("@anthropic-ai/bedrock-sdk"); await import("@aws-sdk/client-bedrock-runtime")') \
    >/dev/null 2>&1
}

claude_ok() { # VERSION: installed, runnable, and (native builds) the npm package's binary
  local v=$1 pkg="claude/$1/node_modules/@anthropic-ai/claude-code" out
  if [ -f "$pkg/cli.js" ]; then
    out=$(node "$pkg/cli.js" --version 2>/dev/null) || return 1
  else
    local native
    native=$(ls -d "claude/$v/node_modules/@anthropic-ai/claude-code-"*/ 2>/dev/null) || return 1
    [ "$(printf '%s\n' "$native" | wc -l)" -eq 1 ] || return 1
    [ "$(node -p "require('./${native}package.json').version")" = "$v" ] || return 1
    # The postinstall hard-links (or copies) the optional dependency's binary over the stub.
    cmp -s "$pkg/bin/claude.exe" "${native}claude" || return 1
    out=$("$pkg/bin/claude.exe" --version 2>/dev/null) || return 1
  fi
  [ "$out" = "$v (Claude Code)" ]
}

failed=0
if ! node_clients_ok; then
  install node || true
  node_clients_ok || { echo "setup-node.sh: node/ clients not installed" >&2; failed=1; }
fi
for v in "${CLAUDE_CODE_VERSIONS[@]}"; do
  if ! claude_ok "$v"; then
    install "claude/$v" || true
    claude_ok "$v" || { echo "setup-node.sh: Claude Code $v not installed or not runnable" >&2; failed=1; }
  fi
done
[ "$failed" -eq 0 ] || exit 1
echo "$here"
