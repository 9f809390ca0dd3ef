// De-identification profiles (issue 12 §4): every exporter, the split manifest, Croissant, the
// GraphQL reads and stats show ages and dates as the profile allows — safe-harbor by default (ages
// of 90 and over as "90+", dates to the year), research (5-year bins, months), limited (exact,
// admins only) — and stamp the profile they used. Patients of 104, 95 and 90 years are the test.

import { createHash } from 'node:crypto';
import { tableFromIPC } from 'apache-arrow';
import { parse } from 'csv-parse/sync';
import { readParquet } from 'parquet-wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ageNumber,
  ageValue,
  dateTimeValue,
  dateValue,
  generaliseFilter,
  isicAgeApprox,
} from '../src/domain/deidentify.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createTestEnv, type TestEnv } from './helpers/database.ts';
import { exportAs, gql, PEOPLE, seedPeople } from './helpers/privacy.ts';
import { unzip } from './helpers/zip.ts';

let env: TestEnv;
let api: Api;
let shas: string[];

beforeAll(async () => {
  env = await createTestEnv();
  shas = await seedPeople(env);
  api = await createApi(env);
}, 120_000);
afterAll(() => env?.dispose());

describe('the rules (domain/deidentify.ts)', () => {
  it.each([
    [104, 'safe-harbor', '90+', 90],
    [90, 'safe-harbor', '90+', 90],
    [89, 'safe-harbor', '89', 89],
    [0, 'safe-harbor', '0', 0],
    [44, 'research', '40-44', 40],
    [45, 'research', '45-49', 45],
    [95, 'research', '90+', 90],
    [104, 'limited', 104, 104],
  ] as const)('age %i under %s: %j (as a number %i)', (age, profile, shown, n) => {
    expect(ageValue(age, profile)).toBe(shown);
    expect(ageNumber(age, profile)).toBe(n);
  });

  it('ISIC age_approx goes through the profile and keeps ISIC’s cap at 85', () => {
    expect(isicAgeApprox(104, 'safe-harbor')).toBe(85);
    expect(isicAgeApprox(104, 'limited')).toBe(85);
    expect(isicAgeApprox(43, 'safe-harbor')).toBe(45);
    expect(isicAgeApprox(43, 'research')).toBe(40);
    expect(isicAgeApprox(null, 'safe-harbor')).toBeNull();
  });

  it('dates: the year, the month, the day', () => {
    const d = new Date('2021-05-17T10:20:00Z');
    expect([dateValue(d, 'safe-harbor'), dateValue(d, 'research'), dateValue(d, 'limited')]).toEqual([
      '2021',
      '2021-05',
      '2021-05-17',
    ]);
    expect(dateTimeValue(d, 'safe-harbor')?.toISOString()).toBe('2021-01-01T00:00:00.000Z');
    expect(dateTimeValue(d, 'research')?.toISOString()).toBe('2021-05-01T00:00:00.000Z');
  });

  it('filters select no finer than the values show', () => {
    const f = {
      OR: [{ ageAtExam: { min: 104, max: 104 } }, { NOT: { ageAtExam: { min: 41, max: 42 } } }],
      acquiredAt: { min: new Date('2021-05-17T00:00:00Z'), max: new Date('2021-05-17T23:59:59Z') },
    };
    const g = generaliseFilter(f, 'safe-harbor');
    expect(g.OR?.[0]?.ageAtExam).toEqual({ min: 90, max: null });
    expect(g.OR?.[1]?.NOT?.ageAtExam).toEqual({ min: 41, max: 42 });
    expect(g.acquiredAt?.min?.toISOString()).toBe('2021-01-01T00:00:00.000Z');
    expect(g.acquiredAt?.max?.toISOString()).toBe('2021-12-31T23:59:59.999Z');
    expect(generaliseFilter(f, 'research').OR?.[1]?.NOT?.ageAtExam).toEqual({ min: 40, max: 44 });
    expect(generaliseFilter(f, 'limited')).toBe(f);
    // what validation refuses stays as given, to be refused: min above max, ages outside 0–120
    const inverted = { acquiredAt: { min: new Date('2025-12-01T00:00:00Z'), max: new Date('2025-01-01T00:00:00Z') } };
    expect(generaliseFilter(inverted, 'safe-harbor')).toEqual(inverted);
    expect(generaliseFilter({ ageAtExam: { min: 500 } }, 'safe-harbor')).toEqual({ ageAtExam: { min: 500 } });
    expect(generaliseFilter({ ageAtExam: { min: 95, max: 91 } }, 'safe-harbor')).toEqual({
      ageAtExam: { min: 95, max: 91 },
    });
  });
});

describe('exports de-identify by default and stamp the profile', () => {
  const byPatient = (rows: { patient_id: string }[]) => rows.length;

  it('jsonl: safe-harbor by default — "90+" for 104, 95 and 90, years only — stamped in the manifest', async () => {
    const { file, manifest } = await exportAs(api, 'VIEWER', { format: 'jsonl' });
    const records = file
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(byPatient(records)).toBe(PEOPLE.length);
    const ages = records.map((r) => r.demographic.age_at_exam).sort();
    expect(ages).toEqual(['43', '44', '90+', '90+', '90+']);
    expect(records.map((r) => r.acquisition_date).sort()).toEqual(['2021', '2022', '2023', '2023', '2024']);
    expect(manifest.deidentification).toMatchObject({ id: 'safe-harbor', version: '1.0.0' });
    expect(JSON.stringify(records)).not.toMatch(/\b104\b|"95"|2021-05-17/);
  });

  it('jsonl under research: 5-year bins and months', async () => {
    const { file, manifest } = await exportAs(api, 'VIEWER', { format: 'jsonl', profile: 'research' });
    const records = file
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records.map((r) => r.demographic.age_at_exam).sort()).toEqual(['40-44', '40-44', '90+', '90+', '90+']);
    expect(records.map((r) => r.acquisition_date).sort()).toEqual([
      '2021-05',
      '2022-11',
      '2023-02',
      '2023-08',
      '2024-12',
    ]);
    expect(manifest.deidentification).toMatchObject({ id: 'research' });
  });

  it('jsonl under limited (an admin): exact ages and dates', async () => {
    const { file, manifest } = await exportAs(api, 'ADMIN', { format: 'jsonl', profile: 'limited' });
    const records = file
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records.map((r) => r.demographic.age_at_exam).sort((a, b) => a - b)).toEqual([43, 44, 90, 95, 104]);
    expect(records.map((r) => r.acquisition_date)).toContain('2021-05-17');
    expect(manifest.deidentification).toMatchObject({ id: 'limited' });
  });

  it('parquet: age_at_exam as text under safe-harbor, whole numbers under limited; the profile in its metadata', async () => {
    const read = (bytes: Buffer) => tableFromIPC(readParquet(new Uint8Array(bytes)).intoIPCStream());
    const safe = read((await exportAs(api, 'VIEWER', { format: 'parquet' })).file);
    expect([...(safe.getChild('age_at_exam')?.toArray() ?? [])].sort()).toEqual(['43', '44', '90+', '90+', '90+']);
    // a DATE: the first day of the year the profile shows
    const years = [...(safe.getChild('acquisition_date')?.toArray() ?? [])].map((d) =>
      new Date(Number(d)).toISOString(),
    );
    expect(years.sort()).toEqual(['2021', '2022', '2023', '2023', '2024'].map((y) => `${y}-01-01T00:00:00.000Z`));
    const exact = (await exportAs(api, 'ADMIN', { format: 'parquet', profile: 'limited' })).file;
    const limited = read(exact);
    expect([...(limited.getChild('age_at_exam')?.toArray() ?? [])].map(Number).sort((a, b) => a - b)).toEqual([
      43, 44, 90, 95, 104,
    ]);
    expect(exact.includes(Buffer.from('limited@1.0.0'))).toBe(true);
  });

  it('imagefolder: metadata.csv carries "90+", and the zip’s manifest.json the profile', async () => {
    const { file } = await exportAs(api, 'VIEWER', { format: 'imagefolder', options: { metadata: 'csv' } });
    const entries = await unzip(file);
    const meta = parse(entries.find((e) => e.name === 'train/metadata.csv')?.data ?? '', {
      columns: true,
    }) as Record<string, string>[];
    expect(meta.map((r) => r.age_at_exam).sort()).toEqual(['43', '44', '90+', '90+', '90+']);
    const inner = JSON.parse(entries.find((e) => e.name === 'manifest.json')?.data.toString() ?? '{}');
    expect(inner.deidentification.id).toBe('safe-harbor');
  });

  it('isic-csv: age_approx through the profile, still capped at 85', async () => {
    const { file, manifest } = await exportAs(api, 'VIEWER', { format: 'isic-csv', profile: 'research' });
    const rows = parse(file, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.age_approx).sort()).toEqual(['40', '40', '85', '85', '85']);
    expect(manifest.deidentification).toMatchObject({ id: 'research' });
  });

  it('croissant: the profile in the RAI fields, ages typed as text, dates to the year', async () => {
    const { file } = await exportAs(api, 'VIEWER', { format: 'croissant' });
    const doc = JSON.parse(file.toString());
    expect(doc['rai:personalSensitiveInformation']).toContain('safe-harbor');
    expect(doc['rai:dataManipulationProtocol']).toContain('safe-harbor');
    expect(doc.datePublished).toBe('2024');
    expect(doc['rai:dataCollectionTimeframe']).toEqual(['2021-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z']);
    const age = doc.recordSet
      .find((r: { '@id': string }) => r['@id'] === 'records')
      .field.find((f: { name: string }) => f.name === 'age_at_exam');
    expect(age.dataType).toBe('sc:Text');
    // the metadata file it lists is the safe-harbor jsonl
    const metadata = await api.yoga.fetch(doc.distribution[0].contentUrl, { headers: api.headers('VIEWER') });
    expect(await metadata.text()).toContain('"age_at_exam":"90+"');
  });
});

describe('Croissant’s metadata file is the profile’s (its contentUrl names it)', () => {
  const metadataOf = async (role: 'VIEWER' | 'ADMIN', profile: string) => {
    const { file } = await exportAs(api, role, { format: 'croissant', profile });
    const doc = JSON.parse(file.toString());
    return doc.distribution[0] as { contentUrl: string; sha256: string };
  };

  it('research: the URL serves 5-year bins and months, byte for byte the file whose sha256 it gives', async () => {
    const meta = await metadataOf('VIEWER', 'research');
    expect(meta.contentUrl).toContain('profile=research');
    const res = await api.yoga.fetch(meta.contentUrl, { headers: api.headers('VIEWER') });
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(meta.sha256);
    const records = bytes
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records.map((r) => r.demographic.age_at_exam).sort()).toEqual(['40-44', '40-44', '90+', '90+', '90+']);
    expect(records.map((r) => r.acquisition_date)).toContain('2021-05');
  });

  it('limited: exact values for the admin whose document it is, 403 FORBIDDEN for a viewer with its URL', async () => {
    const meta = await metadataOf('ADMIN', 'limited');
    const admin = await api.yoga.fetch(meta.contentUrl, { headers: api.headers('ADMIN') });
    const bytes = Buffer.from(await admin.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(meta.sha256);
    expect(bytes.toString()).toContain('"age_at_exam":104');
    const viewer = await api.yoga.fetch(meta.contentUrl, { headers: api.headers('VIEWER') });
    expect(viewer.status).toBe(403);
    expect(await viewer.json()).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('croissant(profile:) over GraphQL: research for a viewer, limited refused to a viewer', async () => {
    const Q = `query C($profile: String) { croissant(policy: "nine-class", profile: $profile) }`;
    const research = await gql<{ croissant: { 'rai:dataManipulationProtocol': string } }>(api, 'VIEWER', Q, {
      profile: 'research',
    });
    expect(research.errors).toBeUndefined();
    expect(research.data?.croissant['rai:dataManipulationProtocol']).toContain('research');
    const limited = await gql(api, 'VIEWER', Q, { profile: 'limited' });
    expect(limited.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('a viewer’s filter cannot single out a person in facets, splits or the datasheet', () => {
  const exactly104 = { ageAtExam: { min: 104, max: 104 } };

  it('facets count the 90+ images for a viewer, the one 104-year-old for an annotator', async () => {
    const Q = `query F($filter: ImageFilter) { facets(filter: $filter) { total } }`;
    const viewer = await gql<{ facets: { total: number } }>(api, 'VIEWER', Q, { filter: exactly104 });
    const annotator = await gql<{ facets: { total: number } }>(api, 'ANNOTATOR', Q, { filter: exactly104 });
    expect(viewer.data?.facets.total).toBe(3);
    expect(annotator.data?.facets.total).toBe(1);
    const oneDay = { acquiredAt: { min: '2023-08-09T00:00:00Z', max: '2023-08-09T23:59:59Z' } };
    expect((await gql<{ facets: { total: number } }>(api, 'VIEWER', Q, { filter: oneDay })).data?.facets.total).toBe(2);
  });

  it('createSplit splits the 90+ images for a viewer, and stores the filter it used', async () => {
    const made = await gql<{ createSplit: { imageCount: number; filter: { ageAtExam: unknown } } }>(
      api,
      'VIEWER',
      `mutation S($filter: ImageFilter) {
        createSplit(input: { filter: $filter, policy: "nine-class", folds: 2, seed: 3, allowOversizedUnits: true }) {
          imageCount filter
        }
      }`,
      { filter: exactly104 },
    );
    expect(made.errors).toBeUndefined();
    expect(made.data?.createSplit.imageCount).toBe(3);
    expect(made.data?.createSplit.filter.ageAtExam).toEqual({ min: 90, max: null });
  });

  it('the datasheet of a viewer’s filter counts the 90+ images', async () => {
    const Q = `query D($filter: ImageFilter) { datasheet(filter: $filter, policy: "nine-class") { stats { images } } }`;
    const viewer = await gql<{ datasheet: { stats: { images: number } } }>(api, 'VIEWER', Q, { filter: exactly104 });
    const annotator = await gql<{ datasheet: { stats: { images: number } } }>(api, 'ANNOTATOR', Q, {
      filter: exactly104,
    });
    expect(viewer.data?.datasheet.stats.images).toBe(3);
    expect(annotator.data?.datasheet.stats.images).toBe(1);
  });
});

describe('datasetSummary: top-coded ages and years for viewers, exact for annotators', () => {
  const Q = `{ datasetSummary { images patients age { n min max mean median } collection { from to } } }`;
  type Summary = {
    datasetSummary: {
      images: number;
      patients: number;
      age: Record<string, number>;
      collection: { from: string; to: string };
    };
  };

  it('a viewer reads max 90 (“90 or older”) and the years of the first and last acquisition', async () => {
    const viewer = (await gql<Summary>(api, 'VIEWER', Q)).data?.datasetSummary;
    expect(viewer?.age).toEqual({ n: 5, min: 43, max: 90, mean: (43 + 44 + 90 * 3) / 5, median: 90 });
    expect(viewer?.collection).toEqual({ from: '2021-01-01T00:00:00.000Z', to: '2024-01-01T00:00:00.000Z' });
  });

  it('an annotator reads the exact figures; the counts are the same for both', async () => {
    const annotator = (await gql<Summary>(api, 'ANNOTATOR', Q)).data?.datasetSummary;
    const viewer = (await gql<Summary>(api, 'VIEWER', Q)).data?.datasetSummary;
    expect(annotator?.age).toMatchObject({ n: 5, min: 43, max: 104, mean: (43 + 44 + 90 + 95 + 104) / 5 });
    expect(annotator?.collection).toEqual({ from: '2021-05-17T00:00:00.000Z', to: '2024-12-30T00:00:00.000Z' });
    expect([viewer?.images, viewer?.patients]).toEqual([annotator?.images, annotator?.patients]);
  });
});

describe('the split manifest CSV', () => {
  it('gives ages and dates under the profile (default safe-harbor) and names it', async () => {
    const made = await gql<{ createSplit: { id: string } }>(
      api,
      'VIEWER',
      'mutation { createSplit(input: { policy: "nine-class", folds: 2, seed: 7, allowOversizedUnits: true }) { id } }',
    );
    expect(made.errors).toBeUndefined();
    const id = made.data?.createSplit.id ?? '';
    const get = async (query: string, role: 'VIEWER' | 'ADMIN' = 'VIEWER') => {
      const res = await api.yoga.fetch(`http://test/splits/${id}/manifest.csv${query}`, {
        headers: api.headers(role),
      });
      expect(res.status).toBe(200);
      return {
        rows: parse(Buffer.from(await res.arrayBuffer()), { columns: true }) as Record<string, string>[],
        stamp: res.headers.get('x-dermaset-deidentification'),
      };
    };
    const safe = await get('');
    expect(safe.stamp).toBe('safe-harbor@1.0.0');
    expect(safe.rows.map((r) => r.age_at_exam).sort()).toEqual(['43', '44', '90+', '90+', '90+']);
    expect(safe.rows.map((r) => r.acquisition_date).sort()).toEqual(['2021', '2022', '2023', '2023', '2024']);
    const research = await get('?profile=research');
    expect(research.rows.map((r) => r.age_at_exam).sort()).toEqual(['40-44', '40-44', '90+', '90+', '90+']);
    const limited = await get('?profile=limited', 'ADMIN');
    expect(limited.rows.map((r) => r.acquisition_date)).toContain('2021-05-17');
  });
});

describe('reads: viewers get safe-harbor values, annotators and above exact ones', () => {
  const IMAGE = `query Img($sha: String!) { image(sha256: $sha) { acquiredAt demographic { ageAtExam ageAtExamRaw } } }`;

  it.each([
    ['VIEWER', 90, '90+', '2021-01-01T00:00:00.000Z'],
    [null, 90, '90+', '2021-01-01T00:00:00.000Z'],
    ['ANNOTATOR', 104, '104', '2021-05-17T00:00:00.000Z'],
    ['ADMIN', 104, '104', '2021-05-17T00:00:00.000Z'],
  ] as const)('%s reads the 104-year-old as %j / %j, acquired %s', async (role, age, raw, at) => {
    const open = role === null ? await createApi(env, { publicRead: true }) : api;
    const res = await gql<{
      image: { acquiredAt: string; demographic: { ageAtExam: number; ageAtExamRaw: string } };
    }>(open, role, IMAGE, { sha: shas[0] });
    expect(res.errors).toBeUndefined();
    expect(res.data?.image.demographic).toEqual({ ageAtExam: age, ageAtExamRaw: raw });
    expect(res.data?.image.acquiredAt).toBe(at);
  });

  it('a viewer’s filter cannot single out an age of 90 or more, nor a day', async () => {
    const COUNT = `query C($filter: ImageFilter) { images(filter: $filter, first: 10) { totalCount } stats(filter: $filter) { images } }`;
    const count = async (role: 'VIEWER' | 'ANNOTATOR', filter: unknown) => {
      const res = await gql<{ images: { totalCount: number }; stats: { images: number } }>(api, role, COUNT, {
        filter,
      });
      expect(res.errors).toBeUndefined();
      expect(res.data?.stats.images).toBe(res.data?.images.totalCount);
      return res.data?.images.totalCount;
    };
    const exactly104 = { ageAtExam: { min: 104, max: 104 } };
    expect(await count('VIEWER', exactly104)).toBe(3);
    expect(await count('ANNOTATOR', exactly104)).toBe(1);
    const oneDay = { acquiredAt: { min: '2023-08-09T00:00:00Z', max: '2023-08-09T23:59:59Z' } };
    expect(await count('VIEWER', oneDay)).toBe(2);
    expect(await count('ANNOTATOR', oneDay)).toBe(1);
  });

  it('stats’ age figures are top-coded for viewers, exact for annotators; counts do not change', async () => {
    const STATS = `{ stats { images patients age { n min max mean median } } }`;
    const viewer = await gql<{ stats: { images: number; age: Record<string, number> } }>(api, 'VIEWER', STATS);
    const annotator = await gql<{ stats: { images: number; age: Record<string, number> } }>(api, 'ANNOTATOR', STATS);
    expect(viewer.data?.stats.age).toEqual({ n: 5, min: 43, max: 90, mean: (43 + 44 + 90 * 3) / 5, median: 90 });
    expect(annotator.data?.stats.age).toEqual({
      n: 5,
      min: 43,
      max: 104,
      mean: (43 + 44 + 90 + 95 + 104) / 5,
      median: 90,
    });
    expect(viewer.data?.stats.images).toBe(annotator.data?.stats.images);
  });
});

describe('workflow timestamps date the visit: viewers read their year, annotators the exact time', () => {
  // the 95-year-old's image through the whole workflow, days after its acquisition on 2022-11-03
  const DAYS = {
    annotated: '2022-11-04T09:00:00.000Z',
    reviewed: '2022-11-07T10:00:00.000Z',
    decided: '2022-11-10T11:00:00.000Z',
    reported: '2022-11-21T12:00:00.000Z',
  };
  const Q = `query W($sha: String!) { image(sha256: $sha) {
    initialAnnotation { createdAt } reviews { createdAt } consensus { decidedAt }
    histopathology { reportedAt } labelChanges { at }
  } }`;
  type Read = {
    image: {
      initialAnnotation: { createdAt: string };
      reviews: { createdAt: string }[];
      consensus: { decidedAt: string };
      histopathology: { reportedAt: string };
      labelChanges: { at: string }[];
    };
  };
  const times = (r: Read['image'] | undefined) => [
    r?.initialAnnotation.createdAt,
    ...(r?.reviews.map((x) => x.createdAt) ?? []),
    r?.consensus.decidedAt,
    r?.histopathology.reportedAt,
    ...(r?.labelChanges.map((x) => x.at) ?? []),
  ];

  beforeAll(async () => {
    const image = await env.db.image.findUniqueOrThrow({ where: { sha256: shas[1] }, select: { id: true } });
    const imageId = image.id;
    await env.db.initialAnnotation.update({ where: { imageId }, data: { createdAt: new Date(DAYS.annotated) } });
    await env.db.expertReview.create({
      data: { imageId, reviewerCode: 'R-test-1', diagnosisClass: 'MELANOMA', createdAt: new Date(DAYS.reviewed) },
    });
    await env.db.consensusDecision.create({
      data: {
        imageId,
        diagnosisClass: 'MELANOMA',
        outcome: 'CONFIRMED',
        reviewCount: 1,
        decidedBy: 'R-test-1',
        decidedAt: new Date(DAYS.decided),
      },
    });
    await env.db.histopathologyReport.create({
      data: {
        imageId,
        resultText: 'superficial spreading melanoma',
        mappedClass: 'MELANOMA',
        reportedBy: 'P-test-1',
        reportedAt: new Date(DAYS.reported),
      },
    });
    // the label the image was stored with, then the consensus's
    await env.db.labelChange.updateMany({ where: { imageId }, data: { at: new Date(DAYS.annotated) } });
    await env.db.labelChange.create({
      data: {
        imageId,
        actor: 'R-test-1',
        at: new Date(DAYS.decided),
        fromClass: 'MELANOMA',
        toClass: 'MELANOMA',
        reason: 'consensus',
      },
    });
  });

  it.each([
    ['VIEWER', Array(6).fill('2022-01-01T00:00:00.000Z')],
    ['ANNOTATOR', [DAYS.annotated, DAYS.reviewed, DAYS.decided, DAYS.reported, DAYS.annotated, DAYS.decided]],
    ['ADMIN', [DAYS.annotated, DAYS.reviewed, DAYS.decided, DAYS.reported, DAYS.annotated, DAYS.decided]],
  ] as const)('%s reads %j', async (role, expected) => {
    const res = await gql<Read>(api, role, Q, { sha: shas[1] });
    expect(res.errors).toBeUndefined();
    expect(times(res.data?.image)).toEqual(expected);
  });

  it('anonymous readers under public read get the year too', async () => {
    const open = await createApi(env, { publicRead: true });
    const res = await gql<Read>(open, null, Q, { sha: shas[1] });
    expect(times(res.data?.image)).toEqual(Array(6).fill('2022-01-01T00:00:00.000Z'));
  });
});
