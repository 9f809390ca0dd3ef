// Export runs: validate the request, record it, write the file in the background through the
// exporter plugin (rows streamed in keyset batches, images streamed from the blob store), then
// record its manifest. The same inputs give byte-identical files. Every row's ages and dates go
// through the export's de-identification profile (domain/deidentify.ts) before any exporter sees
// them. An export belongs to the token that started it: only that token and admins see it.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGraphQLError } from 'graphql-yoga';
import type { Db } from '../db/client.ts';
import { db } from '../db/current.ts';
import type { Prisma } from '../db/generated/sqlite/client.ts';
import { CLASSES } from '../domain/classes.ts';
import {
  ageValue,
  DEFAULT_PROFILE,
  dateValue,
  generaliseFilter,
  isicAgeApprox,
  PROFILE_IDS,
  PROFILES,
  type ProfileId,
  parseProfile,
  profileAllowed,
} from '../domain/deidentify.ts';
import { type Role, roleAtLeast } from '../domain/roles.ts';
import { SITES } from '../domain/sites.ts';
import { STRUCTURES } from '../domain/structures.ts';
import { decide } from '../plugins/evaluate.ts';
import { hashingTap } from '../plugins/exporters/hashing.ts';
import { registry } from '../plugins/index.ts';
import type { ClassMappingPolicy, ExportContext, Exporter, ExportFile, ExportRow } from '../plugins/types.ts';
import { BlobStore } from '../storage/blob-store.ts';
import { badInput } from './errors.ts';
import { type ImageFilter, inSplitParts, type SplitSelection } from './image-filter.ts';
import { resolveSplitSelection, whereOf } from './images.ts';
import { resolvePolicy } from './policies.ts';

export interface ExportRequest {
  format: string;
  filter?: ImageFilter | null;
  policy?: string | null;
  options?: Record<string, unknown> | null;
  /** Limit the export to a stored split (or a part of it) and write each row's part. */
  split?: SplitSelection | null;
  /** The de-identification profile (default safe-harbor; limited: admins only). */
  profile?: string | null;
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

/** The split an export is limited to: the selection, the part names it covers, the split's manifest hash. */
export interface ExportSplit {
  selection: SplitSelection;
  parts: string[];
  manifestHash: string;
}

/** Checks a split selection; an export of a split is labelled by the split's policy. */
export async function validateSplit(req: Pick<ExportRequest, 'split' | 'policy'>) {
  const sel = req.split;
  if (!sel) return { split: null, policyId: req.policy };
  const resolved = await resolveSplitSelection(sel);
  if (!resolved) throw badInput(`no split ${sel.id}`, 'split');
  if (req.policy && req.policy !== resolved.policyId)
    throw badInput(
      `split ${sel.id} was made under ${resolved.policyId}; leave policy out or give ${resolved.policyId}`,
      'policy',
    );
  const split: ExportSplit = { selection: sel, parts: resolved.names, manifestHash: resolved.manifestHash };
  return { split, policyId: resolved.policyId };
}

/** Checks the format, the profile, the policy and every option before anything is written. */
export async function validateExport(req: ExportRequest, role: Role | null = null) {
  const exporter = registry.exporter(req.format);
  if (!exporter) {
    throw badInput(
      `unknown export format "${req.format}"; known: ${[...registry.exporters.keys()].join(', ')}`,
      'format',
    );
  }
  const profile = resolveProfile(req.profile, role);
  const { split, policyId } = await validateSplit(req);
  const policy = await resolvePolicy(policyId);
  const options: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(req.options ?? {})) {
    const spec = exporter.options[name];
    if (!spec)
      throw badInput(
        `${exporter.id} has no option "${name}"; options: ${Object.keys(exporter.options).join(', ') || 'none'}`,
        'options',
      );
    if (typeof value !== spec.type)
      throw badInput(`option "${name}" of ${exporter.id} must be a ${spec.type}`, 'options');
    options[name] = value;
  }
  for (const [name, spec] of Object.entries(exporter.options)) if (!(name in options)) options[name] = spec.default;
  return { exporter, policy, options, split, profile };
}

/** Rows read per keyset batch: what an export holds in memory at once. */
export const EXPORT_BATCH = 500;

/** What an export row is made of besides the image's own columns (bench/export's raw scan reads the same). */
export const EXPORT_INCLUDE = {
  patient: { select: { code: true, sex: true, fitzpatrickType: true, sunburnHistory: true, personalCaHistory: true } },
  lesion: { select: { code: true } },
  colors: { select: { color: true } },
  structures: { select: { structure: true } },
} as const;

/** The rows an export sees: images matching the filter, in id order, labelled by the policy. */
async function* exportRows(
  where: Awaited<ReturnType<typeof whereOf>>,
  policy: ClassMappingPolicy,
  withExaminer: boolean,
  count: { n: number },
  splitId: string | null,
  profile: ProfileId,
) {
  const include = splitId
    ? { ...EXPORT_INCLUDE, splitAssignments: { where: { splitId }, select: { part: true } } }
    : EXPORT_INCLUDE;
  let after = 0;
  let n = 0;
  for (;;) {
    const batch = await db().image.findMany({
      where: { AND: [where, { id: { gt: after } }] },
      orderBy: { id: 'asc' },
      take: EXPORT_BATCH,
      include,
    });
    for (const i of batch) {
      const decision = decide(policy, i);
      if (decision.kind !== 'mapped') continue;
      const ext = i.storageKey.split('.').pop() ?? 'jpg';
      const info = CLASSES[i.diagnosisClass];
      n++;
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
        sex: i.patient.sex?.toLowerCase() ?? null,
        fitzpatrick_type: i.patient.fitzpatrickType,
        sunburn_history: i.patient.sunburnHistory,
        personal_ca_history: i.patient.personalCaHistory,
        anatomical_site: i.anatomicalSite ? SITES[i.anatomicalSite].label : null,
        anatomical_site_code: i.anatomicalSite,
        lesion_diameter_mm: i.lesionDiameterMm,
        dominant_colors: i.colors.map((c) => c.color.toLowerCase()).sort(),
        elevation: i.elevation?.toLowerCase() ?? null,
        border_regularity: i.borderRegularity?.toLowerCase() ?? null,
        dermoscopic_structures: i.structures.map((s) => STRUCTURES[s.structure].label).sort(),
        clinical_diagnosis: i.clinicalDiagnosisRaw,
        diagnosis_class: info.label,
        origin: info.origin.toLowerCase(),
        clinical_status: info.status,
        clinical_status_label: info.status.toLowerCase(),
        isic_path: info.isicPath,
        histopathology_result: i.histopathologyResult,
        verification_stage: i.verificationStage.toLowerCase(),
        verification_stage_code: i.verificationStage,
        examiner_id: withExaminer ? i.examinerCode : null,
        image_quality_score: i.imageQualityScore,
        acquisition_date: dateValue(i.acquiredAt, profile),
        width: i.width,
        height: i.height,
        format: i.format,
        label: decision.label,
        split: (i as { splitAssignments?: { part: string }[] }).splitAssignments?.[0]?.part ?? null,
      } satisfies ExportRow;
    }
    const last = batch[batch.length - 1];
    if (!last || batch.length < EXPORT_BATCH) break;
    after = last.id;
  }
  count.n = n;
}

export interface RunInput {
  exporter: Exporter;
  policy: ClassMappingPolicy;
  options: Record<string, unknown>;
  filter: ImageFilter | null | undefined;
  withExaminer: boolean;
  store: BlobStore;
  /** The server's origin, for URLs written into an export (Croissant). */
  origin?: string;
  split?: ExportSplit | null;
  /** The de-identification profile every row goes through. */
  profile: ProfileId;
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
    policy: { id: input.policy.id, version: input.policy.version },
    deidentification: profileManifest(input.profile),
    filter: input.filter ?? {},
    options: input.options,
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

/** Writes an export to `out`; returns its row count and the files inside it. */
export async function writeExport(input: RunInput, out: NodeJS.WritableStream & import('node:stream').Writable) {
  // a filter selects no finer than the profile shows (its bounds are generalised by the caller)
  const filtered = await whereOf({ filter: input.filter, policy: input.policy.id });
  const where = input.split
    ? {
        AND: [filtered, inSplitParts(input.split.selection.id, input.split.parts)],
      }
    : filtered;
  const count = { n: 0 };
  // `profile` beside the contract's fields: exporters read it through exporters/profile.ts
  const ctx: ExportContext & { profile: (typeof PROFILES)[ProfileId] } = {
    rows: () =>
      exportRows(where, input.policy, input.withExaminer, count, input.split?.selection.id ?? null, input.profile),
    openImage: (key) => input.store.read(key),
    options: input.options,
    policy: input.policy,
    manifest: (files) => `${JSON.stringify(manifestOf(input, count.n, files), null, 2)}\n`,
    filter: input.filter ?? {},
    origin: input.origin ?? 'http://127.0.0.1:4000',
    split: input.split ? { ...input.split.selection, parts: input.split.parts } : null,
    profile: PROFILES[input.profile],
  };
  const files = await input.exporter.write(ctx, out);
  return { rowCount: count.n, files };
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

/** Records the export, then writes it in the background; the returned row is RUNNING. */
export async function startExport(req: ExportRequest, who: ExportCaller) {
  const { exporter, policy, options, split, profile } = await validateExport(req, who.role);
  const filter = generaliseFilter(req.filter, profile);
  const id = randomUUID();
  const row = await db().export.create({
    data: {
      id,
      format: exporter.id,
      exporterVersion: exporter.version,
      policyId: policy.id,
      policyVersion: policy.version,
      filter: JSON.stringify(filter ?? {}),
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
    policy,
    options,
    filter,
    withExaminer: roleAtLeast(who.role, 'REVIEWER'),
    store: new BlobStore(join(who.dataDir, 'blobs')),
    origin: who.origin,
    split,
    profile,
  };
  void runToFile(id, input, who.dataDir);
  return row;
}

async function runToFile(id: string, input: RunInput, dataDir: string): Promise<void> {
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
    const { stream: tap, result } = hashingTap();
    const written = pipeline(tap, createWriteStream(tmp));
    const { rowCount, files } = await writeExport(input, tap);
    tap.end();
    await written;
    const { sha256, bytes } = result();
    const manifest = {
      ...manifestOf(input, rowCount, files),
      file: { path: `${id}.${input.exporter.extension}`, sha256, bytes },
    };
    await rename(tmp, path);
    // only a run still RUNNING finishes: one another instance declared interrupted stays FAILED
    const done = await db().export.updateMany({
      where: { id, status: 'RUNNING' },
      data: {
        status: 'DONE',
        rowCount,
        byteSize: bytes,
        sha256,
        fileKey: `${id}.${input.exporter.extension}`,
        manifest: JSON.stringify(manifest),
        finishedAt: new Date(),
      },
    });
    if (done.count === 0) await rm(path, { force: true });
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
  client: Db,
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
  const stale = await client.export.findMany({ where: staleWhere, select: { id: true } });
  const failed: string[] = [];
  for (const { id } of stale) {
    const won = await client.export.updateMany({
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
        await client.export.findMany({
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

/** The reader's exports (every export for admins), newest first. */
export const listExports = (reader: ExportReader, query: { select?: Prisma.ExportSelect } = {}, limit = 100) =>
  db().export.findMany({
    ...query,
    where: ownWhere(reader),
    orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
    take: limit,
  });

export const exportById = (id: string, query: { select?: Prisma.ExportSelect } = {}) =>
  db().export.findUnique({ ...query, where: { id } });
