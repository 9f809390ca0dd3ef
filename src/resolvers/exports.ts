// Export runs: validate the request, record it, write the file in the background through the
// exporter plugin (rows streamed in keyset batches, images streamed from the blob store), then
// record its manifest. The same inputs give byte-identical files. Every row's ages and dates go
// through the export's de-identification profile (domain/deidentify.ts) before any exporter sees
// them. An export belongs to the token that started it: only that token and admins see it.
// Which images (filter, split, policy) is resolved once, by the caller's request scope
// (resolveSubset), and the run takes that Subset: nothing here reads the split or the policy again.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { createGraphQLError } from 'graphql-yoga';
import { type DatasetConfig, datasetConfig } from '../config.ts';
import { db } from '../db/current.ts';
import type { Prisma } from '../db/generated/sqlite/client.ts';
import {
  ageValue,
  DEFAULT_PROFILE,
  dateTimeValue,
  dateValue,
  generaliseFilter,
  isicAgeApprox,
  PROFILE_IDS,
  PROFILES,
  type ProfileId,
  parseProfile,
  profileAllowed,
} from '../domain/deidentify.ts';
import type { ExportRecord } from '../domain/export-record.ts';
import { imageUrl } from '../domain/image-url.ts';
import { type Role, roleAtLeast } from '../domain/roles.ts';
import { originOf } from '../domain/terms.ts';
import { decide, POLICY_INPUT_SELECT } from '../plugins/evaluate.ts';
import { hashingTap } from '../plugins/exporters/hashing.ts';
import { registry } from '../plugins/index.ts';
import type { ExportCollection, ExportContext, Exporter, ExportFile, SubsetDescription } from '../plugins/types.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { blobStore } from '../storage/open.ts';
import { datasetTerms, datasetVersion } from './dataset.ts';
import { badInput } from './errors.ts';
import { type ImageFilter, labelWhere, type SplitSelection } from './image-filter.ts';
import { asOf, frozenInclude, frozenOf, frozenStructures } from './releases.ts';
import { computeStats } from './stats.ts';
import { asOfRelease, type RequestScope, type ResolvedSplit, resolveSubset, type Subset } from './subset.ts';

export interface ExportRequest {
  format: string;
  filter?: ImageFilter | null;
  policy?: string | null;
  options?: Record<string, unknown> | null;
  /** Limit the export to a stored split (or a part of it) and write each row's part. */
  split?: SplitSelection | null;
  /** The de-identification profile (default safe-harbor; limited: admins only). */
  profile?: string | null;
  /** Export as of a stored release: its images, with the labels it froze. */
  release?: string | null;
}

/**
 * The de-identification profile a caller asks for: an unknown name is BAD_USER_INPUT (naming the
 * profiles), limited asked by anyone but an admin is FORBIDDEN. `argument` names it in the refusal.
 */
export function resolveProfile(raw: string | null | undefined, role: Role | null, argument = 'profile'): ProfileId {
  if (raw === null || raw === undefined) return DEFAULT_PROFILE;
  const profile = parseProfile(raw);
  if (!profile) throw badInput(`unknown de-identification profile; known: ${PROFILE_IDS.join(', ')}`, argument);
  if (!profileAllowed(profile, role))
    throw createGraphQLError(`the ${profile} profile (exact ages and dates) is for admins only`, {
      extensions: { code: 'FORBIDDEN', argument },
    });
  return profile;
}

/**
 * An exporter's options checked against its zod schema, before anything is recorded: an option it
 * does not have, or a value its schema refuses, is BAD_USER_INPUT naming the option. The result
 * holds the options given, in their order, then the defaults of the others (as manifests stamp it).
 */
export function exportOptions(exporter: Exporter, given: Record<string, unknown> | null | undefined) {
  const asked = given ?? {};
  const names = Object.keys(exporter.options.shape);
  for (const name of Object.keys(asked))
    if (!Object.hasOwn(exporter.options.shape, name))
      throw badInput(`${exporter.id} has no option "${name}"; options: ${names.join(', ') || 'none'}`, 'options');
  const parsed = exporter.options.safeParse(asked);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? '');
    throw badInput(
      issue?.code === 'invalid_type'
        ? `option "${name}" of ${exporter.id} must be a ${issue.expected}`
        : `option "${name}" of ${exporter.id} ${issue?.message ?? 'is invalid'}`,
      'options',
    );
  }
  const data = parsed.data as Record<string, unknown>;
  const options: Record<string, unknown> = {};
  for (const name of Object.keys(asked)) options[name] = data[name];
  for (const name of names) if (!(name in options)) options[name] = data[name];
  return options;
}

/**
 * Checks the format, the profile, the subset (filter, split, policy) and every option before
 * anything is written. The subset is resolved once, on the caller's request scope; its filter's
 * age and date bounds are generalised as the profile shows values. An export of a split is labelled
 * by the split's policy.
 */
export async function validateExport(scope: RequestScope, req: ExportRequest, role: Role | null = null) {
  const exporter = registry.exporter(req.format);
  if (!exporter) {
    throw badInput(
      `unknown export format "${req.format}"; known: ${[...registry.exporters.keys()].join(', ')}`,
      'format',
    );
  }
  const profile = resolveProfile(req.profile, role);
  const subset = await resolveSubset(scope, {
    filter: generaliseFilter(req.filter, profile),
    policy: req.policy,
    split: req.split,
    release: req.release,
  });
  const options = exportOptions(exporter, req.options);
  // the export's own split (not one its filter names): its rows carry their part, its stamps the split
  const split = req.split ? subset.split : null;
  return { exporter, subset, options, split, profile };
}

/** The origin written into an export's URLs when the run is given none (the server's default address). */
const DEFAULT_ORIGIN = 'http://127.0.0.1:4000';

/** A date-time's day as a UTC midnight (Parquet's DATE holds days). */
const dayOf = (d: Date | null) => (d ? new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())) : null);

/** Rows read per keyset batch: what an export holds in memory at once. */
export const EXPORT_BATCH = 500;

/** What an export row is made of besides the image's own columns (bench/export's raw scan reads the same). */
export const EXPORT_INCLUDE = {
  patient: { select: { code: true, sex: true, fitzpatrickType: true, sunburnHistory: true, personalCaHistory: true } },
  lesion: { select: { code: true } },
  colors: { select: { color: true } },
  structures: { select: { structure: true } },
  collection: { select: { slug: true } },
} as const;

/**
 * Told while an export is written: the rows written so far, of the rows the subset holds (null
 * while they are not counted). Called at most every PROGRESS_HOOK_MS and once at the end.
 */
export type ExportProgress = (done: number, total: number | null) => void;

/** How often an onProgress hook is called while rows stream (a CLI's progress bar redraws at this pace). */
export const PROGRESS_HOOK_MS = 200;
/** How often a running export writes its progress to its row: a write per second, never per row. */
export const PROGRESS_WRITE_MS = 1_000;

/**
 * Counts the rows a pass yields and tells `onProgress`, throttled: rows of every pass over
 * `passes` (an exporter reading the rows twice reports half of them after its first pass).
 */
function progressTracker(passes: number, total: number | null, onProgress: ExportProgress | undefined) {
  let yielded = 0;
  let last = 0;
  return {
    row() {
      yielded++;
      if (!onProgress || (yielded & 63) !== 0) return;
      const now = Date.now();
      if (now - last < PROGRESS_HOOK_MS) return;
      last = now;
      onProgress(Math.floor(yielded / passes), total);
    },
    end(rowCount: number) {
      onProgress?.(rowCount, total ?? rowCount);
    },
  };
}

/**
 * How many rows an export of the subset writes: its images the policy labels (as of its release,
 * the labels the release froze). One COUNT, the same condition the rows' policy decisions make.
 */
export async function exportRowCount({ where, policy, release }: Subset): Promise<number> {
  const labelled = labelWhere(policy, policy.labels);
  return db().image.count({ where: { AND: [where, release ? asOfRelease(labelled, release.id) : labelled] } });
}

/** The rows an export sees: images matching the filter, in id order, labelled by the policy. */
async function* exportRows(
  subset: Subset,
  withExaminer: boolean,
  count: { n: number },
  splitId: string | null,
  profile: ProfileId,
  origin: string,
  tick: () => void = () => undefined,
): AsyncGenerator<ExportRecord> {
  const { where, policy } = subset;
  const include = {
    ...EXPORT_INCLUDE,
    ...(splitId ? { splitAssignments: { where: { splitId }, select: { part: true } } } : {}),
    // as of a release: the labels, stage, histopathology and structures it froze
    ...frozenInclude(subset.release),
  };
  let after = 0;
  let n = 0;
  for (;;) {
    const batch = await db().image.findMany({
      where: { AND: [where, { id: { gt: after } }] },
      orderBy: { id: 'asc' },
      take: EXPORT_BATCH,
      include,
    });
    for (const live of batch) {
      const frozen = frozenOf(live);
      const i = frozen
        ? { ...asOf(live), structures: frozenStructures(frozen.structures).map((s) => ({ structure: s })) }
        : live;
      const decision = decide(policy, i);
      if (decision.kind !== 'mapped') continue;
      const ext = i.storageKey.split('.').pop() ?? 'jpg';
      n++;
      tick();
      yield {
        image_name: i.sha256,
        file_name: `${i.sha256}.${ext}`,
        sha256: i.sha256,
        storage_key: i.storageKey,
        patient_id: i.patient.code,
        lesion_id: i.lesion.code,
        // the profile's rendering: a number under limited, text ("45", "90+", "40-44") otherwise
        age_at_exam: ageValue(i.ageAtExam, profile),
        age_approx: isicAgeApprox(i.ageAtExam, profile),
        sex: i.patient.sex,
        fitzpatrick_type: i.patient.fitzpatrickType,
        sunburn_history: i.patient.sunburnHistory,
        personal_ca_history: i.patient.personalCaHistory,
        anatomical_site: i.anatomicalSite,
        lesion_diameter_mm: i.lesionDiameterMm,
        dominant_colors: i.colors.map((c) => c.color).sort(),
        elevation: i.elevation,
        border_regularity: i.borderRegularity,
        dermoscopic_structures: i.structures.map((s) => s.structure).sort(),
        clinical_diagnosis: i.clinicalDiagnosisRaw,
        diagnosis_class: i.diagnosisClass,
        diagnosis_term: i.diagnosisTerm,
        origin: originOf(i.diagnosisClass, i.diagnosisTerm),
        clinical_status: i.clinicalStatus,
        isic_path: i.diagnosisTerm,
        collection: i.collection.slug,
        histopathology_result: i.histopathologyResult,
        verification_stage: i.verificationStage,
        examiner_id: withExaminer ? i.examinerCode : null,
        image_quality_score: i.imageQualityScore,
        acquisition_date: dateValue(i.acquiredAt, profile),
        acquisition_day: dayOf(dateTimeValue(i.acquiredAt, profile)),
        image_url: imageUrl(origin, i.sha256, 'original'),
        thumbnail_url: imageUrl(origin, i.sha256, 'thumbnail'),
        width: i.width,
        height: i.height,
        format: i.format,
        label: decision.label,
        split: (i as { splitAssignments?: { part: string }[] }).splitAssignments?.[0]?.part ?? null,
      } satisfies ExportRecord;
    }
    const last = batch[batch.length - 1];
    if (!last || batch.length < EXPORT_BATCH) break;
    after = last.id;
  }
  count.n = n;
}

export interface RunInput {
  exporter: Exporter;
  /** Which images, under which policy: resolved once by the caller (resolveSubset). */
  subset: Subset;
  /** The stored split the export is limited to (its rows carry their part), or null. */
  split: ResolvedSplit | null;
  options: Record<string, unknown>;
  withExaminer: boolean;
  store: BlobStore;
  /** The server's origin, for URLs written into an export (Croissant). */
  origin?: string;
  /** The de-identification profile every row goes through. */
  profile: ProfileId;
  /** Where the dataset's licence, creator and version are configured (default: the environment). */
  dataset?: DatasetConfig;
}

/** The profile as outputs stamp it: id, version and what it does to ages and dates. */
export const profileManifest = (profile: ProfileId) => ({
  id: profile,
  version: PROFILES[profile].version,
  age: PROFILES[profile].age,
  date: PROFILES[profile].date,
});

/** The manifest of an export: what produced it and what it holds (no time, no id: reproducible). */
function manifestOf(input: RunInput, rowCount: number, files: readonly ExportFile[]) {
  return {
    dermaset_export: 1,
    exporter: { id: input.exporter.id, version: input.exporter.version },
    policy: { id: input.subset.policy.id, version: input.subset.policy.version },
    deidentification: profileManifest(input.profile),
    filter: input.subset.asked ?? {},
    options: input.options,
    ...(input.subset.release ? { release: releaseStamp(input.subset.release) } : {}),
    ...(input.split
      ? {
          split: {
            id: input.split.selection.id,
            parts: input.split.parts,
            manifest_hash: input.split.manifestHash,
          },
        }
      : {}),
    row_count: rowCount,
    files,
  };
}

/** A release as outputs stamp it: id, name, version and content hash. */
const releaseStamp = (r: NonNullable<Subset['release']>) => ({
  id: r.id,
  name: r.name,
  version: r.version,
  content_hash: r.contentHash,
});

export interface WriteOptions {
  /** Told the rows written of `total`, throttled (PROGRESS_HOOK_MS), and once at the end. */
  onProgress?: ExportProgress;
  /** The rows to write, if counted (exportRowCount); else onProgress is told null until the end. */
  total?: number | null;
}

/** Writes an export to `out`; returns its row count and the files inside it. */
export async function writeExport(input: RunInput, out: Writable, opts: WriteOptions = {}) {
  const count = { n: 0 };
  const progress = progressTracker(input.exporter.passes ?? 1, opts.total ?? null, opts.onProgress);
  const tick = () => progress.row();
  const ctx: ExportContext = {
    rows: () =>
      exportRows(
        input.subset,
        input.withExaminer,
        count,
        input.split?.selection.id ?? null,
        input.profile,
        input.origin ?? DEFAULT_ORIGIN,
        tick,
      ),
    openImage: (key) => input.store.read(key),
    options: input.options,
    policy: input.subset.policy,
    manifest: (files) => `${JSON.stringify(manifestOf(input, count.n, files), null, 2)}\n`,
    filter: input.subset.asked ?? {},
    origin: input.origin ?? DEFAULT_ORIGIN,
    split: input.split ? { ...input.split.selection, parts: input.split.parts } : null,
    profile: PROFILES[input.profile],
    describe: () => describeSubset(input),
    collections: () => exportCollections(input.subset),
  };
  const files = await input.exporter.write(ctx, out);
  progress.end(count.n);
  return { rowCount: count.n, files };
}

async function liveCollectionIds(where: Subset['where'], policy: Subset['policy']) {
  const groups = await db().image.groupBy({
    by: ['collectionId', 'diagnosisClass', 'diagnosisTerm', 'clinicalStatus', 'verificationStage'],
    where,
    _count: { _all: true },
  });
  return [...new Set(groups.filter((g) => decide(policy, g).kind === 'mapped').map((g) => g.collectionId))];
}

/**
 * The collections of a subset's labelled images (those an export writes), by slug: one GROUP BY of
 * the images by collection and the fields a policy decides on, then the collections that keep a row.
 */
export async function exportCollections({ where, policy, release }: Subset): Promise<ExportCollection[]> {
  // as of a release: the collections of images labelled by the labels it froze
  const ids = release
    ? (
        await db().image.groupBy({
          by: ['collectionId'],
          where: { AND: [where, asOfRelease(labelWhere(policy, policy.labels), release.id)] },
        })
      ).map((g) => g.collectionId)
    : await liveCollectionIds(where, policy);
  return db().collection.findMany({
    where: { id: { in: ids } },
    orderBy: { slug: 'asc' },
    select: {
      slug: true,
      name: true,
      kind: true,
      license: true,
      attribution: true,
      source: true,
      citation: true,
      version: true,
    },
  });
}

/**
 * The export run of a subset's metadata.jsonl (the file Croissant documents list): the jsonl
 * exporter over the same subset, split and profile, without examiner codes.
 */
export function metadataInput(input: RunInput): RunInput {
  return { ...input, exporter: metadataExporter(), options: {}, withExaminer: false };
}

/** The exporter of metadata.jsonl files. */
export function metadataExporter(): Exporter {
  const exporter = registry.exporter('jsonl');
  if (!exporter) throw new Error('the jsonl exporter is not registered');
  return exporter;
}

/**
 * What a document of an export's subset states (Croissant): its metadata file written and hashed,
 * its figures, its image files, its period, the dataset's terms and version. Reads the subset the
 * run resolved, never the split or the policy again.
 */
export async function describeSubset(input: RunInput): Promise<SubsetDescription> {
  const { subset, profile, split } = input;
  const config = input.dataset ?? datasetConfig();
  const stats = await computeStats(subset, { profile });
  // the metadata file is the jsonl export of the same subset: hash it as it is written
  const tap = hashingTap();
  tap.stream.resume(); // nothing reads the bytes: only their hash is wanted
  const { rowCount: records } = await writeExport(metadataInput(input), tap.stream);
  tap.stream.end();
  await finished(tap.stream);
  const { sha256, bytes } = tap.result();
  const { where, policy } = subset;
  const [candidates, period, terms, version, collections] = await Promise.all([
    db().image.findMany({
      where,
      select: {
        sha256: true,
        format: true,
        storageKey: true,
        ...POLICY_INPUT_SELECT,
        ...frozenInclude(subset.release),
      },
      orderBy: { id: 'asc' },
    }),
    db().image.aggregate({ where, _min: { acquiredAt: true }, _max: { acquiredAt: true } }),
    datasetTerms(config),
    datasetVersion(config),
    exportCollections(subset),
  ]);
  return {
    policy: { id: policy.id, version: policy.version },
    split: split ? { ...split.selection, parts: split.parts, manifestHash: split.manifestHash } : null,
    filter: subset.asked,
    metadata: { records, sha256, bytes },
    // the image files are those of the records: images the policy leaves without a label are not listed
    images: candidates
      .filter((i) => decide(policy, asOf(i)).kind === 'mapped')
      .map((i) => ({ sha256: i.sha256, fileName: `${i.sha256}.${i.storageKey.split('.').pop()}`, format: i.format })),
    period: { first: period._min.acquiredAt, last: period._max.acquiredAt },
    license: terms.license.value,
    creator: terms.creator.value,
    collections,
    // a release is its own version
    version: subset.release ? subset.release.version : version.value,
    release: subset.release
      ? {
          id: subset.release.id,
          name: subset.release.name,
          version: subset.release.version,
          imageCount: subset.release.imageCount,
          contentHash: subset.release.contentHash,
        }
      : null,
    stats,
  };
}

export function exportPath(dataDir: string, id: string, ext: string) {
  return join(dataDir, 'exports', `${id}.${ext}`);
}

/** Who asks: the token that owns what it starts, its role, its staff code for the history. */
export interface ExportCaller {
  /** The caller's staff code (schema/staff.ts), as the trail writes it: the export history's actor. */
  actor: string;
  /** The token's id: the export's owner. */
  tokenId: number;
  role: Role | null;
  dataDir: string;
  origin: string;
}

/** How often a running export writes its heartbeat. */
export const HEARTBEAT_MS = 5_000;
/**
 * A RUNNING export whose heartbeat is older than this was interrupted: its instance died (kill -9, a
 * crash, a power cut). Twelve missed heartbeats: a live instance under load is not mistaken for a
 * dead one, and clocks of instances sharing one database may differ by this much less a heartbeat.
 */
export const STALE_AFTER_MS = 60_000;

/**
 * Records the export, then writes it in the background; the returned row is RUNNING. The run is
 * `runningExports.get(row.id)` (it never rejects: a failure is the row's FAILED status and error);
 * `opts.onProgress` is told its progress as its row is (a CLI's progress bar).
 */
export async function startExport(
  scope: RequestScope,
  req: ExportRequest,
  who: ExportCaller,
  opts: { onProgress?: ExportProgress } = {},
) {
  const { exporter, subset, options, split, profile } = await validateExport(scope, req, who.role);
  const { policy } = subset;
  const id = randomUUID();
  const row = await db().export.create({
    data: {
      id,
      format: exporter.id,
      exporterVersion: exporter.version,
      policyId: policy.id,
      policyVersion: policy.version,
      filter: JSON.stringify(subset.asked ?? {}),
      options: JSON.stringify(options),
      split: split
        ? JSON.stringify({ ...split.selection, parts: split.parts, manifestHash: split.manifestHash })
        : null,
      status: 'RUNNING',
      createdBy: who.actor,
      ownerTokenId: who.tokenId,
      profile,
      heartbeatAt: new Date(),
    },
  });
  const input: RunInput = {
    exporter,
    subset,
    options,
    withExaminer: roleAtLeast(who.role, 'REVIEWER'),
    store: blobStore(who.dataDir),
    origin: who.origin,
    split,
    profile,
  };
  const run = runToFile(id, input, who.dataDir, opts.onProgress).finally(() => runningExports.delete(id));
  runningExports.set(id, run);
  return row;
}

/** The exports this process is writing, by id: a graceful shutdown waits for them (server/start.ts). */
export const runningExports = new Map<string, Promise<void>>();

/**
 * The progress a run writes to its row: rowsDone at most every PROGRESS_WRITE_MS (one write in
 * flight at a time, only while the row is RUNNING), and the caller's hook on every call.
 */
function progressWriter(id: string, hook: ExportProgress | undefined): ExportProgress {
  let last = Date.now();
  let writing = false;
  return (done, total) => {
    hook?.(done, total);
    const now = Date.now();
    if (writing || now - last < PROGRESS_WRITE_MS) return;
    last = now;
    writing = true;
    db()
      .export.updateMany({ where: { id, status: 'RUNNING' }, data: { rowsDone: done } })
      .catch(() => undefined)
      .finally(() => {
        writing = false;
      });
  };
}

async function runToFile(id: string, input: RunInput, dataDir: string, hook?: ExportProgress): Promise<void> {
  const path = exportPath(dataDir, id, input.exporter.extension);
  const tmp = `${path}.partial`;
  // the lease: while this instance lives, the row's heartbeat stays fresh
  const beat = setInterval(() => {
    db()
      .export.updateMany({ where: { id, status: 'RUNNING' }, data: { heartbeatAt: new Date() } })
      .catch(() => undefined);
  }, HEARTBEAT_MS);
  beat.unref();
  try {
    await mkdir(join(dataDir, 'exports'), { recursive: true });
    const total = await exportRowCount(input.subset);
    await db().export.updateMany({ where: { id, status: 'RUNNING' }, data: { rowsTotal: total } });
    hook?.(0, total);
    const { stream: tap, result } = hashingTap();
    const written = pipeline(tap, createWriteStream(tmp));
    const { rowCount, files } = await writeExport(input, tap, { total, onProgress: progressWriter(id, hook) });
    tap.end();
    await written;
    const { sha256, bytes } = result();
    const manifest = {
      ...manifestOf(input, rowCount, files),
      file: { path: `${id}.${input.exporter.extension}`, sha256, bytes },
    };
    await rename(tmp, path);
    // into the blob store: with an object store, every instance serves the file (storage/open.ts)
    await input.store.saveExport(`${id}.${input.exporter.extension}`, path);
    // only a run still RUNNING finishes: one another instance declared interrupted stays FAILED
    const done = await db().export.updateMany({
      where: { id, status: 'RUNNING' },
      data: {
        status: 'DONE',
        rowCount,
        rowsDone: rowCount,
        byteSize: bytes,
        sha256,
        fileKey: `${id}.${input.exporter.extension}`,
        manifest: JSON.stringify(manifest),
        finishedAt: new Date(),
      },
    });
    if (done.count === 0) {
      await rm(path, { force: true });
      await input.store.removeExport(`${id}.${input.exporter.extension}`);
    }
  } catch (e) {
    await rm(tmp, { force: true });
    await db()
      .export.updateMany({
        where: { id, status: 'RUNNING' },
        data: { status: 'FAILED', error: (e as Error).message, finishedAt: new Date() },
      })
      .catch(() => undefined);
  } finally {
    clearInterval(beat);
  }
}

/** The reason an interrupted export is marked FAILED with. */
export const INTERRUPTED =
  'interrupted: the server writing it stopped before it finished (its heartbeat went stale); start the export again';

/**
 * Marks exports whose instance died while writing them FAILED, and removes their partial files: run
 * at start. Safe with several instances sharing one database: only RUNNING rows whose heartbeat is
 * older than `staleAfterMs` are taken (a live instance renews its heartbeat every HEARTBEAT_MS), each
 * by a conditional update that only one instance can win. Partial files in this instance's export
 * folder whose export is not running any more (failed, done, unknown) are removed too; those of a
 * live run are kept.
 */
export async function recoverInterruptedExports(
  dataDir: string,
  opts: { staleAfterMs?: number; now?: Date } = {},
): Promise<{ failed: string[]; removedFiles: string[] }> {
  const now = opts.now ?? new Date();
  const cutoff = new Date(now.getTime() - (opts.staleAfterMs ?? STALE_AFTER_MS));
  const staleWhere = {
    status: 'RUNNING' as const,
    // rows written before heartbeats existed have none: stale once they are old enough
    OR: [{ heartbeatAt: { lt: cutoff } }, { heartbeatAt: null, createdAt: { lt: cutoff } }],
  };
  const stale = await db().export.findMany({ where: staleWhere, select: { id: true } });
  const failed: string[] = [];
  for (const { id } of stale) {
    const won = await db().export.updateMany({
      where: { id, ...staleWhere },
      data: { status: 'FAILED', error: INTERRUPTED, finishedAt: now },
    });
    if (won.count === 1) failed.push(id);
  }
  const removedFiles: string[] = [];
  const folder = join(dataDir, 'exports');
  const names = await readdir(folder).catch(() => [] as string[]);
  const partial = names
    .map((name) => ({ name, id: /^([0-9a-f-]{36})\.[a-z0-9]+\.partial$/.exec(name)?.[1] }))
    .filter((p): p is { name: string; id: string } => p.id !== undefined);
  if (partial.length > 0) {
    const live = new Set(
      (
        await db().export.findMany({
          where: { id: { in: partial.map((p) => p.id) }, status: 'RUNNING' },
          select: { id: true },
        })
      ).map((r) => r.id),
    );
    for (const p of partial) {
      if (live.has(p.id)) continue;
      await rm(join(folder, p.name), { force: true });
      removedFiles.push(p.name);
    }
  }
  return { failed, removedFiles };
}

/** Who may see an export: its owner (the token that started it) and admins. */
export interface ExportReader {
  tokenId: number | null | undefined;
  role: Role | null;
}
const ownWhere = (reader: ExportReader) => (reader.role === 'ADMIN' ? {} : { ownerTokenId: reader.tokenId ?? -1 });

/**
 * An export the reader may see, or NOT_FOUND: someone else's export answers exactly like an unknown
 * id, so an id that leaks (a URL in a log, a shared notebook) tells nothing about who made what.
 */
export async function exportForReader(id: string, reader: ExportReader, query: { select?: Prisma.ExportSelect } = {}) {
  const row = await db().export.findFirst({ ...query, where: { id, ...ownWhere(reader) } });
  if (!row) throw createGraphQLError(`no export ${id} of yours`, { extensions: { code: 'NOT_FOUND' } });
  return row;
}

/** The most exports one `exports` query returns (and its default). */
export const MAX_EXPORTS = 100;

export interface ExportListArgs {
  /** How many (1–MAX_EXPORTS, default MAX_EXPORTS). */
  first?: number | null;
  /** An export id of the previous page (its last): the exports listed after it. */
  after?: string | null;
  status?: 'RUNNING' | 'DONE' | 'FAILED' | null;
}

/**
 * The reader's exports (every export for admins), newest first (ties by id), at most `first`, after
 * the export `after` (keyset: stable while exports are added), of one status if asked. An `after`
 * the reader may not see, like an unknown one, is BAD_USER_INPUT.
 */
export async function listExports(
  reader: ExportReader,
  query: { select?: Prisma.ExportSelect } = {},
  args: ExportListArgs = {},
) {
  const first = args.first ?? MAX_EXPORTS;
  if (!Number.isInteger(first) || first < 1 || first > MAX_EXPORTS)
    throw badInput(`first must be a whole number from 1 to ${MAX_EXPORTS}`, 'first');
  const where: Prisma.ExportWhereInput[] = [ownWhere(reader)];
  if (args.status) where.push({ status: args.status });
  if (args.after !== null && args.after !== undefined) {
    const cursor = await db().export.findFirst({
      where: { id: args.after, ...ownWhere(reader) },
      select: { id: true, createdAt: true },
    });
    if (!cursor) throw badInput(`after: no export ${args.after} of yours`, 'after');
    where.push({
      OR: [{ createdAt: { lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { gt: cursor.id } }],
    });
  }
  return db().export.findMany({
    ...query,
    where: { AND: where },
    orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
    take: first,
  });
}

export const exportById = (id: string, query: { select?: Prisma.ExportSelect } = {}) =>
  db().export.findUnique({ ...query, where: { id } });
