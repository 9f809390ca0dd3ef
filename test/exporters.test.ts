// Every exporter round-trips the demo cohort under two policies: export, read the file back with
// an independent reader, compare the counts per label with a count from the database.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { parse } from 'csv-parse/sync';
import { readParquet } from 'parquet-wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CLASSES } from '../src/domain/classes.ts';
import type { ClinicalStatus } from '../src/domain/enums.ts';
import { graphql } from '../src/gql/index.ts';
import { decide } from '../src/plugins/evaluate.ts';
import { registry } from '../src/plugins/index.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createCohortEnv } from './helpers/cohort.ts';
import type { TestEnv } from './helpers/database.ts';
import { awaitExport } from './helpers/exports.ts';
import { unzip } from './helpers/zip.ts';

let env: TestEnv;
let api: Api;
let images: {
  sha256: string;
  diagnosisClass: keyof typeof CLASSES | null;
  diagnosisTerm: string;
  clinicalStatus: ClinicalStatus;
  verificationStage: 'INITIAL' | 'CONSENSUS' | 'HISTOLOGY';
  ageAtExam: number | null;
  examinerCode: string | null;
}[];

beforeAll(async () => {
  env = await createCohortEnv();
  api = await createApi(env);
  images = await env.db.image.findMany({
    select: {
      sha256: true,
      diagnosisClass: true,
      diagnosisTerm: true,
      clinicalStatus: true,
      verificationStage: true,
      ageAtExam: true,
      examinerCode: true,
    },
  });
}, 300_000);
afterAll(() => env?.dispose());

const Start = graphql(`
  mutation Start($format: String!, $policy: String, $filter: ImageFilter, $options: JSONObject) {
    startExport(format: $format, policy: $policy, filter: $filter, options: $options) { id status }
  }
`);
async function runExport(
  format: string,
  policy: string,
  role: 'VIEWER' | 'REVIEWER' = 'VIEWER',
  options?: Record<string, unknown>,
) {
  const started = await api.as(role, Start, { format, policy, options });
  expect(started.errors).toBeUndefined();
  return awaitExport(api, started.data?.startExport.id ?? '', role);
}

/** Labels per image under a policy, from the database: the reference count. */
function expected(policyId: string) {
  const policy = registry.policy(policyId);
  if (!policy) throw new Error(policyId);
  const counts: Record<string, number> = {};
  for (const i of images) {
    const d = decide(policy, i);
    if (d.kind === 'mapped') counts[d.label] = (counts[d.label] ?? 0) + 1;
  }
  return counts;
}
const tally = (labels: string[]) => {
  const m: Record<string, number> = {};
  for (const l of labels) m[l] = (m[l] ?? 0) + 1;
  return m;
};

const POLICIES = ['strict-binary', 'ham10000'] as const;

describe.each(POLICIES)('under %s', (policy) => {
  it('jsonl: one record per labelled image, blocks nested', async () => {
    const { body, manifest } = await runExport('jsonl', policy);
    const records = body
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(tally(records.map((r) => r.label.value))).toEqual(expected(policy));
    expect(records[0]).toHaveProperty('demographic.age_at_exam');
    expect(records[0]).toHaveProperty('dermoscopic.dermoscopic_structures');
    expect(records[0].label.policy).toBe(policy);
    // one casing: coded values as the API spells them (a value read back goes into an ImageFilter as it is)
    const bySha = new Map(images.map((i) => [i.sha256, i]));
    for (const r of records) {
      const img = bySha.get(r.sha256);
      expect(r.diagnostic.diagnosis_class).toBe(img?.diagnosisClass ?? null);
      expect(r.diagnostic.verification_stage).toBe(img?.verificationStage);
      expect(r.diagnostic.clinical_status).toBe(img?.clinicalStatus);
      expect(r.file).not.toHaveProperty('image_url'); // origin-free: the same bytes as Croissant's metadata.jsonl
      for (const v of [r.demographic.sex, r.morphological.anatomical_site, r.diagnostic.origin])
        if (v !== null) expect(v).toMatch(/^[A-Z][A-Z_]*$/);
    }
    expect(manifest).toMatchObject({
      policy: { id: policy, version: registry.policy(policy)?.version },
      exporter: { id: 'jsonl', version: '4.0.0' },
      row_count: records.length,
    });
  });

  it('isic-csv: ISIC columns, age_approx only, confirm type from the stage', async () => {
    const { body } = await runExport('isic-csv', policy);
    const rows = parse(body, { columns: true }) as Record<string, string>[];
    expect(tally(rows.map((r) => r.diagnosis ?? ''))).toEqual(expected(policy));
    const bySha = new Map(images.map((i) => [i.sha256, i]));
    for (const r of rows) {
      const img = bySha.get(r.isic_id ?? '');
      if (!img) throw new Error(`unknown ${r.isic_id}`);
      const approx = img.ageAtExam === null ? '' : String(Math.min(85, Math.round(img.ageAtExam / 5) * 5));
      expect(r.age_approx).toBe(approx);
      expect(r.diagnosis_confirm_type).toBe(
        {
          HISTOLOGY: 'histopathology',
          CONSENSUS: 'single image expert consensus',
          INITIAL: 'single contributor clinical assessment',
        }[img.verificationStage],
      );
    }
    expect(Object.keys(rows[0] ?? {})).not.toContain('age_at_exam');
  });

  it('parquet: read back by an independent reader (parquet-wasm + Arrow)', async () => {
    const { body } = await runExport('parquet', policy);
    const table = tableFromIPC(readParquet(new Uint8Array(body)).intoIPCStream());
    const labels = table.getChild('label')?.toArray() as string[];
    expect(table.numRows).toBe(labels.length);
    expect(tally([...labels])).toEqual(expected(policy));
    expect(table.schema.fields.map((f) => f.name)).toContain('verification_stage');
    // typed columns: lists of strings, a date, whole numbers, yes/no, URLs under the origin
    const type = (name: string) => String(table.schema.fields.find((f) => f.name === name)?.type);
    expect(type('dominant_colors')).toBe('List<Utf8>');
    expect(type('dermoscopic_structures')).toBe('List<Utf8>');
    expect(type('acquisition_date')).toMatch(/^Date32/);
    expect(type('width')).toBe('Int32');
    expect(type('sunburn_history')).toBe('Bool');
    const shas = table.getChild('sha256')?.toArray() as string[];
    const urls = table.getChild('thumbnail_url')?.toArray() as string[];
    expect(urls[0]).toBe(`http://test/images/${shas[0]}/thumbnail`);
    const stages = new Set([...((table.getChild('verification_stage')?.toArray() ?? []) as string[])]);
    expect([...stages].every((v) => ['INITIAL', 'CONSENSUS', 'HISTOLOGY'].includes(v))).toBe(true);
  });
});

describe('the ISIC hierarchy', () => {
  const vocabulary = new Set(
    readFileSync(
      join(import.meta.dirname, 'fixtures', 'public-metadata', 'isic_diagnosis_hierarchical_values.txt'),
      'utf8',
    )
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean),
  );

  it('isic-csv writes diagnosis_1–5 down the ISIC vocabulary, and the policy beside its label', async () => {
    const { body, manifest } = await runExport('isic-csv', 'nine-class');
    const rows = parse(body, { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0] ?? {})).toEqual(
      expect.arrayContaining(['diagnosis', 'policy', 'diagnosis_3', 'diagnosis_4', 'diagnosis_5']),
    );
    expect(manifest).toMatchObject({ exporter: { id: 'isic-csv', version: '3.0.0' } });
    expect(rows.every((r) => r.policy === `nine-class@${registry.policy('nine-class')?.version}`)).toBe(true);
    const dysplastic = rows.filter((r) => r.diagnosis === 'dysplastic_nevus');
    expect(dysplastic).toHaveLength(images.filter((i) => i.diagnosisClass === 'DYSPLASTIC_NEVUS').length);
    expect(dysplastic.length).toBeGreaterThan(0);
    for (const r of dysplastic) {
      expect([r.diagnosis_1, r.diagnosis_2, r.diagnosis_3, r.diagnosis_4, r.diagnosis_5]).toEqual([
        'Benign',
        'Benign melanocytic proliferations',
        'Nevus',
        'Nevus, Atypical, Dysplastic, or Clark',
        '',
      ]);
    }
    // every written path is a node of ISIC's own vocabulary, no level skipped
    for (const r of rows) {
      const levels = [r.diagnosis_1, r.diagnosis_2, r.diagnosis_3, r.diagnosis_4, r.diagnosis_5];
      const depth = levels.indexOf('') === -1 ? 5 : levels.indexOf('');
      expect(levels.slice(depth).every((l) => l === '')).toBe(true);
      expect(vocabulary.has(levels.slice(0, depth).join(':')), levels.join(':')).toBe(true);
    }
  });

  it('states no attribution or licence unless the exporting user gives them', async () => {
    const { body } = await runExport('isic-csv', 'screening-binary');
    const rows = parse(body, { columns: true }) as Record<string, string>[];
    expect(rows.every((r) => r.attribution === 'not stated' && r.copyright_license === 'not stated')).toBe(true);
  });
});

describe('image archives', () => {
  it.each(['three-tier', 'ham10000'])(
    'imagefolder under %s: split/label/<image>, split/metadata.csv and a manifest of every file',
    async (policy) => {
      const labels = registry.policy(policy)?.labels ?? [];
      const { body } = await runExport('imagefolder', policy, 'VIEWER', { split: 'test', metadata: 'csv' });
      const entries = await unzip(body);
      expect(entries.find((e) => e.name === 'metadata.csv')).toBeUndefined();
      const meta = parse(entries.find((e) => e.name === 'test/metadata.csv')?.data ?? '', {
        columns: true,
      }) as Record<string, string>[];
      expect(tally(meta.map((r) => r.label ?? ''))).toEqual(expected(policy));
      const imageEntries = entries.filter((e) => e.name.startsWith('test/') && e.name !== 'test/metadata.csv');
      expect(imageEntries).toHaveLength(meta.length);
      // file_name is relative to the part's folder, as Hugging Face's imagefolder reads it
      expect(new Set(meta.map((r) => `test/${r.file_name}`))).toEqual(new Set(imageEntries.map((e) => e.name)));
      for (const e of imageEntries.slice(0, 50)) {
        const [, label, file] = e.name.split('/');
        expect(labels).toContain(label);
        expect(createHash('sha256').update(e.data).digest('hex')).toBe(file?.split('.')[0]);
      }
      const manifest = JSON.parse(entries.find((e) => e.name === 'manifest.json')?.data.toString() ?? '{}');
      expect(manifest.policy).toEqual({ id: policy, version: registry.policy(policy)?.version });
      expect(Object.keys(meta[0] ?? {})).toEqual([
        'file_name',
        'sha256',
        'patient_id',
        'lesion_id',
        'label',
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
        'diagnosis_class',
        'diagnosis_term',
        'origin',
        'clinical_status',
        'histopathology_result',
        'verification_stage',
        'examiner_id',
        'image_quality_score',
        'acquisition_date',
        'collection',
        'width',
        'height',
        'format',
        'image_url',
        'thumbnail_url',
      ]);
      expect(meta.every((r) => ['INITIAL', 'CONSENSUS', 'HISTOLOGY'].includes(r.verification_stage ?? ''))).toBe(true);
      // the demo cohort is the own collection alone: LICENSES names it with its terms
      const licenses = entries.find((e) => e.name === 'LICENSES')?.data.toString() ?? '';
      expect(licenses).toMatch(/^own: Own acquisition\n {2}licence: not stated\n {2}attribution: not stated\n/m);
      expect(meta.every((r) => r.collection === 'own')).toBe(true);
      expect(manifest.files).toHaveLength(entries.length - 1);
      for (const f of manifest.files) {
        const e = entries.find((x) => x.name === f.path);
        expect(
          createHash('sha256')
            .update(e?.data ?? Buffer.alloc(0))
            .digest('hex'),
        ).toBe(f.sha256);
      }
    },
  );

  it('imagefolder by default: each part’s metadata.parquet, typed, file_name relative to the part', async () => {
    const { body } = await runExport('imagefolder', 'nine-class');
    const entries = await unzip(body);
    expect(entries.filter((e) => e.name.endsWith('metadata.csv'))).toEqual([]);
    const meta = entries.find((e) => e.name === 'train/metadata.parquet');
    const table = tableFromIPC(readParquet(new Uint8Array(meta?.data ?? Buffer.alloc(0))).intoIPCStream());
    expect(tally([...(table.getChild('label')?.toArray() ?? [])] as string[])).toEqual(expected('nine-class'));
    const type = (name: string) => String(table.schema.fields.find((f) => f.name === name)?.type);
    expect(table.schema.fields[0]?.name).toBe('file_name');
    expect(type('dominant_colors')).toBe('List<Utf8>');
    expect(type('acquisition_date')).toMatch(/^Date32/);
    const names = new Set(entries.map((e) => e.name));
    const files = [...((table.getChild('file_name')?.toArray() ?? []) as string[])];
    expect(files.every((f) => /^[a-z_]+\/[0-9a-f]{64}\.\w+$/.test(f) && names.has(`train/${f}`))).toBe(true);
  });

  it('isic-zip: images, metadata.csv, attribution and license, counts per label under two policies', async () => {
    for (const policy of ['screening-binary', 'isic2019']) {
      const { body } = await runExport('isic-zip', policy, 'VIEWER', { attribution: 'Clinic 7', license: 'CC-BY-4.0' });
      const entries = await unzip(body);
      const meta = parse(entries.find((e) => e.name === 'metadata.csv')?.data ?? '', { columns: true }) as Record<
        string,
        string
      >[];
      expect(tally(meta.map((r) => r.diagnosis ?? ''))).toEqual(expected(policy));
      expect(meta.every((r) => r.attribution === 'Clinic 7' && r.copyright_license === 'CC-BY-4.0')).toBe(true);
      expect(entries.map((e) => e.name)).toEqual(
        expect.arrayContaining(['attribution.txt', 'LICENSE.txt', 'manifest.json']),
      );
      expect(entries.filter((e) => /^[0-9a-f]{64}\.\w+$/.test(e.name))).toHaveLength(meta.length);
    }
  });
});

describe('exports are reproducible, private where they must be, and refuse bad requests', () => {
  it('gives byte-identical files for the same inputs', async () => {
    for (const format of ['jsonl', 'isic-csv', 'parquet', 'imagefolder']) {
      const a = await runExport(format, 'nine-class');
      const b = await runExport(format, 'nine-class');
      expect(b.export.sha256, format).toBe(a.export.sha256);
    }
  });

  it('includes examiner codes for reviewers only', async () => {
    const viewer = (await runExport('jsonl', 'nine-class', 'VIEWER')).body
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const reviewer = (await runExport('jsonl', 'nine-class', 'REVIEWER')).body
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(viewer.every((r) => r.service.examiner_id === null)).toBe(true);
    expect(reviewer.some((r) => typeof r.service.examiner_id === 'string')).toBe(true);
  });

  it.each([
    ['an unknown format', { format: 'xlsx' }, /unknown export format "xlsx"/],
    ['an unknown policy', { format: 'jsonl', policy: 'five-class' }, /unknown policy "five-class"/],
    ['an unknown option', { format: 'isic-csv', options: { colour: 'red' } }, /isic-csv has no option "colour"/],
    [
      'an option of the wrong type',
      { format: 'imagefolder', options: { split: 3 } },
      /option "split" of imagefolder must be a string/,
    ],
    [
      'an option value its schema refuses (not a FAILED export)',
      { format: 'imagefolder', options: { split: '../train' } },
      /option "split" of imagefolder must be a plain folder name/,
    ],
  ])('refuses %s with BAD_USER_INPUT and records nothing', async (_name, vars, message) => {
    const before = await env.db.export.count();
    const res = await api.as('VIEWER', Start, vars);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toMatch(message);
    expect(await env.db.export.count()).toBe(before);
  });

  it('serves downloads with the API’s access checks', async () => {
    const { export: e } = await runExport('jsonl', 'nine-class');
    // the signed URL opens without a header; the same path without its signature does not
    expect((await api.yoga.fetch(e.downloadUrl ?? '')).status).toBe(200);
    expect((await api.yoga.fetch((e.downloadUrl ?? '').split('?')[0] ?? '')).status).toBe(401);
    expect(
      (
        await api.yoga.fetch('http://test/exports/00000000-0000-0000-0000-000000000000/file', {
          headers: api.headers('VIEWER'),
        })
      ).status,
    ).toBe(404);
    expect((await api.as(null, Start, { format: 'jsonl' })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
