#!/usr/bin/env bash
# Runs every load scenario against a fresh Roster on SQLite and on
# PostgreSQL and prints a Markdown table (the figures in bench/README.md).
#
#   bash bench/run.sh                 # both engines
#   ENGINES=sqlite bash bench/run.sh  # one
#
# PostgreSQL: ROSTER_BENCH_POSTGRES (default the local test server); each run
# uses a fresh schema.
set -euo pipefail
cd "$(dirname "$0")/.."
engines="${ENGINES:-sqlite postgres}"
pg="${ROSTER_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
work="$(mktemp -d)"
trap 'pkill -f "$work/roster serve" 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/roster" ./cmd/roster
go build -o "$work/load" ./bench/load

echo "| scenario | engine | clients | throughput | p50 | p99 | max | errors | ratio to bare handler | server RSS after |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for engine in $engines; do
  port=$((18500 + RANDOM % 1000))
  url=""
  if [ "$engine" = postgres ]; then
    schema="bench_$(date +%s)_$RANDOM"
    psql "$pg" -qc "CREATE SCHEMA $schema" >/dev/null
    url="${pg}&search_path=$schema"
  fi
  ROSTER_DATABASE_URL="$url" ROSTER_DATA_DIR="$work/data-$engine" ROSTER_RATE_LIMIT=0 ROSTER_LOG_LEVEL=warn \
    ROSTER_SECRET_KEY=bench-secret-key-bench-secret-key-32 \
    "$work/roster" serve --addr "127.0.0.1:$port" --allow-private-targets 2>"$work/$engine.log" &
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  key="$(grep -o 'rk_[A-Za-z0-9]*' "$work/$engine.log" | head -n1)"
  sleep 3
  pid="$(pgrep -f "$work/roster serve --addr 127.0.0.1:$port")"
  echo "| idle | $engine | 0 | | | | | | | $(awk '/VmRSS/ {printf "%.0f MB", $2/1024}' /proc/$pid/status) |"
  run() { "$work/load" -url "http://127.0.0.1:$port" -key "$key" -row "$engine" "$@"; }
  run -scenario users.create -c 32 -d 10s
  run -scenario users.list -c 32 -d 10s
  run -scenario users.bulk_import -size 100000 -ceiling=false
  run -scenario groups.add_users -c 1 -n 500 -ceiling=false
  run -scenario groups.add_users -c 32 -n 2000 -ceiling=false
  run -scenario courses.assign_group -size 100000 -n 3 -ceiling=false
  run -scenario webhooks.fanout -c 8 -n 1000 -ceiling=false
  run -scenario workflow.onboarding -c 1 -n 200 -ceiling=false
  run -scenario workflow.onboarding -c 16 -n 500 -ceiling=false
  kill "$pid"; wait "$pid" 2>/dev/null || true
  if [ "$engine" = postgres ]; then psql "$pg" -qc "DROP SCHEMA $schema CASCADE" >/dev/null; fi
done
