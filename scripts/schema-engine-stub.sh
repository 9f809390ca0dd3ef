#!/bin/sh
# `prisma generate/validate/format` insist on locating a native schema-engine binary, which
# cannot be downloaded on offline machines, yet never run it. This stub satisfies the lookup.
# Migrations are applied by src/db/migrate.ts and created with @prisma/schema-engine-wasm.
if [ "$1" = "--version" ]; then echo "schema-engine-stub 7.10.0"; exit 0; fi
echo "schema-engine-stub: the native schema engine is not available offline" >&2
exit 1
