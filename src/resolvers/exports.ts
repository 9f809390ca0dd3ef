// Export runs: validate the request, record it, write the file in the background through the
// exporter plugin (rows streamed in keyset batches, images streamed from the blob store), then
// record its manifest. The same inputs give byte-identical files.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { db } from '../db/current.ts';
import type { Prisma } from '../db/generated/sqlite/client.ts';
import { CLASSES } from '../domain/classes.ts';
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

/** Checks the format, the policy and every option before anything is written. */
export async function validateExport(req: ExportRequest) {
  const exporter = registry.exporter(req.format);
  if (!exporter) {
    throw badInput(
      `unknown export format "${req.format}"; known: ${[...registry.exporters.keys()].join(', ')}`,
      'format',
    );
  }
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
  return { exporter, policy, options, split };
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
        age_at_exam: i.ageAtExam,
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
        acquisition_date: i.acquiredAt ? i.acquiredAt.toISOString().slice(0, 10) : null,
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
}

/** The manifest of an export: what produced it and what it holds (no time, no id: reproducible). */
function manifestOf(input: RunInput, rowCount: number, files: readonly ExportFile[]) {
  return {
    dermaset_export: 1,
    exporter: { id: input.exporter.id, version: input.exporter.version },
    policy: { id: input.policy.id, version: input.policy.version },
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
  const filtered = await whereOf({ filter: input.filter, policy: input.policy.id });
  const where = input.split
    ? {
        AND: [filtered, inSplitParts(input.split.selection.id, input.split.parts)],
      }
    : filtered;
  const count = { n: 0 };
  const ctx: ExportContext = {
    rows: () => exportRows(where, input.policy, input.withExaminer, count, input.split?.selection.id ?? null),
    openImage: (key) => input.store.read(key),
    options: input.options,
    policy: input.policy,
    manifest: (files) => `${JSON.stringify(manifestOf(input, count.n, files), null, 2)}\n`,
    filter: input.filter ?? {},
    origin: input.origin ?? 'http://127.0.0.1:4000',
    split: input.split ? { ...input.split.selection, parts: input.split.parts } : null,
  };
  const files = await input.exporter.write(ctx, out);
  return { rowCount: count.n, files };
}

export function exportPath(dataDir: string, id: string, ext: string) {
  return join(dataDir, 'exports', `${id}.${ext}`);
}

/** Records the export, then writes it in the background; the returned row is RUNNING. */
export async function startExport(
  req: ExportRequest,
  who: { actor: string; withExaminer: boolean; dataDir: string; origin: string },
) {
  const { exporter, policy, options, split } = await validateExport(req);
  const id = randomUUID();
  const row = await db().export.create({
    data: {
      id,
      format: exporter.id,
      exporterVersion: exporter.version,
      policyId: policy.id,
      policyVersion: policy.version,
      filter: JSON.stringify(req.filter ?? {}),
      options: JSON.stringify(options),
      split: split
        ? JSON.stringify({ ...split.selection, parts: split.parts, manifestHash: split.manifestHash })
        : null,
      status: 'RUNNING',
      createdBy: who.actor,
    },
  });
  const input: RunInput = {
    exporter,
    policy,
    options,
    filter: req.filter,
    withExaminer: who.withExaminer,
    store: new BlobStore(join(who.dataDir, 'blobs')),
    origin: who.origin,
    split,
  };
  void runToFile(id, input, who.dataDir);
  return row;
}

async function runToFile(id: string, input: RunInput, dataDir: string): Promise<void> {
  const path = exportPath(dataDir, id, input.exporter.extension);
  const tmp = `${path}.partial`;
  try {
    await mkdir(join(dataDir, 'exports'), { recursive: true });
    const { stream: tap, result } = hashingTap();
    const written = pipeline(tap, createWriteStream(tmp));
    const { rowCount, files } = await writeExport(input, tap);
    tap.end();
    await written;
    await rename(tmp, path);
    const { sha256, bytes } = result();
    const manifest = {
      ...manifestOf(input, rowCount, files),
      file: { path: `${id}.${input.exporter.extension}`, sha256, bytes },
    };
    await db().export.update({
      where: { id },
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
  } catch (e) {
    await rm(tmp, { force: true });
    await db()
      .export.update({ where: { id }, data: { status: 'FAILED', error: (e as Error).message, finishedAt: new Date() } })
      .catch(() => undefined);
  }
}

export const exportById = (id: string, query: { select?: Prisma.ExportSelect } = {}) =>
  db().export.findUnique({ ...query, where: { id } });
