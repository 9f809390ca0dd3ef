#!/usr/bin/env bash
# `npm test`: lint, typecheck, schema freshness, the import rules, then the whole suite on SQLite and on PostgreSQL.
# The two suites run at the same time (many tests wait on PostgreSQL or on a child process, so two
# vitest runs of two workers each keep both cores busy): SQLite's output streams, PostgreSQL's is
# printed when it ends. Either failing fails the command.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== lint (biome)"
npx biome check .
echo "== generated code (Prisma clients, Pothos types, typed documents)"
node scripts/generate.mjs > /dev/null
echo "== typecheck (tsc)"
npx tsc --noEmit -p .
echo "== typecheck the console (tsc -p app)"
npx tsc --noEmit -p app/tsconfig.json
echo "== schema.graphql is up to date"
npx tsx scripts/print-schema.ts --check
echo "== import rules (dependency-cruiser: .dependency-cruiser.cjs)"
npx depcruise src --config .dependency-cruiser.cjs --output-type err

pg_log=$(mktemp -t dermaset-test-pg.XXXXXX)
trap 'rm -f "$pg_log"; [ -n "${pg_pid:-}" ] && kill "$pg_pid" 2>/dev/null || true' EXIT
DERMASET_TEST_DB=postgres npx vitest run > "$pg_log" 2>&1 &
pg_pid=$!
echo "== tests on SQLite (PostgreSQL's run goes on beside it)"
sqlite_status=0
npx vitest run || sqlite_status=$?
pg_status=0
wait "$pg_pid" || pg_status=$?
pg_pid=
echo "== tests on PostgreSQL (${PG_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/postgres})"
cat "$pg_log"
if [ "$sqlite_status" -ne 0 ] || [ "$pg_status" -ne 0 ]; then
  echo "npm test: failed (SQLite exit $sqlite_status, PostgreSQL exit $pg_status)" >&2
  exit 1
fi
