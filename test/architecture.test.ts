// The import rules (.dependency-cruiser.cjs) can fail: a small tree breaking each rule once, cruised
// with the project's own configuration, gives exactly those violations; the real tree gives none
// (npm test runs that check too, before the suites: `npm run deps`).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'node_modules', '.bin', 'depcruise');

/** Cruises `src/` under `dir` with the project's rules; returns the violations' rule names and paths. */
function violations(dir: string): string[] {
  let out: string;
  try {
    out = execFileSync(bin, ['src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    out = String((e as { stdout?: string }).stdout ?? '');
  }
  return [...out.matchAll(/error ([\w-]+): (\S+) →/g)].map((m) => `${m[1]} ${m[2]}`).sort();
}

const tree = mkdtempSync(join(tmpdir(), 'dermaset-deps-'));
afterAll(() => rmSync(tree, { recursive: true, force: true }));

function file(path: string, text: string) {
  mkdirSync(dirname(join(tree, path)), { recursive: true });
  writeFileSync(join(tree, path), text);
}

describe('the import rules', () => {
  it('name every kind of violation in a tree that breaks each rule once', () => {
    cpSync(join(root, '.dependency-cruiser.cjs'), join(tree, '.dependency-cruiser.cjs'));
    cpSync(join(root, 'tsconfig.json'), join(tree, 'tsconfig.json'));
    // a cycle through a dynamic import (a → b ⇢ a), as the Croissant exporter had
    file('src/resolvers/a.ts', "import { b } from './b.ts';\nexport const a = () => b;\n");
    file('src/resolvers/b.ts', "export const b = async () => (await import('./a.ts')).a;\n");
    // domain/ importing a service; the generated enums are allowed
    file('src/db/generated/sqlite/enums.ts', "export const Sex = { FEMALE: 'FEMALE' } as const;\n");
    file('src/domain/rule.ts', "import './enums.ts';\nimport '../resolvers/a.ts';\n");
    file('src/domain/enums.ts', "export * from '../db/generated/sqlite/enums.ts';\n");
    // a plugin importing the ingest layer; a schema file reading the database
    file('src/ingest/record.ts', 'export type RawRecord = Record<string, string>;\n');
    file(
      'src/plugins/importers/x.ts',
      "import type { RawRecord } from '../../ingest/record.ts';\nexport type R = RawRecord;\n",
    );
    file('src/db/current.ts', 'export const db = () => null;\n');
    file('src/schema/noun.ts', "import { db } from '../db/current.ts';\nexport const n = db;\n");
    // the server importing the CLI; a service importing the schema
    file('src/cli/progress.ts', 'export const bar = 1;\n');
    file('src/server/start.ts', "import { bar } from '../cli/progress.ts';\nexport const s = bar;\n");
    file('src/resolvers/c.ts', "import { n } from '../schema/noun.ts';\nexport const c = n;\n");
    expect(violations(tree)).toEqual(
      [
        'domain-is-pure src/domain/rule.ts',
        'no-cycles src/resolvers/a.ts',
        'plugins-depend-downward src/plugins/importers/x.ts',
        'schema-declares-only src/schema/noun.ts',
        'server-not-up-to-cli src/server/start.ts',
        'services-below-schema src/resolvers/c.ts',
      ].sort(),
    );
  });

  it('hold on the real tree', () => {
    expect(violations(root)).toEqual([]);
  });
});
