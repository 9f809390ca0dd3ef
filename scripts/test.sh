#!/usr/bin/env bash
# `npm test`: lint, typecheck, schema freshness, then the whole suite on SQLite and on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== lint (biome)"
npx biome check .
echo "== generated code (Prisma clients, Pothos types, typed documents)"
node scripts/generate.mjs > /dev/null
echo "== typecheck (tsc)"
npx tsc --noEmit -p .
echo "== schema.graphql is up to date"
npx tsx scripts/print-schema.ts --check
echo "== tests on SQLite"
npx vitest run
echo "== tests on PostgreSQL (${PG_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/postgres})"
DERMASET_TEST_DB=postgres npx vitest run
