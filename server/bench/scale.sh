#!/usr/bin/env bash
# The inbox at scale (issue 11): seeds a SQLite file (and, with SCALE_POSTGRES_URL, a
# PostgreSQL database `sb_scale` on that server) to 100,000 conversations in history, 10,000
# queued with their timers and 200 agents Online, then prints p50/p99 of the read paths on
# each, and of the pure routing decision. Nothing is asserted: these are figures.
#
#   bash server/bench/scale.sh
#   SCALE_POSTGRES_URL=postgres://postgres:postgres@127.0.0.1:5432 bash server/bench/scale.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -p switchboard-bench
bin="${CARGO_TARGET_DIR:-target}/release/switchboard-bench"
dir="${SCALE_DIR:-/tmp/scale-bench}"

rm -rf "$dir" && mkdir -p "$dir"
echo "== SQLite ($dir/scale.db)"
"$bin" seed --database "sqlite://$dir/scale.db"
"$bin" reads --database "sqlite://$dir/scale.db"

if [ -n "${SCALE_POSTGRES_URL:-}" ]; then
  echo "== PostgreSQL ($SCALE_POSTGRES_URL/sb_scale)"
  psql "$SCALE_POSTGRES_URL/postgres" -q -c "DROP DATABASE IF EXISTS sb_scale WITH (FORCE)" \
    -c "CREATE DATABASE sb_scale"
  "$bin" seed --database "$SCALE_POSTGRES_URL/sb_scale"
  # Planner statistics, as autovacuum would gather them on a database in use.
  psql "$SCALE_POSTGRES_URL/sb_scale" -q -c "VACUUM ANALYZE"
  "$bin" reads --database "$SCALE_POSTGRES_URL/sb_scale"
  if [ -z "${SCALE_KEEP:-}" ]; then
    psql "$SCALE_POSTGRES_URL/postgres" -q -c "DROP DATABASE sb_scale WITH (FORCE)"
  fi
fi

echo "== routing decision (pure domain)"
"$bin" routing
[ -n "${SCALE_KEEP:-}" ] || rm -rf "$dir"
