import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../src/gql/index.ts';
import { createPipeline } from '../src/ingest/pipeline.ts';
import { schema } from '../src/schema/index.ts';
import type { DermasetYoga } from '../src/server/yoga.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createTestEnv, type TestEnv } from './helpers/database.ts';
import { lesion, record } from './helpers/images.ts';

let env: TestEnv;
let api: Api;
let yoga: DermasetYoga;

beforeAll(async () => {
  env = await createTestEnv();
  api = await createApi(env);
  yoga = api.yoga;
  const pipeline = createPipeline(env.config, env.db);
  await pipeline.ingest({ bytes: await lesion(1), record: record(), fileName: 'a.jpg', source: 'test' });
  await pipeline.ingest({ bytes: await lesion(1), record: record(), fileName: 'a-again.jpg', source: 'test' });
  await pipeline.ingest({
    bytes: await lesion(2),
    record: record({ image_quality_score: '1' }),
    fileName: 'b.jpg',
    source: 'test',
  });
  await pipeline.ingest({
    bytes: await lesion(3, { cls: 'MELANOMA' }),
    record: record({
      patient_id: 'MRN-2',
      sex: 'male',
      age_at_exam: '61',
      lesion_id: 'X',
      clinical_diagnosis: 'melanoma',
    }),
    fileName: 'c.jpg',
    source: 'test',
  });
});
afterAll(() => env.dispose());

const Summary = graphql(`
  query Summary {
    datasetSummary {
      images
      patients
      intake { attempts sopRejected records duplicates uniqueImages }
      age { n min max median mean }
      sex { sex count }
      classes { diagnosisClass count origin status }
      malignant { count histologyVerified }
    }
  }
`);

describe('the GraphQL server', () => {
  it('answers datasetSummary from the database', async () => {
    const res = await api.as('VIEWER', Summary);
    expect(res.errors).toBeUndefined();
    const s = res.data?.datasetSummary;
    expect(s).toMatchObject({
      images: 2,
      patients: 2,
      intake: { attempts: 4, sopRejected: 1, records: 3, duplicates: 1, uniqueImages: 2 },
      age: { n: 2, min: 44, max: 61, median: 52.5, mean: 52.5 },
      malignant: { count: 1, histologyVerified: 0 },
    });
    expect(s?.sex).toEqual([
      { sex: 'FEMALE', count: 1 },
      { sex: 'MALE', count: 1 },
    ]);
    expect(s?.classes.find((c) => c.diagnosisClass === 'MELANOMA')).toEqual({
      diagnosisClass: 'MELANOMA',
      count: 1,
      origin: 'MELANOCYTIC',
      status: 'MALIGNANT',
    });
  });

  it('lists the information model and the 9 classes', async () => {
    const res = await api.as(
      'VIEWER',
      graphql(`
        query Vocab {
          informationModel { name block required }
          diagnosisClasses { code origin status }
        }
      `),
    );
    expect(res.data?.informationModel).toHaveLength(16);
    expect(new Set(res.data?.informationModel.map((f) => f.block))).toEqual(
      new Set(['DEMOGRAPHIC', 'ANAMNESTIC', 'MORPHOLOGICAL', 'DERMOSCOPIC', 'DIAGNOSTIC', 'SERVICE']),
    );
    expect(res.data?.diagnosisClasses).toHaveLength(9);
  });

  it('serves /health with the database state', async () => {
    const res = await yoga.fetch('http://test/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', checks: { database: { ok: true } } });
  });

  it('serves GraphiQL from the package, with no CDN', async () => {
    const res = await yoga.fetch('http://test/graphql', { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('GraphiQL');
    expect(html).not.toMatch(/unpkg\.com|cdn\.jsdelivr/);
  });

  it('keeps schema.graphql in step with the Pothos schema', () => {
    const committed = readFileSync(join(import.meta.dirname, '..', 'schema.graphql'), 'utf8');
    expect(committed).toBe(`${printSchema(lexicographicSortSchema(schema))}\n`);
  });
});
