#!/usr/bin/env bash
# Runs one installed Claude Code (scripts/clients/claude/VERSION, see setup-node.sh) once,
# headless: `claude -p "Say hello"`, printing the model's text on stdout.
#
#   bedrock-token exec --proxy -- scripts/clients/claude.sh scripts/clients/claude/2.1.332
#
# Claude Code finds the gateway and the client key where `exec --proxy` puts them
# (ANTHROPIC_BEDROCK_BASE_URL, AWS_BEARER_TOKEN_BEDROCK) and trusts the gateway through
# NODE_EXTRA_CA_CERTS / SSL_CERT_FILE. It runs with a clean environment (only the variables
# below, so no ANTHROPIC_API_KEY, model or settings from the caller leak in), a throwaway
# HOME and working directory, no login, no onboarding, and everything that would reach
# another host turned off (names checked in 2.1.100, 2.1.197 and 2.1.332).
set -euo pipefail
if [ $# -lt 1 ] || [ ! -d "$1" ]; then
  echo "usage: $0 CLAUDE_CODE_DIR [PROMPT]  (e.g. scripts/clients/claude/2.1.332)" >&2
  exit 64
fi
dir=$(cd "$1" && pwd)
prompt=${2:-Say hello}
: "${ANTHROPIC_BEDROCK_BASE_URL:?not set; run under bedrock-token exec --proxy}"
: "${AWS_BEARER_TOKEN_BEDROCK:?not set; run under bedrock-token exec --proxy}"

pkg="$dir/node_modules/@anthropic-ai/claude-code"
if [ -f "$pkg/cli.js" ]; then
  claude=(node "$pkg/cli.js") # 2.1.100 and older: the Node build
else
  claude=("$pkg/bin/claude.exe") # native build, placed by the package's postinstall
fi

home=$(mktemp -d "${TMPDIR:-/tmp}/claude-home.XXXXXX")
trap 'rm -rf "$home"' EXIT
mkdir -p "$home/.claude" "$home/work"
# A first run otherwise counts as a new install (onboarding, tips, release notes).
printf '{"hasCompletedOnboarding":true}\n' >"$home/.claude.json"

pass=()
for name in PATH TMPDIR TERM LANG LC_ALL NODE_EXTRA_CA_CERTS SSL_CERT_FILE ANTHROPIC_MODEL; do
  if [ -n "${!name:-}" ]; then pass+=("$name=${!name}"); fi
done

cd "$home/work"
env -i "${pass[@]}" \
  HOME="$home" \
  CLAUDE_CONFIG_DIR="$home/.claude" \
  CLAUDE_CODE_USE_BEDROCK=1 \
  ANTHROPIC_BEDROCK_BASE_URL="$ANTHROPIC_BEDROCK_BASE_URL" \
  AWS_BEARER_TOKEN_BEDROCK="$AWS_BEARER_TOKEN_BEDROCK" \
  AWS_REGION="${AWS_REGION:-us-west-2}" \
  AWS_EC2_METADATA_DISABLED=true \
  AWS_CONFIG_FILE=/dev/null \
  AWS_SHARED_CREDENTIALS_FILE=/dev/null \
  CLAUDE_CODE_MAX_RETRIES=0 \
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
  DISABLE_TELEMETRY=1 \
  DISABLE_ERROR_REPORTING=1 \
  DISABLE_AUTOUPDATER=1 \
  DISABLE_UPDATES=1 \
  DISABLE_INSTALLATION_CHECKS=1 \
  DISABLE_GROWTHBOOK=1 \
  DISABLE_BUG_COMMAND=1 \
  DISABLE_COST_WARNINGS=1 \
  CLAUDE_CODE_DISABLE_FEEDBACK_SURVEY=1 \
  CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL=1 \
  CLAUDE_CODE_DISABLE_TERMINAL_TITLE=1 \
  CLAUDE_CODE_SKIP_PROMPT_HISTORY=1 \
  "${claude[@]}" -p "$prompt"
