// Generates both Prisma clients (SQLite and PostgreSQL) and the Pothos types from
// prisma/schema.prisma, the one source of truth. Runs on `npm install` (postinstall).
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { derivePostgresSchema } from './postgres-schema.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stub = join(root, 'scripts', 'schema-engine-stub.sh');
chmodSync(stub, 0o755);
const env = {
  ...process.env,
  PATH: `${join(root, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? stub,
};

const sqliteSchema = readFileSync(join(root, 'prisma', 'schema.prisma'), 'utf8');
mkdirSync(join(root, 'prisma', 'postgresql'), { recursive: true });
writeFileSync(join(root, 'prisma', 'postgresql', 'schema.prisma'), derivePostgresSchema(sqliteSchema));

const prisma = join(root, 'node_modules', 'prisma', 'build', 'index.js');
for (const schema of ['prisma/schema.prisma', 'prisma/postgresql/schema.prisma']) {
  execFileSync(process.execPath, [prisma, 'generate', '--schema', schema], { cwd: root, env, stdio: 'inherit' });
}

// typed GraphQL documents for the tests and examples (src/gql), from the committed schema.graphql
execFileSync(
  process.execPath,
  [join(root, 'node_modules', '@graphql-codegen', 'cli', 'cjs', 'bin.js'), '--config', 'codegen.ts', '--silent'],
  {
    cwd: root,
    env,
    stdio: 'inherit',
  },
);

// the web console (/app, src/server/use-app-routes.ts): app/ built into app/dist with vite (a
// dependency, so present on a production install too); without vite the server answers /app with
// a page that says how to build it
const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
if (existsSync(vite)) {
  execFileSync(process.execPath, [vite, 'build', '--config', join(root, 'app', 'vite.config.ts')], {
    cwd: root,
    env,
    stdio: 'inherit',
  });
} else {
  console.warn('vite is not installed: the web console (/app) is not built (npm install builds it)');
}
