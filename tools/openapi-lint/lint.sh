#!/usr/bin/env bash
# Lints the OpenAPI document Roster serves with Redocly CLI's recommended
# rules (pinned in package-lock.json). Errors fail; warnings are shown.
# Usage: tools/openapi-lint/lint.sh [path/to/roster]  (builds it when omitted)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

bin="${1:-}"
if [ -z "$bin" ]; then
  bin="$tmp/roster"
  (cd "$root" && go build -o "$bin" ./cmd/roster)
fi
"$bin" openapi > "$tmp/openapi.json"

cd "$here"
[ -x node_modules/.bin/redocly ] || npm ci --no-audit --no-fund --loglevel=error
# No telemetry or update checks: CI has no network beyond package registries.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
node_modules/.bin/redocly lint --extends=recommended --format=stylish "$tmp/openapi.json"
