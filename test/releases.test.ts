// Releases on a copy of the demo cohort: refusals that write nothing, a release frozen against later
// label changes made through the real workflow services (consensus, correction, histology and its
// amendment), a split and exports made on a release byte-identical before and after those changes,
// the changelog between two releases equal to the changes made between them (images added through
// the pipeline, a patient left out, relabellings, stages advanced), and stats, facets and label
// filters as of a release equal to counts made here over its frozen rows.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLASSES } from '../src/domain/classes.ts';
import type { DiagnosisClass, VerificationStage } from '../src/domain/enums.ts';
import { graphql } from '../src/gql/index.ts';
import { createPipeline } from '../src/ingest/pipeline.ts';
import { decide } from '../src/plugins/evaluate.ts';
import { registry } from '../src/plugins/index.ts';
import { attachHistopathology, correctLabel, recordConsensus, submitReview } from '../src/resolvers/verification.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createCohortEnv } from './helpers/cohort.ts';
import type { TestEnv } from './helpers/database.ts';
import { awaitExport } from './helpers/exports.ts';
import type { GraphQLResponse } from './helpers/graphql.ts';
import { lesion, record } from './helpers/images.ts';

let env: TestEnv;
let api: Api;
/** Every SQL statement the database receives (the one-subset test counts reads of the release row). */
const sql: string[] = [];

beforeAll(async () => {
  env = await createCohortEnv({ onQuery: (s) => sql.push(s) });
  api = await createApi(env);
}, 300_000);
afterAll(() => env?.dispose());

const CreateRelease = graphql(`
  mutation CreateRelease($input: CreateReleaseInput!) {
    createRelease(input: $input) {
      id name version imageCount contentHash createdBy filter
      previous { id version }
      changelog {
        added { count sha256s(first: 1000) }
        removed { count sha256s(first: 1000) }
        relabelled { count items(first: 1000) { sha256 from { diagnosisClass diagnosisTerm } to { diagnosisClass diagnosisTerm } } }
        stagesAdvanced { count items(first: 1000) { sha256 from to } }
        stagesLowered { count }
      }
    }
  }
`);
const ReadRelease = graphql(`
  query ReadRelease($id: String!) {
    release(id: $id) {
      id contentHash imageCount createdBy
      changelog { added { count sha256s(first: 3) } relabelled { count } stagesAdvanced { count } }
      images(first: 5) { totalCount edges { diagnosisClass diagnosisTerm clinicalStatus verificationStage structures node { sha256 } } }
    }
  }
`);
const Releases = graphql(`
  query Releases($name: String, $limit: Int, $offset: Int) { releases(name: $name, limit: $limit, offset: $offset) { id version } }
`);
const StatsAsOf = graphql(`
  query StatsAsOf($release: String, $policy: String) {
    stats(release: $release, policy: $policy) {
      images outsideNine excluded unmapped
      classes { diagnosisClass count }
      statuses { status count }
      labels { label count }
      malignant { count histologyVerified }
      distributions { field values { value count } }
    }
  }
`);
const FacetsAsOf = graphql(`
  query FacetsAsOf($release: String) {
    facets(release: $release) {
      total
      classes: field(name: "diagnosisClass") { values { value count } }
      stages: field(name: "verificationStage") { values { value count } }
      structures: field(name: "structures") { missing values { value count } }
    }
  }
`);
const ImagesAsOf = graphql(`
  query ImagesAsOf($release: String, $filter: ImageFilter) { images(release: $release, filter: $filter, first: 1) { totalCount } }
`);
const SplitOn = graphql(`
  mutation SplitOn($input: CreateSplitInput!) { createSplit(input: $input) { id manifestHash imageCount release } }
`);
const ExportOn = graphql(`
  mutation ExportOn($format: String!, $release: String) { startExport(format: $format, release: $release) { id } }
`);
const CroissantOn = graphql(`
  query CroissantOn($release: String) { croissant(release: $release) }
`);
const DatasheetOn = graphql(`
  query DatasheetOn($release: String) { datasheet(release: $release) { markdown } }
`);
const Mutations = graphql(`
  query ReleaseMutations { __schema { mutationType { fields { name } } } }
`);

const code = (r: GraphQLResponse<unknown>) => r.errors?.[0]?.extensions?.code;
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

interface Frozen {
  sha256: string;
  diagnosisClass: DiagnosisClass | null;
  diagnosisTerm: string;
  clinicalStatus: string;
  verificationStage: VerificationStage;
  histopathologyResult: string | null;
  structures: string;
}

/** A release's rows as stored, read here without the service. */
async function rowsOf(releaseId: string): Promise<Frozen[]> {
  const rows = await env.db.releaseImage.findMany({
    where: { releaseId },
    select: {
      diagnosisClass: true,
      diagnosisTerm: true,
      clinicalStatus: true,
      verificationStage: true,
      histopathologyResult: true,
      structures: true,
      image: { select: { sha256: true } },
    },
  });
  return rows.map(({ image, ...r }) => ({ sha256: image.sha256, ...r })).sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1));
}

/** The content hash as the README states the recipe, written out here. */
function recipeHash(rows: readonly Frozen[]): string {
  const lines = [...rows]
    .sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1))
    .map(
      (r) =>
        `${JSON.stringify([r.sha256, r.diagnosisClass ?? '', r.diagnosisTerm, r.clinicalStatus, r.verificationStage, r.structures, r.histopathologyResult ?? ''])}\n`,
    );
  return sha(lines.join(''));
}

/** The images as they are now, in the form a release freezes them. */
async function liveImages(): Promise<Map<string, Frozen & { id: number; patient: string }>> {
  const images = await env.db.image.findMany({
    select: {
      id: true,
      sha256: true,
      diagnosisClass: true,
      diagnosisTerm: true,
      clinicalStatus: true,
      verificationStage: true,
      histopathologyResult: true,
      structures: { select: { structure: true } },
      patient: { select: { code: true } },
    },
  });
  return new Map(
    images.map((i) => [
      i.sha256,
      {
        ...i,
        patient: i.patient.code,
        structures: [...new Set(i.structures.map((s) => s.structure))].sort().join(';'),
      },
    ]),
  );
}

const countBy = <T>(rows: readonly T[], key: (r: T) => string | null) => {
  const m = new Map<string, number>();
  for (const r of rows) {
    const k = key(r);
    if (k !== null) m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
};
const asMap = (values: readonly { value: unknown; count: number }[] | undefined) =>
  new Map((values ?? []).map((v) => [v.value, v.count]));

async function create(name: string, version: string, filter?: object) {
  const res = await api.as('ADMIN', CreateRelease, { input: { name, version, filter: filter as never } });
  expect(res.errors).toBeUndefined();
  const r = res.data?.createRelease;
  if (!r) throw new Error('no release');
  return r;
}

/** Stats as of a release checked against counts made here over its rows. */
async function expectStatsOfRows(releaseId: string, rows: readonly Frozen[]) {
  const res = await api.as('ADMIN', StatsAsOf, { release: releaseId, policy: 'nine-class' });
  expect(res.errors).toBeUndefined();
  const s = res.data?.stats;
  expect(s?.images).toBe(rows.length);
  const classes = countBy(rows, (r) => r.diagnosisClass);
  for (const c of s?.classes ?? []) expect(c.count, c.diagnosisClass).toBe(classes.get(c.diagnosisClass) ?? 0);
  expect(s?.outsideNine).toBe(rows.filter((r) => r.diagnosisClass === null).length);
  const statuses = countBy(rows, (r) => r.clinicalStatus);
  for (const x of s?.statuses ?? []) expect(x.count, x.status).toBe(statuses.get(x.status) ?? 0);
  const stages = countBy(rows, (r) => r.verificationStage);
  const stageFacet = s?.distributions.find((d) => d.field === 'verification_stage');
  expect(asMap(stageFacet?.values)).toEqual(stages);
  const malignant = rows.filter((r) => r.clinicalStatus === 'MALIGNANT');
  expect(s?.malignant).toEqual({
    count: malignant.length,
    histologyVerified: malignant.filter((r) => r.verificationStage === 'HISTOLOGY').length,
  });
  const policy = registry.policy('nine-class');
  if (!policy) throw new Error('no nine-class policy');
  const labels = countBy(rows, (r) => {
    const d = decide(policy, {
      diagnosisClass: r.diagnosisClass,
      diagnosisTerm: r.diagnosisTerm,
      clinicalStatus: r.clinicalStatus as never,
      verificationStage: r.verificationStage,
    });
    return d.kind === 'mapped' ? d.label : null;
  });
  for (const l of s?.labels ?? []) expect(l.count, l.label).toBe(labels.get(l.label) ?? 0);
  return s;
}

describe('releases', () => {
  let r1 = '';
  let r1Rows: Frozen[] = [];
  let before: { split: string; jsonl: string; csv: string; stats: unknown; facets: unknown } | null = null;
  /** What the workflow changed after r1, by image sha256. */
  const relabelled = new Map<string, { from: DiagnosisClass | null; to: DiagnosisClass }>();
  const advanced = new Map<string, { from: VerificationStage; to: VerificationStage }>();

  it('refuses bad inputs and writes nothing: non-admins, bad names and versions, an empty membership', async () => {
    for (const role of ['VIEWER', 'ANNOTATOR', 'REVIEWER'] as const) {
      const res = await api.as(role, CreateRelease, { input: { name: 'cohort', version: '1.0.0' } });
      expect(code(res), role).toBe('FORBIDDEN');
    }
    const bad: [string, string, object?][] = [
      ['', '1.0.0'],
      ['   ', '1.0.0'],
      ['cohort', ''],
      ['x'.repeat(201), '1.0.0'],
      ['cohort', 'v'.repeat(65)],
      ['co\nhort', '1.0.0'],
      ['cohort', '1.0.0', { patientCode: ['NO-SUCH-PATIENT'] }],
    ];
    for (const [name, version, filter] of bad) {
      const res = await api.as('ADMIN', CreateRelease, { input: { name, version, filter: filter as never } });
      expect(code(res), `${name.slice(0, 10)} ${version.slice(0, 10)}`).toBe('BAD_USER_INPUT');
    }
    expect(await env.db.release.count()).toBe(0);
    expect(await env.db.releaseImage.count()).toBe(0);
    // the bounds are inclusive: 200 and 64 characters are accepted
    const longest = await create('n'.repeat(200), 'v'.repeat(64), {
      patientCode: [(await liveImages()).values().next().value?.patient ?? ''],
    });
    expect(longest.name).toHaveLength(200);
  });

  it('freezes every image with its labels now; its hash is the recipe over its rows; the first changelog adds them all', async () => {
    // an image still at the initial stage (the cohort's have all reached consensus), to advance later
    const r = await createPipeline(env.config, env.db).ingest({
      bytes: await lesion(9100, { width: 96, height: 72 }),
      record: record({ patient_id: 'MRN-RELEASE-0', lesion_id: 'L0' }),
      fileName: 'release-0.jpg',
      source: 'test',
    });
    expect(r.outcome).toBe('ACCEPTED');
    const live = await liveImages();
    const made = await create('cohort', '1.0.0');
    r1 = made.id;
    expect(made.imageCount).toBe(live.size);
    expect(made.previous).toBeNull();
    expect(made.filter).toEqual({});
    r1Rows = await rowsOf(r1);
    expect(r1Rows).toHaveLength(live.size);
    for (const row of r1Rows) {
      const { id: _, patient: __, ...now } = live.get(row.sha256) ?? ({} as never);
      expect(row).toEqual(now);
    }
    expect(made.contentHash).toBe(recipeHash(r1Rows));
    expect(made.changelog.added.count).toBe(live.size);
    expect(made.changelog.added.sha256s).toEqual([...live.keys()].sort().slice(0, 1000));
    expect([
      made.changelog.removed.count,
      made.changelog.relabelled.count,
      made.changelog.stagesAdvanced.count,
    ]).toEqual([0, 0, 0]);
    // the stored changelog holds every sha256 (GraphQL gives the first 1000)
    const stored = JSON.parse((await env.db.release.findUniqueOrThrow({ where: { id: r1 } })).changelog);
    expect(stored.added).toEqual([...live.keys()].sort());
  });

  it('refuses the same name and version again, and unknown release ids on every read, changing nothing', async () => {
    const again = await api.as('ADMIN', CreateRelease, { input: { name: 'cohort', version: '1.0.0' } });
    expect(code(again)).toBe('BAD_USER_INPUT');
    expect(await env.db.release.count({ where: { name: 'cohort' } })).toBe(1);
    const [splits, exports] = [await env.db.split.count(), await env.db.export.count()];
    const nope = 'no-such-release';
    expect(code(await api.as('VIEWER', StatsAsOf, { release: nope }))).toBe('BAD_USER_INPUT');
    expect(code(await api.as('VIEWER', FacetsAsOf, { release: nope }))).toBe('BAD_USER_INPUT');
    expect(code(await api.as('VIEWER', ImagesAsOf, { release: nope }))).toBe('BAD_USER_INPUT');
    expect(code(await api.as('VIEWER', CroissantOn, { release: nope }))).toBe('BAD_USER_INPUT');
    expect(code(await api.as('VIEWER', ExportOn, { format: 'jsonl', release: nope }))).toBe('BAD_USER_INPUT');
    const split = await api.as('VIEWER', SplitOn, {
      input: { release: nope, fractions: { train: 0.6, validation: 0.2, test: 0.2 } },
    });
    expect(code(split)).toBe('BAD_USER_INPUT');
    expect([await env.db.split.count(), await env.db.export.count()]).toEqual([splits, exports]);
    expect((await api.as('VIEWER', ReadRelease, { id: nope })).data?.release).toBeNull();
  });

  it('reads as of the release: a split, two exports, stats and facets, its Croissant version', async () => {
    const split = await api.as('VIEWER', SplitOn, {
      input: { release: r1, seed: 11, fractions: { train: 0.7, validation: 0.15, test: 0.15 } },
    });
    expect(split.errors).toBeUndefined();
    expect(split.data?.createSplit.release).toBe(r1);
    const exported = async (format: string) => {
      const res = await api.as('VIEWER', ExportOn, { format, release: r1 });
      expect(res.errors).toBeUndefined();
      return awaitExport(api, res.data?.startExport.id ?? '');
    };
    const jsonl = await exported('jsonl');
    const csv = await exported('isic-csv');
    expect((jsonl.manifest.release as { id: string; content_hash: string }).content_hash).toBe(recipeHash(r1Rows));
    const stats = await expectStatsOfRows(r1, r1Rows);
    const facets = (await api.as('VIEWER', FacetsAsOf, { release: r1 })).data?.facets;
    before = {
      split: split.data?.createSplit.manifestHash ?? '',
      jsonl: sha(jsonl.body),
      csv: sha(csv.body),
      stats,
      facets,
    };
    const doc = (await api.as('VIEWER', CroissantOn, { release: r1 })).data?.croissant as Record<string, unknown>;
    expect(doc.version).toBe('1.0.0');
    expect(String(doc.name)).toContain('cohort 1.0.0');
    expect(String(doc.description)).toContain(`Release cohort 1.0.0`);
    const metadata = (doc.distribution as { contentUrl?: string }[])[0];
    expect(metadata?.contentUrl).toContain(`release=${r1}`);
    const sheet = (await api.as('VIEWER', DatasheetOn, { release: r1 })).data?.datasheet.markdown ?? '';
    expect(sheet).toContain(`release \`cohort\` 1.0.0 (${r1Rows.length.toLocaleString('en-US')} images`);
    expect(sheet).toContain('1.0.0 (set by `release cohort');
  });

  it('label changes through the workflow leave the release, its rows, hash and changelog, and every read as of it untouched', async () => {
    const live = await liveImages();
    const full = await env.db.image.findMany({
      where: { diagnosisClass: { not: null } },
      select: {
        id: true,
        sha256: true,
        diagnosisClass: true,
        verificationStage: true,
        consensus: { select: { id: true } },
        histopathology: { select: { mappedClass: true } },
        reviewCount: true,
      },
      orderBy: { id: 'asc' },
    });
    // both relabellings move an image to the same class, so its count moves for sure
    const other = (c: DiagnosisClass | null): DiagnosisClass =>
      c === 'DERMATOFIBROMA' ? 'HEMANGIOMA' : 'DERMATOFIBROMA';
    const pick = (ok: (i: (typeof full)[number]) => boolean) => {
      const i = full.find((x) => ok(x) && !relabelled.has(x.sha256) && !advanced.has(x.sha256));
      if (!i) throw new Error('the cohort lacks an image for this change');
      return i;
    };
    // a correction by an admin of a consensus label: relabelled, stage kept
    const corrected = pick((i) => i.consensus !== null && i.histopathology === null);
    await correctLabel({
      imageId: corrected.id,
      diagnosisClass: other(corrected.diagnosisClass),
      reason: 'release test: slide re-read',
      actor: 'test',
    });
    relabelled.set(corrected.sha256, { from: corrected.diagnosisClass, to: other(corrected.diagnosisClass) });
    // the histology report amended: relabelled, stage HISTOLOGY kept
    const amended = pick((i) => i.histopathology !== null && i.verificationStage === 'HISTOLOGY');
    await attachHistopathology({
      imageId: amended.id,
      resultText: 'amended report',
      mappedClass: other(amended.diagnosisClass),
      reportedBy: 'test',
      reason: 'release test: report amended',
    });
    relabelled.set(amended.sha256, { from: amended.diagnosisClass, to: other(amended.diagnosisClass) });
    // histology confirming a consensus label: stage advanced to HISTOLOGY, label kept
    const confirmed = pick(
      (i) => i.consensus !== null && i.histopathology === null && i.verificationStage === 'CONSENSUS',
    );
    await attachHistopathology({
      imageId: confirmed.id,
      resultText: 'confirmed',
      mappedClass: confirmed.diagnosisClass as DiagnosisClass,
      reportedBy: 'test',
    });
    advanced.set(confirmed.sha256, { from: 'CONSENSUS', to: 'HISTOLOGY' });
    // three reviews and a consensus confirming an initial label: stage advanced to CONSENSUS
    const reviewed = pick((i) => i.consensus === null && i.verificationStage === 'INITIAL');
    for (let n = reviewed.reviewCount; n < 3; n++)
      await submitReview({
        imageId: reviewed.id,
        reviewerCode: `release-test-${n}`,
        diagnosisClass: reviewed.diagnosisClass as DiagnosisClass,
        structures: [],
      });
    await recordConsensus({
      imageId: reviewed.id,
      diagnosisClass: reviewed.diagnosisClass as DiagnosisClass,
      structures: ['PIGMENT_NETWORK_TYPICAL'],
      decidedBy: 'test',
    });
    advanced.set(reviewed.sha256, { from: 'INITIAL', to: 'CONSENSUS' });
    // the live labels did change
    const now = await liveImages();
    expect(now.get(corrected.sha256)?.diagnosisClass).not.toBe(live.get(corrected.sha256)?.diagnosisClass);
    expect(now.get(confirmed.sha256)?.verificationStage).toBe('HISTOLOGY');

    // the release: rows, hash and changelog as they were
    const stored = await env.db.release.findUniqueOrThrow({ where: { id: r1 } });
    expect(await rowsOf(r1)).toEqual(r1Rows);
    expect(stored.contentHash).toBe(recipeHash(r1Rows));
    expect(JSON.parse(stored.changelog).relabelled).toEqual([]);
    const read = (await api.as('ADMIN', ReadRelease, { id: r1 })).data?.release;
    expect(read?.contentHash).toBe(recipeHash(r1Rows));
    expect(read?.images.totalCount).toBe(r1Rows.length);
    expect(read?.createdBy).toBeTruthy();
    expect((await api.as('VIEWER', ReadRelease, { id: r1 })).data?.release?.createdBy ?? null).toBeNull();

    // reads as of it: the same split manifest, the same files, the same figures
    const split = await api.as('VIEWER', SplitOn, {
      input: { release: r1, seed: 11, fractions: { train: 0.7, validation: 0.15, test: 0.15 } },
    });
    expect(split.data?.createSplit.manifestHash).toBe(before?.split);
    const exported = async (format: string) => {
      const res = await api.as('VIEWER', ExportOn, { format, release: r1 });
      return awaitExport(api, res.data?.startExport.id ?? '');
    };
    const jsonl = await exported('jsonl');
    expect(sha(jsonl.body)).toBe(before?.jsonl);
    expect(sha((await exported('isic-csv')).body)).toBe(before?.csv);
    // …and the jsonl row of the corrected image holds the frozen class, not the live one
    const line = jsonl.body
      .toString()
      .split('\n')
      .find((l) => l.includes(`"sha256":"${corrected.sha256}"`));
    // (exports write the class as the API spells it: its code)
    const frozenClass = CLASSES[corrected.diagnosisClass as DiagnosisClass].code;
    expect(line).toContain(`"diagnosis_class":${JSON.stringify(frozenClass)}`);
    expect(line).not.toContain(`"diagnosis_class":${JSON.stringify(CLASSES[other(corrected.diagnosisClass)].code)}`);
    expect(await expectStatsOfRows(r1, r1Rows)).toEqual(before?.stats);
    expect((await api.as('VIEWER', FacetsAsOf, { release: r1 })).data?.facets).toEqual(before?.facets);
    // the live stats moved: reading as of the release is what kept them
    const liveStats = (await api.as('ADMIN', StatsAsOf, { policy: 'nine-class' })).data?.stats;
    const frozenClasses = (before?.stats as { classes?: unknown } | undefined)?.classes;
    expect(frozenClasses).toBeDefined();
    expect(liveStats?.classes).not.toEqual(frozenClasses);
  });

  it('facets and label filters as of the release count its frozen rows', async () => {
    const facets = (await api.as('VIEWER', FacetsAsOf, { release: r1 })).data?.facets;
    expect(facets?.total).toBe(r1Rows.length);
    expect(asMap(facets?.classes?.values)).toEqual(countBy(r1Rows, (r) => r.diagnosisClass));
    expect(asMap(facets?.stages?.values)).toEqual(countBy(r1Rows, (r) => r.verificationStage));
    const codes = new Map<string, number>();
    for (const r of r1Rows)
      for (const c of r.structures ? r.structures.split(';') : []) codes.set(c, (codes.get(c) ?? 0) + 1);
    expect(asMap(facets?.structures?.values)).toEqual(codes);
    expect(facets?.structures?.missing).toBe(r1Rows.filter((r) => r.structures === '').length);
    // a class whose count the relabellings changed
    const live = [...(await liveImages()).values()].filter((i) => r1Rows.some((r) => r.sha256 === i.sha256));
    const [frozenBy, liveBy] = [countBy(r1Rows, (r) => r.diagnosisClass), countBy(live, (r) => r.diagnosisClass)];
    const from = [...frozenBy.keys()].find((c) => frozenBy.get(c) !== liveBy.get(c)) as DiagnosisClass;
    expect(from).toBeDefined();
    const count = async (release: string | null, filter: object) =>
      (await api.as('VIEWER', ImagesAsOf, { release, filter: filter as never })).data?.images.totalCount;
    const frozenCount = r1Rows.filter((r) => r.diagnosisClass === from).length;
    expect(await count(r1, { diagnosisClass: [from] })).toBe(frozenCount);
    expect(await count(r1, { NOT: { diagnosisClass: [from] } })).toBe(r1Rows.length - frozenCount);
    expect(await count(r1, { verificationStageAtLeast: 'HISTOLOGY' })).toBe(
      r1Rows.filter((r) => r.verificationStage === 'HISTOLOGY').length,
    );
    // live, the relabelled image has left its frozen class
    expect(await count(null, { diagnosisClass: [from] })).toBe(liveBy.get(from) ?? 0);
    expect(liveBy.get(from) ?? 0).not.toBe(frozenCount);
  });

  it('one request reads the release row once, however many of its fields read as of it', async () => {
    const OneRequest = graphql(`
      query OneRequest($release: String, $filter: ImageFilter) {
        images(release: $release, filter: $filter, first: 5) { totalCount edges { node { sha256 } } }
        stats(release: $release, filter: $filter) { images }
        facets(release: $release, filter: $filter) { total }
      }
    `);
    sql.length = 0;
    const res = await api.as('VIEWER', OneRequest, { release: r1, filter: { verificationStageAtLeast: 'CONSENSUS' } });
    expect(res.errors).toBeUndefined();
    const reads = sql.filter((s) => /FROM\s+[`"]\w+[`"]\.[`"]release[`"]/.test(s)).length;
    expect(reads).toBe(1);
    const expected = r1Rows.filter((r) => r.verificationStage !== 'INITIAL').length;
    expect([res.data?.images.totalCount, res.data?.stats.images, res.data?.facets.total]).toEqual([
      expected,
      expected,
      expected,
    ]);
  });

  it('the next release of the name lists exactly the changes made since: added, removed, relabelled, stages advanced', async () => {
    // two images through the acquisition pipeline
    const pipeline = createPipeline(env.config, env.db);
    const added: string[] = [];
    for (const n of [1, 2]) {
      const r = await pipeline.ingest({
        bytes: await lesion(9100 + n, { width: 96, height: 72 }),
        record: record({ patient_id: 'MRN-RELEASE-1', lesion_id: `L${n}` }),
        fileName: `release-${n}.jpg`,
        source: 'test',
      });
      if (r.outcome !== 'ACCEPTED') throw new Error(`not stored: ${r.outcome}`);
      added.push(r.sha256);
    }
    // one patient left out by the filter: their images are removed
    const live = await liveImages();
    const changed = new Set([...relabelled.keys(), ...advanced.keys()]);
    const patients = new Map<string, string[]>();
    for (const [s, i] of live) patients.set(i.patient, [...(patients.get(i.patient) ?? []), s]);
    const [leftOut, removed] =
      [...patients].find(([p, shas]) => p !== 'MRN-RELEASE-1' && shas.every((s) => !changed.has(s))) ?? [];
    expect(leftOut).toBeTruthy();
    const r2 = await create('cohort', '1.1.0', { NOT: { patientCode: [leftOut] } });
    expect(r2.previous).toEqual({ id: r1, version: '1.0.0' });
    expect(r2.imageCount).toBe(live.size - (removed?.length ?? 0));
    expect(r2.changelog.added).toEqual({ count: 2, sha256s: [...added].sort() });
    expect(r2.changelog.removed).toEqual({ count: removed?.length, sha256s: [...(removed ?? [])].sort() });
    const frozen = new Map(r1Rows.map((r) => [r.sha256, r]));
    expect(r2.changelog.relabelled.items).toEqual(
      [...relabelled]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([s, c]) => ({
          sha256: s,
          from: { diagnosisClass: c.from, diagnosisTerm: frozen.get(s)?.diagnosisTerm },
          to: { diagnosisClass: c.to, diagnosisTerm: live.get(s)?.diagnosisTerm },
        })),
    );
    expect(r2.changelog.stagesAdvanced.items).toEqual(
      [...advanced].sort(([a], [b]) => (a < b ? -1 : 1)).map(([s, c]) => ({ sha256: s, ...c })),
    );
    expect(r2.changelog.stagesLowered.count).toBe(0);
    expect(r2.contentHash).toBe(recipeHash(await rowsOf(r2.id)));
    await expectStatsOfRows(r2.id, await rowsOf(r2.id));
    // the list: newest first, by name, bounded
    const list = await api.as('VIEWER', Releases, { name: 'cohort' });
    expect(list.data?.releases.map((r) => r.version)).toEqual(['1.1.0', '1.0.0']);
    expect(code(await api.as('VIEWER', Releases, { limit: 201 }))).toBe('BAD_USER_INPUT');
    expect(code(await api.as('VIEWER', Releases, { offset: -1 }))).toBe('BAD_USER_INPUT');
  });

  it('no mutation changes or deletes a release, and the database refuses to delete one with its rows', async () => {
    const fields = (await api.as('ADMIN', Mutations)).data?.__schema.mutationType?.fields?.map((f) => f.name) ?? [];
    expect(fields.filter((f) => /release/i.test(f))).toEqual(['createRelease']);
    await expect(env.db.release.delete({ where: { id: r1 } })).rejects.toThrow();
    const image = await env.db.image.findFirstOrThrow({ where: { releaseImages: { some: { releaseId: r1 } } } });
    await expect(env.db.image.delete({ where: { id: image.id } })).rejects.toThrow();
    expect(await rowsOf(r1)).toHaveLength(r1Rows.length);
  });
});
