// The verification workflow through the API: an image acquired by an annotator, reviewed blind by
// three reviewers, decided by consensus, confirmed by histology, corrected by an admin — with the
// stage, the log and the queues checked at each step, typed refusals that change nothing, and
// optimistic concurrency.
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../src/gql/index.ts';
import { createToken } from '../src/resolvers/tokens.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createTestEnv, type TestEnv } from './helpers/database.ts';
import { execute, type GraphQLResponse } from './helpers/graphql.ts';
import { lesion, record } from './helpers/images.ts';

let env: TestEnv;
let api: Api;
const reviewers: string[] = [];

beforeAll(async () => {
  env = await createTestEnv();
  api = await createApi(env);
  for (const n of [1, 2, 3]) reviewers.push((await createToken(`reviewer ${n}`, 'REVIEWER')).token);
});
afterAll(() => env.dispose());

const as = (token: string) => ({ authorization: `Bearer ${token}` });

const Acquire = graphql(`
  mutation Acquire($file: File!, $record: JSONObject!) {
    createInitialAnnotation(file: $file, record: $record) { outcome intake { id outcome } image { id version diagnostic { verificationStage diagnosisClass { code } } } }
  }
`);

/** A multipart request (GraphQL multipart request spec), as a browser upload sends it. */
async function acquire(token: string, bytes: Buffer, rec: Record<string, unknown>) {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: print(Acquire), variables: { file: null, record: rec } }));
  form.append('map', JSON.stringify({ 0: ['variables.file'] }));
  form.append('0', new File([new Uint8Array(bytes)], 'lesion.jpg', { type: 'image/jpeg' }));
  const res = await api.yoga.fetch('http://test/graphql', { method: 'POST', headers: as(token), body: form });
  return (await res.json()) as GraphQLResponse<{
    createInitialAnnotation: {
      outcome: string;
      intake: { id: string };
      image: {
        id: string;
        version: number;
        diagnostic: { verificationStage: string; diagnosisClass: { code: string } };
      } | null;
    };
  }>;
}

const State = graphql(`
  query ImageState($id: ID!) {
    node(id: $id) {
      ... on Image {
        version
        diagnostic { verificationStage diagnosisClass { code } }
        reviews { diagnosisClass { code } }
        labelChanges { from { code } to { code } reason }
        consensus { outcome reviewCount }
      }
    }
  }
`);
const Queues = graphql(`
  query Queues {
    reviewQueue(first: 50) { edges { node { id } } }
    consensusQueue(first: 50) { edges { node { id } } }
    pendingHistology(first: 50) { edges { node { id } } }
  }
`);
const Review = graphql(`
  mutation Review($image: ID!, $v: Int!, $cls: DiagnosisClass!) {
    submitReview(image: $image, expectedVersion: $v, diagnosisClass: $cls, structures: [PIGMENT_NETWORK_ATYPICAL]) { version }
  }
`);
const Consensus = graphql(`
  mutation Consensus($image: ID!, $v: Int!, $cls: DiagnosisClass!) {
    recordConsensus(image: $image, expectedVersion: $v, diagnosisClass: $cls, structures: [BLUE_WHITISH_VEIL], note: "2 of 3 agreed") { version }
  }
`);
const Histology = graphql(`
  mutation Histology($image: ID!, $v: Int!) {
    attachHistopathology(image: $image, expectedVersion: $v, result: "Melanoma in situ", diagnosisClass: MELANOMA) { version }
  }
`);
const Amend = graphql(`
  mutation Amend($image: ID!, $v: Int!, $reason: String!) {
    attachHistopathology(image: $image, expectedVersion: $v, result: "Basal cell carcinoma, nodular", diagnosisClass: BASAL_CELL_CARCINOMA, reason: $reason) { version }
  }
`);
const Correct = graphql(`
  mutation Correct($image: ID!, $v: Int!, $cls: DiagnosisClass!, $reason: String!) {
    correctLabel(image: $image, expectedVersion: $v, diagnosisClass: $cls, reason: $reason) { version }
  }
`);

const state = async (id: string, token = api.tokens.ADMIN) => {
  const res = await execute(api.yoga, State, { id }, as(token));
  expect(res.errors).toBeUndefined();
  const node = res.data?.node;
  if (!node || !('version' in node)) throw new Error('no image');
  return node;
};
const queueIds = async (token: string) => {
  const q = (await execute(api.yoga, Queues, undefined, as(token))).data;
  return {
    review: q?.reviewQueue.edges.map((e) => e.node.id) ?? [],
    consensus: q?.consensusQueue.edges.map((e) => e.node.id) ?? [],
    histology: q?.pendingHistology.edges.map((e) => e.node.id) ?? [],
  };
};
const code = (r: GraphQLResponse<unknown>) => r.errors?.[0]?.extensions?.code;

describe('an image through every stage', () => {
  let id = '';

  it('is acquired by an annotator with the initial annotation: stage initial, one log entry, in every reviewer’s queue', async () => {
    const res = await acquire(
      api.tokens.ANNOTATOR,
      await lesion(61, { cls: 'MELANOMA' }),
      record({ clinical_diagnosis: 'dysplastic nevus', border_regularity: 'irregular' }),
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.createInitialAnnotation.outcome).toBe('ACCEPTED');
    id = res.data?.createInitialAnnotation.image?.id ?? '';
    const s = await state(id);
    expect(s.diagnostic).toEqual({ verificationStage: 'INITIAL', diagnosisClass: { code: 'DYSPLASTIC_NEVUS' } });
    expect(s.labelChanges).toHaveLength(1);
    for (const r of reviewers) expect((await queueIds(r)).review).toContain(id);
  });

  it('is reviewed blind by three reviewers, then waits for consensus', async () => {
    const [r1, r2, r3] = reviewers as [string, string, string];
    let v = (await state(id)).version;
    expect((await execute(api.yoga, Review, { image: id, v, cls: 'MELANOMA' }, as(r1))).errors).toBeUndefined();
    // blind: reviewer 2 sees no review until their own is in; the admin sees it; reviewer 1 sees theirs
    expect((await state(id, r2)).reviews).toEqual([]);
    expect((await state(id, r1)).reviews).toHaveLength(1);
    expect((await state(id)).reviews).toHaveLength(1);
    expect((await queueIds(r1)).review).not.toContain(id);
    v = (await state(id)).version;
    expect((await execute(api.yoga, Review, { image: id, v, cls: 'DYSPLASTIC_NEVUS' }, as(r2))).errors).toBeUndefined();
    expect((await state(id, r2)).reviews).toHaveLength(2);
    expect((await queueIds(r3)).consensus).not.toContain(id);
    v = (await state(id)).version;
    expect((await execute(api.yoga, Review, { image: id, v, cls: 'MELANOMA' }, as(r3))).errors).toBeUndefined();
    expect((await queueIds(r3)).consensus).toContain(id);
    expect((await state(id)).diagnostic.verificationStage).toBe('INITIAL');
  });

  it('reaches consensus: stage consensus, the correction logged, and pending histology while malignant', async () => {
    const v = (await state(id)).version;
    const res = await execute(api.yoga, Consensus, { image: id, v, cls: 'MELANOMA' }, as(reviewers[0] ?? ''));
    expect(res.errors).toBeUndefined();
    const s = await state(id);
    expect(s.diagnostic).toEqual({ verificationStage: 'CONSENSUS', diagnosisClass: { code: 'MELANOMA' } });
    expect(s.consensus).toEqual({ outcome: 'CORRECTED', reviewCount: 3 });
    expect(s.labelChanges.map((c) => [c.from?.code ?? null, c.to?.code ?? null])).toEqual([
      [null, 'DYSPLASTIC_NEVUS'],
      ['DYSPLASTIC_NEVUS', 'MELANOMA'],
    ]);
    const q = await queueIds(reviewers[0] ?? '');
    expect(q.consensus).not.toContain(id);
    expect(q.histology).toContain(id);
  });

  it('is confirmed by histology: stage histology, out of the pending queue', async () => {
    const v = (await state(id)).version;
    expect((await execute(api.yoga, Histology, { image: id, v }, as(reviewers[1] ?? ''))).errors).toBeUndefined();
    expect((await state(id)).diagnostic.verificationStage).toBe('HISTOLOGY');
    expect((await queueIds(reviewers[1] ?? '')).histology).not.toContain(id);
  });

  it('is corrected by an admin only, with a reason, at the current version; histology being final, by amending the report', async () => {
    const before = await state(id);
    const asReviewer = await execute(
      api.yoga,
      Correct,
      { image: id, v: before.version, cls: 'NEVUS', reason: 'typo' },
      as(reviewers[0] ?? ''),
    );
    expect(code(asReviewer)).toBe('FORBIDDEN');
    const stale = await execute(
      api.yoga,
      Correct,
      { image: id, v: before.version - 1, cls: 'MELANOMA', reason: 'second opinion' },
      as(api.tokens.ADMIN),
    );
    expect(code(stale)).toBe('CONFLICT');
    // histology is the reference standard: a correction that contradicts the report is refused
    const contradicting = await execute(
      api.yoga,
      Correct,
      { image: id, v: before.version, cls: 'BASAL_CELL_CARCINOMA', reason: 'histology slide re-read' },
      as(api.tokens.ADMIN),
    );
    expect(code(contradicting)).toBe('HISTOLOGY_FINAL');
    expect(await state(id)).toEqual(before);
    // …and the report's amendment, by an admin with a reason, is what changes the label
    const ok = await execute(
      api.yoga,
      Amend,
      { image: id, v: before.version, reason: 'histology slide re-read' },
      as(api.tokens.ADMIN),
    );
    expect(ok.errors).toBeUndefined();
    const after = await state(id);
    expect(after.diagnostic).toEqual({
      verificationStage: 'HISTOLOGY',
      diagnosisClass: { code: 'BASAL_CELL_CARCINOMA' },
    });
    expect(after.labelChanges.at(-1)).toEqual({
      from: { code: 'MELANOMA' },
      to: { code: 'BASAL_CELL_CARCINOMA' },
      reason: 'histopathology report amended: histology slide re-read',
    });
  });
});

describe('every rule violation is a typed error and changes nothing', () => {
  let id = '';
  beforeAll(async () => {
    const res = await acquire(api.tokens.ANNOTATOR, await lesion(62), record({ lesion_id: 'L62' }));
    id = res.data?.createInitialAnnotation.image?.id ?? '';
  });

  it('refuses the wrong role, a second review, a stale version and an early consensus', async () => {
    const before = await state(id);
    const v = before.version;
    expect(code(await execute(api.yoga, Review, { image: id, v, cls: 'NEVUS' }, as(api.tokens.ANNOTATOR)))).toBe(
      'FORBIDDEN',
    );
    expect(code(await execute(api.yoga, Review, { image: id, v: v + 5, cls: 'NEVUS' }, as(reviewers[0] ?? '')))).toBe(
      'CONFLICT',
    );
    expect(code(await execute(api.yoga, Consensus, { image: id, v, cls: 'NEVUS' }, as(reviewers[0] ?? '')))).toBe(
      'NOT_ENOUGH_REVIEWS',
    );
    expect(await state(id)).toEqual(before);
    expect(
      (await execute(api.yoga, Review, { image: id, v, cls: 'NEVUS' }, as(reviewers[0] ?? ''))).errors,
    ).toBeUndefined();
    const afterOne = await state(id);
    expect(
      code(await execute(api.yoga, Review, { image: id, v: afterOne.version, cls: 'NEVUS' }, as(reviewers[0] ?? ''))),
    ).toBe('DUPLICATE_REVIEW');
    expect(await state(id)).toEqual(afterOne);
    expect(
      code(await execute(api.yoga, Review, { image: 'UGF0aWVudDox', v: 1, cls: 'NEVUS' }, as(reviewers[0] ?? ''))),
    ).toBe('BAD_USER_INPUT');
  });

  it('refuses an invalid acquisition with its code, logging the attempt and storing nothing', async () => {
    const images = await env.db.image.count();
    const res = await acquire(api.tokens.ANNOTATOR, await lesion(63), record({ lesion_id: 'L63', sex: 'unknown-sex' }));
    expect(code(res)).toBe('INVALID_RECORD');
    expect(await env.db.image.count()).toBe(images);
    expect(await env.db.intakeRecord.count({ where: { outcome: 'REJECTED_INVALID' } })).toBe(1);
  });
});

describe('optimistic concurrency', () => {
  it('lets exactly one of two concurrent edits with the same version win', async () => {
    const res = await acquire(api.tokens.ANNOTATOR, await lesion(64), record({ lesion_id: 'L64' }));
    const id = res.data?.createInitialAnnotation.image?.id ?? '';
    const v = (await state(id)).version;
    const results = await Promise.all([
      execute(api.yoga, Review, { image: id, v, cls: 'NEVUS' }, as(reviewers[0] ?? '')),
      execute(api.yoga, Review, { image: id, v, cls: 'DERMATOFIBROMA' }, as(reviewers[1] ?? '')),
    ]);
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    expect(results.filter((r) => code(r) === 'CONFLICT')).toHaveLength(1);
    const s = await state(id);
    expect(s.reviews).toHaveLength(1);
    expect(s.version).toBe(v + 1);
  });
});
