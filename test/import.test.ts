import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImportError, importFolder } from '../src/ingest/import.ts';
import { createPipeline } from '../src/ingest/pipeline.ts';
import { CLI_TIMEOUT, dermaset } from './helpers/cli.ts';
import { createTestEnv, type TestEnv, testProvider } from './helpers/database.ts';
import { listFiles } from './helpers/files.ts';
import { lesion, record, toPng } from './helpers/images.ts';

let env: TestEnv;
let folder: string;
let csv: string;

const COLUMNS = [
  'file_name',
  'patient_id',
  'lesion_id',
  'acquisition_date',
  'age_at_exam',
  'sex',
  'fitzpatrick_type',
  'sunburn_history',
  'personal_ca_history',
  'anatomical_site',
  'lesion_diameter_mm',
  'dominant_colors',
  'elevation',
  'border_regularity',
  'dermoscopic_structures',
  'clinical_diagnosis',
  'histopathology_result',
  'verification_stage',
  'examiner_id',
  'image_quality_score',
];

function toCsv(rows: Record<string, unknown>[]): string {
  const cell = (v: unknown) => {
    const s = v === undefined || v === null ? '' : String(v);
    return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [COLUMNS.join(','), ...rows.map((r) => COLUMNS.map((c) => cell(r[c])).join(','))].join('\n');
}

async function counts() {
  const [images, intake, patients] = await Promise.all([
    env.db.image.count(),
    env.db.intakeRecord.count(),
    env.db.patient.count(),
  ]);
  return { images, intake, patients, blobs: listFiles(join(env.dataDir, 'blobs')).length };
}

/** Runs `dermaset <args>` as a child process against the test database; never throws. */
const cli = (args: string[]) => dermaset(env, args);
/**
 * The command itself runs on SQLite only, for CI time (README, "Where each runs"): the import it
 * runs is the same function, which every other test here runs on both databases.
 */
const CLI = testProvider === 'sqlite';

beforeAll(async () => {
  env = await createTestEnv();
  folder = join(env.dataDir, 'incoming');
  mkdirSync(folder, { recursive: true });
  const a = await lesion(101);
  writeFileSync(join(folder, 'a.jpg'), a);
  writeFileSync(join(folder, 'a-resaved.png'), await toPng(a));
  writeFileSync(join(folder, 'b.jpg'), await lesion(102, { cls: 'MELANOMA' }));
  writeFileSync(join(folder, 'blurred.jpg'), await lesion(103));
  writeFileSync(join(folder, 'c.jpg'), await lesion(104));
  writeFileSync(join(folder, 'notes.jpg'), 'not an image');
  csv = join(env.dataDir, 'metadata.csv');
  writeFileSync(
    csv,
    toCsv([
      { file_name: 'a.jpg', ...record() },
      { file_name: 'a-resaved.png', ...record({ examiner_id: 'DERM-03' }) },
      {
        file_name: 'b.jpg',
        ...record({
          patient_id: 'MRN-9',
          lesion_id: 'M1',
          clinical_diagnosis: 'Melanoma',
          border_regularity: 'irregular',
        }),
        verification_stage: 'histology',
        histopathology_result: 'Superficial spreading melanoma, Breslow 0.4 mm',
      },
      { file_name: 'blurred.jpg', ...record({ lesion_id: 'L2', image_quality_score: '1' }) },
      { file_name: 'c.jpg', ...record({ lesion_id: 'L3', dominant_colors: 'light_brown;purple' }) },
      { file_name: 'notes.jpg', ...record({ lesion_id: 'L4' }) },
      { file_name: 'missing.jpg', ...record({ lesion_id: 'L5' }) },
      { file_name: '../outside.jpg', ...record({ lesion_id: 'L6' }) },
    ]),
  );
});
afterAll(() => env.dispose());

describe('dermaset import', { timeout: CLI_TIMEOUT }, () => {
  it('runs every row through the pipeline and reports what happened to each', async () => {
    const pipeline = createPipeline(env.config, env.db);
    const summary = await importFolder(pipeline, { folder, metadata: csv });
    expect(summary).toMatchObject({ rows: 8, accepted: 2, duplicates: 1, sopRejected: 1, alreadyImported: 0 });
    expect(summary.invalid.map((p) => [p.row, p.code])).toEqual([
      [6, 'INVALID_RECORD'],
      [7, 'NOT_AN_IMAGE'],
      [9, 'INVALID_FILE_NAME'],
    ]);
    // the field and the rule, never the value typed (issue 12: an identifier in the wrong field is not echoed)
    expect(summary.invalid[0]?.message).toMatch(/dominant_colors: is not one of: PH2's colours/);
    expect(summary.invalid[0]?.message).not.toContain('purple');
    expect(summary.missingFiles.map((p) => p.fileName)).toEqual(['missing.jpg']);
    const melanoma = await env.db.image.findFirstOrThrow({
      where: { diagnosisClass: 'MELANOMA' },
      include: { consensus: true, histopathology: true },
    });
    expect(melanoma.verificationStage).toBe('HISTOLOGY');
    expect(melanoma.histopathology?.resultText).toMatch(/Breslow/);
    expect(melanoma.consensus?.decidedBy).toBe('import');
    expect(await counts()).toEqual({ images: 2, intake: 6, patients: 2, blobs: 4 });
    // our own acquisitions join the own collection, and the run is recorded there with its counts
    const own = await env.db.collection.findUniqueOrThrow({ where: { slug: 'own' } });
    expect(await env.db.image.count({ where: { collectionId: own.id } })).toBe(2);
    expect(summary.collection).toEqual({ slug: 'own', created: false, existed: true });
    const run = await env.db.importRecord.findUniqueOrThrow({ where: { id: summary.importRecordId ?? -1 } });
    expect(run).toMatchObject({
      collectionId: own.id,
      importer: 'dermaset',
      actor: 'dermaset-cli',
      rowsIn: 8,
      stored: 2,
      // the re-saved copy of a.jpg is an exact duplicate of a stored image
      alreadyStored: 1,
      refused: 5,
    });
    // the report of our own acquisitions names no file (names can identify people): rows, codes and reasons
    const report = JSON.parse(run.report) as typeof summary;
    expect(report.invalid.map((p) => [p.row, p.code, p.fileName])).toEqual([
      [6, 'INVALID_RECORD', ''],
      [7, 'NOT_AN_IMAGE', ''],
      [9, 'INVALID_FILE_NAME', ''],
    ]);
    expect(run.report).not.toMatch(/missing\.jpg|notes\.jpg|a-resaved/);
    expect(JSON.parse(run.inputs)).toEqual([
      {
        name: 'metadata',
        fileName: 'metadata.csv',
        sha256: createHash('sha256').update(readFileSync(csv)).digest('hex'),
        bytes: readFileSync(csv).byteLength,
      },
    ]);
  });

  it('changes nothing when the same import runs again', async () => {
    const before = await counts();
    const summary = await importFolder(createPipeline(env.config, env.db), { folder, metadata: csv });
    expect(summary).toMatchObject({ rows: 8, accepted: 0, duplicates: 0, sopRejected: 0, alreadyImported: 6 });
    expect(await counts()).toEqual(before);
    // recorded again: what was stored before (2 images and the duplicate) is already stored, the rest refused
    const run = await env.db.importRecord.findUniqueOrThrow({ where: { id: summary.importRecordId ?? -1 } });
    expect(run).toMatchObject({ rowsIn: 8, stored: 0, alreadyStored: 3, refused: 5 });
  });

  it('refuses a metadata file without the required columns, before touching anything', async () => {
    const bad = join(env.dataDir, 'bad.csv');
    writeFileSync(bad, 'image,diagnosis\na.jpg,nevus\n');
    const before = await counts();
    await expect(importFolder(createPipeline(env.config, env.db), { folder, metadata: bad })).rejects.toThrow(
      ImportError,
    );
    await expect(importFolder(createPipeline(env.config, env.db), { folder, metadata: bad })).rejects.toThrow(
      /lacks the column\(s\) file_name, patient_id, acquisition_date, clinical_diagnosis, image_quality_score/,
    );
    expect(await counts()).toEqual(before);
  });

  it.runIf(CLI)('works as the `dermaset import` command, with a summary', async () => {
    const { code, stdout } = await cli(['import', folder, '--metadata', csv]);
    expect(code).toBe(0);
    expect(stdout).toContain('rows: 8');
    expect(stdout).toContain('already imported (unchanged): 6');
    expect(stdout).toMatch(/row 9 \.\.\/outside\.jpg: INVALID_FILE_NAME/);
    expect(stdout).toMatch(/missing image files: 1\n {2}row 8 missing\.jpg/);
  });
});

describe('dermaset import --format <importer>', { timeout: CLI_TIMEOUT }, () => {
  it.runIf(CLI)(
    'reads a public table through its importer plugin (dry run) and reports every source label',
    async () => {
      const { fixture } = await import('./helpers/fixtures.ts');
      const empty = join(env.dataDir, 'no-images');
      mkdirSync(empty, { recursive: true });
      const { code, stdout } = await cli([
        'import',
        empty,
        '--format',
        'ham10000',
        '--metadata',
        fixture('ham10000_metadata.csv'),
        '--dry-run',
      ]);
      expect(code).toBe(0);
      expect(stdout).toContain('importer: ham10000 1.1.0 (dry run: nothing was stored)');
      expect(stdout).toContain('collection: ham10000 (new: the import creates it)');
      expect(stdout).toContain('rows: 10015');
      expect(stdout).toContain('records outside the 9 (stored with their term): 1426');
      expect(stdout).toContain('unknown labels (not imported): 0');
      // a dry run creates no collection and writes no import record
      expect(await env.db.collection.count({ where: { slug: 'ham10000' } })).toBe(0);
      expect(stdout).toMatch(/source labels: .*nv 6705.*mel 1113.*bkl 1099.*bcc 514.*akiec 327.*vasc 142.*df 115/);
      expect(stdout).toContain('missing image files: ');
    },
  );

  it.runIf(CLI)(
    '--collection: refuses our own records into a public collection and a slug that is none, storing nothing',
    async () => {
      const before = await counts();
      const records = await env.db.importRecord.count();
      await env.db.collection.create({
        data: { slug: 'some-public', name: 'Some public source', kind: 'public', license: 'CC0', attribution: 'x' },
      });
      const pub = await cli(['import', folder, '--metadata', csv, '--collection', 'some-public']);
      const slug = await cli(['import', folder, '--metadata', csv, '--collection', 'Not A Slug']);
      const unknown = await cli(['import', folder, '--metadata', csv, '--collection', 'elsewhere']);
      for (const r of [pub, slug, unknown]) expect(r.code, r.stderr).toBe(2);
      expect(pub.stderr).toMatch(/the collection some-public is a public collection/);
      expect(slug.stderr).toMatch(/--collection "Not A Slug" is not a collection slug/);
      expect(unknown.stderr).toMatch(/there is no collection elsewhere, and the dermaset importer states no facts/);
      expect(await counts()).toEqual(before);
      expect(await env.db.importRecord.count()).toBe(records);
    },
  );

  it.runIf(CLI)('refuses an unknown format', async () => {
    const failed = await cli(['import', folder, '--format', 'fitzpatrick17k']);
    expect(failed.code, failed.stderr).toBe(2);
    expect(failed.stderr).toMatch(
      /unknown --format "fitzpatrick17k"; known: dermaset, ham10000, isic2019, isic-legacy, pad-ufes-20/,
    );
  });
});

describe('dermaset import refuses what is not an import, storing nothing', { timeout: CLI_TIMEOUT }, () => {
  // each run of the command costs seconds on a busy machine: the command is run for one case of
  // each refusal, the function for every other case
  it.runIf(CLI).each([
    ['abc', []],
    ['2abc', ['--format', 'ham10000']],
  ])('--concurrency %s %s: a usage error naming the option, exit 1', async (n, format) => {
    const before = await counts();
    const r = await cli(['import', folder, '--metadata', csv, ...format, `--concurrency=${n}`]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/--concurrency <n>.*is invalid.*whole number from 1 to 64/s);
    expect(r.stdout).not.toContain('rows:');
    expect(await counts()).toEqual(before);
  });

  it('refuses a concurrency that is not a whole number from 1 to 64 when called as a function too', async () => {
    const pipeline = createPipeline(env.config, env.db);
    const before = await counts();
    for (const concurrency of [Number.NaN, 0, -1, 1.5, 65]) {
      await expect(importFolder(pipeline, { folder, metadata: csv, concurrency })).rejects.toThrow(
        /concurrency must be a whole number from 1 to 64/,
      );
    }
    expect(await counts()).toEqual(before);
  });

  it.runIf(CLI)(
    'refuses a text file that is not our CSV as the command: exit 2, naming the missing columns',
    async () => {
      const file = join(env.dataDir, 'notes.txt');
      writeFileSync(file, 'hello world\n');
      const before = await counts();
      const r = await cli(['import', folder, '--metadata', file]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        /lacks the column\(s\) file_name, patient_id, acquisition_date, clinical_diagnosis, image_quality_score/,
      );
      expect(r.stdout).not.toContain('rows:');
      expect(await counts()).toEqual(before);
    },
  );

  it.each([
    [
      'a header without rows, of another table',
      'image,dx,age\n',
      /lacks the column\(s\) file_name, patient_id, acquisition_date/,
    ],
    ['an empty file', '', /is empty: it has no header row/],
    ['a blank file', '\n\n', /is empty: it has no header row/],
    [
      'a header that names a column twice',
      `${COLUMNS.join(',')},Patient_ID\n`,
      /names the column\(s\) patient_id more than once/,
    ],
  ])('%s is not our CSV', async (name, text, message) => {
    const file = join(env.dataDir, `not-ours-${name.replaceAll(' ', '-')}.csv`);
    writeFileSync(file, text);
    const before = await counts();
    const run = importFolder(createPipeline(env.config, env.db), { folder, metadata: file });
    await expect(run).rejects.toThrow(ImportError);
    await expect(run).rejects.toThrow(message);
    expect(await counts()).toEqual(before);
  });

  it("refuses another dataset's CSV (HAM10000's metadata) by the columns it lacks", async () => {
    const { fixture } = await import('./helpers/fixtures.ts');
    const before = await counts();
    await expect(
      importFolder(createPipeline(env.config, env.db), { folder, metadata: fixture('ham10000_metadata.csv') }),
    ).rejects.toThrow(
      /lacks the column\(s\) file_name, patient_id, acquisition_date, clinical_diagnosis, image_quality_score/,
    );
    expect(await counts()).toEqual(before);
  });
});

describe('dermaset import --dry-run (our CSV format)', { timeout: CLI_TIMEOUT }, () => {
  let dry: string;
  let dryCsv: string;

  beforeAll(async () => {
    dry = join(env.dataDir, 'dry');
    mkdirSync(dry, { recursive: true });
    writeFileSync(join(dry, 'new.jpg'), await lesion(121));
    writeFileSync(join(dry, 'low.jpg'), await lesion(122));
    writeFileSync(join(dry, 'feb30.jpg'), await lesion(123));
    writeFileSync(join(dry, 'notes.jpg'), 'not an image');
    dryCsv = join(env.dataDir, 'dry.csv');
    writeFileSync(
      dryCsv,
      toCsv([
        { file_name: 'new.jpg', ...record({ patient_id: 'MRN-DRY', lesion_id: 'D1' }) },
        { file_name: 'low.jpg', ...record({ patient_id: 'MRN-DRY', lesion_id: 'D2', image_quality_score: '2' }) },
        {
          file_name: 'feb30.jpg',
          ...record({ patient_id: 'MRN-DRY', lesion_id: 'D3', acquisition_date: '2025-02-30' }),
        },
        { file_name: 'notes.jpg', ...record({ patient_id: 'MRN-DRY', lesion_id: 'D4' }) },
        { file_name: 'gone.jpg', ...record({ patient_id: 'MRN-DRY', lesion_id: 'D5' }) },
      ]),
    );
  });

  it.runIf(CLI)('checks every row and reports what would happen, storing nothing', async () => {
    const before = await counts();
    const blobs = readdirSync(join(env.dataDir, 'blobs'), { recursive: true }).length;
    const r = await cli(['import', dry, '--metadata', dryCsv, '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('format: dermaset (dry run: nothing was stored)');
    expect(r.stdout).toContain('rows: 5');
    expect(r.stdout).toContain('ready to import: 1');
    expect(r.stdout).toContain('would be rejected by the SOP quality gate: 1');
    expect(r.stdout).toMatch(
      /would be rejected as invalid: 2\n {2}row 4 feb30\.jpg: INVALID_RECORD acquisition_date: is not a calendar date/,
    );
    expect(r.stdout).toMatch(/ {2}row 5 notes\.jpg: NOT_AN_IMAGE/);
    expect(r.stdout).toMatch(/missing image files: 1\n {2}row 6 gone\.jpg/);
    expect(await counts()).toEqual(before);
    expect(readdirSync(join(env.dataDir, 'blobs'), { recursive: true }).length).toBe(blobs);
  });

  it('predicts the real import, which stores the one ready row and refuses the impossible date', async () => {
    const before = await counts();
    const summary = await importFolder(createPipeline(env.config, env.db), { folder: dry, metadata: dryCsv });
    expect(summary).toMatchObject({ rows: 5, accepted: 1, sopRejected: 1 });
    expect(summary.invalid.map((p) => [p.row, p.code])).toEqual([
      [4, 'INVALID_RECORD'],
      [5, 'NOT_AN_IMAGE'],
    ]);
    expect(summary.invalid[0]?.message).toMatch(/^acquisition_date: is not a calendar date/);
    const after = await counts();
    expect(after.images).toBe(before.images + 1);
    expect(after.patients).toBe(before.patients + 1);
    // no image was stored for 2025-03-02 (what the impossible date used to become)
    expect(await env.db.image.count({ where: { acquiredAt: new Date('2025-03-02T00:00:00Z') } })).toBe(0);
  });
});
