// domainShift(a, b, policy): how two resolved subsets differ, dimension by dimension. Every count is
// a SQL GROUP BY or COUNT on a subset's `where` (cohorts reach 1,000,000 images; no row is loaded):
// the divergences and tests are domain/shift.ts's, computed from those counts.
//
// Every dimension is counted per IMAGE, the patient-level ones (sex, Fitzpatrick type) included, as
// stats.distributions counts them: the comparison is of the images a model would see. (stats'
// patientDistributions counts the same fields per patient.) Age is the image's age at that exam,
// through the caller's de-identification profile as stats reads it: top-coded at 90 under
// safe-harbor. Image size is one number, pixels = width × height. A side read as of a release counts
// the label, the diagnosis term and the stage as the release froze them.
import { GraphQLError } from 'graphql';
import { db } from '../db/current.ts';
import { ageNumber, generaliseFilter, type ProfileId } from '../domain/deidentify.ts';
import { FitzpatrickType, Sex } from '../domain/enums.ts';
import {
  type CategoricalValueShift,
  type CountShare,
  categoricalShift,
  type MissingShift,
  type NumericSummary,
  numericShift,
} from '../domain/shift.ts';
import { decide } from '../plugins/evaluate.ts';
import type { ClassMappingPolicy } from '../plugins/types.ts';
import { badInput } from './errors.ts';
import { patientFieldCounts } from './facets.ts';
import type { ImageFilter, SplitSelection } from './image-filter.ts';
import { labelGroups } from './releases.ts';
import { type RequestScope, resolveSubset, type Subset } from './subset.ts';

/** The dimensions compared, in the order they are answered. */
export const SHIFT_DIMENSIONS = [
  { id: 'label', kind: 'categorical', about: 'the label under the policy; excluded and unmapped images are missing' },
  { id: 'diagnosis_term', kind: 'categorical', about: 'the diagnosis term (its path); never missing' },
  {
    id: 'age_at_exam',
    kind: 'numeric',
    about: 'age in years at the exam, through the profile (safe-harbor: 90 = 90+)',
  },
  { id: 'sex', kind: 'categorical', about: "the patient's sex, counted per image" },
  { id: 'anatomical_site', kind: 'categorical', about: 'the anatomical site' },
  { id: 'fitzpatrick_type', kind: 'categorical', about: "the patient's Fitzpatrick type, counted per image" },
  { id: 'verification_stage', kind: 'categorical', about: 'the verification stage; never missing' },
  { id: 'image_pixels', kind: 'numeric', about: 'image size in pixels, width × height; never missing' },
  { id: 'format', kind: 'categorical', about: 'the stored file format; never missing' },
] as const;

export type ShiftDimensionId = (typeof SHIFT_DIMENSIONS)[number]['id'];

/** The test of one dimension: χ² of homogeneity (categorical) or two-sample Kolmogorov–Smirnov (numeric). */
export interface ShiftTest {
  name: 'chi-squared' | 'kolmogorov-smirnov';
  statistic: number;
  pValue: number;
  /** χ² only: categories with a count on either side, minus 1. */
  df: number | null;
  /** KS only: round(m·n / (m + n)), the sample size kstwo's p-value is read at. */
  effectiveN: number | null;
}

export interface ShiftDimension {
  dimension: ShiftDimensionId;
  kind: 'categorical' | 'numeric';
  /** Side by side: each value with its count and its share of the side's present values. Numeric: ascending. */
  values: CategoricalValueShift[];
  /** Numeric dimensions: n, mean, median, min, max of each side's present values; null for categorical. */
  summary: { a: NumericSummary; b: NumericSummary } | null;
  jensenShannon: number | null;
  totalVariation: number | null;
  test: ShiftTest | null;
  /** Images without a value, with their share of all the side's images. */
  missing: MissingShift;
}

export interface ShiftSide {
  subset: Subset;
  images: number;
}

export interface DomainShift {
  policy: ClassMappingPolicy;
  /** The profile the ages were read through. */
  profile: ProfileId;
  a: ShiftSide;
  b: ShiftSide;
  dimensions: ShiftDimension[];
}

interface CategoricalCounts {
  values: Map<string, number>;
  missing: number;
}
interface NumericCounts {
  values: Map<number, number>;
  missing: number;
}
type SideCounts = Record<ShiftDimensionId, CategoricalCounts | NumericCounts> & { images: number };

const add = <K>(m: Map<K, number>, key: K, n: number) => m.set(key, (m.get(key) ?? 0) + n);

/**
 * Every dimension's counts for one subset: five GROUP BYs and one COUNT per value of sex and of
 * Fitzpatrick type (and one for each's missing), all on the subset's `where`.
 */
export async function shiftCounts(subset: Subset, profile: ProfileId): Promise<SideCounts> {
  const client = db();
  const { where, policy } = subset;
  const [classStage, ages, sites, sizes, formats, sex, fitz] = await Promise.all([
    // as of a release: the class, term, status and stage it froze
    labelGroups(subset),
    client.image.groupBy({ by: ['ageAtExam'], where, _count: { _all: true } }),
    client.image.groupBy({ by: ['anatomicalSite'], where, _count: { _all: true } }),
    client.image.groupBy({ by: ['width', 'height'], where, _count: { _all: true } }),
    client.image.groupBy({ by: ['format'], where, _count: { _all: true } }),
    patientFieldCounts(where, 'sex', Object.values(Sex)),
    patientFieldCounts(where, 'fitzpatrickType', Object.values(FitzpatrickType)),
  ]);
  const cat = (): CategoricalCounts => ({ values: new Map(), missing: 0 });
  const label = cat();
  const term = cat();
  const stage = cat();
  let images = 0;
  for (const r of classStage) {
    const n = r._count._all;
    images += n;
    const d = decide(policy, r);
    if (d.kind === 'mapped') add(label.values, d.label, n);
    else label.missing += n;
    add(term.values, r.diagnosisTerm, n);
    add(stage.values, r.verificationStage, n);
  }
  const age: NumericCounts = { values: new Map(), missing: 0 };
  for (const r of ages) {
    const v = ageNumber(r.ageAtExam, profile);
    if (v === null) age.missing += r._count._all;
    else add(age.values, v, r._count._all);
  }
  const pixels: NumericCounts = { values: new Map(), missing: 0 };
  for (const r of sizes) add(pixels.values, r.width * r.height, r._count._all);
  const grouped = (rows: { value: string | null; count: number }[]): CategoricalCounts => {
    const out = cat();
    for (const r of rows) {
      if (r.value === null) out.missing += r.count;
      else if (r.count > 0) add(out.values, r.value, r.count);
    }
    return out;
  };
  return {
    images,
    label,
    diagnosis_term: term,
    age_at_exam: age,
    sex: grouped(sex),
    anatomical_site: grouped(sites.map((r) => ({ value: r.anatomicalSite, count: r._count._all }))),
    fitzpatrick_type: grouped(fitz),
    verification_stage: stage,
    image_pixels: pixels,
    format: grouped(formats.map((r) => ({ value: r.format, count: r._count._all }))),
  };
}

const shareOf = (count: number, total: number): number | null => (total === 0 ? null : count / total);

function numericValues(a: Map<number, number>, b: Map<number, number>): CategoricalValueShift[] {
  const total = (m: Map<number, number>) => [...m.values()].reduce((s, n) => s + n, 0);
  const [ta, tb] = [total(a), total(b)];
  const side = (m: Map<number, number>, v: number, t: number): CountShare => ({
    count: m.get(v) ?? 0,
    share: shareOf(m.get(v) ?? 0, t),
  });
  return [...new Set([...a.keys(), ...b.keys()])]
    .sort((x, y) => x - y)
    .map((v) => ({ value: String(v), a: side(a, v, ta), b: side(b, v, tb) }));
}

/** One dimension from both sides' counts. */
export function compareDimension(
  dimension: ShiftDimensionId,
  a: CategoricalCounts | NumericCounts,
  b: CategoricalCounts | NumericCounts,
): ShiftDimension {
  const missing = { a: a.missing, b: b.missing };
  const spec = SHIFT_DIMENSIONS.find((d) => d.id === dimension);
  if (spec?.kind === 'numeric') {
    const [va, vb] = [a.values as Map<number, number>, b.values as Map<number, number>];
    const s = numericShift(va, vb, missing);
    return {
      dimension,
      kind: 'numeric',
      values: numericValues(va, vb),
      summary: s.summary,
      jensenShannon: s.jensenShannon,
      totalVariation: s.totalVariation,
      test: s.test && {
        name: s.test.name,
        statistic: s.test.statistic,
        pValue: s.test.pValue,
        df: null,
        effectiveN: s.test.effectiveN,
      },
      missing: s.missing,
    };
  }
  const s = categoricalShift(a.values as Map<string, number>, b.values as Map<string, number>, missing);
  let test: ShiftTest | null = s.test && { ...s.test, effectiveN: null };
  // one category on both sides: a 2×1 table, which scipy's chi2_contingency answers with statistic 0,
  // df 0 and p 1 (the two sides cannot differ); shift.ts leaves the test out there
  if (!test && s.jensenShannon !== null && s.values.filter((v) => v.a.count + v.b.count > 0).length === 1)
    test = { name: 'chi-squared', statistic: 0, df: 0, pValue: 1, effectiveN: null };
  return {
    dimension,
    kind: 'categorical',
    values: s.values,
    summary: null,
    jensenShannon: s.jensenShannon,
    totalVariation: s.totalVariation,
    test,
    missing: s.missing,
  };
}

/**
 * The comparison of two resolved subsets. Both must be read under one policy (their labels are
 * compared): two different ones — a split's policy on one side, the active one on the other — are
 * BAD_USER_INPUT asking for `policy`.
 */
export async function computeDomainShift(a: Subset, b: Subset, profile: ProfileId): Promise<DomainShift> {
  if (a.policy.id !== b.policy.id)
    throw badInput(
      `the two subsets are read under different policies (a: ${a.policy.id}, b: ${b.policy.id}); name one with policy`,
      'policy',
    );
  const [ca, cb] = await Promise.all([shiftCounts(a, profile), shiftCounts(b, profile)]);
  return {
    policy: a.policy,
    profile,
    a: { subset: a, images: ca.images },
    b: { subset: b, images: cb.images },
    dimensions: SHIFT_DIMENSIONS.map((d) => compareDimension(d.id, ca[d.id], cb[d.id])),
  };
}

/** One side as a caller asks for it: the images of a filter, limited to a stored split or part, as of a release. */
export interface ShiftRequest {
  filter?: ImageFilter | null;
  split?: SplitSelection | null;
  release?: string | null;
}

/**
 * One side resolved as every read resolves a subset (resolveSubset), its filter first held to what
 * `filterProfile` may select (generaliseFilter, as readSubset). A refusal names its side (`a`, `b`,
 * the datasheet's `compare.with`): the argument `b.filter`, the message "b: …".
 */
export async function resolveShiftSide(
  scope: RequestScope,
  side: string,
  req: ShiftRequest,
  policy: string | null | undefined,
  filterProfile: ProfileId,
): Promise<Subset> {
  try {
    return await resolveSubset(scope, {
      filter: generaliseFilter(req.filter, filterProfile),
      split: req.split,
      release: req.release,
      policy,
    });
  } catch (e) {
    if (e instanceof GraphQLError && e.extensions.code === 'BAD_USER_INPUT') {
      const argument = String(e.extensions.argument ?? '');
      throw badInput(`${side}: ${e.message}`, argument === 'policy' ? 'policy' : `${side}.${argument}`);
    }
    throw e;
  }
}

/**
 * domainShift(a, b, policy) for a caller reading under `profile` (readProfile of the role): both
 * sides resolved under the one policy named (else each side's own: a split's, or the active one),
 * the filters held to the profile, the ages read through it.
 */
export async function domainShift(
  scope: RequestScope,
  args: { a: ShiftRequest; b: ShiftRequest; policy?: string | null },
  profile: ProfileId,
): Promise<DomainShift> {
  const [a, b] = await Promise.all([
    resolveShiftSide(scope, 'a', args.a, args.policy, profile),
    resolveShiftSide(scope, 'b', args.b, args.policy, profile),
  ]);
  return computeDomainShift(a, b, profile);
}
