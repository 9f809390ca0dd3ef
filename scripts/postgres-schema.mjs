// PostgreSQL twin of prisma/schema.prisma: same models, another provider and client output.
export function derivePostgresSchema(sqliteSchema) {
  const out = sqliteSchema
    .replace('provider = "sqlite"', 'provider = "postgresql"')
    .replace('output       = "../src/db/generated/sqlite"', 'output       = "../../src/db/generated/postgresql"')
    .replace(/generator pothos \{[^}]*\}\n\n/, '');
  if (!out.includes('"postgresql"') || out.includes('prisma-pothos-types') || !out.includes('generated/postgresql')) {
    throw new Error(
      'derivePostgresSchema: prisma/schema.prisma no longer has the expected generator/datasource blocks',
    );
  }
  return `// GENERATED from prisma/schema.prisma by scripts/generate.mjs: do not edit.\n${out}`;
}
