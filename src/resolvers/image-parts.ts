// What an image card shows beyond the image row, loaded for a whole page at once: a gallery page
// of any size costs a fixed number of statements (the page, its parts, its reviews, its near-
// duplicate links and, when there are any, the images at their other ends; plus totalCount).
// Per request: each loader batches the ids asked for in one tick (DataLoader) and caches by id.
import DataLoader from 'dataloader';
import { db } from '../db/current.ts';
import {
  type Color,
  type ConsensusDecision,
  type ConsensusOutcome,
  type DermoscopicStructure,
  type DiagnosisClass,
  type FitzpatrickType,
  type Image,
  type NearDuplicate,
  type Patient,
  Prisma,
  type Sex,
} from '../db/generated/sqlite/client.ts';
import { seesReview } from '../domain/review-visibility.ts';
import type { Role } from '../domain/roles.ts';
import { COLORS } from '../domain/vocabularies.ts';

/** The patient, colours, current structures, consensus and near-duplicate links of one image. */
export interface ImageParts {
  patient: Patient;
  colors: Color[];
  structures: DermoscopicStructure[];
  consensus: ConsensusDecision | null;
  /** Links in either direction: the image as the later one (by twin), then as the earlier one (by image). */
  nearDuplicates: NearDuplicate[];
}

/** One expert review with its structures, as the ExpertReview type reads it. */
export interface ReviewWithStructures {
  id: number;
  imageId: number;
  reviewerCode: string;
  diagnosisClass: DiagnosisClass;
  createdAt: Date;
  structures: { structure: DermoscopicStructure }[];
}

/** Who reads: blind review decides which reviews they see (domain/review-visibility.ts). */
export interface Reader {
  role: Role | null;
  /** The caller's staff code, asked for only when the rule needs it. */
  code(): string;
}

export interface ImagePartLoaders {
  parts: DataLoader<number, ImageParts>;
  /** Every review of the image the reader may see, in id order. */
  reviews: DataLoader<number, ReviewWithStructures[]>;
  /** The structures of reviews by review id (reviews read without them). */
  reviewStructures: DataLoader<number, { structure: DermoscopicStructure }[]>;
  /** Image rows by id (the other ends of near-duplicate links). */
  images: DataLoader<number, Image | null>;
}

export function imagePartLoaders(reader: Reader): ImagePartLoaders {
  return {
    parts: new DataLoader(loadParts, { maxBatchSize: 500 }),
    reviews: new DataLoader((ids) => loadReviews(ids, reader), { maxBatchSize: 500 }),
    reviewStructures: new DataLoader(loadReviewStructures, { maxBatchSize: 500 }),
    images: new DataLoader(loadImages, { maxBatchSize: 500 }),
  };
}

// ---------------------------------------------------------------- the statements

/** Whether the process's client is PostgreSQL's (the generated clients name their provider). */
const pgClient = () => (db() as unknown as { _activeProvider?: string })._activeProvider === 'postgresql';

/** A list of values joined by commas, in one column: group_concat on SQLite, string_agg on PostgreSQL. */
const listOf = (column: string) =>
  Prisma.raw(pgClient() ? `string_agg(CAST(${column} AS TEXT), ',')` : `group_concat(${column}, ',')`);

/** "id:distance" of a link, as text in both dialects. */
const pair = (id: string) => `${id} || ':' || n.distance`;
/** The "id:distance" pairs of a list, in id order. */
const pairs = (v: string | null): [number, number][] =>
  split<string>(v)
    .map((p) => p.split(':').map(Number) as [number, number])
    .sort((a, b) => a[0] - b[0]);

const split = <T extends string>(v: unknown): T[] => (typeof v === 'string' && v !== '' ? (v.split(',') as T[]) : []);
const bool = (v: unknown): boolean | null => (v === null || v === undefined ? null : v === true || Number(v) === 1);
const date = (v: unknown): Date => (v instanceof Date ? v : new Date(v as string | number));

interface PartsRow {
  image_id: number;
  p_id: number;
  p_code: string;
  p_sex: Sex | null;
  p_fitzpatrick_type: FitzpatrickType | null;
  p_sunburn_history: unknown;
  p_personal_ca_history: unknown;
  p_created_at: unknown;
  colors: string | null;
  structures: string | null;
  twins: string | null;
  earlier: string | null;
  c_id: number | null;
  c_diagnosis_class: DiagnosisClass | null;
  c_outcome: ConsensusOutcome | null;
  c_review_count: number | null;
  c_note: string | null;
  c_decided_by: string | null;
  c_decided_at: unknown;
}

async function loadParts(ids: readonly number[]): Promise<(ImageParts | Error)[]> {
  const rows = await db().$queryRaw<PartsRow[]>(Prisma.sql`
    SELECT i.id AS image_id,
      p.id AS p_id, p.code AS p_code, p.sex AS p_sex, p.fitzpatrick_type AS p_fitzpatrick_type,
      p.sunburn_history AS p_sunburn_history, p.personal_ca_history AS p_personal_ca_history,
      p.created_at AS p_created_at,
      (SELECT ${listOf('c.color')} FROM image_color c WHERE c.image_id = i.id) AS colors,
      (SELECT ${listOf('s.structure')} FROM image_structure s WHERE s.image_id = i.id) AS structures,
      (SELECT ${listOf(pair('n.twin_id'))} FROM near_duplicate n WHERE n.image_id = i.id) AS twins,
      (SELECT ${listOf(pair('n.image_id'))} FROM near_duplicate n WHERE n.twin_id = i.id) AS earlier,
      d.id AS c_id, d.diagnosis_class AS c_diagnosis_class, d.outcome AS c_outcome,
      d.review_count AS c_review_count, d.note AS c_note, d.decided_by AS c_decided_by, d.decided_at AS c_decided_at
    FROM image i
    JOIN patient p ON p.id = i.patient_id
    LEFT JOIN consensus_decision d ON d.image_id = i.id
    WHERE i.id IN (${Prisma.join([...ids])})`);
  const byId = new Map<number, ImageParts>();
  for (const r of rows) {
    const imageId = Number(r.image_id);
    byId.set(imageId, {
      patient: {
        id: Number(r.p_id),
        code: r.p_code,
        sex: r.p_sex,
        fitzpatrickType: r.p_fitzpatrick_type,
        sunburnHistory: bool(r.p_sunburn_history),
        personalCaHistory: bool(r.p_personal_ca_history),
        createdAt: date(r.p_created_at),
      },
      colors: COLORS.filter((c) => split<Color>(r.colors).includes(c)),
      structures: split<DermoscopicStructure>(r.structures).sort(),
      nearDuplicates: [
        ...pairs(r.twins).map(([twinId, distance]) => ({ imageId, twinId, distance })),
        ...pairs(r.earlier).map(([other, distance]) => ({ imageId: other, twinId: imageId, distance })),
      ],
      consensus:
        r.c_id === null || r.c_id === undefined
          ? null
          : {
              id: Number(r.c_id),
              imageId,
              diagnosisClass: r.c_diagnosis_class,
              outcome: r.c_outcome as ConsensusOutcome,
              reviewCount: Number(r.c_review_count),
              note: r.c_note,
              decidedBy: r.c_decided_by as string,
              decidedAt: date(r.c_decided_at),
            },
    });
  }
  return ids.map((id) => byId.get(id) ?? new Error(`image ${id} has no row`));
}

interface ReviewRow {
  id: number;
  image_id: number;
  reviewer_code: string;
  diagnosis_class: DiagnosisClass;
  created_at: unknown;
  structures: string | null;
  decided: unknown;
}

async function loadReviews(ids: readonly number[], reader: Reader): Promise<ReviewWithStructures[][]> {
  const rows = await db().$queryRaw<ReviewRow[]>(Prisma.sql`
    SELECT r.id, r.image_id, r.reviewer_code, r.diagnosis_class, r.created_at,
      (SELECT ${listOf('s.structure')} FROM review_structure s WHERE s.review_id = r.id) AS structures,
      CASE WHEN EXISTS (SELECT 1 FROM consensus_decision d WHERE d.image_id = r.image_id) THEN 1 ELSE 0 END AS decided
    FROM expert_review r
    WHERE r.image_id IN (${Prisma.join([...ids])})
    ORDER BY r.id`);
  const byImage = new Map<number, ReviewRow[]>();
  for (const r of rows) {
    const imageId = Number(r.image_id);
    const list = byImage.get(imageId) ?? [];
    list.push(r);
    byImage.set(imageId, list);
  }
  let me: string | undefined;
  const code = () => {
    me ??= reader.code();
    return me;
  };
  return ids.map((id) => {
    const all = byImage.get(id) ?? [];
    const mine = (r: ReviewRow) => r.reviewer_code === code();
    const coReviewer = reader.role === 'REVIEWER' && all.some(mine);
    return all
      .filter((r) =>
        seesReview(reader.role, {
          author: reader.role === 'REVIEWER' && mine(r),
          coReviewer,
          decided: Number(r.decided) === 1,
        }),
      )
      .map((r) => ({
        id: Number(r.id),
        imageId: id,
        reviewerCode: r.reviewer_code,
        diagnosisClass: r.diagnosis_class,
        createdAt: date(r.created_at),
        structures: split<DermoscopicStructure>(r.structures).map((structure) => ({ structure })),
      }));
  });
}

async function loadReviewStructures(ids: readonly number[]): Promise<{ structure: DermoscopicStructure }[][]> {
  const rows = await db().reviewStructure.findMany({ where: { reviewId: { in: [...ids] } } });
  return ids.map((id) => rows.filter((r) => r.reviewId === id).map((r) => ({ structure: r.structure })));
}

async function loadImages(ids: readonly number[]): Promise<(Image | null)[]> {
  const rows = await db().image.findMany({ where: { id: { in: [...ids] } } });
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => byId.get(id) ?? null);
}
