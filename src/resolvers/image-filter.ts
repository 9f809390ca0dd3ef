// ImageFilter → Prisma where. Every branch is a plain condition on the image or its patient, so
// the same filter serves the connection, its totalCount and the facets.
//
// NOT is the complement of what a filter matches. SQL compares a NULL to anything as unknown, and
// NOT(unknown) is unknown too, so `NOT (fitzpatrick_type IN ('II'))` would drop every image without
// a phototype. Every condition on a nullable column therefore says `IS NOT NULL` beside it (known),
// which makes each condition true or false and NOT keep the images that lack the field.

import { db } from '../db/current.ts';
import type { Prisma } from '../db/generated/sqlite/client.ts';
import { CLASS_CODES, CLASSES, type ClinicalStatus, type Origin } from '../domain/classes.ts';
import type {
  AnatomicalSite,
  BorderRegularity,
  Color,
  DermoscopicStructure,
  DiagnosisClass,
  Elevation,
  FitzpatrickType,
  Sex,
  VerificationStage,
} from '../domain/enums.ts';
import { QUALITY_RULES, QUALITY_SCORES, type QualityRule, type QualityVerdict } from '../domain/quality.ts';
import { findTerm, isUnder, TERM_PATHS, TERMS, termByPath, termsUnder } from '../domain/terms.ts';
import { AGE_RANGE, STAGES, stageRank } from '../domain/vocabularies.ts';
import { decide } from '../plugins/evaluate.ts';
import type { ClassMappingPolicy } from '../plugins/types.ts';
import { badInput } from './errors.ts';

export interface Range<T> {
  min?: T | null;
  max?: T | null;
}
export interface SetMatch<T> {
  anyOf?: T[] | null;
  allOf?: T[] | null;
}

/**
 * A filter as a caller writes it (`S` = SplitSelection: a split by id, part and fold), or as
 * resolveSubset resolved it (`S` = SplitParts: the part names that selection covers). imageWhere
 * takes only the resolved kind, so no filter reaches SQL with a split nobody has read.
 */
export interface FilterOf<S> {
  AND?: FilterOf<S>[] | null;
  OR?: FilterOf<S>[] | null;
  NOT?: FilterOf<S> | null;
  diagnosisClass?: DiagnosisClass[] | null;
  /** Terms of the diagnosis vocabulary, or nodes of its hierarchy: each matches itself and every term under it. */
  diagnosisTerm?: string[] | null;
  /** Collections by slug. */
  collection?: string[] | null;
  /** Images flagged with (true) or without (false) a conflict of patient facts. */
  factConflict?: boolean | null;
  origin?: Origin[] | null;
  clinicalStatus?: ClinicalStatus[] | null;
  verificationStage?: VerificationStage[] | null;
  verificationStageAtLeast?: VerificationStage | null;
  imageQualityScore?: Range<number> | null;
  ageAtExam?: Range<number> | null;
  lesionDiameterMm?: Range<number> | null;
  acquiredAt?: Range<Date> | null;
  sex?: Sex[] | null;
  fitzpatrickType?: FitzpatrickType[] | null;
  anatomicalSite?: AnatomicalSite[] | null;
  elevation?: Elevation[] | null;
  borderRegularity?: BorderRegularity[] | null;
  colors?: SetMatch<Color> | null;
  structures?: SetMatch<DermoscopicStructure> | null;
  patientCode?: string[] | null;
  sunburnHistory?: boolean | null;
  personalCaHistory?: boolean | null;
  hasHistology?: boolean | null;
  nearDuplicate?: boolean | null;
  /** Images with any of these verdicts of the technical quality advice. */
  qualityVerdict?: QualityVerdict[] | null;
  /** Labels under the class-mapping policy of the query. */
  label?: string[] | null;
  /** Images of a stored split, or of one part or fold of it. */
  split?: S | null;
  /** Images that lack every one of these fields. */
  missing?: OptionalField[] | null;
  /** Text search: see searchWhere. */
  search?: string | null;
}

/** A filter as a caller writes it. */
export type ImageFilter = FilterOf<SplitSelection>;
/** A filter whose split selections are resolved (resolvers/subset.ts). */
export type ResolvedFilter = FilterOf<SplitParts>;

/** A stored split, or one of its parts: `part` alone, or `fold` (with `part: TRAIN` for the other folds). */
export interface SplitSelection {
  id: string;
  part?: 'TRAIN' | 'VALIDATION' | 'TEST' | null;
  fold?: number | null;
}

/** A split selection, resolved: the split and the part names it covers, checked against the split. */
export interface SplitParts {
  id: string;
  parts: readonly string[];
}

type Where = Prisma.ImageWhereInput;

/** Images that a stored split puts in one of these parts. */
export const inSplitParts = (splitId: string, parts: readonly string[]): Where => ({
  splitAssignments: { some: { splitId, part: { in: [...parts] } } },
});

/** A condition on a nullable column, made two-valued: false (not unknown) where the column is NULL. */
const known = <C extends object>(condition: C) => ({ ...condition, not: null });

/** What a range filter may ask for: bounds outside this domain select nothing by definition. */
interface Domain<T> {
  what: string;
  min: T;
  max?: T;
}
const DOMAINS = {
  ageAtExam: { what: 'valid ages', min: AGE_RANGE.min, max: AGE_RANGE.max },
  imageQualityScore: { what: 'SOP scores', min: Math.min(...QUALITY_SCORES), max: Math.max(...QUALITY_SCORES) },
  lesionDiameterMm: { what: 'diameters', min: 0 },
} satisfies Record<string, Domain<number>>;

const show = (v: number | Date) => (v instanceof Date ? v.toISOString() : String(v));
const span = <T extends number | Date>(d: Domain<T>) =>
  d.max === undefined ? `${d.what} are ${show(d.min)} or more` : `${d.what} run ${show(d.min)}–${show(d.max)}`;

/**
 * The Prisma bounds of a range, or undefined when it has none. A range that cannot mean anything
 * (min above max, or a bound outside the field's domain: an age of -5 or 500, an SOP score of 0 or
 * 99, a negative diameter) is a mistake, not a question: BAD_USER_INPUT with the valid range.
 */
function range<T extends number | Date>(r: Range<T> | null | undefined, argument: string, domain?: Domain<T>) {
  if (!r || (r.min == null && r.max == null)) return undefined;
  const { min, max } = r;
  const valid = domain ? `; ${span(domain)}` : '';
  if (min != null && max != null && min > max) {
    throw badInput(`${argument}: min ${show(min)} is above max ${show(max)}${valid}`, argument);
  }
  for (const [bound, v] of [
    ['min', min],
    ['max', max],
  ] as const) {
    if (domain && v != null && (v < domain.min || (domain.max !== undefined && v > domain.max))) {
      throw badInput(`${argument}: ${bound} ${show(v)} is outside the field's values${valid}`, argument);
    }
  }
  return known({ ...(min != null ? { gte: min } : {}), ...(max != null ? { lte: max } : {}) });
}

/**
 * The size of one filter argument, however it is sent (written in the query or as a variable): AND,
 * OR and NOT nested at most `depth` levels, at most `filters` filters in all (the top one and every
 * one under AND, OR and NOT), at most `values` list values in all its lists together, and at most
 * `joins` filters testing the patient or histology (each such filter is a SQL join: SQLite joins at
 * most 64 tables, and a filter's values are SQL parameters, of which SQLite takes 999).
 */
export const FILTER_BOUNDS = { depth: 8, filters: 100, values: 500, joins: 30 } as const;

/** Conditions on the patient's fields: each filter holding one joins the patient table once. */
const PATIENT_CONDITIONS = ['sex', 'fitzpatrickType', 'sunburnHistory', 'personalCaHistory', 'patientCode'] as const;

/** The joins a filter's own conditions need: the patient (once), histology (once), the collection (once), a search (3). */
const joinsOf = (f: FilterOf<unknown>) =>
  (PATIENT_CONDITIONS.some((k) => f[k] != null) || f.missing?.some((m) => PATIENT_FIELDS.has(m)) ? 1 : 0) +
  (f.hasHistology != null ? 1 : 0) +
  (f.collection != null ? 1 : 0) +
  (f.search != null ? 3 : 0);

const LOGICAL = new Set(['AND', 'OR', 'NOT']);

/** The values in a condition's lists: `sex: [...]`, or `colors: { anyOf: [...], allOf: [...] }`. */
function listValues(condition: unknown): number {
  if (Array.isArray(condition)) return condition.length;
  if (condition === null || typeof condition !== 'object' || condition instanceof Date) return 0;
  let n = 0;
  for (const v of Object.values(condition)) if (Array.isArray(v)) n += v.length;
  return n;
}

/**
 * Refuses a filter larger than FILTER_BOUNDS, or with a range that cannot mean anything, before
 * anything walks it recursively (imageWhere, Prisma, SQL). It walks the filter with its own stack
 * and stops at the first bound passed, so a filter nested thousands of levels deep costs nothing.
 */
export function checkFilterBounds<S>(filter: FilterOf<S> | null | undefined, path = 'filter'): void {
  if (!filter) return;
  const stack: { f: FilterOf<S>; at: string; depth: number }[] = [{ f: filter, at: path, depth: 0 }];
  let filters = 0;
  let values = 0;
  let joins = 0;
  for (let next = stack.pop(); next; next = stack.pop()) {
    const { f, at, depth } = next;
    if (depth > FILTER_BOUNDS.depth) {
      throw badInput(
        `${path}: AND, OR and NOT nest at most ${FILTER_BOUNDS.depth} levels deep (${at} is deeper)`,
        path,
      );
    }
    if (++filters > FILTER_BOUNDS.filters) {
      throw badInput(
        `${path}: a filter holds at most ${FILTER_BOUNDS.filters} conditions (the filters under AND, OR and NOT, the top one included)`,
        path,
      );
    }
    for (const [key, v] of Object.entries(f)) if (!LOGICAL.has(key)) values += listValues(v);
    if (values > FILTER_BOUNDS.values) {
      throw badInput(`${path}: a filter's lists hold at most ${FILTER_BOUNDS.values} values together`, path);
    }
    joins += joinsOf(f);
    if (joins > FILTER_BOUNDS.joins) {
      throw badInput(
        `${path}: at most ${FILTER_BOUNDS.joins} of a filter's conditions may test the patient (sex, fitzpatrickType, sunburnHistory, personalCaHistory, patientCode, missing patient fields), histology (hasHistology) or the collection (collection), counted once per filter`,
        path,
      );
    }
    range(f.imageQualityScore, `${at}.imageQualityScore`, DOMAINS.imageQualityScore);
    range(f.ageAtExam, `${at}.ageAtExam`, DOMAINS.ageAtExam);
    range(f.lesionDiameterMm, `${at}.lesionDiameterMm`, DOMAINS.lesionDiameterMm);
    range(f.acquiredAt, `${at}.acquiredAt`);
    if (f.diagnosisTerm) termNodes(f.diagnosisTerm, `${at}.diagnosisTerm`);
    if (f.search != null) searchText(f.search, `${at}.search`);
    if (f.NOT) stack.push({ f: f.NOT, at: `${at}.NOT`, depth: depth + 1 });
    for (const key of ['OR', 'AND'] as const) {
      const list = f[key] ?? [];
      for (let i = list.length - 1; i >= 0; i--) {
        const x = list[i];
        if (x) stack.push({ f: x, at: `${at}.${key}.${i}`, depth: depth + 1 });
      }
    }
  }
}

function setMatch<T extends string, K extends string>(
  m: SetMatch<T> | null | undefined,
  relation: 'colors' | 'structures',
  key: K,
): Where[] {
  if (!m) return [];
  const out: Where[] = [];
  if (m.anyOf && m.anyOf.length > 0) out.push({ [relation]: { some: { [key]: { in: m.anyOf } } } });
  for (const v of m.allOf ?? []) out.push({ [relation]: { some: { [key]: v } } });
  return out;
}

/** Quality measures added later: null (not measured) on images stored before (see QualityMeasures). */
const UNMEASURED_BEFORE: ReadonlySet<QualityRule['measure']> = new Set(['meanLuminance', 'highlightShare']);

/**
 * Images with a verdict of the technical quality advice: the rules of domain/quality.ts as SQL
 * conditions on the stored measures (a measure not taken flags nothing); OK is flagged by none.
 */
export function qualityWhere(verdict: QualityVerdict): Where {
  const flagged = (r: QualityRule): Where => {
    const bound = r.flagged === 'below' ? { lt: r.threshold } : { gte: r.threshold };
    return { [r.measure]: UNMEASURED_BEFORE.has(r.measure) ? known(bound) : bound };
  };
  if (verdict === 'OK') return { NOT: { OR: QUALITY_RULES.map(flagged) } };
  return { OR: QUALITY_RULES.filter((r) => r.defect === verdict).map(flagged) };
}

/**
 * The condition no image meets, for an empty list of values (`qualityVerdict: []`, `diagnosisTerm: []`).
 * Not `{ OR: [] }`: Prisma reads an empty OR as false at the top of a condition but as true inside an
 * AND, so a count and the facets of the same filter would disagree.
 */
const NOTHING: Where = { id: { in: [] } };

/** Whether a filter (or one nested in it) selects by policy label: only then does it need a policy. */
export const usesLabel = (f: FilterOf<unknown> | null | undefined): boolean =>
  !!f &&
  (f.label != null ||
    !!f.missing?.includes('LABEL') ||
    !!f.AND?.some(usesLabel) ||
    !!f.OR?.some(usesLabel) ||
    usesLabel(f.NOT));

const needPolicy = (policy: ClassMappingPolicy | undefined): ClassMappingPolicy => {
  // resolvers/subset.ts reads the policy whenever usesLabel says so
  if (!policy) throw new Error('imageWhere: a label filter needs the policy it is read under');
  return policy;
};

/**
 * Images that lack a field, by the field's snake_case name in upper case: what the facets and the
 * completeness table count as `missing` (an invalid age is stored as no age; a label is missing when
 * the policy excludes the image or cannot name it).
 */
const MISSING = {
  AGE_AT_EXAM: () => ({ ageAtExam: null }),
  SEX: () => ({ patient: { sex: null } }),
  FITZPATRICK_TYPE: () => ({ patient: { fitzpatrickType: null } }),
  SUNBURN_HISTORY: () => ({ patient: { sunburnHistory: null } }),
  PERSONAL_CA_HISTORY: () => ({ patient: { personalCaHistory: null } }),
  ANATOMICAL_SITE: () => ({ anatomicalSite: null }),
  LESION_DIAMETER_MM: () => ({ lesionDiameterMm: null }),
  DOMINANT_COLORS: () => ({ colors: { none: {} } }),
  ELEVATION: () => ({ elevation: null }),
  BORDER_REGULARITY: () => ({ borderRegularity: null }),
  DERMOSCOPIC_STRUCTURES: () => ({ structures: { none: {} } }),
  HISTOPATHOLOGY_RESULT: () => ({ histopathologyResult: null }),
  EXAMINER_ID: () => ({ examinerCode: null }),
  IMAGE_QUALITY_SCORE: () => ({ imageQualityScore: null }),
  ACQUIRED_AT: () => ({ acquiredAt: null }),
  /** Outside the 9 classes: the record's term has no place among them. */
  DIAGNOSIS_CLASS: () => ({ diagnosisClass: null }),
  LABEL: (policy) => {
    const p = needPolicy(policy);
    return { NOT: labelWhere(p, p.labels) };
  },
} satisfies Record<string, (policy: ClassMappingPolicy | undefined) => Where>;

/** The missing fields that are the patient's: their conditions join the patient (see imageWhere). */
const PATIENT_FIELDS: ReadonlySet<string> = new Set([
  'SEX',
  'FITZPATRICK_TYPE',
  'SUNBURN_HISTORY',
  'PERSONAL_CA_HISTORY',
]);

/** A field an image may lack, named as the facets name it (upper case). */
export type OptionalField = keyof typeof MISSING;
export const OPTIONAL_FIELDS = Object.keys(MISSING) as OptionalField[];

/**
 * Images whose label under the policy is one of `labels`. A decision depends only on class, term
 * (its status follows from class and term) and verification stage, all from closed vocabularies, so
 * the condition lists, per class and for the records outside the 9, the terms and stages that get
 * one of the labels; a class whose every term decides alike is one condition on the class.
 */
export function labelWhere(policy: ClassMappingPolicy, labels: readonly string[]): Where {
  const key = `${policy.id}@${policy.version}\t${[...labels].sort().join('\t')}`;
  const cached = LABEL_WHERE.get(policy);
  const hit = cached?.get(key);
  if (hit) return hit;
  const pairs: Where[] = [];
  for (const diagnosisClass of [...CLASS_CODES, null]) {
    const byStages = new Map<string, string[]>();
    for (const diagnosisTerm of TERM_PATHS) {
      const clinicalStatus = diagnosisClass ? CLASSES[diagnosisClass].status : termByPath(diagnosisTerm).status;
      const stages = STAGES.filter((verificationStage) => {
        const d = decide(policy, { diagnosisClass, diagnosisTerm, clinicalStatus, verificationStage });
        return d.kind === 'mapped' && labels.includes(d.label);
      });
      const k = stages.join(',');
      byStages.set(k, [...(byStages.get(k) ?? []), diagnosisTerm]);
    }
    // outside the 9, a policy that decides by status (the binary ones) is a condition on the status
    const statusOfKey = new Map<string, Set<ClinicalStatus>>();
    const keysOfStatus = new Map<ClinicalStatus, Set<string>>();
    if (diagnosisClass === null) {
      for (const [k, terms] of byStages) {
        for (const t of terms) {
          const st = termByPath(t).status;
          statusOfKey.set(k, (statusOfKey.get(k) ?? new Set()).add(st));
          keysOfStatus.set(st, (keysOfStatus.get(st) ?? new Set()).add(k));
        }
      }
    }
    const byStatus = diagnosisClass === null && [...keysOfStatus.values()].every((ks) => ks.size === 1);
    for (const [k, terms] of byStages) {
      if (k === '') continue;
      const stages = k.split(',') as VerificationStage[];
      // known: an image outside the 9 (class null) is false here, not unknown, so NOT { label } keeps it
      const cond: Where = { diagnosisClass: diagnosisClass === null ? null : known({ equals: diagnosisClass }) };
      if (byStages.size > 1) {
        if (byStatus) cond.clinicalStatus = { in: [...(statusOfKey.get(k) ?? [])] };
        // every stored term is in the vocabulary: the shorter of the list and its complement
        else if (terms.length * 2 > TERM_PATHS.length)
          cond.diagnosisTerm = { notIn: TERM_PATHS.filter((t) => !terms.includes(t)) };
        else cond.diagnosisTerm = { in: terms };
      }
      if (stages.length < STAGES.length) cond.verificationStage = { in: stages };
      pairs.push(cond);
    }
  }
  const where: Where = pairs.length > 0 ? { OR: pairs } : NOTHING;
  if (cached) cached.set(key, where);
  else LABEL_WHERE.set(policy, new Map([[key, where]]));
  return where;
}

/**
 * The nodes a diagnosisTerm filter names, checked: each value is a term's path, a node of the
 * hierarchy (a path prefix ending at a level, such as "Benign" or "Benign:Benign epidermal
 * proliferations"), or a name findTerm knows ("solar lentigo"); anything else is BAD_USER_INPUT
 * naming it. Returns the canonical node paths.
 */
export function termNodes(values: readonly string[], argument: string): string[] {
  const nodes = new Set<string>();
  const unknown: string[] = [];
  for (const v of values) {
    if (termsUnder(v).length > 0) nodes.add(v);
    else {
      const t = findTerm(v);
      if (t) nodes.add(t.path);
      else unknown.push(v);
    }
  }
  if (unknown.length > 0) {
    throw badInput(
      `${argument}: ${unknown.map((v) => JSON.stringify(v)).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} no term and no node of the diagnosis vocabulary (see the diagnosisTerms query)`,
      argument,
    );
  }
  return [...nodes];
}

/**
 * Images whose term is at or under one of these nodes: the node itself, or a path that continues
 * it past a level separator. Two SQL parameters per node, however many terms lie under it. Paths
 * hold no LIKE wildcard (% or _), and no two differ only in letter case, so a prefix match selects
 * exactly the terms under the node on both databases.
 */
export function termWhere(nodes: readonly string[]): Where {
  if (nodes.length === 0) return NOTHING;
  return { OR: nodes.flatMap((n) => [{ diagnosisTerm: n }, { diagnosisTerm: { startsWith: `${n}:` } }]) };
}

/**
 * Refuses (BAD_USER_INPUT, naming them) collection slugs that name no collection, wherever in the
 * filter they are: one read of the collections table for the whole filter.
 */
export async function checkCollections(filter: FilterOf<unknown> | null | undefined, path = 'filter'): Promise<void> {
  const asked = new Map<string, string>();
  const stack: { f: FilterOf<unknown>; at: string }[] = filter ? [{ f: filter, at: path }] : [];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const { f, at } = next;
    for (const slug of f.collection ?? []) if (!asked.has(slug)) asked.set(slug, `${at}.collection`);
    if (f.NOT) stack.push({ f: f.NOT, at: `${at}.NOT` });
    for (const key of ['AND', 'OR'] as const) {
      for (const [i, x] of (f[key] ?? []).entries()) stack.push({ f: x, at: `${at}.${key}.${i}` });
    }
  }
  if (asked.size === 0) return;
  const found = await db().collection.findMany({ where: { slug: { in: [...asked.keys()] } }, select: { slug: true } });
  const known = new Set(found.map((c) => c.slug));
  const unknown = [...asked].filter(([slug]) => !known.has(slug));
  const first = unknown[0];
  if (first) {
    throw badInput(
      `${first[1]}: no collection ${unknown.map(([s]) => JSON.stringify(s)).join(', ')} (see the collections query)`,
      first[1],
    );
  }
}

/** labelWhere's conditions, per policy object and label set (a few dozen per policy at most). */
const LABEL_WHERE = new WeakMap<ClassMappingPolicy, Map<string, Where>>();

/** Images of an origin: the classes of that origin, and the terms of that origin outside the 9. */
function originWhere(origins: readonly Origin[]): Where {
  return {
    OR: [
      // known: an image outside the 9 is false here, not unknown, so NOT { origin } keeps those without an origin
      { diagnosisClass: known({ in: CLASS_CODES.filter((c) => origins.includes(CLASSES[c].origin)) }) },
      {
        diagnosisClass: null,
        diagnosisTerm: { in: TERMS.filter((t) => t.origin && origins.includes(t.origin)).map((t) => t.path) },
      },
    ],
  };
}

/**
 * The Prisma condition for a filter; an empty filter matches every image. `path` names the filter
 * argument in refusals (filter.NOT.ageAtExam).
 */
export function imageWhere(
  f: ResolvedFilter | null | undefined,
  policy: ClassMappingPolicy | undefined,
  path = 'filter',
): Where {
  if (!f) return {};
  const and: Where[] = [];
  if (f.diagnosisClass) and.push({ diagnosisClass: known({ in: f.diagnosisClass }) });
  if (f.diagnosisTerm) and.push(termWhere(termNodes(f.diagnosisTerm, `${path}.diagnosisTerm`)));
  if (f.collection) and.push({ collection: { slug: { in: [...new Set(f.collection)] } } });
  if (f.factConflict != null) {
    and.push(f.factConflict ? { factConflicts: { some: {} } } : { factConflicts: { none: {} } });
  }
  if (f.clinicalStatus) and.push({ clinicalStatus: { in: f.clinicalStatus } });
  if (f.origin) and.push(originWhere(f.origin));

  if (f.verificationStage) and.push({ verificationStage: { in: f.verificationStage } });
  if (f.verificationStageAtLeast) {
    const min = stageRank(f.verificationStageAtLeast);
    and.push({ verificationStage: { in: STAGES.filter((s) => stageRank(s) >= min) } });
  }
  const score = range(f.imageQualityScore, `${path}.imageQualityScore`, DOMAINS.imageQualityScore);
  if (score) and.push({ imageQualityScore: score });
  const age = range(f.ageAtExam, `${path}.ageAtExam`, DOMAINS.ageAtExam);
  if (age) and.push({ ageAtExam: age });
  const diameter = range(f.lesionDiameterMm, `${path}.lesionDiameterMm`, DOMAINS.lesionDiameterMm);
  if (diameter) and.push({ lesionDiameterMm: diameter });
  const acquired = range(f.acquiredAt, `${path}.acquiredAt`);
  if (acquired) and.push({ acquiredAt: acquired });
  if (f.anatomicalSite) and.push({ anatomicalSite: known({ in: f.anatomicalSite }) });
  if (f.elevation) and.push({ elevation: known({ in: f.elevation }) });
  if (f.borderRegularity) and.push({ borderRegularity: known({ in: f.borderRegularity }) });
  // the patient's conditions of one filter go into one relation filter: each is a join, and SQLite
  // joins at most 64 tables (FILTER_BOUNDS.joins counts them)
  const patient: Prisma.PatientWhereInput[] = [];
  if (f.sex) patient.push({ sex: known({ in: f.sex }) });
  if (f.fitzpatrickType) patient.push({ fitzpatrickType: known({ in: f.fitzpatrickType }) });
  if (f.sunburnHistory != null) patient.push({ sunburnHistory: known({ equals: f.sunburnHistory }) });
  if (f.personalCaHistory != null) patient.push({ personalCaHistory: known({ equals: f.personalCaHistory }) });
  if (f.patientCode) patient.push({ code: { in: [...new Set(f.patientCode)] } });
  and.push(...setMatch(f.colors, 'colors', 'color'), ...setMatch(f.structures, 'structures', 'structure'));
  if (f.hasHistology != null) and.push(f.hasHistology ? { histopathology: { isNot: null } } : { histopathology: null });
  if (f.nearDuplicate != null) {
    const flagged: Where = { OR: [{ nearDuplicates: { some: {} } }, { nearDuplicateOf: { some: {} } }] };
    and.push(f.nearDuplicate ? flagged : { NOT: flagged });
  }
  if (f.qualityVerdict) {
    and.push(f.qualityVerdict.length > 0 ? { OR: [...new Set(f.qualityVerdict)].map(qualityWhere) } : NOTHING);
  }
  if (f.label) {
    const p = needPolicy(policy);
    const unknown = f.label.filter((l) => !p.labels.includes(l));
    if (unknown.length > 0) {
      throw badInput(
        `${path}.label: ${unknown.map((l) => JSON.stringify(l)).join(', ')} ${unknown.length === 1 ? 'is not a label' : 'are not labels'} of policy ${p.id}; its labels: ${p.labels.join(', ')}`,
        `${path}.label`,
      );
    }
    and.push(labelWhere(p, f.label));
  }
  for (const field of new Set(f.missing ?? [])) {
    const where: Where = MISSING[field](policy);
    if (PATIENT_FIELDS.has(field) && where.patient) patient.push(where.patient as Prisma.PatientWhereInput);
    else and.push(where);
  }
  if (patient.length > 0) and.push({ patient: patient.length === 1 ? (patient[0] as object) : { AND: patient } });
  if (f.split) and.push(inSplitParts(f.split.id, f.split.parts));
  if (f.search != null) and.push(searchWhere(f.search, `${path}.search`));
  if (f.AND?.length) and.push(...f.AND.map((x, i) => imageWhere(x, policy, `${path}.AND.${i}`)));
  if (f.OR?.length) and.push({ OR: f.OR.map((x, i) => imageWhere(x, policy, `${path}.OR.${i}`)) });
  if (f.NOT) and.push({ NOT: imageWhere(f.NOT, policy, `${path}.NOT`) });
  return and.length === 0 ? {} : and.length === 1 ? (and[0] as Where) : { AND: and };
}

/** Terms a `diagnosisTerms` page holds at most (the whole vocabulary is about 420), and a search's length. */
export const TERM_PAGE = { max: 500, search: 200 } as const;

/**
 * The vocabulary's terms in its order (ISIC's, then our extensions): those under `under` (a node, as
 * the diagnosisTerm filter takes it) whose path contains `search` (ignoring case), the first `first`.
 */
export function listTerms(args: { under?: string | null; search?: string | null; first?: number | null }) {
  const first = args.first ?? 50;
  if (!Number.isInteger(first) || first < 0 || first > TERM_PAGE.max) {
    throw badInput(`first must be 0–${TERM_PAGE.max}`, 'first');
  }
  if (args.search != null && args.search.length > TERM_PAGE.search) {
    throw badInput(`search holds at most ${TERM_PAGE.search} characters`, 'search');
  }
  const nodes = args.under != null ? termNodes([args.under], 'under') : null;
  const needle = args.search?.toLowerCase() ?? '';
  return TERMS.filter(
    (t) =>
      (!nodes || nodes.some((n) => isUnder(t.path, n))) && (needle === '' || t.path.toLowerCase().includes(needle)),
  ).slice(0, first);
}

/** A search's bounds: 1–200 characters once white space is trimmed from both ends. */
export const SEARCH_BOUNDS = { min: 1, max: 200 } as const;

/** The text a search looks for, checked: trimmed, 1–200 characters, else BAD_USER_INPUT. */
function searchText(text: string, argument: string): string {
  const needle = text.trim();
  if (needle.length < SEARCH_BOUNDS.min || needle.length > SEARCH_BOUNDS.max) {
    throw badInput(
      `${argument}: a search holds ${SEARCH_BOUNDS.min}–${SEARCH_BOUNDS.max} characters once trimmed, got ${needle.length}`,
      argument,
    );
  }
  return needle;
}

/** Characters of codes, SHA-256 digests and slugs: a needle with any other cannot occur in one. */
const CODE_TEXT = /^[A-Za-z0-9-]+$/;

/**
 * Images the text occurs in, ignoring letter case: in the diagnosis term's path ("lentigo" matches
 * "…:Solar lentigo"), in the patient's or the lesion's code ("P-3K"), at the start of the image's
 * SHA-256, or in its collection's slug. Terms are matched here against the vocabulary (the
 * condition is the list of matching paths), and codes (upper case), digests and slugs (lower case)
 * are stored in one case each, so the same needle in that case matches alike on SQLite (LIKE) and
 * PostgreSQL; a needle with characters no code, digest or slug holds is only looked for in terms.
 */
export function searchWhere(text: string, argument: string): Where {
  const needle = searchText(text, argument);
  const lower = needle.toLowerCase();
  const or: Where[] = [];
  const terms = TERM_PATHS.filter((p) => p.toLowerCase().includes(lower));
  if (terms.length > 0) or.push({ diagnosisTerm: { in: terms } });
  if (CODE_TEXT.test(needle)) {
    const upper = needle.toUpperCase();
    or.push(
      { patient: { code: { contains: upper } } },
      { lesion: { code: { contains: upper } } },
      { sha256: { startsWith: lower } },
      { collection: { slug: { contains: lower } } },
    );
  }
  return or.length === 0 ? NOTHING : { OR: or };
}
