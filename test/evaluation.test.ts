// evaluation(input) on the demo cohort, with two models whose predictions this test inserts
// (seeded scores that depend on each image's label under screening-binary, every 13th image left
// without one). Each number is held to an independent computation made here from a Prisma read of
// the same images: the domain functions on the test's own arrays, patientBootstrap on the same seed,
// cohenKappa on the test's own pairing of reviews, pairedAurocDifference for the comparison. Then
// the subset kinds, the errors connection, saved evaluations, reviewer codes by role, the refusals
// (nothing written) and a release's evaluation reproduced byte for byte after live labels change.
import { encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useDatabase } from '../src/db/current.ts';
import { toolActor } from '../src/domain/actor.ts';
import { cohenKappa } from '../src/domain/agreement.ts';
import { CLASSES } from '../src/domain/classes.ts';
import { pairedAurocDifference } from '../src/domain/evaluation-bootstrap.ts';
import {
  auroc,
  averagePrecision,
  calibration,
  confusionAt,
  patientBootstrap,
  type Scored,
  thresholdAtSensitivity,
} from '../src/domain/evaluation-metrics.ts';
import type { EvaluationResult } from '../src/domain/evaluation-result.ts';
import { Random } from '../src/domain/random.ts';
import { CLASS_TERM } from '../src/domain/terms.ts';
import { decide } from '../src/plugins/evaluate.ts';
import { registry } from '../src/plugins/index.ts';
import { configureEvaluationWorkers, workerBatches } from '../src/resolvers/evaluation-workers.ts';
import { createRelease } from '../src/resolvers/releases.ts';
import { createSplit } from '../src/resolvers/splits.ts';
import { requestScope } from '../src/resolvers/subset.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createCohortEnv } from './helpers/cohort.ts';
import type { TestEnv } from './helpers/database.ts';

const POLICY = 'screening-binary';
const SEED = 20261130;

let env: TestEnv;
let api: Api;
let modelA = 0;
let modelB = 0;
const gidA = () => encodeGlobalID('Model', modelA);
const gidB = () => encodeGlobalID('Model', modelB);

interface Answer<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; argument?: string } }[];
}
async function ask<T>(
  query: string,
  variables: Record<string, unknown> = {},
  role: Parameters<Api['headers']>[0] = 'VIEWER',
) {
  const res = await api.yoga.fetch('http://test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...api.headers(role) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as Answer<T>;
}

const EST = 'value lower upper';
const METRICS = `images patients positives negatives confusion { tp fp tn fn } sensitivity { ${EST} } specificity { ${EST} }
  ppv { ${EST} } npv { ${EST} } balancedAccuracy { ${EST} } auroc { ${EST} } auprc { ${EST} } ece { ${EST} }`;
const RESULT = `input { subset subsetInput policy positive threshold operatingPointSensitivity bins minStratumPatients model { name version } }
  bootstrap { unit resamples seed level note } missingPredictions unlabelled overall { ${METRICS} }
  reliability { lower upper count meanScore positiveRate } roc { fpr tpr threshold }
  strata { dimension value tooSmall ${METRICS} } raters { kind rater images kappa agreement }
  expertDisagreement { unanimous { images modelAgreesWithConsensus kappa } split { images modelAgreesWithConsensus kappa } }`;
const EVALUATE = `query E($input: EvaluationInput!) { evaluation(input: $input) { ${RESULT} } }`;

type Shown = Omit<EvaluationResult, 'input'> & {
  input: { threshold: number; operatingPointSensitivity: number | null; subset: string; policy: string };
};
const evaluation = async (input: Record<string, unknown>, role: Parameters<Api['headers']>[0] = 'VIEWER') =>
  ask<{ evaluation: Shown }>(EVALUATE, { input: { model: gidA(), positive: ['malignant'], ...input } }, role);

/** The evaluated images as this test reads them: every image with a prediction of the model and a label. */
interface Truth {
  imageId: number;
  patientId: number;
  score: number;
  positive: 0 | 1;
  label: string;
  stage: string;
  sex: string | null;
  collection: string;
}

async function truthOf(
  modelId: number,
  where: object = {},
): Promise<{ rows: Truth[]; missing: number; excluded: number }> {
  const policy = registry.policy(POLICY) as NonNullable<ReturnType<typeof registry.policy>>;
  const images = await env.db.image.findMany({
    where,
    orderBy: { id: 'asc' },
    select: {
      id: true,
      patientId: true,
      diagnosisClass: true,
      diagnosisTerm: true,
      clinicalStatus: true,
      verificationStage: true,
      patient: { select: { sex: true } },
      collection: { select: { slug: true } },
      predictions: { where: { modelId }, select: { scores: true } },
    },
  });
  const rows: Truth[] = [];
  let missing = 0;
  let excluded = 0;
  for (const i of images) {
    const p = i.predictions[0];
    if (!p) {
      missing++;
      continue;
    }
    const d = decide(policy, i);
    if (d.kind !== 'mapped') {
      excluded++;
      continue;
    }
    const scores = JSON.parse(p.scores) as number[];
    rows.push({
      imageId: i.id,
      patientId: i.patientId,
      score: scores[1] as number,
      positive: d.label === 'malignant' ? 1 : 0,
      label: d.label,
      stage: i.verificationStage,
      sex: i.patient.sex,
      collection: i.collection.slug,
    });
  }
  return { rows, missing, excluded };
}

const scoredOf = (rows: Truth[]): Scored => ({
  score: Float64Array.from(rows, (r) => r.score),
  positive: Uint8Array.from(rows, (r) => r.positive),
  patient: Int32Array.from(rows, (r) => r.patientId),
});

beforeAll(async () => {
  env = await createCohortEnv();
  api = await createApi(env);
  useDatabase(env.db);
  const policy = registry.policy(POLICY) as NonNullable<ReturnType<typeof registry.policy>>;
  const make = (name: string) =>
    env.db.model.create({
      data: {
        name,
        version: '1',
        policyId: policy.id,
        policyVersion: policy.version,
        labels: JSON.stringify(policy.labels),
        createdBy: 'test',
      },
    });
  modelA = (await make('eval-a')).id;
  modelB = (await make('eval-b')).id;
  const images = await env.db.image.findMany({
    orderBy: { id: 'asc' },
    select: { id: true, diagnosisClass: true, diagnosisTerm: true, clinicalStatus: true, verificationStage: true },
  });
  const random = new Random(SEED);
  const a: { modelId: number; imageId: number; scores: string }[] = [];
  const b: typeof a = [];
  for (const i of images) {
    if (i.id % 13 === 0) continue;
    const d = decide(policy, i);
    const malignant = d.kind === 'mapped' && d.label === 'malignant';
    // scores rounded to 2 decimals: many ties
    const sa = Math.round((malignant ? 0.3 + 0.7 * random.next() : 0.75 * random.next()) * 100) / 100;
    const sb = Math.round((malignant ? 0.2 + 0.8 * random.next() : 0.85 * random.next()) * 100) / 100;
    a.push({ modelId: modelA, imageId: i.id, scores: JSON.stringify([1 - sa, sa]) });
    b.push({ modelId: modelB, imageId: i.id, scores: JSON.stringify([1 - sb, sb]) });
  }
  await env.db.prediction.createMany({ data: a });
  await env.db.prediction.createMany({ data: b });
}, 600_000);

afterAll(async () => {
  await env?.dispose();
});

describe('the whole cohort (filter {})', () => {
  let r: Shown;
  let truth: Awaited<ReturnType<typeof truthOf>>;
  beforeAll(async () => {
    const res = await evaluation({ subset: { filter: {} }, resamples: 200, seed: 7 });
    expect(res.errors).toBeUndefined();
    r = res.data?.evaluation as Shown;
    truth = await truthOf(modelA);
  });

  it('counts what it leaves out: images without a prediction, images the policy does not label', () => {
    expect(r.missingPredictions).toBe(truth.missing);
    expect(r.unlabelled).toBe(truth.excluded);
    expect(r.overall.images).toBe(truth.rows.length);
    expect(r.overall.patients).toBe(new Set(truth.rows.map((x) => x.patientId)).size);
    expect(r.input.threshold).toBe(0.5);
    expect(r.input.policy).toBe(POLICY);
    expect(r.bootstrap).toMatchObject({ unit: 'PATIENT', resamples: 200, seed: 7, level: 0.95 });
    expect(r.bootstrap.note).toMatch(/resampled by patient/);
  });

  it('equals the domain functions on the same arrays', () => {
    const s = scoredOf(truth.rows);
    const c = confusionAt(s, 0.5);
    expect(r.overall.confusion).toEqual({ tp: c.tp, fp: c.fp, tn: c.tn, fn: c.fn });
    expect(r.overall.sensitivity.value).toBeCloseTo(c.sensitivity as number, 12);
    expect(r.overall.specificity.value).toBeCloseTo(c.specificity as number, 12);
    expect(r.overall.ppv.value).toBeCloseTo(c.ppv as number, 12);
    expect(r.overall.npv.value).toBeCloseTo(c.npv as number, 12);
    expect(r.overall.balancedAccuracy.value).toBeCloseTo(c.balancedAccuracy as number, 12);
    expect(r.overall.auroc.value).toBeCloseTo(auroc(s) as number, 12);
    expect(r.overall.auprc.value).toBeCloseTo(averagePrecision(s) as number, 12);
    const cal = calibration(s, 10);
    expect(r.overall.ece.value).toBeCloseTo(cal.ece as number, 12);
    expect(r.reliability.map((b) => b.count)).toEqual(cal.table.map((b) => b.n));
    expect(r.roc.length).toBeLessThanOrEqual(201);
    expect(r.roc[0]).toMatchObject({ fpr: 0, tpr: 0 });
    expect(r.roc[r.roc.length - 1]).toMatchObject({ fpr: 1, tpr: 1 });
  });

  it('intervals are patientBootstrap’s on the same seed', () => {
    const s = scoredOf(truth.rows);
    for (const [field, stat] of [
      ['auroc', auroc],
      ['auprc', averagePrecision],
      ['sensitivity', (x: Scored) => confusionAt(x, 0.5).sensitivity],
      ['ece', (x: Scored) => calibration(x, 10).ece],
    ] as const) {
      const ref = patientBootstrap(s, stat, { resamples: 200, seed: 7 });
      expect(r.overall[field].lower, field).toBeCloseTo(ref.lower as number, 10);
      expect(r.overall[field].upper, field).toBeCloseTo(ref.upper as number, 10);
    }
  });

  it('strata: every dimension’s Ns add up to the whole; the too small are marked and have no interval', () => {
    const dims = [...new Set(r.strata.map((s) => s.dimension))];
    expect(dims).toEqual([
      'VERIFICATION_STAGE',
      'FITZPATRICK_TYPE',
      'SEX',
      'AGE_BAND',
      'ANATOMICAL_SITE',
      'COLLECTION',
    ]);
    for (const d of dims) {
      const strata = r.strata.filter((s) => s.dimension === d);
      const sum = (k: 'images' | 'positives' | 'negatives') => strata.reduce((a, s) => a + s[k], 0);
      expect(sum('images'), d).toBe(r.overall.images);
      expect(sum('positives'), d).toBe(r.overall.positives);
      expect(sum('negatives'), d).toBe(r.overall.negatives);
    }
    for (const s of r.strata) {
      const small = s.patients < 10 || s.positives === 0 || s.negatives === 0;
      expect(s.tooSmall, `${s.dimension} ${s.value}`).toBe(small);
      if (small) expect([s.auroc.lower, s.sensitivity.upper]).toEqual([null, null]);
    }
    // a stratum's point estimates are the domain functions on its own images
    const stage = r.strata.find((s) => s.dimension === 'VERIFICATION_STAGE' && s.value === 'HISTOLOGY');
    const rows = truth.rows.filter((x) => x.stage === 'HISTOLOGY');
    expect(stage?.images).toBe(rows.length);
    const v = auroc(scoredOf(rows));
    if (v === null) expect(stage?.auroc.value).toBeNull();
    else expect(stage?.auroc.value).toBeCloseTo(v, 12);
    const sex = r.strata.filter((s) => s.dimension === 'SEX');
    expect(sex.map((s) => s.images)).toEqual(sex.map((s) => truth.rows.filter((x) => x.sex === s.value).length));
  });

  it('κ against each reviewer and the consensus equals cohenKappa on the pairs made here', async () => {
    const policy = registry.policy(POLICY) as NonNullable<ReturnType<typeof registry.policy>>;
    const call = new Map(truth.rows.map((x) => [x.imageId, x.score >= 0.5 ? 'P' : 'N']));
    const mapped = (cls: keyof typeof CLASSES | null, term: string, status: string) => {
      const d = decide(policy, {
        diagnosisClass: cls,
        diagnosisTerm: cls ? CLASS_TERM[cls] : term,
        clinicalStatus: (cls ? CLASSES[cls].status : status) as 'BENIGN',
        verificationStage: 'CONSENSUS',
      });
      return d.kind === 'mapped' ? (d.label === 'malignant' ? 'P' : 'N') : null;
    };
    const reviews = await env.db.expertReview.findMany({
      where: { image: { consensus: { isNot: null } } },
      select: {
        imageId: true,
        reviewerCode: true,
        diagnosisClass: true,
        image: { select: { diagnosisTerm: true, clinicalStatus: true } },
      },
    });
    const byReviewer = new Map<string, { m: string[]; r: string[] }>();
    for (const rv of reviews) {
      const m = call.get(rv.imageId);
      const c = mapped(rv.diagnosisClass, rv.image.diagnosisTerm, rv.image.clinicalStatus);
      if (!m || !c) continue;
      const x = byReviewer.get(rv.reviewerCode) ?? { m: [], r: [] };
      x.m.push(m);
      x.r.push(c);
      byReviewer.set(rv.reviewerCode, x);
    }
    const reviewerRows = r.raters.filter((x) => x.kind === 'REVIEWER');
    expect(reviewerRows.length).toBe(byReviewer.size);
    expect(reviewerRows.length).toBeGreaterThan(0);
    // viewers do not see the codes: match by the sorted codes' order
    const codes = [...byReviewer.keys()].sort();
    reviewerRows.forEach((row, k) => {
      const x = byReviewer.get(codes[k] as string) as { m: string[]; r: string[] };
      expect(row.rater).toBeNull();
      expect(row.images).toBe(x.m.length);
      expect(row.kappa).toBeCloseTo(cohenKappa(x.m, x.r).kappa as number, 12);
    });
    const decisions = await env.db.consensusDecision.findMany({
      select: { imageId: true, diagnosisClass: true, image: { select: { diagnosisTerm: true, clinicalStatus: true } } },
    });
    const cm: string[] = [];
    const cr: string[] = [];
    for (const d of decisions) {
      const m = call.get(d.imageId);
      const c = mapped(d.diagnosisClass, d.image.diagnosisTerm, d.image.clinicalStatus);
      if (!m || !c) continue;
      cm.push(m);
      cr.push(c);
    }
    const consensus = r.raters.find((x) => x.kind === 'CONSENSUS');
    expect(consensus?.images).toBe(cm.length);
    expect(consensus?.kappa).toBeCloseTo(cohenKappa(cm, cr).kappa as number, 12);
    const histo = truth.rows.filter((x) => x.stage === 'HISTOLOGY');
    const h = r.raters.find((x) => x.kind === 'HISTOLOGY');
    expect(h?.images).toBe(histo.length);
    const hk = cohenKappa(
      histo.map((x) => (x.score >= 0.5 ? 'P' : 'N')),
      histo.map((x) => (x.positive ? 'P' : 'N')),
    ).kappa;
    if (hk === null) expect(h?.kappa).toBeNull();
    else expect(h?.kappa).toBeCloseTo(hk, 12);
    const { unanimous, split } = r.expertDisagreement;
    expect(unanimous.images + split.images).toBeLessThanOrEqual(cm.length);
  });

  it('reviewers and admins see the reviewers’ codes', async () => {
    const res = await evaluation({ subset: { filter: {} }, resamples: 0 }, 'REVIEWER');
    const codes = res.data?.evaluation.raters.filter((x) => x.kind === 'REVIEWER').map((x) => x.rater);
    expect(codes?.length).toBeGreaterThan(0);
    expect(codes?.every((c) => typeof c === 'string')).toBe(true);
  });
});

describe('on worker threads', () => {
  it('an evaluation and a comparison answer the same when their resamples run on worker threads', async () => {
    const evaluate = {
      input: { model: gidA(), positive: ['malignant'], subset: { filter: {} }, resamples: 120, seed: 3 },
    };
    const compare = `query C($input: ModelComparisonInput!) { modelComparison(input: $input) { images
      aurocA { ${EST} } aurocB { ${EST} } difference { ${EST} } } }`;
    const pair = {
      input: { models: [gidA(), gidB()], subset: { filter: {} }, positive: ['malignant'], resamples: 90, seed: 2 },
    };
    const inline = [await ask(EVALUATE, evaluate), await ask(compare, pair)];
    // the demo-sized cohort is below the work that starts workers: force them; another operation
    // name, so that the response cache does not answer
    const before = configureEvaluationWorkers({ threads: 2, minWork: 0 });
    const batches = workerBatches();
    try {
      const threaded = [
        await ask(EVALUATE.replace('query E(', 'query OnWorkers('), evaluate),
        await ask(compare.replace('query C(', 'query OnWorkers('), pair),
      ];
      expect(threaded[0]?.errors).toBeUndefined();
      expect(threaded[1]?.errors).toBeUndefined();
      expect(threaded).toEqual(inline);
      // 120 and 90 resamples, 4 to a batch
      expect(workerBatches() - batches).toBe(30 + 23);
    } finally {
      configureEvaluationWorkers({ threads: 0 });
      configureEvaluationWorkers(before);
    }
  });
});

describe('threshold and operating point', () => {
  it('an operating point finds the threshold on the whole subset, and strata use it', async () => {
    const res = await evaluation({ subset: { filter: {} }, operatingPoint: { sensitivity: 0.9 }, resamples: 0 });
    expect(res.errors).toBeUndefined();
    const r = res.data?.evaluation as Shown;
    const truth = await truthOf(modelA);
    const t = thresholdAtSensitivity(scoredOf(truth.rows), 0.9) as number;
    expect(r.input.threshold).toBe(t);
    expect(r.input.operatingPointSensitivity).toBe(0.9);
    expect(r.overall.sensitivity.value).toBeGreaterThanOrEqual(0.9);
    const c = confusionAt(scoredOf(truth.rows), t);
    expect(r.overall.confusion).toEqual({ tp: c.tp, fp: c.fp, tn: c.tn, fn: c.fn });
    // no intervals without resamples
    expect(r.overall.auroc.lower).toBeNull();
  });
});

describe('subset kinds', () => {
  it('a collection equals the filter on that collection', async () => {
    const slug = (await env.db.collection.findFirst({ orderBy: { id: 'asc' }, select: { slug: true } }))
      ?.slug as string;
    const byCollection = await evaluation({ subset: { collection: slug }, resamples: 0 });
    const byFilter = await evaluation({ subset: { filter: { collection: [slug] } }, resamples: 0 });
    expect(byCollection.errors).toBeUndefined();
    expect(byCollection.data?.evaluation.overall).toEqual(byFilter.data?.evaluation.overall);
    expect(byCollection.data?.evaluation.input.subset).toBe(`collection ${slug}`);
  });

  it('a filter selects (sex: FEMALE)', async () => {
    const res = await evaluation({ subset: { filter: { sex: ['FEMALE'] } }, resamples: 0 });
    const truth = await truthOf(modelA, { patient: { sex: 'FEMALE' } });
    expect(res.data?.evaluation.overall.images).toBe(truth.rows.length);
    expect(res.data?.evaluation.missingPredictions).toBe(truth.missing);
  });

  it('a split part: its images only', async () => {
    const id = await createSplit(
      requestScope(),
      { policy: POLICY, seed: 3, fractions: { train: 0.7, validation: 0.15, test: 0.15 } },
      toolActor('test'),
    );
    const res = await evaluation({ subset: { split: { id, part: 'TEST' } }, resamples: 0 });
    expect(res.errors).toBeUndefined();
    const truth = await truthOf(modelA, { splitAssignments: { some: { splitId: id, part: 'test' } } });
    expect(res.data?.evaluation.overall.images).toBe(truth.rows.length);
    expect(res.data?.evaluation.overall.auroc.value).toBeCloseTo(auroc(scoredOf(truth.rows)) as number, 12);
  });
});

describe('the errors connection', () => {
  const ERRORS = `query E($input: EvaluationInput!, $first: Int, $after: String, $filter: ImageFilter) {
    evaluation(input: $input) { overall { images } errors(first: $first, after: $after, filter: $filter) {
      totalCount pageInfo { hasNextPage endCursor } edges { cursor node { image { id sha256 } score positive label loss } } } } }`;
  type Page = {
    evaluation: {
      overall: { images: number };
      errors: {
        totalCount: number;
        pageInfo: { hasNextPage: boolean; endCursor: string };
        edges: { node: { image: { sha256: string }; score: number; positive: boolean; loss: number } }[];
      };
    };
  };
  const input = { model: encodeGlobalID('Model', 0), subset: { filter: {} }, positive: ['malignant'], resamples: 0 };

  it('largest loss first, paged, with the total', async () => {
    const first = await ask<Page>(ERRORS, { input: { ...input, model: gidA() }, first: 5 });
    expect(first.errors).toBeUndefined();
    const e = first.data?.evaluation.errors;
    expect(e?.totalCount).toBe(first.data?.evaluation.overall.images);
    const losses = e?.edges.map((x) => x.node.loss) ?? [];
    expect(losses).toEqual([...losses].sort((a, b) => b - a));
    for (const x of e?.edges ?? [])
      expect(x.node.loss).toBeCloseTo(x.node.positive ? -Math.log(x.node.score) : -Math.log(1 - x.node.score), 9);
    const next = await ask<Page>(ERRORS, {
      input: { ...input, model: gidA() },
      first: 5,
      after: e?.pageInfo.endCursor,
    });
    const more = next.data?.evaluation.errors.edges.map((x) => x.node.loss) ?? [];
    expect(more[0]).toBeLessThanOrEqual(losses[4] as number);
    const shas = new Set(e?.edges.map((x) => x.node.image.sha256));
    expect(next.data?.evaluation.errors.edges.some((x) => shas.has(x.node.image.sha256))).toBe(false);
  });

  it('filterable like images: the filter intersects', async () => {
    const res = await ask<Page>(ERRORS, { input: { ...input, model: gidA() }, first: 3, filter: { sex: ['MALE'] } });
    const truth = await truthOf(modelA, { patient: { sex: 'MALE' } });
    expect(res.data?.evaluation.errors.totalCount).toBe(truth.rows.length);
  });

  it('refuses a page over 200', async () => {
    const res = await ask<Page>(ERRORS, { input: { ...input, model: gidA() }, first: 201 });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('refusals change nothing', () => {
  const refused = async (input: Record<string, unknown>, code = 'BAD_USER_INPUT') => {
    const before = await env.db.evaluation.count();
    const res = await ask('mutation S($input: EvaluationInput!) { saveEvaluation(input: $input) { id } }', {
      input: { model: gidA(), positive: ['malignant'], subset: { filter: {} }, resamples: 0, ...input },
    });
    expect(res.errors?.[0]?.extensions?.code, JSON.stringify(res.errors)).toBe(code);
    expect(await env.db.evaluation.count()).toBe(before);
    return res.errors?.[0];
  };
  it.each([
    ['an unknown model', { model: encodeGlobalID('Model', 99999) }, 'NOT_FOUND'],
    ['a positive label the policy lacks', { positive: ['melanoma'] }, 'BAD_USER_INPUT'],
    ['every label positive', { positive: ['malignant', 'benign'] }, 'BAD_USER_INPUT'],
    ['no positive label', { positive: [] }, 'BAD_USER_INPUT'],
    ['threshold and operatingPoint both', { threshold: 0.4, operatingPoint: { sensitivity: 0.9 } }, 'BAD_USER_INPUT'],
    ['a threshold above 1', { threshold: 1.5 }, 'BAD_USER_INPUT'],
    ['a sensitivity of 0', { operatingPoint: { sensitivity: 0 } }, 'BAD_USER_INPUT'],
    ['resamples over 10,000', { resamples: 10_001 }, 'BAD_USER_INPUT'],
    ['one bin', { bins: 1 }, 'BAD_USER_INPUT'],
    ['minStratumPatients 0', { minStratumPatients: 0 }, 'BAD_USER_INPUT'],
    ['two subset kinds', { subset: { filter: {}, collection: 'x' } }, 'BAD_USER_INPUT'],
    ['no subset kind', { subset: {} }, 'BAD_USER_INPUT'],
    ['an unknown collection', { subset: { collection: 'no-such-collection' } }, 'BAD_USER_INPUT'],
    ['an unknown release', { subset: { release: 'no-such-release' } }, 'BAD_USER_INPUT'],
    ['an unknown split', { subset: { split: { id: 'no-such-split' } } }, 'BAD_USER_INPUT'],
    ['an unknown policy', { policy: 'no-such-policy' }, 'BAD_USER_INPUT'],
  ] as const)('%s', async (_name, input, code) => {
    await refused(input as Record<string, unknown>, code);
  });

  it('another type’s id for the model', async () => {
    await refused({ model: encodeGlobalID('Image', 1) });
  });

  it('saveEvaluation needs a token', async () => {
    const res = await ask(
      'mutation S($input: EvaluationInput!) { saveEvaluation(input: $input) { id } }',
      { input: { model: gidA(), positive: ['malignant'], subset: { filter: {} }, resamples: 0 } },
      null,
    );
    expect(res.errors?.[0]?.extensions?.code).toMatch(/UNAUTHENTICATED|FORBIDDEN/);
  });
});

describe('saved evaluations', () => {
  it('saving the same evaluation twice gives the one row; savedEvaluation reads it back with its report URL', async () => {
    const SAVE = `mutation S($input: EvaluationInput!) { saveEvaluation(input: $input) {
      id createdAt reportUrl result { overall { auroc { value lower upper } } errors(first: 2) { totalCount } } } }`;
    const input = { model: gidA(), positive: ['malignant'], subset: { filter: {} }, resamples: 50, seed: 1 };
    type Saved = {
      saveEvaluation: {
        id: string;
        reportUrl: string;
        result: { overall: { auroc: { value: number } }; errors: { totalCount: number } };
      };
    };
    const before = await env.db.evaluation.count();
    const a = await ask<Saved>(SAVE, { input });
    expect(a.errors).toBeUndefined();
    const b = await ask<Saved>(SAVE, { input });
    expect(b.data?.saveEvaluation.id).toBe(a.data?.saveEvaluation.id);
    expect(await env.db.evaluation.count()).toBe(before + 1);
    const id = a.data?.saveEvaluation.id as string;
    const key = Buffer.from(id, 'base64')
      .toString('utf8')
      .replace(/^SavedEvaluation:/, '');
    expect(key).toMatch(/^ev_[0-9a-f]{40}$/);
    expect(a.data?.saveEvaluation.reportUrl).toContain(`/evaluations/${key}.html`);
    const page = await api.yoga.fetch(`http://test/evaluations/${key}.md`, { headers: api.headers('VIEWER') });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('eval-a');
    const read = await ask<{
      savedEvaluation: {
        id: string;
        result: { overall: { auroc: { value: number } }; errors: { totalCount: number } };
      };
    }>(
      `query R($id: ID!) { savedEvaluation(id: $id) { id result { overall { auroc { value } } errors(first: 1) { totalCount } } } }`,
      { id },
    );
    expect(read.data?.savedEvaluation.result.overall.auroc.value).toBe(
      a.data?.saveEvaluation.result.overall.auroc.value,
    );
    expect(read.data?.savedEvaluation.result.errors.totalCount).toBe(a.data?.saveEvaluation.result.errors.totalCount);
    const none = await ask<{ savedEvaluation: null }>(`query R($id: ID!) { savedEvaluation(id: $id) { id } }`, {
      id: Buffer.from('SavedEvaluation:ev_nothing').toString('base64'),
    });
    expect(none.data?.savedEvaluation).toBeNull();
  });

  it('the report, as Markdown and HTML', async () => {
    const res = await ask<{ evaluation: { md: string; html: string } }>(
      `query E($input: EvaluationInput!) { evaluation(input: $input) { md: report html: report(format: HTML) } }`,
      { input: { model: gidA(), positive: ['malignant'], subset: { filter: {} }, resamples: 20 } },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.evaluation.md).toContain('eval-a');
    expect(res.data?.evaluation.html).toMatch(/<html/i);
  });
});

describe('modelComparison', () => {
  it('the paired AUROC difference equals pairedAurocDifference on the images both scored', async () => {
    const res = await ask<{
      modelComparison: {
        images: number;
        patients: number;
        aurocA: { value: number };
        aurocB: { value: number };
        difference: { value: number; lower: number; upper: number };
        bootstrap: { resamples: number };
      };
    }>(
      `query C($input: ModelComparisonInput!) { modelComparison(input: $input) { images patients
        aurocA { ${EST} } aurocB { ${EST} } difference { ${EST} } bootstrap { resamples seed unit } } }`,
      { input: { models: [gidA(), gidB()], subset: { filter: {} }, positive: ['malignant'], resamples: 150, seed: 4 } },
    );
    expect(res.errors).toBeUndefined();
    const ta = (await truthOf(modelA)).rows;
    const tb = new Map((await truthOf(modelB)).rows.map((x) => [x.imageId, x]));
    const both = ta.filter((x) => tb.has(x.imageId));
    const sa = scoredOf(both);
    const sb = scoredOf(both.map((x) => tb.get(x.imageId) as Truth));
    const ref = await pairedAurocDifference(sa, sb, { resamples: 150, seed: 4 });
    const c = res.data?.modelComparison;
    expect(c?.images).toBe(both.length);
    expect(c?.aurocA.value).toBeCloseTo(auroc(sa) as number, 12);
    expect(c?.aurocB.value).toBeCloseTo(auroc(sb) as number, 12);
    expect(c?.difference.value).toBeCloseTo(ref.difference.value as number, 12);
    expect(c?.difference.lower).toBeCloseTo(ref.difference.lower as number, 12);
    expect(c?.difference.upper).toBeCloseTo(ref.difference.upper as number, 12);
  });

  it('refuses anything but two different models', async () => {
    const res = await ask(`query C($input: ModelComparisonInput!) { modelComparison(input: $input) { images } }`, {
      input: { models: [gidA(), gidA()], subset: { filter: {} }, positive: ['malignant'] },
    });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('a release', () => {
  it('an evaluation on a release is reproduced byte for byte after live labels change', async () => {
    const release = await createRelease(requestScope(), { name: 'eval-test', version: '1.0.0' }, toolActor('test'));
    const input = { subset: { release }, resamples: 100, seed: 2 };
    const first = await evaluation(input, 'ADMIN');
    expect(first.errors).toBeUndefined();
    const live = await evaluation({ subset: { filter: {} }, resamples: 0 }, 'ADMIN');
    // live labels move on: benign images become melanomas, and a new consensus is decided
    const benign = await env.db.image.findMany({
      where: { clinicalStatus: 'BENIGN', diagnosisClass: { not: null } },
      take: 40,
      select: { id: true },
    });
    await env.db.image.updateMany({
      where: { id: { in: benign.map((b) => b.id) } },
      data: { diagnosisClass: 'MELANOMA', diagnosisTerm: CLASS_TERM.MELANOMA, clinicalStatus: 'MALIGNANT' },
    });
    const again = await evaluation(input, 'ADMIN');
    expect(JSON.stringify(again.data)).toBe(JSON.stringify(first.data));
    const liveAgain = await evaluation({ subset: { filter: {} }, resamples: 0 }, 'ADMIN');
    expect(JSON.stringify(liveAgain.data)).not.toBe(JSON.stringify(live.data));
  });
});
