// The workflow keeps its own rules (domain/verification.ts): histology comes after the consensus and
// is final (only an admin's amendment of the report changes the label, the stage never drops from
// histology to consensus), review is blind for every role until the consensus, free text is bounded,
// messages speak no database id, and an SOP rejection answers a null image without a second error.
// The refusals one by one, each leaving the database as it was, are in test/bad-input/workflow.test.ts.
import { encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiagnosisClass } from '../src/domain/enums.ts';
import { contradictsHistology, deriveStage, textProblem, WORKFLOW_TEXT_LIMITS } from '../src/domain/verification.ts';
import { graphql } from '../src/gql/index.ts';
import { type AcquisitionPipeline, createPipeline } from '../src/ingest/pipeline.ts';
import { createToken } from '../src/resolvers/tokens.ts';
import { recordConsensus, submitReview } from '../src/resolvers/verification.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createTestEnv, type TestEnv } from './helpers/database.ts';
import { execute, type GraphQLResponse } from './helpers/graphql.ts';
import { lesion, record } from './helpers/images.ts';
import { snapshot } from './helpers/snapshot.ts';

const SIZE = { width: 96, height: 72 };

let env: TestEnv;
let api: Api;
let publicApi: Api;
let pipeline: AcquisitionPipeline;
/** Three reviewers with their own tokens (the API's REVIEWER token is a fourth, who reviews nothing). */
const reviewers: string[] = [];

beforeAll(async () => {
  env = await createTestEnv({ DERMASET_MIN_SIDE: '32' });
  api = await createApi(env);
  publicApi = await createApi(env, { publicRead: true });
  pipeline = createPipeline(env.config, env.db);
  for (const n of [1, 2, 3]) reviewers.push((await createToken(`rules reviewer ${n}`, 'REVIEWER')).token);
});
afterAll(() => env.dispose());

const as = (token: string) => ({ authorization: `Bearer ${token}` });
const reviewer = (k: number) => as(reviewers[k] ?? '');
const admin = () => as(api.tokens.ADMIN);
const code = (r: GraphQLResponse<unknown>) => r.errors?.[0]?.extensions?.code;
const argument = (r: GraphQLResponse<unknown>) =>
  (r.errors?.[0]?.extensions as { argument?: unknown } | undefined)?.argument;

let drawn = 300;
/** A new image at the initial stage, acquired through the pipeline: its row id and global id. */
async function newImage(): Promise<{ row: number; id: string }> {
  drawn += 1;
  const r = await pipeline.ingest({
    bytes: await lesion(drawn, SIZE),
    record: record({ lesion_id: `WR${drawn}`, clinical_diagnosis: 'nevus' }),
    fileName: `${drawn}.jpg`,
    source: 'test',
  });
  if (r.outcome !== 'ACCEPTED') throw new Error(`acquisition: ${r.outcome}`);
  return { row: r.imageId, id: encodeGlobalID('Image', r.imageId) };
}

/** Three independent reviews, as three specialists outside the API would leave them. */
async function threeReviews(row: number, cls: DiagnosisClass = 'MELANOMA') {
  for (const reviewerCode of ['E-1', 'E-2', 'E-3'])
    await submitReview({ imageId: row, reviewerCode, diagnosisClass: cls, structures: [] });
}
async function decided(cls: DiagnosisClass = 'MELANOMA') {
  const image = await newImage();
  await threeReviews(image.row, cls);
  await recordConsensus({ imageId: image.row, diagnosisClass: cls, structures: [], decidedBy: 'E-1' });
  return image;
}

const State = graphql(`
  query WrState($id: ID!) {
    node(id: $id) {
      ... on Image {
        version
        diagnostic { verificationStage diagnosisClass { code } histopathologyResult }
        reviews { diagnosisClass { code } structures }
        consensus { outcome note diagnosisClass { code } }
        histopathology { result diagnosisClass { code } }
        labelChanges { from { code } to { code } reason }
      }
    }
  }
`);
const Reviews = graphql(`
  query WrReviews($id: ID!) { node(id: $id) { ... on Image { reviews { diagnosisClass { code } } } } }
`);
const Review = graphql(`
  mutation WrReview($image: ID!, $v: Int!, $cls: DiagnosisClass!) {
    submitReview(image: $image, expectedVersion: $v, diagnosisClass: $cls, structures: [BLUE_WHITISH_VEIL]) { version }
  }
`);
const Consensus = graphql(`
  mutation WrConsensus($image: ID!, $v: Int!, $cls: DiagnosisClass!, $note: String) {
    recordConsensus(image: $image, expectedVersion: $v, diagnosisClass: $cls, structures: [], note: $note) { version }
  }
`);
const Histology = graphql(`
  mutation WrHistology($image: ID!, $v: Int!, $result: String!, $cls: DiagnosisClass!, $reason: String) {
    attachHistopathology(image: $image, expectedVersion: $v, result: $result, diagnosisClass: $cls, reason: $reason) {
      version
      diagnostic { verificationStage diagnosisClass { code } }
    }
  }
`);
const Correct = graphql(`
  mutation WrCorrect($image: ID!, $v: Int!, $cls: DiagnosisClass!, $reason: String!) {
    correctLabel(image: $image, expectedVersion: $v, diagnosisClass: $cls, reason: $reason) { version }
  }
`);

const state = async (id: string) => {
  const res = await execute(api.yoga, State, { id }, admin());
  expect(res.errors).toBeUndefined();
  const node = res.data?.node;
  if (!node || !('version' in node)) throw new Error('no image');
  return node;
};
const version = async (id: string) => (await state(id)).version;

describe('the rules, as the domain states them', () => {
  it('histology contradicts every other class, and a histology-verified label stays at the histology stage', () => {
    expect(contradictsHistology(null, 'NEVUS')).toBe(false);
    expect(contradictsHistology('MELANOMA', 'MELANOMA')).toBe(false);
    expect(contradictsHistology('MELANOMA', 'NEVUS')).toBe(true);
    for (const hasConsensus of [true, false]) {
      expect(deriveStage({ hasConsensus, histologyClass: 'MELANOMA', label: 'MELANOMA' })).toBe('HISTOLOGY');
    }
  });

  it('counts characters as code points, judges the text without white space at its ends, never quotes it', () => {
    expect(textProblem('note', '😀'.repeat(5), { max: 5 })).toBeNull();
    expect(textProblem('note', '😀'.repeat(6), { max: 5 })).toBe('note is too long: at most 5 characters');
    expect(textProblem('note', `  ${'a'.repeat(5)}  \n`, { max: 5 })).toBeNull();
    expect(textProblem('reason', ' a😀 ', { min: 3, max: 9 })).toBe('reason needs at least 3 characters');
    expect(textProblem('reason', 'a😀b', { min: 3, max: 9 })).toBeNull();
    expect(textProblem('result', ' \t ', { min: 1, max: 9 })).toBe('result must not be empty');
    expect(textProblem('note', '', { max: 9 })).toBeNull();
    expect(textProblem('note', 'secret'.repeat(1_000), { max: 9 })).not.toContain('secret');
  });
});

describe('histology comes after the consensus', () => {
  it('refuses a report for an image without a consensus decision (NO_CONSENSUS): no stage jump, no relabelling', async () => {
    const { id, row } = await newImage();
    await threeReviews(row);
    const before = await snapshot(env);
    const res = await execute(
      api.yoga,
      Histology,
      { image: id, v: await version(id), result: 'Melanoma, superficial spreading', cls: 'MELANOMA' },
      reviewer(0),
    );
    expect(code(res)).toBe('NO_CONSENSUS');
    expect(await snapshot(env)).toEqual(before);
    expect((await state(id)).diagnostic.verificationStage).toBe('INITIAL');
  });

  it('attaches it once the consensus is in: stage histology, the result stored without white space at its ends', async () => {
    const { id } = await decided('MELANOMA');
    const res = await execute(
      api.yoga,
      Histology,
      { image: id, v: await version(id), result: '  Melanoma in situ \n', cls: 'MELANOMA' },
      reviewer(0),
    );
    expect(res.errors).toBeUndefined();
    const s = await state(id);
    expect(s.diagnostic).toEqual({
      verificationStage: 'HISTOLOGY',
      diagnosisClass: { code: 'MELANOMA' },
      histopathologyResult: 'Melanoma in situ',
    });
    expect(s.histopathology).toEqual({ result: 'Melanoma in situ', diagnosisClass: { code: 'MELANOMA' } });
  });

  it('refuses an empty or white-space result (BAD_USER_INPUT naming `result`)', async () => {
    const { id } = await decided('MELANOMA');
    for (const result of ['', '   \n\t ']) {
      const res = await execute(
        api.yoga,
        Histology,
        { image: id, v: await version(id), result, cls: 'MELANOMA' },
        reviewer(0),
      );
      expect(code(res)).toBe('BAD_USER_INPUT');
      expect(argument(res)).toBe('result');
    }
    expect((await state(id)).histopathology).toBeNull();
  });
});

describe('histology is final', () => {
  let image = { id: '', row: 0 };
  beforeAll(async () => {
    image = await decided('MELANOMA');
    const res = await execute(
      api.yoga,
      Histology,
      { image: image.id, v: await version(image.id), result: 'Melanoma in situ', cls: 'MELANOMA' },
      reviewer(1),
    );
    expect(res.errors).toBeUndefined();
  });

  it('refuses an admin’s correction to another class (HISTOLOGY_FINAL): the stage stays histology', async () => {
    const before = await snapshot(env);
    const res = await execute(
      api.yoga,
      Correct,
      { image: image.id, v: await version(image.id), cls: 'DYSPLASTIC_NEVUS', reason: 'looks benign to me' },
      admin(),
    );
    expect(code(res)).toBe('HISTOLOGY_FINAL');
    expect(res.errors?.[0]?.message).toMatch(/MELANOMA/);
    expect(await snapshot(env)).toEqual(before);
    expect((await state(image.id)).diagnostic.verificationStage).toBe('HISTOLOGY');
  });

  it('lets a correction that agrees with the report through, changing neither label nor stage', async () => {
    const before = await state(image.id);
    const res = await execute(
      api.yoga,
      Correct,
      { image: image.id, v: before.version, cls: 'MELANOMA', reason: 'confirmed at the tumour board' },
      admin(),
    );
    expect(res.errors).toBeUndefined();
    const after = await state(image.id);
    expect(after.diagnostic).toEqual(before.diagnostic);
    expect(after.labelChanges).toEqual(before.labelChanges);
  });

  it('refuses a second report without a reason (ALREADY_DECIDED), and a reason from a reviewer (FORBIDDEN)', async () => {
    const before = await snapshot(env);
    const v = await version(image.id);
    const second = await execute(
      api.yoga,
      Histology,
      { image: image.id, v, result: 'Nevus', cls: 'NEVUS' },
      reviewer(2),
    );
    expect(code(second)).toBe('ALREADY_DECIDED');
    const byReviewer = await execute(
      api.yoga,
      Histology,
      { image: image.id, v, result: 'Nevus', cls: 'NEVUS', reason: 'slides re-read' },
      reviewer(2),
    );
    expect(code(byReviewer)).toBe('FORBIDDEN');
    const noAdminReason = await execute(
      api.yoga,
      Histology,
      { image: image.id, v, result: 'Nevus', cls: 'NEVUS' },
      admin(),
    );
    expect(code(noAdminReason)).toBe('ALREADY_DECIDED');
    expect(await snapshot(env)).toEqual(before);
  });

  it('an admin’s amendment with a reason replaces the report; the same class leaves the label log alone', async () => {
    const before = await state(image.id);
    const res = await execute(
      api.yoga,
      Histology,
      {
        image: image.id,
        v: before.version,
        result: 'Melanoma in situ, margins clear',
        cls: 'MELANOMA',
        reason: 'addendum from the pathologist',
      },
      admin(),
    );
    expect(res.errors).toBeUndefined();
    const after = await state(image.id);
    expect(after.histopathology).toEqual({
      result: 'Melanoma in situ, margins clear',
      diagnosisClass: { code: 'MELANOMA' },
    });
    expect(after.diagnostic.histopathologyResult).toBe('Melanoma in situ, margins clear');
    expect(after.labelChanges).toEqual(before.labelChanges);
    expect(await env.db.histopathologyReport.count({ where: { imageId: image.row } })).toBe(1);
  });

  it('an admin’s amendment to another class relabels, logged with the reason, and the stage stays histology', async () => {
    const before = await state(image.id);
    const res = await execute(
      api.yoga,
      Histology,
      {
        image: image.id,
        v: before.version,
        result: 'Dysplastic naevus with severe atypia',
        cls: 'DYSPLASTIC_NEVUS',
        reason: 'second pathologist’s review of the slides',
      },
      admin(),
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.attachHistopathology.diagnostic).toEqual({
      verificationStage: 'HISTOLOGY',
      diagnosisClass: { code: 'DYSPLASTIC_NEVUS' },
    });
    const after = await state(image.id);
    expect(after.labelChanges.slice(before.labelChanges.length)).toEqual([
      {
        from: { code: 'MELANOMA' },
        to: { code: 'DYSPLASTIC_NEVUS' },
        reason: 'histopathology report amended: second pathologist’s review of the slides',
      },
    ]);
    // and the new report is as final as the first
    const back = await execute(
      api.yoga,
      Correct,
      { image: image.id, v: after.version, cls: 'MELANOMA', reason: 'back to the first report' },
      admin(),
    );
    expect(code(back)).toBe('HISTOLOGY_FINAL');
  });

  it('holds for a report attached before the consensus (before this rule): a contradicting consensus is refused, an agreeing one keeps the stage', async () => {
    // what attachHistopathology used to allow: a report, the label relabelled, stage histology, no consensus
    const legacy = await newImage();
    await threeReviews(legacy.row, 'NEVUS');
    await env.db.$transaction([
      env.db.histopathologyReport.create({
        data: {
          imageId: legacy.row,
          resultText: 'Basal cell carcinoma',
          mappedClass: 'BASAL_CELL_CARCINOMA',
          reportedBy: 'E-P',
          reportedAt: new Date(),
        },
      }),
      env.db.image.update({
        where: { id: legacy.row },
        data: { diagnosisClass: 'BASAL_CELL_CARCINOMA', verificationStage: 'HISTOLOGY' },
      }),
    ]);
    const before = await snapshot(env);
    const contradicting = await execute(
      api.yoga,
      Consensus,
      { image: legacy.id, v: await version(legacy.id), cls: 'NEVUS', note: 'all three said nevus' },
      reviewer(0),
    );
    expect(code(contradicting)).toBe('HISTOLOGY_FINAL');
    expect(await snapshot(env)).toEqual(before);
    const agreeing = await execute(
      api.yoga,
      Consensus,
      { image: legacy.id, v: await version(legacy.id), cls: 'BASAL_CELL_CARCINOMA', note: 'the report settles it' },
      reviewer(0),
    );
    expect(agreeing.errors).toBeUndefined();
    const s = await state(legacy.id);
    expect(s.diagnostic.verificationStage).toBe('HISTOLOGY');
    expect(s.consensus).toEqual({
      outcome: 'CONFIRMED',
      note: 'the report settles it',
      diagnosisClass: { code: 'BASAL_CELL_CARCINOMA' },
    });
  });
});

describe('blind review, for every role', () => {
  let id = '';
  const seen = async (headers: Record<string, string>, yoga = api.yoga) => {
    const res = await execute(yoga, Reviews, { id }, headers);
    expect(res.errors).toBeUndefined();
    const node = res.data?.node;
    return node && 'reviews' in node ? node.reviews.map((r) => r.diagnosisClass.code) : undefined;
  };

  it('shows a pending review to its author and to admins only', async () => {
    id = (await newImage()).id;
    const res = await execute(api.yoga, Review, { image: id, v: await version(id), cls: 'MELANOMA' }, reviewer(0));
    expect(res.errors).toBeUndefined();
    expect(await seen(reviewer(0))).toEqual(['MELANOMA']);
    expect(await seen(admin())).toEqual(['MELANOMA']);
    expect(await seen(reviewer(1))).toEqual([]);
    for (const role of ['VIEWER', 'ANNOTATOR', 'REVIEWER'] as const) expect(await seen(api.headers(role))).toEqual([]);
    expect(await seen({}, publicApi.yoga)).toEqual([]); // anonymous, under public read
  });

  it('shows a reviewer the others once their own is in (the three decide together)', async () => {
    const res = await execute(api.yoga, Review, { image: id, v: await version(id), cls: 'NEVUS' }, reviewer(1));
    expect(res.errors).toBeUndefined();
    expect(await seen(reviewer(1))).toEqual(['MELANOMA', 'NEVUS']);
    expect(await seen(api.headers('VIEWER'))).toEqual([]);
    expect(await seen(api.headers('ANNOTATOR'))).toEqual([]);
  });

  it('shows every review to every role once the consensus is reached', async () => {
    expect(
      (await execute(api.yoga, Review, { image: id, v: await version(id), cls: 'MELANOMA' }, reviewer(2))).errors,
    ).toBeUndefined();
    const res = await execute(api.yoga, Consensus, { image: id, v: await version(id), cls: 'MELANOMA' }, reviewer(2));
    expect(res.errors).toBeUndefined();
    const all = ['MELANOMA', 'NEVUS', 'MELANOMA'];
    for (const role of ['VIEWER', 'ANNOTATOR', 'REVIEWER', 'ADMIN'] as const)
      expect(await seen(api.headers(role))).toEqual(all);
    expect(await seen({}, publicApi.yoga)).toEqual(all);
  });
});

describe('free text is bounded', () => {
  const { note: NOTE, reason: REASON, result: RESULT } = WORKFLOW_TEXT_LIMITS;

  it('takes a note of exactly the limit in characters, not UTF-16 units; white space only is no note', async () => {
    const a = await newImage();
    await threeReviews(a.row);
    const note = '🩺'.repeat(NOTE); // 2,000 characters, 4,000 UTF-16 units
    const res = await execute(
      api.yoga,
      Consensus,
      { image: a.id, v: await version(a.id), cls: 'MELANOMA', note },
      reviewer(0),
    );
    expect(res.errors).toBeUndefined();
    expect((await state(a.id)).consensus?.note).toBe(note);
    const b = await newImage();
    await threeReviews(b.row);
    const blank = await execute(
      api.yoga,
      Consensus,
      { image: b.id, v: await version(b.id), cls: 'MELANOMA', note: ' \n ' },
      reviewer(0),
    );
    expect(blank.errors).toBeUndefined();
    expect((await state(b.id)).consensus?.note).toBeNull();
  });

  it('takes a result and a reason of exactly their limits', async () => {
    const { id } = await decided('MELANOMA');
    const result = 'r'.repeat(RESULT);
    expect(
      (await execute(api.yoga, Histology, { image: id, v: await version(id), result, cls: 'MELANOMA' }, reviewer(0)))
        .errors,
    ).toBeUndefined();
    const other = await decided('NEVUS');
    const reason = 'x'.repeat(REASON);
    expect(
      (
        await execute(
          api.yoga,
          Correct,
          { image: other.id, v: await version(other.id), cls: 'DERMATOFIBROMA', reason },
          admin(),
        )
      ).errors,
    ).toBeUndefined();
    expect((await state(other.id)).labelChanges.at(-1)?.reason).toBe(reason);
  });

  it('refuses one character more, naming the argument and the limit, never echoing the text', async () => {
    const { id, row } = await newImage();
    await threeReviews(row);
    const report = await decided('MELANOMA');
    const v = await version(id);
    const cases = [
      {
        argument: 'note',
        limit: NOTE,
        run: (text: string) => execute(api.yoga, Consensus, { image: id, v, cls: 'MELANOMA', note: text }, reviewer(0)),
      },
      {
        argument: 'reason',
        limit: REASON,
        run: (text: string) => execute(api.yoga, Correct, { image: id, v, cls: 'NEVUS', reason: text }, admin()),
      },
      {
        argument: 'result',
        limit: RESULT,
        run: async (text: string) =>
          execute(
            api.yoga,
            Histology,
            { image: report.id, v: await version(report.id), result: text, cls: 'MELANOMA' },
            reviewer(0),
          ),
      },
    ];
    const before = await snapshot(env);
    for (const c of cases) {
      for (const text of [`${'Q'.repeat(c.limit)}!`, 'Q'.repeat(200_000)]) {
        const res = await c.run(text);
        expect(code(res)).toBe('BAD_USER_INPUT');
        expect(argument(res)).toBe(c.argument);
        expect(res.errors?.[0]?.message).toContain(String(c.limit));
        expect(JSON.stringify(res)).not.toContain('QQQQ');
      }
    }
    expect(await snapshot(env)).toEqual(before);
  });
});

describe('messages name no database id', () => {
  it('speaks of “the image”: a conflict, a duplicate review, an unknown image', async () => {
    const { id, row } = await newImage();
    const v = await version(id);
    expect((await execute(api.yoga, Review, { image: id, v, cls: 'NEVUS' }, reviewer(0))).errors).toBeUndefined();
    const stale = await execute(api.yoga, Review, { image: id, v, cls: 'NEVUS' }, reviewer(1));
    const duplicate = await execute(api.yoga, Review, { image: id, v: v + 1, cls: 'NEVUS' }, reviewer(0));
    const unknown = await execute(
      api.yoga,
      Review,
      { image: encodeGlobalID('Image', 2_147_483_000), v: 1, cls: 'NEVUS' },
      reviewer(0),
    );
    expect([code(stale), code(duplicate), code(unknown)]).toEqual(['CONFLICT', 'DUPLICATE_REVIEW', 'NOT_FOUND']);
    for (const res of [stale, duplicate, unknown]) {
      const message = res.errors?.[0]?.message ?? '';
      expect(message).not.toMatch(/\bimage \d/);
      expect(message).not.toContain(String(row));
      expect(message).not.toContain('2147483000');
    }
  });

  it('names an acquisition’s intake row by its global id', async () => {
    const bytes = await lesion(399, SIZE);
    const rec = record({ lesion_id: 'WR399', sex: 'not-a-sex' });
    const first = await acquire(bytes, rec, '{ outcome }');
    const again = await acquire(bytes, rec, '{ outcome }');
    expect([code(first), code(again)]).toEqual(['INVALID_RECORD', 'ALREADY_PROCESSED']);
    const rows = await env.db.intakeRecord.findMany({
      where: { outcome: 'REJECTED_INVALID' },
      orderBy: { id: 'desc' },
    });
    const global = encodeGlobalID('IntakeRecord', rows[0]?.id ?? 0);
    for (const res of [first, again])
      expect((res.errors?.[0]?.extensions as { intakeId?: unknown } | undefined)?.intakeId).toBe(global);
  });
});

/** A multipart upload (GraphQL multipart request spec) as an annotator, selecting `selection`. */
async function acquire(bytes: Buffer, rec: Record<string, unknown>, selection: string) {
  const query = `mutation WrAcquire($file: File!, $record: JSONObject!) { createInitialAnnotation(file: $file, record: $record) ${selection} }`;
  const form = new FormData();
  form.append('operations', JSON.stringify({ query, variables: { file: null, record: rec } }));
  form.append('map', JSON.stringify({ 0: ['variables.file'] }));
  form.append('0', new File([new Uint8Array(bytes)], 'lesion.jpg', { type: 'image/jpeg' }));
  const res = await api.yoga.fetch('http://test/graphql', {
    method: 'POST',
    headers: api.headers('ANNOTATOR'),
    body: form,
  });
  return (await res.json()) as GraphQLResponse<{ createInitialAnnotation: Record<string, unknown> }>;
}

describe('an SOP rejection', () => {
  it('answers REJECTED_QUALITY with a null image and no second error, the image selected or not', async () => {
    const bytes = await lesion(398, SIZE);
    const res = await acquire(
      bytes,
      record({ lesion_id: 'WR398', image_quality_score: '2' }),
      '{ outcome intake { id outcome } image { id sha256 reviews { structures } } }',
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.createInitialAnnotation).toMatchObject({
      outcome: 'REJECTED_QUALITY',
      intake: { outcome: 'REJECTED_QUALITY' },
      image: null,
    });
  });
});

describe('the four workflow mutations say what they refuse', () => {
  const Mutations = graphql(`
    query WrMutations { __schema { mutationType { fields { name description } } } }
  `);
  const REFUSALS: Record<string, string[]> = {
    submitReview: [
      'UNAUTHENTICATED',
      'FORBIDDEN',
      'BAD_USER_INPUT',
      'NOT_FOUND',
      'ALREADY_DECIDED',
      'DUPLICATE_REVIEW',
      'CONFLICT',
    ],
    recordConsensus: [
      'UNAUTHENTICATED',
      'FORBIDDEN',
      'BAD_USER_INPUT',
      'NOT_FOUND',
      'ALREADY_DECIDED',
      'HISTOLOGY_FINAL',
      'NOT_ENOUGH_REVIEWS',
      'CONFLICT',
    ],
    attachHistopathology: [
      'UNAUTHENTICATED',
      'FORBIDDEN',
      'BAD_USER_INPUT',
      'NOT_FOUND',
      'NO_CONSENSUS',
      'ALREADY_DECIDED',
      'CONFLICT',
    ],
    correctLabel: ['UNAUTHENTICATED', 'FORBIDDEN', 'BAD_USER_INPUT', 'NOT_FOUND', 'HISTOLOGY_FINAL', 'CONFLICT'],
  };

  it('lists every code each one answers with in its description, and no other', async () => {
    const res = await execute(api.yoga, Mutations, undefined, admin());
    const fields = res.data?.__schema.mutationType?.fields ?? [];
    for (const [name, codes] of Object.entries(REFUSALS)) {
      const description = fields.find((f) => f.name === name)?.description ?? '';
      const listed = new Set([...description.matchAll(/`([A-Z][A-Z_]+)`/g)].map((m) => m[1]));
      expect([...listed].sort(), name).toEqual([...codes].sort());
    }
  });
});
