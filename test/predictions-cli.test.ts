// `dermaset model register` and `dermaset predictions import` as a user runs them (child processes
// against a test database): a wide CSV or Parquet table goes through the service the mutation calls,
// the report names refused rows by their line, a repeated import writes nothing, and every mistake
// in the command or the file is one line, exit code 2, nothing changed.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useDatabase } from '../src/db/current.ts';
import { dataVersions } from '../src/db/data-version.ts';
import { CLI_TIMEOUT, dermaset, STACK } from './helpers/cli.ts';
import { createTestEnv, type TestEnv, testProvider } from './helpers/database.ts';
import { bareImageRow } from './helpers/images.ts';
import { snapshot } from './helpers/snapshot.ts';

let env: TestEnv;
const images: { id: number; sha256: string; gid: string }[] = [];
const hex = (n: number) => `c${String(n).padStart(63, '0')}`;
const gid = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString('base64');

beforeAll(async () => {
  env = await createTestEnv();
  useDatabase(env.db);
  const own = await env.db.collection.findUniqueOrThrow({ where: { slug: 'own' } });
  for (let n = 1; n <= 8; n++) {
    const p = await env.db.patient.create({ data: { code: `P-cli-${n}` } });
    const l = await env.db.lesion.create({ data: { code: `L-cli-${n}`, patientId: p.id } });
    const i = await env.db.image.create({
      data: bareImageRow({
        patientId: p.id,
        lesionId: l.id,
        collectionId: own.id,
        sha256: hex(n),
        pixelHash: hex(n).replace('c', 'd'),
        key: String(n),
      }),
    });
    images.push({ id: i.id, sha256: i.sha256, gid: gid('Image', i.id) });
  }
  // 1,300 more images of one lesion, for files longer than a batch
  const first = images[0] as { id: number };
  const { patientId, lesionId } = await env.db.image.findUniqueOrThrow({ where: { id: first.id } });
  await env.db.image.createMany({
    data: Array.from({ length: BULK }, (_, k) =>
      bareImageRow({
        patientId,
        lesionId,
        collectionId: own.id,
        sha256: bulkSha(k),
        pixelHash: bulkSha(k).replace('f', 'e'),
        key: `b${k}`,
      }),
    ),
  });
});

const BULK = 1300;
const bulkSha = (k: number) => `f${String(k).padStart(63, '0')}`;
afterAll(() => env?.dispose());

const file = (name: string, text: string | Buffer | Uint8Array) => {
  const path = join(env.dataDir, name);
  writeFileSync(path, text);
  return path;
};

const img = (n: number) => images[n] as { id: number; sha256: string; gid: string };

// The command line on SQLite only, for CI time: importPredictions, the service it calls, runs on both
// databases in test/predictions.test.ts.
const CLI_DB = testProvider === 'sqlite';

describe.runIf(CLI_DB)(
  `dermaset model register and predictions import on ${testProvider}`,
  { timeout: CLI_TIMEOUT },
  () => {
    let modelId = 0;
    it('registers a model as the CLI actor', async () => {
      const r = await dermaset(env, [
        'model',
        'register',
        '--name',
        'cli-net',
        '--version',
        '1',
        '--notes',
        'ISIC 2019',
      ]);
      expect(r.stderr).not.toMatch(STACK);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toMatch(
        /^registered cli-net@1 \(id [A-Za-z0-9+/=]+\), policy screening-binary \S+, labels benign, malignant$/,
      );
      const m = await env.db.model.findFirstOrThrow({ where: { name: 'cli-net' } });
      expect(m).toMatchObject({ createdBy: 'dermaset-cli', ownerTokenId: null, trainingNotes: 'ISIC 2019' });
      modelId = m.id;
    });

    it('imports a CSV: good rows stored, refused rows reported by line (all of them with --report), saliency maps from the folder', async () => {
      const dir = join(env.dataDir, 'maps');
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, 'a.png'),
        await sharp({ create: { width: 12, height: 10, channels: 3, background: '#406080' } })
          .png()
          .toBuffer(),
      );
      const csv = file(
        'preds.csv',
        [
          'Image,MALIGNANT,benign,saliency',
          `${img(0).gid},0.2,0.8,a.png`, // line 2 good, with a map
          `${img(1).sha256},0.5,0.5,`, // 3 good
          `${img(2).gid},0.5,,`, // 4 no benign score
          `${'e'.repeat(64)},0.1,0.9,`, // 5 no such image
          `${img(3).gid},abc,0.9,`, // 6 not a number
          `${img(4).gid},0.1,0.9,missing.png`, // 7 no such map
          `${img(5).gid},0.1,0.9,../preds.csv`, // 8 outside the folder
          `${img(6).gid},0.3,0.7,`, // 9 good
          `${img(6).gid},0.3,0.7,`, // 10 the image of line 9 again
        ].join('\n'),
      );
      const report = join(env.dataDir, 'report.json');
      const r = await dermaset(env, [
        'predictions',
        'import',
        '--model',
        'cli-net@1',
        csv,
        '--saliency-dir',
        dir,
        '--report',
        report,
      ]);
      expect(r.stderr).not.toMatch(STACK);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^cli-net@1: 9 rows read from .*preds\.csv: 3 stored, 0 unchanged, 6 refused$/m);
      expect(r.stdout).toMatch(/^ {2}line 4 \S+: MISSING_LABEL no score for benign$/m);
      expect(r.stdout).toMatch(/^ {2}line 5 e{64}: UNKNOWN_IMAGE /m);
      const json = JSON.parse(readFileSync(report, 'utf8')) as { refusals: { line: number; code: string }[] };
      expect(json.refusals.map((x) => [x.line, x.code])).toEqual([
        [4, 'MISSING_LABEL'],
        [5, 'UNKNOWN_IMAGE'],
        [6, 'NOT_A_PROBABILITY'],
        [7, 'BAD_SALIENCY'],
        [8, 'BAD_SALIENCY'],
        [10, 'DUPLICATE_IMAGE'],
      ]);
      const stored = await env.db.prediction.findMany({ where: { modelId }, orderBy: { imageId: 'asc' } });
      expect(stored.map((p) => [p.imageId, JSON.parse(p.scores), p.saliencyKey !== null])).toEqual([
        [img(0).id, [0.8, 0.2], true],
        [img(1).id, [0.5, 0.5], false],
        [img(6).id, [0.7, 0.3], false],
      ]);

      // the same file again: nothing written, not even the data versions
      const before = await snapshot(env);
      const versions = await dataVersions();
      const again = await dermaset(env, ['predictions', 'import', '--model', 'cli-net@1', csv, '--saliency-dir', dir]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/: 9 rows read from .*: 0 stored, 3 unchanged, 6 refused$/m);
      expect(await dataVersions()).toEqual(versions);
      expect(await snapshot(env)).toEqual(before);
    });

    it('imports a Parquet file named by image_sha256, its scores as doubles', async () => {
      const pq = file(
        'preds.parquet',
        new Uint8Array(
          parquetWriteBuffer({
            columnData: [
              { name: 'image_sha256', data: [img(2).sha256, img(3).sha256, img(7).sha256], type: 'STRING' },
              { name: 'benign', data: [0.1, 0.6, 1.5], type: 'DOUBLE' },
              { name: 'malignant', data: [0.9, 0.4, 0], type: 'DOUBLE' },
            ],
          }),
        ),
      );
      const r = await dermaset(env, ['predictions', 'import', '--model', 'cli-net@1', pq]);
      expect(r.stderr).not.toMatch(STACK);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/: 3 rows read from .*preds\.parquet: 2 stored, 0 unchanged, 1 refused$/m);
      expect(r.stdout).toMatch(/^ {2}row 3 c\d+: NOT_A_PROBABILITY the score of benign is 1\.5/m);
      const p = await env.db.prediction.findUniqueOrThrow({
        where: { modelId_imageId: { modelId, imageId: img(2).id } },
      });
      expect(JSON.parse(p.scores)).toEqual([0.1, 0.9]);
      expect((await env.db.model.findUniqueOrThrow({ where: { id: modelId } })).predictionCount).toBe(5);
    });
  },
);

describe.runIf(CLI_DB)(`files longer than a batch on ${testProvider}`, { timeout: CLI_TIMEOUT }, () => {
  it('a CSV of 1,250 rows goes in batches of 1,000; an image named twice in the file is refused across batches', async () => {
    const r0 = await dermaset(env, ['model', 'register', '--name', 'long', '--version', '1', '--policy', 'three-tier']);
    expect(r0.code, r0.stderr).toBe(0);
    const rows = Array.from({ length: 1250 }, (_, k) => `${bulkSha(k)},0.2,0.3,0.5`);
    rows[1100] = `${bulkSha(3).toUpperCase()},0.2,0.3,0.5`; // line 1,102: the image of line 5
    const csv = file('long.csv', `image,benign,borderline,malignant\n${rows.join('\n')}\n`);
    const r = await dermaset(env, ['predictions', 'import', '--model', 'long@1', csv]);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/: 1250 rows read from .*: 1249 stored, 0 unchanged, 1 refused$/m);
    expect(r.stdout).toMatch(/^ {2}line 1102 F0+3: DUPLICATE_IMAGE line 5 of the file names the same image$/m);
    const m = await env.db.model.findFirstOrThrow({ where: { name: 'long' } });
    expect(m.predictionCount).toBe(1249);
    expect(await env.db.prediction.count({ where: { modelId: m.id } })).toBe(1249);
  });

  it('a Parquet file of several row groups', async () => {
    const n = 1300;
    const ben = Array.from({ length: n }, (_, k) => (k % 10) / 10);
    const pq = file(
      'long.parquet',
      new Uint8Array(
        parquetWriteBuffer({
          rowGroupSize: 300,
          columnData: [
            { name: 'IMAGE', data: Array.from({ length: n }, (_, k) => bulkSha(k)), type: 'STRING' },
            { name: 'Benign', data: ben, type: 'DOUBLE' },
            { name: 'Malignant', data: ben.map((b) => 1 - b), type: 'DOUBLE' },
          ],
        }),
      ),
    );
    const r = await dermaset(env, ['predictions', 'import', '--model', 'cli-net@1', pq]);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/: 1300 rows read from .*: 1300 stored, 0 unchanged, 0 refused$/m);
    const m = await env.db.model.findFirstOrThrow({ where: { name: 'cli-net' } });
    const last = await env.db.image.findUniqueOrThrow({ where: { sha256: bulkSha(n - 1) } });
    const p = await env.db.prediction.findUniqueOrThrow({
      where: { modelId_imageId: { modelId: m.id, imageId: last.id } },
    });
    expect(JSON.parse(p.scores)).toEqual([0.9, 1 - 0.9]);
  });
});

// on the SQLite suite only: child processes checking the command's own rules; the service's row
// refusals behind them run on both databases (test/predictions.test.ts)
describe.runIf(testProvider === 'sqlite')(
  'predictions import: user mistakes are one line on stderr, exit code 2, and change nothing',
  { timeout: CLI_TIMEOUT },
  () => {
    it.each<[string, () => string[], RegExp]>([
      [
        'an unknown model',
        () => ['--model', 'nope@1', file('m1.csv', `image,benign,malignant\n${img(0).gid},0.5,0.5\n`)],
        /^dermaset predictions import: no model nope@1: register it first/,
      ],
      [
        'a missing file',
        () => ['--model', 'cli-net@1', join(env.dataDir, 'absent.csv')],
        /^dermaset predictions import: no file /,
      ],
      [
        'no image column',
        () => ['--model', 'cli-net@1', file('m2.csv', `id,benign,malignant\n${img(0).gid},0.5,0.5\n`)],
        /^dermaset predictions import: no image column: /,
      ],
      [
        'an unknown column',
        () => ['--model', 'cli-net@1', file('m3.csv', `image,benign,malignant,atypical\n${img(7).gid},0.5,0.5,0\n`)],
        /^dermaset predictions import: unknown column atypical: /,
      ],
      [
        'a line of another shape, after good ones',
        () => [
          '--model',
          'cli-net@1',
          file('m4.csv', `image,benign,malignant\n${img(7).gid},0.5,0.5\n${img(4).gid},0.5\n`),
        ],
        /^dermaset predictions import: .*line 3 has 2 fields, the header 3: nothing was imported$/,
      ],
    ])('%s', async (_what, args, message) => {
      const given = args();
      const before = await snapshot(env);
      const r = await dermaset(env, ['predictions', 'import', ...given]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(message);
      expect(await snapshot(env)).toEqual(before);
    });

    it('model register: a name and version registered already, an unknown policy', async () => {
      const before = await snapshot(env);
      const again = await dermaset(env, ['model', 'register', '--name', 'cli-net', '--version', '1']);
      expect(again.code, again.stderr).toBe(2);
      expect(again.stderr.trim()).toMatch(
        /^dermaset model register: model cli-net@1 is registered already \(under screening-binary, [^)]+\); .*register another version/,
      );
      const policy = await dermaset(env, ['model', 'register', '--name', 'x', '--version', '1', '--policy', 'nope']);
      expect(policy.code, policy.stderr).toBe(2);
      expect(policy.stderr.trim()).toMatch(/^dermaset model register: unknown policy "nope"; known: /);
      expect(await snapshot(env)).toEqual(before);
    });
  },
);
