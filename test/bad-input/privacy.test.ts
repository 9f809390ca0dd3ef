// Bad inputs of the privacy part of issue 12 (§4, §1's CSV value cap): unknown de-identification
// profiles, the limited profile asked by a non-admin, someone else's export id, identifiers typed
// into the wrong field of an upload or a CSV import, and an oversize CSV value. Each is refused with
// a typed code and changes nothing: every table's rows and every file of the data folder are the
// same after. One exception, by design: a refused acquisition (an upload, a real import) is logged
// as one intake row (the paper counts refusals); there the test checks that this row is the only
// change and that neither it, the error nor the CLI output holds the value typed.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_RECORD_LIMIT } from '../../src/domain/raw-record.ts';
import type { Role } from '../../src/domain/roles.ts';
import { formatSummary, importFolder } from '../../src/ingest/import.ts';
import { createPipeline } from '../../src/ingest/pipeline.ts';
import { type Api, createApi } from '../helpers/api.ts';
import { CLI_TIMEOUT, dermaset } from '../helpers/cli.ts';
import { createTestEnv, type TestEnv } from '../helpers/database.ts';
import { lesion, record } from '../helpers/images.ts';
import { exportAs, gql, seedPeople } from '../helpers/privacy.ts';
import { type Snapshot, snapshot } from '../helpers/snapshot.ts';

let env: TestEnv;
let api: Api;
let reviewersExport: string;
let splitId: string;
let folder: string;

/** What someone typed into the wrong field: a name and a record number. */
const IDENTIFIER = 'John Smith MRN 998877';

beforeAll(async () => {
  env = await createTestEnv();
  await seedPeople(env, 970);
  api = await createApi(env);
  reviewersExport = (await exportAs(api, 'REVIEWER', { format: 'jsonl' })).id;
  const split = await gql<{ createSplit: { id: string } }>(
    api,
    'VIEWER',
    'mutation { createSplit(input: { policy: "nine-class", folds: 2, seed: 3, allowOversizedUnits: true }) { id } }',
  );
  splitId = split.data?.createSplit.id ?? '';
  // image files for the CSV imports, outside the data folder (which the snapshot covers)
  folder = mkdtempSync(join(tmpdir(), 'dermaset-h3-bad-'));
  for (let k = 0; k < 16; k++) writeFileSync(join(folder, `img-${k}.jpg`), await lesion(1000 + k));
}, 180_000);
afterAll(async () => {
  rmSync(folder, { recursive: true, force: true });
  await env?.dispose();
});

/** The snapshot without the intake log (and the data versions its row raises), for refusals that are logged. */
const withoutIntake = (s: Snapshot) => ({
  ...s,
  tables: { ...s.tables, intake_record: 'logged', data_version: 'raised by the logged attempt' },
});

const START = `mutation S($profile: String) { startExport(format: "jsonl", profile: $profile) { id } }`;

describe('startExport: profiles', () => {
  it.each([['hipaa'], ['SAFE-HARBOR'], ['safe harbor'], [''], ['constructor'], ['__proto__'], ['limited ']])(
    'an unknown profile %j is BAD_USER_INPUT naming the profiles, and records nothing',
    async (profile) => {
      const before = await snapshot(env);
      const res = await gql(api, 'ADMIN', START, { profile });
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'profile' });
      expect(res.errors?.[0]?.message).toContain('safe-harbor, research, limited');
      expect(await snapshot(env)).toEqual(before);
    },
  );

  it.each([['VIEWER'], ['ANNOTATOR'], ['REVIEWER']] as const)(
    'limited asked by a %s is FORBIDDEN and records nothing',
    async (role) => {
      const before = await snapshot(env);
      const res = await gql(api, role, START, { profile: 'limited' });
      expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(res.data?.startExport ?? null).toBeNull();
      expect(await snapshot(env)).toEqual(before);
    },
  );
});

describe('someone else’s export', () => {
  const ONE = `query One($id: String!) { export(id: $id) { id status } }`;
  it.each([
    ['VIEWER', 'the reviewer’s'],
    ['ANNOTATOR', 'the reviewer’s'],
    ['ADMIN', 'an unknown'],
  ] as const)('export(id:) as %s of %s export is NOT_FOUND', async (role, which) => {
    const before = await snapshot(env);
    const id = which === 'an unknown' ? randomUUID() : reviewersExport;
    const res = await gql(api, role, ONE, { id });
    expect(res.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(await snapshot(env)).toEqual(before);
  });

  it.each([
    ['file', 'VIEWER'],
    ['manifest.json', 'ANNOTATOR'],
  ] as const)('GET /exports/<the reviewer’s>/%s as %s is 404 NOT_FOUND', async (path, role) => {
    const before = await snapshot(env);
    const res = await api.yoga.fetch(`http://test/exports/${reviewersExport}/${path}`, {
      headers: api.headers(role),
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'NOT_FOUND' });
    expect(await snapshot(env)).toEqual(before);
  });
});

describe('the split manifest route: profiles', () => {
  it.each([
    ['bogus', 'VIEWER', 400, 'BAD_USER_INPUT'],
    ['LIMITED', 'ADMIN', 400, 'BAD_USER_INPUT'],
    ['limited', 'VIEWER', 403, 'FORBIDDEN'],
    ['limited', 'REVIEWER', 403, 'FORBIDDEN'],
  ] as const)('?profile=%s as %s is %i %s', async (profile, role: Role, status, code) => {
    const before = await snapshot(env);
    const res = await api.yoga.fetch(`http://test/splits/${splitId}/manifest.csv?profile=${profile}`, {
      headers: api.headers(role),
    });
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ code });
    expect(await snapshot(env)).toEqual(before);
  });
});

const FIELDS = [
  'sex',
  'fitzpatrick_type',
  'anatomical_site',
  'elevation',
  'border_regularity',
  'dominant_colors',
  'dermoscopic_structures',
  'verification_stage',
  'sunburn_history',
  'personal_ca_history',
  'age_at_exam',
  'clinical_diagnosis',
] as const;

describe('an identifier typed into the wrong field of an upload', () => {
  const ACQUIRE =
    'mutation A($file: File!, $record: JSONObject!) { createInitialAnnotation(file: $file, record: $record) { outcome } }';

  it.each(FIELDS.map((f, k) => [f, k] as const))(
    '%s: INVALID_RECORD naming the field and the rule, never the value; only the attempt is logged, without it',
    async (field, k) => {
      const before = await snapshot(env);
      const form = new FormData();
      form.append(
        'operations',
        JSON.stringify({ query: ACQUIRE, variables: { file: null, record: record({ [field]: IDENTIFIER }) } }),
      );
      form.append('map', JSON.stringify({ 0: ['variables.file'] }));
      form.append('0', new File([new Uint8Array(await lesion(1100 + k))], `u-${k}.jpg`, { type: 'image/jpeg' }));
      const res = await api.yoga.fetch('http://test/graphql', {
        method: 'POST',
        headers: api.headers('ANNOTATOR'),
        body: form,
      });
      const text = await res.text();
      const body = JSON.parse(text) as {
        errors?: { message: string; extensions?: { code?: string; issues?: { field: string }[] } }[];
      };
      expect(body.errors?.[0]?.extensions?.code).toBe('INVALID_RECORD');
      expect(body.errors?.[0]?.extensions?.issues?.map((i) => i.field)).toEqual([field]);
      expect(body.errors?.[0]?.message).toContain(`${field}:`);
      expect(text).not.toContain('John');
      expect(text).not.toContain('998877');
      const after = await snapshot(env);
      expect(withoutIntake(after)).toEqual(withoutIntake(before));
      const logged = await env.db.intakeRecord.findFirstOrThrow({ orderBy: { id: 'desc' } });
      expect(logged.outcome).toBe('REJECTED_INVALID');
      expect(logged.reason).toContain(field);
      expect(JSON.stringify(logged)).not.toMatch(/John|998877/);
    },
  );
});

describe('an identifier typed into the wrong field of a CSV import', () => {
  // every field of a record, those record() leaves out (verification_stage) included
  const HEADER = [...new Set([...Object.keys(record()), ...FIELDS])];
  const csvOf = (rows: Record<string, string>[]) =>
    [
      ['file_name', ...HEADER].join(','),
      ...rows.map((r) => ['file_name', ...HEADER].map((c) => `"${String(r[c] ?? '')}"`).join(',')),
    ].join('\n');

  it.each(FIELDS.map((f, k) => [f, k] as const))(
    '%s (dry run): refused as INVALID_RECORD naming the field, the summary never shows the value, nothing stored',
    async (field, k) => {
      const before = await snapshot(env);
      const metadata = join(folder, `dry-${k}.csv`);
      writeFileSync(
        metadata,
        csvOf([{ ...(record({ [field]: IDENTIFIER }) as Record<string, string>), file_name: `img-${k}.jpg` }]),
      );
      const summary = await importFolder(createPipeline(env.config, env.db), { folder, metadata, dryRun: true });
      expect(summary.invalid).toHaveLength(1);
      expect(summary.invalid[0]).toMatchObject({ row: 2, code: 'INVALID_RECORD' });
      expect(summary.invalid[0]?.message).toContain(`${field}:`);
      expect(formatSummary(summary)).not.toMatch(/John|998877/);
      expect(await snapshot(env)).toEqual(before);
    },
  );

  it(
    'the CLI prints the refusal without the value, and the intake log stores none',
    async () => {
      const before = await snapshot(env);
      const metadata = join(folder, 'real.csv');
      writeFileSync(
        metadata,
        csvOf([
          { ...(record({ sex: IDENTIFIER }) as Record<string, string>), file_name: 'img-14.jpg' },
          { ...(record({ anatomical_site: IDENTIFIER }) as Record<string, string>), file_name: 'img-15.jpg' },
        ]),
      );
      const out = await dermaset(env, ['import', folder, '--metadata', metadata]);
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).toMatch(/row 2 img-14\.jpg: INVALID_RECORD sex: is not one of: female, male/);
      expect(out.stdout).toMatch(/row 3 img-15\.jpg: INVALID_RECORD anatomical_site: /);
      expect(`${out.stdout}${out.stderr}`).not.toMatch(/John|998877/);
      // the run leaves its intake rows and its import record (two rows refused), nothing else
      const withoutRun = (x: Snapshot) => ({
        ...withoutIntake(x),
        tables: { ...withoutIntake(x).tables, import_record: 'run' },
      });
      expect(withoutRun(await snapshot(env))).toEqual(withoutRun(before));
      const logged = await env.db.intakeRecord.findMany({ orderBy: { id: 'desc' }, take: 2 });
      expect(logged.map((l) => l.outcome)).toEqual(['REJECTED_INVALID', 'REJECTED_INVALID']);
      expect(JSON.stringify(logged)).not.toMatch(/John|998877/);
      const run = await env.db.importRecord.findFirstOrThrow({ orderBy: { id: 'desc' } });
      expect(run).toMatchObject({ rowsIn: 2, stored: 0, refused: 2 });
      expect(JSON.stringify(run)).not.toMatch(/John|998877/);
    },
    CLI_TIMEOUT,
  );
});

describe('an oversize CSV value', () => {
  it(
    'a 10 MB value: the import exits 2 with one line naming the row and the limit, and stores nothing',
    async () => {
      const before = await snapshot(env);
      const metadata = join(folder, 'huge.csv');
      const ok = record() as Record<string, string>;
      const big = { ...ok, histopathology_result: 'x'.repeat(10 * 1024 * 1024) };
      const cols = ['file_name', ...Object.keys(ok), 'histopathology_result'];
      const line = (r: Record<string, string>, f: string) =>
        cols.map((c) => `"${c === 'file_name' ? f : (r[c] ?? '')}"`).join(',');
      writeFileSync(metadata, [cols.join(','), line(ok, 'img-0.jpg'), line(big, 'img-1.jpg')].join('\n'));
      const out = await dermaset(env, ['import', folder, '--metadata', metadata]);
      expect(out.code, out.stderr).toBe(2);
      const lines = out.stderr.split('\n').filter((l) => l.startsWith('dermaset import:'));
      expect(lines).toEqual([
        `dermaset import: the metadata file: row 3 is longer than ${CSV_RECORD_LIMIT.toLocaleString('en-US')} bytes, the limit of one CSV record (a value that long is no field of a record); nothing was imported`,
      ]);
      expect(await snapshot(env)).toEqual(before);
    },
    CLI_TIMEOUT,
  );
});
