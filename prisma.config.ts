// Configuration of the Prisma CLI (`npx prisma validate`, `format`, `generate`). Those commands look
// for a native schema engine they never run and that cannot be downloaded offline: the stub
// satisfies them, and a machine with the real engine can still point PRISMA_SCHEMA_ENGINE_BINARY at it.
// Migrations are applied by src/db/migrate.ts and created by `npm run migrate:create`.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'prisma/config';

process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= fileURLToPath(new URL('./scripts/schema-engine-stub.sh', import.meta.url));

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
