// The rows of a bench cohort, generated without the image pipeline: the demo plan's records and
// verification trails (the paper's marginals, prisma/demo/cohort.ts) for our own collection, and the
// records the public importers make of the committed public tables (HAM10000, ISIC 2019, Derm7pt,
// PH2; test/fixtures/public-metadata) for theirs, sampled with replacement and scaled to N images.
// Every row is handed to a sink (bench/cohort-sinks.ts) table by table; nothing here does I/O
// beyond reading the fixtures.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGES_PER_PATIENT, planCohort } from '../prisma/demo/cohort.ts';
import type { DiagnosisClass, Sex } from '../src/domain/enums.ts';
import { Random } from '../src/domain/random.ts';
import { relabelled } from '../src/domain/terms.ts';
import type { ImportSummary } from '../src/ingest/import.ts';
import { Pseudonymizer } from '../src/ingest/pseudonym.ts';
import { type ValidRecord, validateRecord } from '../src/ingest/record.ts';
import { derm7pt } from '../src/plugins/importers/derm7pt.ts';
import { ham10000 } from '../src/plugins/importers/ham10000.ts';
import { isic2019 } from '../src/plugins/importers/isic2019.ts';
import { parseCsv } from '../src/plugins/importers/kit.ts';
import { ph2 } from '../src/plugins/importers/ph2.ts';
import type { MetadataImporter } from '../src/plugins/types.ts';

/** The key the cohort's codes are made with; servers on a cohort are started with it (DERMASET_PSEUDONYM_KEY). */
export const BENCH_PSEUDONYM_KEY = 'dermaset-bench-cohort-key-0123456789';

/**
 * The last migration whose schema the rows below are written for. A cohort is built at this schema
 * and the migrations after it are applied to the loaded rows, so that what they add is filled by
 * their own backfill (and the generator needs no change for a new derived column).
 */
export const COHORT_SCHEMA = '20261130154527_data_version';

/** Share of images in our own collection; the rest are the public collections, in their published sizes. */
export const OWN_SHARE = 0.9;
/** Share of our own images still in review (no consensus yet, 0–2 of the 3 reviews): the review queue. */
export const IN_REVIEW_SHARE = 0.03;
/** Share of images that are a second shot of the previous image's lesion (a near-duplicate link). */
export const NEAR_DUPLICATE_SHARE = 0.015;
/** Share of a public patient's later images whose sex contradicts the first (a flagged fact conflict). */
export const FACT_CONFLICT_SHARE = 0.02;
/** Intake attempts refused or found duplicate, per accepted image. */
const REFUSED_SHARE = 0.03;

/** Acquisition period of the scaled own collection: six and a half years. */
const PERIOD = { start: Date.UTC(2020, 0, 6), end: Date.UTC(2026, 4, 29) };
const DAY = 86_400_000;

export type Value = string | number | boolean | null;

/** The tables a cohort fills, each with its columns in the order rows are given. */
export const TABLES = {
  collection: [
    'id',
    'slug',
    'name',
    'kind',
    'source',
    'citation',
    'license',
    'attribution',
    'version',
    'created_at',
    'updated_at',
  ],
  import_record: [
    'id',
    'collection_id',
    'importer',
    'importer_version',
    'actor',
    'started_at',
    'finished_at',
    'inputs',
    'rows_in',
    'stored',
    'already_stored',
    'refused',
    'report',
  ],
  patient: ['id', 'code', 'sex', 'fitzpatrick_type', 'sunburn_history', 'personal_ca_history', 'created_at'],
  lesion: ['id', 'code', 'patient_id', 'created_at'],
  image: [
    'id',
    'patient_id',
    'lesion_id',
    'age_at_exam_raw',
    'age_at_exam',
    'anatomical_site',
    'lesion_diameter_mm',
    'elevation',
    'border_regularity',
    'clinical_diagnosis_raw',
    'diagnosis_class',
    'diagnosis_term',
    'clinical_status',
    'histopathology_result',
    'verification_stage',
    'examiner_code',
    'image_quality_score',
    'collection_id',
    'sha256',
    'pixel_hash',
    'phash',
    'width',
    'height',
    'format',
    'byte_size',
    'storage_key',
    'thumbnail_key',
    'acquired_at',
    'sharpness',
    'clipped_share',
    'glare_share',
    'mean_luminance',
    'highlight_share',
    'version',
    'review_count',
    'created_at',
    'updated_at',
  ],
  image_color: ['image_id', 'color'],
  image_structure: ['image_id', 'structure'],
  near_duplicate: ['image_id', 'twin_id', 'distance'],
  initial_annotation: [
    'id',
    'image_id',
    'examiner_code',
    'diagnosis_raw',
    'diagnosis_class',
    'diagnosis_term',
    'created_at',
  ],
  annotation_structure: ['annotation_id', 'structure'],
  expert_review: ['id', 'image_id', 'reviewer_code', 'diagnosis_class', 'created_at'],
  review_structure: ['review_id', 'structure'],
  consensus_decision: [
    'id',
    'image_id',
    'diagnosis_class',
    'outcome',
    'review_count',
    'note',
    'decided_by',
    'decided_at',
  ],
  histopathology_report: ['id', 'image_id', 'result_text', 'mapped_class', 'reported_by', 'reported_at'],
  label_change: ['id', 'image_id', 'actor', 'at', 'from_class', 'to_class', 'reason'],
  intake_record: [
    'id',
    'attempt_key',
    'source',
    'at',
    'outcome',
    'error_code',
    'reason',
    'source_sha256',
    'pixel_hash',
    'quality_score',
    'image_id',
    'duplicate_of_id',
  ],
  fact_conflict: ['id', 'image_id', 'patient_id', 'field', 'stored_value', 'record_value', 'created_at'],
} as const satisfies Record<string, readonly string[]>;

export type TableName = keyof typeof TABLES;
/** Parents before children: the order tables are loaded in where the order matters. */
export const TABLE_ORDER = Object.keys(TABLES) as TableName[];

export interface Sink {
  add(table: TableName, row: Value[]): void;
  /** Called every few thousand images: a place to commit or to wait for a stream to drain. */
  flush(): Promise<void>;
}

/** One shared picture: its blob keys and file facts (bench/make-cohort.ts writes the blobs). */
export interface SharedBlob {
  storageKey: string;
  thumbnailKey: string;
  width: number;
  height: number;
  format: string;
  byteSize: number;
  sharpness: number;
  clippedShare: number;
  glareShare: number;
  meanLuminance: number;
  highlightShare: number;
}

interface OwnTemplate {
  v: ValidRecord;
  finalClass: DiagnosisClass;
  finalStructures: string[];
  reviews: { specialist: string; diagnosisClass: DiagnosisClass; structures: string[] }[];
  note: string | null;
  histology: string | null;
}

interface PublicSource {
  importer: MetadataImporter;
  records: ValidRecord[];
  inputs: { name: string; fileName: string; sha256: string; bytes: number }[];
}

const FIXTURES = join(import.meta.dirname, '..', 'test', 'fixtures', 'public-metadata');

function publicSource(importer: MetadataImporter, files: Record<string, string>): PublicSource {
  const inputs: Record<string, Record<string, string>[]> = {};
  const described: PublicSource['inputs'] = [];
  for (const [name, file] of Object.entries(files)) {
    const text = readFileSync(join(FIXTURES, file), 'utf8');
    inputs[name] = importer.parse ? importer.parse(text, { name, path: file }) : parseCsv(text, file);
    described.push({
      name,
      fileName: file,
      sha256: createHash('sha256').update(text).digest('hex'),
      bytes: Buffer.byteLength(text),
    });
  }
  const records: ValidRecord[] = [];
  const now = new Date(PERIOD.end);
  for (const row of importer.rows(inputs)) {
    if (row.kind !== 'record') continue;
    try {
      records.push(validateRecord(row.record, now, 'public'));
    } catch {
      // a row the pipeline would refuse is refused here too
    }
  }
  return { importer, records, inputs: described };
}

/** The templates: the demo plan's trails and the public tables' records (read once per process). */
export function loadTemplates(): {
  own: OwnTemplate[];
  patients: ReturnType<typeof planCohort>['patients'];
  sources: PublicSource[];
} {
  const plan = planCohort();
  const now = new Date(PERIOD.end);
  const own: OwnTemplate[] = [];
  for (const a of plan.attempts) {
    if (!a.trail) continue;
    own.push({
      v: validateRecord(a.record, now, 'sop'),
      finalClass: a.trail.finalClass,
      finalStructures: [...new Set(a.trail.finalStructures)],
      reviews: a.trail.reviews.map((r) => ({ ...r, structures: [...new Set(r.structures)] })),
      note: a.trail.consensusNote,
      histology: a.trail.histology,
    });
  }
  const sources = [
    publicSource(ham10000, { metadata: 'ham10000_metadata.csv' }),
    publicSource(isic2019, {
      groundTruth: 'isic2019_training_groundtruth.csv',
      metadata: 'isic2019_training_metadata.csv',
    }),
    publicSource(derm7pt, { metadata: 'derm7pt_meta.csv' }),
    publicSource(ph2, { metadata: 'ph2_dataset.csv' }),
  ];
  return { own, patients: plan.patients, sources };
}

const hex = (s: string) => createHash('sha256').update(s).digest('hex');
const iso = (t: number) => new Date(t).toISOString().replace('Z', '+00:00');

/** What a cohort holds, counted as it is generated. */
export interface CohortCounts {
  images: number;
  patients: number;
  rows: Partial<Record<TableName, number>>;
}

export interface GenerateOptions {
  images: number;
  seed: number;
  blobs: readonly SharedBlob[];
  sink: Sink;
  /** The own collection's id (created by the open_world migration). */
  ownCollectionId: number;
  onProgress?: (images: number) => void;
}

/** Generates every row of a cohort of `images` images into the sink, parents before children per image. */
export async function generateCohort(opts: GenerateOptions): Promise<CohortCounts> {
  const { sink, blobs } = opts;
  const rnd = new Random(opts.seed);
  const t = loadTemplates();
  const pseudonyms = new Pseudonymizer(BENCH_PSEUDONYM_KEY);
  const counts: CohortCounts = { images: 0, patients: 0, rows: {} };
  const add = (table: TableName, row: Value[]) => {
    sink.add(table, row);
    counts.rows[table] = (counts.rows[table] ?? 0) + 1;
  };
  const stamp = iso(PERIOD.end + 30 * DAY);
  const specialists = ['SPEC-A', 'SPEC-B', 'SPEC-C', 'SPEC-D', 'SPEC-E'];
  const specialistCode = new Map(specialists.map((s) => [s, pseudonyms.code('examiner', s)]));
  const examinerCodes = new Map<string, string>();
  const examinerCode = (id: string | undefined) => {
    if (!id) return null;
    let c = examinerCodes.get(id);
    if (!c) {
      c = pseudonyms.code('examiner', id);
      examinerCodes.set(id, c);
    }
    return c;
  };
  const pathologist = pseudonyms.code('examiner', 'PATH-01');

  // ---- collections: ours exists; the public ones as their importers declare them
  const publicTotal = opts.images - Math.round(opts.images * OWN_SHARE);
  const sourceWeight = t.sources.map((s) => s.records.length);
  const weightSum = sourceWeight.reduce((a, b) => a + b, 0);
  const publicCollectionId = new Map<PublicSource, number>();
  let collectionId = opts.ownCollectionId;
  let importId = 0;
  const storedPer = new Map<PublicSource, number>();
  for (const s of t.sources) {
    const facts = s.importer.collection;
    if (!facts) throw new Error(`importer ${s.importer.id} declares no collection`);
    const id = ++collectionId;
    publicCollectionId.set(s, id);
    add('collection', [
      id,
      facts.slug,
      facts.name,
      'public',
      facts.source,
      facts.citation,
      facts.license,
      facts.attribution,
      facts.version,
      stamp,
      stamp,
    ]);
  }

  // ---- patients, lesions, images and every child row
  let imageId = 0;
  let patientId = 0;
  let lesionId = 0;
  let reviewId = 0;
  let consensusId = 0;
  let histologyId = 0;
  let labelChangeId = 0;
  let intakeId = 0;
  let conflictId = 0;
  let ownLeft = opts.images - publicTotal;
  let publicLeft = publicTotal;
  const flushEvery = 2_000;
  let nextFlush = flushEvery;

  while (ownLeft + publicLeft > 0) {
    const isOwn = rnd.next() * (ownLeft + publicLeft) < ownLeft;
    const want = rnd.weighted(IMAGES_PER_PATIENT);
    const k = Math.min(want, isOwn ? ownLeft : publicLeft);
    if (isOwn) ownLeft -= k;
    else publicLeft -= k;
    const pid = ++patientId;
    const source = isOwn ? undefined : t.sources[pickIndex(rnd, sourceWeight, weightSum)];
    const ownPatient = isOwn ? rnd.pick(t.patients) : undefined;
    const first = source ? rnd.pick(source.records) : undefined;
    const sex: Sex | null = ownPatient ? ownPatient.sex : (first?.sex ?? null);
    const visit0 = isOwn
      ? rnd.int(PERIOD.start, PERIOD.end - 60 * DAY)
      : rnd.int(Date.UTC(2016, 0, 1), Date.UTC(2019, 0, 1));
    const patientCreated = iso(visit0 + 3_600_000);
    add('patient', [
      pid,
      pseudonyms.code('patient', `BENCH-${opts.seed}-${pid}`),
      sex,
      ownPatient ? (ownPatient.fitzpatrick ?? null) : (first?.fitzpatrickType ?? null),
      ownPatient ? (ownPatient.sunburn ?? null) : (first?.sunburnHistory ?? null),
      ownPatient ? (ownPatient.personalCa ?? null) : (first?.personalCaHistory ?? null),
      patientCreated,
    ]);
    let previousImage = 0;
    let previousLesion = 0;
    let previousPhash = '';
    for (let j = 0; j < k; j++) {
      const id = ++imageId;
      const visit = visit0 + rnd.int(0, 50) * DAY;
      const secondShot = j > 0 && rnd.chance(NEAR_DUPLICATE_SHARE * 1.75);
      const lid = secondShot ? previousLesion : ++lesionId;
      if (!secondShot)
        add('lesion', [lid, pseudonyms.code('lesion', `BENCH-${pid}`, String(lid)), pid, patientCreated]);
      const blob = blobs[id % blobs.length] as SharedBlob;
      // one hash per image: the pixel hash is its reverse (unique as it is), the intake keys derive from it
      const sha = hex(`sha:${opts.seed}:${id}`);
      const pixel = [...sha].reverse().join('');
      const phash = secondShot ? flipBits(previousPhash, rnd.int(1, 6), rnd) : pixel.slice(0, 16);
      const created = iso(visit + 3_600_000 + (id % 3_600) * 1_000);
      const jitter = (x: number, by: number) => Math.max(0, x * (1 + rnd.range(-by, by)));
      const file: Value[] = [
        sha,
        pixel,
        phash,
        blob.width,
        blob.height,
        blob.format,
        blob.byteSize + rnd.int(-200, 200),
        blob.storageKey,
        blob.thumbnailKey,
      ];
      const quality: Value[] = [
        Math.round(jitter(blob.sharpness, 0.3) * 100) / 100,
        blob.clippedShare,
        blob.glareShare,
        Math.round(jitter(blob.meanLuminance, 0.1) * 100) / 100,
        blob.highlightShare,
      ];
      if (isOwn) {
        const tpl = rnd.pick(t.own);
        const v = tpl.v;
        const examiner = examinerCode(v.examinerId);
        const inReview = rnd.chance(IN_REVIEW_SHARE);
        const nReviews = inReview ? rnd.int(0, 2) : 3;
        const decided = new Date(visit + rnd.int(3, 21) * DAY).getTime();
        const finalClass = inReview ? v.diagnosisClass : tpl.finalClass;
        const label = finalClass ? relabelled(v.diagnosisTerm, finalClass) : v;
        const histology = !inReview && tpl.histology ? tpl.histology : null;
        const stage = inReview ? 'INITIAL' : histology ? 'HISTOLOGY' : 'CONSENSUS';
        const structures = inReview ? v.structures : tpl.finalStructures;
        const version = 1 + nReviews + (inReview ? 0 : 1) + (histology ? 1 : 0);
        const ageRaw = ownPatient?.ageRaw ?? v.ageAtExamRaw ?? null;
        const age = ageRaw !== null && /^\d{1,3}$/.test(ageRaw) && Number(ageRaw) <= 120 ? Number(ageRaw) : null;
        add('image', [
          id,
          pid,
          lid,
          ageRaw,
          age,
          v.anatomicalSite ?? null,
          v.lesionDiameterMm ?? null,
          v.elevation ?? null,
          v.borderRegularity ?? null,
          v.clinicalDiagnosisRaw,
          label.diagnosisClass,
          label.diagnosisTerm,
          label.clinicalStatus,
          histology,
          stage,
          examiner,
          v.imageQualityScore ?? 4,
          opts.ownCollectionId,
          ...file,
          iso(visit),
          ...quality,
          version,
          nReviews,
          created,
          iso(histology ? decided + 20 * DAY : inReview ? visit + 3_600_000 : decided),
        ]);
        for (const c of v.colors) add('image_color', [id, c]);
        for (const s of structures) add('image_structure', [id, s]);
        add('initial_annotation', [
          id,
          id,
          examiner,
          v.clinicalDiagnosisRaw,
          v.diagnosisClass,
          v.diagnosisTerm,
          created,
        ]);
        for (const s of v.structures) add('annotation_structure', [id, s]);
        add('label_change', [
          ++labelChangeId,
          id,
          examiner ?? 'intake:bench',
          created,
          null,
          v.diagnosisClass,
          'initial annotation',
        ]);
        const reviews = tpl.reviews.slice(0, nReviews);
        reviews.forEach((r, n) => {
          const rid = ++reviewId;
          add('expert_review', [
            rid,
            id,
            specialistCode.get(r.specialist) ?? r.specialist,
            r.diagnosisClass,
            iso(decided - (3 - n) * DAY),
          ]);
          for (const s of r.structures) add('review_structure', [rid, s]);
        });
        if (!inReview) {
          const corrected = tpl.finalClass !== v.diagnosisClass;
          add('consensus_decision', [
            ++consensusId,
            id,
            tpl.finalClass,
            corrected ? 'CORRECTED' : 'CONFIRMED',
            3,
            tpl.note,
            'consensus-panel',
            iso(decided),
          ]);
          if (corrected) {
            add('label_change', [
              ++labelChangeId,
              id,
              'consensus-panel',
              iso(decided),
              v.diagnosisClass,
              tpl.finalClass,
              'consensus of 3 specialists corrected the initial label',
            ]);
          }
          if (histology) {
            add('histopathology_report', [
              ++histologyId,
              id,
              histology,
              tpl.finalClass,
              pathologist,
              iso(decided + 20 * DAY),
            ]);
          }
        }
        add('intake_record', [
          ++intakeId,
          `bench:${sha}`,
          'bench',
          created,
          'ACCEPTED',
          null,
          null,
          sha,
          pixel,
          v.imageQualityScore ?? 4,
          id,
          null,
        ]);
        if (rnd.chance(REFUSED_SHARE)) {
          const dup = rnd.chance(0.5);
          add('intake_record', [
            ++intakeId,
            `bench:${sha}:again`,
            'bench',
            created,
            dup ? 'DUPLICATE' : 'REJECTED_QUALITY',
            dup ? null : 'SOP_QUALITY',
            dup ? 'the same pixels are already stored' : 'the SOP quality score is below 3',
            dup ? sha : pixel,
            dup ? pixel : null,
            dup ? (v.imageQualityScore ?? 4) : rnd.int(1, 2),
            null,
            dup ? id : null,
          ]);
        }
      } else {
        const src = source as PublicSource;
        const v = j === 0 ? (first as ValidRecord) : rnd.pick(src.records);
        const cid = publicCollectionId.get(src) as number;
        storedPer.set(src, (storedPer.get(src) ?? 0) + 1);
        const acquired = v.acquiredAt ? v.acquiredAt.getTime() : null;
        add('image', [
          id,
          pid,
          lid,
          v.ageAtExamRaw ?? null,
          v.ageAtExam ?? null,
          v.anatomicalSite ?? null,
          v.lesionDiameterMm ?? null,
          v.elevation ?? null,
          v.borderRegularity ?? null,
          v.clinicalDiagnosisRaw,
          v.diagnosisClass,
          v.diagnosisTerm,
          v.clinicalStatus,
          v.histopathologyResult ?? null,
          v.verificationStage,
          null,
          null,
          cid,
          ...file,
          acquired === null ? null : iso(acquired),
          ...quality,
          1,
          0,
          stamp,
          stamp,
        ]);
        for (const c of v.colors) add('image_color', [id, c]);
        for (const s of v.structures) add('image_structure', [id, s]);
        add('initial_annotation', [id, id, null, v.clinicalDiagnosisRaw, v.diagnosisClass, v.diagnosisTerm, stamp]);
        for (const s of v.structures) add('annotation_structure', [id, s]);
        add('label_change', [
          ++labelChangeId,
          id,
          `intake:${src.importer.id}`,
          stamp,
          null,
          v.diagnosisClass,
          'initial annotation',
        ]);
        if (v.verificationStage !== 'INITIAL') {
          add('consensus_decision', [
            ++consensusId,
            id,
            v.diagnosisClass,
            'CONFIRMED',
            0,
            'consensus reached at the source and imported with the record',
            'import',
            stamp,
          ]);
          if (v.verificationStage === 'HISTOLOGY' && v.histopathologyResult) {
            add('histopathology_report', [
              ++histologyId,
              id,
              v.histopathologyResult,
              v.diagnosisClass,
              'import',
              stamp,
            ]);
          }
        }
        add('intake_record', [
          ++intakeId,
          `${src.importer.id}:${sha}`,
          src.importer.id,
          stamp,
          'ACCEPTED',
          null,
          null,
          sha,
          pixel,
          null,
          id,
          null,
        ]);
        if (j > 0 && sex && rnd.chance(FACT_CONFLICT_SHARE)) {
          const other = sex === 'FEMALE' ? 'MALE' : 'FEMALE';
          add('fact_conflict', [++conflictId, id, pid, 'sex', sex, other, stamp]);
        }
      }
      if (secondShot) add('near_duplicate', [id, previousImage, hammingHex(phash, previousPhash)]);
      previousImage = id;
      previousLesion = lid;
      previousPhash = phash;
      counts.images = id;
      if (id >= nextFlush) {
        nextFlush += flushEvery;
        opts.onProgress?.(id);
        await sink.flush();
      }
    }
    counts.patients = pid;
  }

  // ---- one import record per public collection, counting what the cohort holds of it
  for (const s of t.sources) {
    const stored = storedPer.get(s) ?? 0;
    add('import_record', [
      ++importId,
      publicCollectionId.get(s) as number,
      s.importer.id,
      s.importer.version,
      'bench',
      stamp,
      stamp,
      JSON.stringify(s.inputs),
      stored,
      stored,
      0,
      0,
      JSON.stringify(importReport(s, stored)),
    ]);
  }
  await sink.flush();
  return counts;
}

function importReport(s: PublicSource, stored: number): ImportSummary {
  const terms: Record<string, number> = {};
  for (const r of s.records) terms[r.diagnosisTerm] = (terms[r.diagnosisTerm] ?? 0) + 1;
  return {
    importer: { id: s.importer.id, version: s.importer.version, provenance: 'public' },
    collection: { slug: s.importer.collection?.slug ?? s.importer.id, created: true, existed: false },
    dryRun: false,
    rows: stored,
    sourceLabels: {},
    mapped: {},
    outsideNine: 0,
    terms,
    statuses: {},
    unmapped: {},
    invalid: [],
    missingFiles: [],
    ready: stored,
    accepted: stored,
    nearDuplicates: 0,
    duplicates: 0,
    sopRejected: 0,
    rejected: [],
    alreadyImported: 0,
    factConflicts: { count: 0, fields: {} },
    reusedLesionIds: [],
  };
}

function pickIndex(rnd: Random, weights: readonly number[], sum: number): number {
  let x = rnd.next() * sum;
  for (let i = 0; i < weights.length; i++) {
    x -= weights[i] ?? 0;
    if (x < 0) return i;
  }
  return weights.length - 1;
}

/** A 64-bit hex hash with `n` distinct bits flipped (a near twin's perceptual hash). */
function flipBits(h: string, n: number, rnd: Random): string {
  let v = BigInt(`0x${h}`);
  const bits = new Set<number>();
  while (bits.size < n) bits.add(rnd.int(0, 63));
  for (const b of bits) v ^= 1n << BigInt(b);
  return v.toString(16).padStart(16, '0');
}

function hammingHex(a: string, b: string): number {
  let v = BigInt(`0x${a}`) ^ BigInt(`0x${b}`);
  let n = 0;
  while (v > 0n) {
    n += Number(v & 1n);
    v >>= 1n;
  }
  return n;
}
