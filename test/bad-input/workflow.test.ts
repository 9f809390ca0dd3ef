// Bad inputs to the four trail mutations (submitReview, recordConsensus, attachHistopathology,
// correctLabel): the wrong role, the wrong stage, a stale version, unknown and malformed ids, texts
// empty or too long, histology without a consensus or against one, values outside the vocabularies.
// Each is refused with the typed code its mutation's description lists, names the argument where
// one is to blame, echoes none of a long value, and leaves every table and every file as it was.
// Requests are raw JSON (a value outside a vocabulary cannot be written as a typed document).
import { encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiagnosisClass } from '../../src/domain/enums.ts';
import { type AcquisitionPipeline, createPipeline } from '../../src/ingest/pipeline.ts';
import { createToken } from '../../src/resolvers/tokens.ts';
import { attachHistopathology, recordConsensus, submitReview } from '../../src/resolvers/verification.ts';
import { type Api, createApi } from '../helpers/api.ts';
import { createTestEnv, type TestEnv } from '../helpers/database.ts';
import { lesion, record } from '../helpers/images.ts';
import { snapshot } from '../helpers/snapshot.ts';

const SIZE = { width: 96, height: 72 };

let env: TestEnv;
let api: Api;
let pipeline: AcquisitionPipeline;
/** A reviewer with a review in: their second one is a duplicate. */
let author = '';

/** The images the refusals aim at, one per stage of the trail (row ids). */
const at = { initial: 0, oneReview: 0, reviewed: 0, decided: 0, histology: 0, legacy: 0 };
type Stage = keyof typeof at;

beforeAll(async () => {
  env = await createTestEnv({ DERMASET_MIN_SIDE: '32' });
  api = await createApi(env);
  pipeline = createPipeline(env.config, env.db);
  author = (await createToken('reviewer with a review', 'REVIEWER')).token;
  let n = 500;
  const acquire = async () => {
    n += 1;
    const r = await pipeline.ingest({
      bytes: await lesion(n, SIZE),
      record: record({ lesion_id: `BW${n}` }),
      fileName: `${n}.jpg`,
      source: 'test',
    });
    if (r.outcome !== 'ACCEPTED') throw new Error(`acquisition: ${r.outcome}`);
    return r.imageId;
  };
  const reviews = async (imageId: number, cls: DiagnosisClass) => {
    for (const reviewerCode of ['E-1', 'E-2', 'E-3'])
      await submitReview({ imageId, reviewerCode, diagnosisClass: cls, structures: [] });
  };
  at.initial = await acquire();
  at.oneReview = await acquire();
  const first = await post(
    REVIEW,
    { image: gid(at.oneReview), v: await versionOf(at.oneReview), cls: 'NEVUS', structures: [] },
    { authorization: `Bearer ${author}` },
  );
  expect(first.body.errors).toBeUndefined();
  at.reviewed = await acquire();
  await reviews(at.reviewed, 'MELANOMA');
  for (const stage of ['decided', 'histology'] as const) {
    at[stage] = await acquire();
    await reviews(at[stage], 'MELANOMA');
    await recordConsensus({ imageId: at[stage], diagnosisClass: 'MELANOMA', structures: [], decidedBy: 'E-1' });
  }
  await attachHistopathology({
    imageId: at.histology,
    resultText: 'Melanoma in situ',
    mappedClass: 'MELANOMA',
    reportedBy: 'E-P',
  });
  // a report attached before the consensus rule: relabelled, stage histology, no consensus
  at.legacy = await acquire();
  await reviews(at.legacy, 'NEVUS');
  await env.db.histopathologyReport.create({
    data: {
      imageId: at.legacy,
      resultText: 'Basal cell carcinoma',
      mappedClass: 'BASAL_CELL_CARCINOMA',
      reportedBy: 'E-P',
      reportedAt: new Date(),
    },
  });
  await env.db.image.update({
    where: { id: at.legacy },
    data: { diagnosisClass: 'BASAL_CELL_CARCINOMA', verificationStage: 'HISTOLOGY' },
  });
});
afterAll(() => env.dispose());

const gid = (row: number) => encodeGlobalID('Image', row);
const versionOf = async (row: number) =>
  (await env.db.image.findUniqueOrThrow({ where: { id: row }, select: { version: true } })).version;

interface Body {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string; argument?: string } }[];
}
async function post(query: string, variables: Record<string, unknown>, headers: Record<string, string>) {
  const res = await api.yoga.fetch('http://test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) as Body };
}

const REVIEW = `mutation BwReview($image: ID!, $v: Int!, $cls: DiagnosisClass!, $structures: [DermoscopicStructure!]!) {
  submitReview(image: $image, expectedVersion: $v, diagnosisClass: $cls, structures: $structures) { id version }
}`;
const CONSENSUS = `mutation BwConsensus($image: ID!, $v: Int!, $cls: DiagnosisClass!, $structures: [DermoscopicStructure!]!, $note: String) {
  recordConsensus(image: $image, expectedVersion: $v, diagnosisClass: $cls, structures: $structures, note: $note) { id version }
}`;
const HISTOLOGY = `mutation BwHistology($image: ID!, $v: Int!, $result: String!, $cls: DiagnosisClass!, $reason: String) {
  attachHistopathology(image: $image, expectedVersion: $v, result: $result, diagnosisClass: $cls, reason: $reason) { id version }
}`;
const CORRECT = `mutation BwCorrect($image: ID!, $v: Int!, $cls: DiagnosisClass!, $reason: String!) {
  correctLabel(image: $image, expectedVersion: $v, diagnosisClass: $cls, reason: $reason) { id version }
}`;

type Mutation = 'submitReview' | 'recordConsensus' | 'attachHistopathology' | 'correctLabel';
const DOCUMENT: Record<Mutation, string> = {
  submitReview: REVIEW,
  recordConsensus: CONSENSUS,
  attachHistopathology: HISTOLOGY,
  correctLabel: CORRECT,
};
type Who = 'anonymous' | 'VIEWER' | 'ANNOTATOR' | 'REVIEWER' | 'ADMIN' | 'author';
const headersOf = (who: Who): Record<string, string> =>
  who === 'anonymous' ? {} : who === 'author' ? { authorization: `Bearer ${author}` } : api.headers(who);

/** A long text whose echo would show: no refusal may carry it back. */
const LONG = (n: number) => 'Ω'.repeat(n);
const ECHO = 'ΩΩΩΩ';

interface Case {
  name: string;
  mutation: Mutation;
  who: Who;
  /** The image aimed at, or a raw `image` argument. */
  image: Stage | string;
  /** The arguments besides image and version (the image's current version unless `v` is given). */
  args: Record<string, unknown>;
  v?: (current: number) => unknown;
  code: string;
  argument?: string;
}

const review = { cls: 'NEVUS', structures: ['PIGMENT_NETWORK_TYPICAL'] };
const consensus = { cls: 'MELANOMA', structures: ['BLUE_WHITISH_VEIL'], note: '2 of 3 agreed' };
const report = { result: 'Melanoma in situ', cls: 'MELANOMA' };
const correction = { cls: 'NEVUS', reason: 'misfiled at intake' };

const CASES: Case[] = [
  // ---- submitReview
  {
    name: 'a review without a token',
    mutation: 'submitReview',
    who: 'anonymous',
    image: 'initial',
    args: review,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'a review by a viewer',
    mutation: 'submitReview',
    who: 'VIEWER',
    image: 'initial',
    args: review,
    code: 'FORBIDDEN',
  },
  {
    name: 'a review by an annotator',
    mutation: 'submitReview',
    who: 'ANNOTATOR',
    image: 'initial',
    args: review,
    code: 'FORBIDDEN',
  },
  {
    name: 'a review at a stale version',
    mutation: 'submitReview',
    who: 'REVIEWER',
    image: 'initial',
    args: review,
    v: (v) => v - 1,
    code: 'CONFLICT',
  },
  {
    name: 'a review at a version to come',
    mutation: 'submitReview',
    who: 'REVIEWER',
    image: 'initial',
    args: review,
    v: (v) => v + 7,
    code: 'CONFLICT',
  },
  {
    name: 'a review of an unknown image',
    mutation: 'submitReview',
    who: 'REVIEWER',
    image: gid(2_147_483_000),
    args: review,
    code: 'NOT_FOUND',
  },
  {
    name: 'a review of a malformed id',
    mutation: 'submitReview',
    who: 'REVIEWER',
    image: 'not a global id',
    args: review,
    code: 'BAD_USER_INPUT',
    argument: 'image',
  },
  {
    name: 'a review of a patient’s id',
    mutation: 'submitReview',
    who: 'REVIEWER',
    image: encodeGlobalID('Patient', 1),
    args: review,
    code: 'BAD_USER_INPUT',
    argument: 'image',
  },
  {
    name: 'a review of image row 0',
    mutation: 'submitReview',
    who: 'REVIEWER',
    image: gid(0),
    args: review,
    code: 'BAD_USER_INPUT',
    argument: 'image',
  },
  {
    name: 'a review of an id past the integer range',
    mutation: 'submitReview',
    who: 'REVIEWER',
    image: encodeGlobalID('Image', '99999999999'),
    args: review,
    code: 'BAD_USER_INPUT',
    argument: 'image',
  },
  {
    name: 'a review after the consensus',
    mutation: 'submitReview',
    who: 'REVIEWER',
    image: 'decided',
    args: review,
    code: 'ALREADY_DECIDED',
  },
  {
    name: 'a second review by the same reviewer',
    mutation: 'submitReview',
    who: 'author',
    image: 'oneReview',
    args: review,
    code: 'DUPLICATE_REVIEW',
  },
  {
    name: 'a review with a class outside the vocabulary',
    mutation: 'submitReview',
    who: 'REVIEWER',
    image: 'initial',
    args: { ...review, cls: 'MELANOMAX' },
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'a review with a structure outside the vocabulary',
    mutation: 'submitReview',
    who: 'REVIEWER',
    image: 'initial',
    args: { ...review, structures: ['PIGMENT_NETWORK_TYPICAL', 'SPARKLES'] },
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'a review with a null structure',
    mutation: 'submitReview',
    who: 'REVIEWER',
    image: 'initial',
    args: { ...review, structures: [null] },
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'a review at a version that is text',
    mutation: 'submitReview',
    who: 'REVIEWER',
    image: 'initial',
    args: review,
    v: (v) => String(v),
    code: 'BAD_USER_INPUT',
  },
  // ---- recordConsensus
  {
    name: 'a consensus without a token',
    mutation: 'recordConsensus',
    who: 'anonymous',
    image: 'reviewed',
    args: consensus,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'a consensus on an unknown image',
    mutation: 'recordConsensus',
    who: 'REVIEWER',
    image: gid(2_147_483_000),
    args: consensus,
    code: 'NOT_FOUND',
  },
  {
    name: 'a consensus by an annotator',
    mutation: 'recordConsensus',
    who: 'ANNOTATOR',
    image: 'reviewed',
    args: consensus,
    code: 'FORBIDDEN',
  },
  {
    name: 'a consensus over one review',
    mutation: 'recordConsensus',
    who: 'REVIEWER',
    image: 'oneReview',
    args: consensus,
    code: 'NOT_ENOUGH_REVIEWS',
  },
  {
    name: 'a consensus over none',
    mutation: 'recordConsensus',
    who: 'REVIEWER',
    image: 'initial',
    args: consensus,
    code: 'NOT_ENOUGH_REVIEWS',
  },
  {
    name: 'a second consensus',
    mutation: 'recordConsensus',
    who: 'REVIEWER',
    image: 'decided',
    args: consensus,
    code: 'ALREADY_DECIDED',
  },
  {
    name: 'a consensus against the histology',
    mutation: 'recordConsensus',
    who: 'REVIEWER',
    image: 'legacy',
    args: { ...consensus, cls: 'NEVUS' },
    code: 'HISTOLOGY_FINAL',
  },
  {
    name: 'a consensus note of 2,001 characters',
    mutation: 'recordConsensus',
    who: 'REVIEWER',
    image: 'reviewed',
    args: { ...consensus, note: LONG(2_001) },
    code: 'BAD_USER_INPUT',
    argument: 'note',
  },
  {
    name: 'a consensus note of 200,000 characters',
    mutation: 'recordConsensus',
    who: 'REVIEWER',
    image: 'reviewed',
    args: { ...consensus, note: LONG(200_000) },
    code: 'BAD_USER_INPUT',
    argument: 'note',
  },
  {
    name: 'a consensus at a stale version',
    mutation: 'recordConsensus',
    who: 'REVIEWER',
    image: 'reviewed',
    args: consensus,
    v: (v) => v - 1,
    code: 'CONFLICT',
  },
  {
    name: 'a consensus with a structure outside the vocabulary',
    mutation: 'recordConsensus',
    who: 'REVIEWER',
    image: 'reviewed',
    args: { ...consensus, structures: ['blue_whitish_veil'] },
    code: 'BAD_USER_INPUT',
  },
  // ---- attachHistopathology
  {
    name: 'histology without a token',
    mutation: 'attachHistopathology',
    who: 'anonymous',
    image: 'decided',
    args: report,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'histology by a viewer',
    mutation: 'attachHistopathology',
    who: 'VIEWER',
    image: 'decided',
    args: report,
    code: 'FORBIDDEN',
  },
  {
    name: 'histology without a consensus',
    mutation: 'attachHistopathology',
    who: 'REVIEWER',
    image: 'reviewed',
    args: report,
    code: 'NO_CONSENSUS',
  },
  {
    name: 'histology at the initial stage',
    mutation: 'attachHistopathology',
    who: 'REVIEWER',
    image: 'initial',
    args: report,
    code: 'NO_CONSENSUS',
  },
  {
    name: 'histology with an empty result',
    mutation: 'attachHistopathology',
    who: 'REVIEWER',
    image: 'decided',
    args: { ...report, result: '' },
    code: 'BAD_USER_INPUT',
    argument: 'result',
  },
  {
    name: 'histology with a white-space result',
    mutation: 'attachHistopathology',
    who: 'REVIEWER',
    image: 'decided',
    args: { ...report, result: ' \n\t ' },
    code: 'BAD_USER_INPUT',
    argument: 'result',
  },
  {
    name: 'histology with a result of 10,001 characters',
    mutation: 'attachHistopathology',
    who: 'REVIEWER',
    image: 'decided',
    args: { ...report, result: LONG(10_001) },
    code: 'BAD_USER_INPUT',
    argument: 'result',
  },
  {
    name: 'histology with a null result',
    mutation: 'attachHistopathology',
    who: 'REVIEWER',
    image: 'decided',
    args: { ...report, result: null },
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'a second report without a reason',
    mutation: 'attachHistopathology',
    who: 'REVIEWER',
    image: 'histology',
    args: report,
    code: 'ALREADY_DECIDED',
  },
  {
    name: 'a second report without a reason, by an admin',
    mutation: 'attachHistopathology',
    who: 'ADMIN',
    image: 'histology',
    args: { ...report, cls: 'NEVUS' },
    code: 'ALREADY_DECIDED',
  },
  {
    name: 'an amendment by a reviewer',
    mutation: 'attachHistopathology',
    who: 'REVIEWER',
    image: 'histology',
    args: { ...report, cls: 'NEVUS', reason: 'slides re-read' },
    code: 'FORBIDDEN',
  },
  {
    name: 'an amendment with a reason of two characters',
    mutation: 'attachHistopathology',
    who: 'ADMIN',
    image: 'histology',
    args: { ...report, cls: 'NEVUS', reason: ' ok ' },
    code: 'BAD_USER_INPUT',
    argument: 'reason',
  },
  {
    name: 'an amendment with a reason of 2,001 characters',
    mutation: 'attachHistopathology',
    who: 'ADMIN',
    image: 'histology',
    args: { ...report, cls: 'NEVUS', reason: LONG(2_001) },
    code: 'BAD_USER_INPUT',
    argument: 'reason',
  },
  {
    name: 'an amendment at a stale version',
    mutation: 'attachHistopathology',
    who: 'ADMIN',
    image: 'histology',
    args: { ...report, cls: 'NEVUS', reason: 'slides re-read' },
    v: (v) => v - 1,
    code: 'CONFLICT',
  },
  {
    name: 'histology of an unknown image',
    mutation: 'attachHistopathology',
    who: 'REVIEWER',
    image: gid(2_147_483_000),
    args: report,
    code: 'NOT_FOUND',
  },
  {
    name: 'histology of a lesion’s id',
    mutation: 'attachHistopathology',
    who: 'REVIEWER',
    image: encodeGlobalID('Lesion', 1),
    args: report,
    code: 'BAD_USER_INPUT',
    argument: 'image',
  },
  // ---- correctLabel
  {
    name: 'a correction without a token',
    mutation: 'correctLabel',
    who: 'anonymous',
    image: 'decided',
    args: correction,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'a correction by a reviewer',
    mutation: 'correctLabel',
    who: 'REVIEWER',
    image: 'decided',
    args: correction,
    code: 'FORBIDDEN',
  },
  {
    name: 'a correction with an empty reason',
    mutation: 'correctLabel',
    who: 'ADMIN',
    image: 'decided',
    args: { ...correction, reason: '' },
    code: 'BAD_USER_INPUT',
    argument: 'reason',
  },
  {
    name: 'a correction with a white-space reason',
    mutation: 'correctLabel',
    who: 'ADMIN',
    image: 'decided',
    args: { ...correction, reason: '     ' },
    code: 'BAD_USER_INPUT',
    argument: 'reason',
  },
  {
    name: 'a correction with a reason of 2,001 characters',
    mutation: 'correctLabel',
    who: 'ADMIN',
    image: 'decided',
    args: { ...correction, reason: LONG(2_001) },
    code: 'BAD_USER_INPUT',
    argument: 'reason',
  },
  {
    name: 'a correction against the histology',
    mutation: 'correctLabel',
    who: 'ADMIN',
    image: 'histology',
    args: correction,
    code: 'HISTOLOGY_FINAL',
  },
  {
    name: 'a correction against a report attached before the consensus',
    mutation: 'correctLabel',
    who: 'ADMIN',
    image: 'legacy',
    args: correction,
    code: 'HISTOLOGY_FINAL',
  },
  {
    name: 'a correction at a stale version',
    mutation: 'correctLabel',
    who: 'ADMIN',
    image: 'decided',
    args: correction,
    v: (v) => v - 1,
    code: 'CONFLICT',
  },
  {
    name: 'a correction of an unknown image',
    mutation: 'correctLabel',
    who: 'ADMIN',
    image: gid(2_147_483_000),
    args: correction,
    code: 'NOT_FOUND',
  },
  {
    name: 'a correction of a malformed id',
    mutation: 'correctLabel',
    who: 'ADMIN',
    image: 'SW1hZ2U6',
    args: correction,
    code: 'BAD_USER_INPUT',
    argument: 'image',
  },
  {
    name: 'a correction with a class outside the vocabulary',
    mutation: 'correctLabel',
    who: 'ADMIN',
    image: 'decided',
    args: { ...correction, cls: 'nevus' },
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'a correction at a version past the Int range',
    mutation: 'correctLabel',
    who: 'ADMIN',
    image: 'decided',
    args: correction,
    v: () => 2 ** 31,
    code: 'BAD_USER_INPUT',
  },
];

describe('the workflow refuses bad input, changing nothing', () => {
  it(`has ${CASES.length} distinct bad inputs (at least 20), named uniquely`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(20);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const row = c.image in at ? at[c.image as Stage] : null;
    const current = row === null ? 1 : await versionOf(row);
    const { cls, ...rest } = c.args;
    const variables = {
      image: row === null ? c.image : gid(row),
      v: c.v ? c.v(current) : current,
      cls,
      ...rest,
    };
    const before = await snapshot(env);
    const res = await post(DOCUMENT[c.mutation], variables, headersOf(c.who));
    const error = res.body.errors?.[0];
    expect(error?.extensions?.code, res.text.slice(0, 500)).toBe(c.code);
    if (c.argument) expect(error?.extensions?.argument, res.text.slice(0, 500)).toBe(c.argument);
    expect(res.body.data?.[c.mutation] ?? null).toBeNull();
    expect(res.text).not.toContain(ECHO);
    expect(res.text.length).toBeLessThan(2_000);
    expect(error?.message ?? '').not.toMatch(/\bimage \d/); // no database ids in messages
    expect(await snapshot(env)).toEqual(before);
  });
});

describe('the four mutations list these refusals in their descriptions', () => {
  it('names every code the cases prove, and every code it names is proved by a case', async () => {
    const res = await post(
      'query BwMutations { __schema { mutationType { fields { name description } } } }',
      {},
      api.headers('ADMIN'),
    );
    const fields = (
      res.body.data as { __schema: { mutationType: { fields: { name: string; description: string }[] } } }
    ).__schema.mutationType.fields;
    for (const mutation of Object.keys(DOCUMENT) as Mutation[]) {
      const description = fields.find((f) => f.name === mutation)?.description ?? '';
      const listed = new Set([...description.matchAll(/`([A-Z][A-Z_]+)`/g)].map((m) => m[1]));
      const proved = new Set(CASES.filter((c) => c.mutation === mutation).map((c) => c.code));
      expect([...listed].sort(), mutation).toEqual([...proved].sort());
    }
  });
});
