// The facet columns: every image's facet values in typed arrays (one row per image, in id order),
// and the two things done with them: evaluating an image condition (the Prisma `where` the filter
// became, resolvers/image-filter.ts) and counting every facet over the images it matches.
//
// The condition is evaluated as SQL evaluates it, with three-valued logic (a comparison with NULL is
// unknown, NOT unknown is unknown, WHERE keeps only true), so the columns answer exactly what the
// database answers. Any part of a condition this file does not know (a split, a release, a patient
// code, an operator it has no rule for) throws Unsupported, and the caller asks the database instead.
// Pure: no I/O.
import type { ClinicalStatus, DiagnosisClass, FitzpatrickType, Sex, VerificationStage } from './enums.ts';
import { Color, DermoscopicStructure } from './enums.ts';
import { QUALITY_RULES, type QualityDefect } from './quality.ts';

/** SQL truth values, ordered so that AND is the minimum, OR the maximum and NOT is 2 − x. */
export const F = 0;
export const U = 1;
export const T = 2;
type K = 0 | 1 | 2;

/** A condition (or a part of one) the columns cannot evaluate exactly: the database answers instead. */
export class Unsupported extends Error {}

/** What a policy decides on: the distinct (class, term, status, stage) of the images. */
export interface LabelTuple {
  diagnosisClass: DiagnosisClass | null;
  diagnosisTerm: string;
  clinicalStatus: ClinicalStatus;
  verificationStage: VerificationStage;
}
/** The patient's facts an image filter may test: the distinct combinations. */
export interface PatientTuple {
  sex: Sex | null;
  fitzpatrickType: FitzpatrickType | null;
  sunburnHistory: boolean | null;
  personalCaHistory: boolean | null;
}

/** The order of the colour and structure bits. */
export const COLOR_BITS: readonly string[] = Object.values(Color);
export const STRUCTURE_BITS: readonly string[] = Object.values(DermoscopicStructure);

/** The bits of `flags`: relations and null-ness the filters test, and the quality advice's defects. */
export const FLAG = {
  histology: 1,
  noHistopathologyResult: 2,
  nearDuplicateImage: 4,
  nearDuplicateTwin: 8,
  factConflict: 16,
  noExaminer: 32,
  BLURRED: 64,
  UNDEREXPOSED: 128,
  OVEREXPOSED: 256,
  GLARE: 512,
} as const satisfies Record<string, number> & Record<QualityDefect, number>;
const FLAG_VALUES = 1024;

/** Age code for "no age" (valid ages are 0–120). */
export const NO_AGE = 255;

export interface FacetColumns {
  n: number;
  ids: Int32Array;
  /** Index into `labels`. */
  label: Uint16Array;
  labels: LabelTuple[];
  /** Index into `patients`. */
  patient: Uint16Array;
  patients: PatientTuple[];
  /** Dictionary codes; code 0 is null. */
  site: Uint8Array;
  sites: (string | null)[];
  elevation: Uint8Array;
  elevations: (string | null)[];
  border: Uint8Array;
  borders: (string | null)[];
  score: Uint8Array;
  scores: (number | null)[];
  /** Index into `collections`. */
  collection: Uint16Array;
  collections: { id: number; slug: string; name: string }[];
  /** The age at the exam, NO_AGE for none. */
  age: Uint8Array;
  /** NaN for null. */
  diameter: Float64Array;
  /** Milliseconds since the epoch, NaN for null. */
  acquired: Float64Array;
  /** Bits of COLOR_BITS / STRUCTURE_BITS. */
  colors: Uint8Array;
  structures: Uint32Array;
  flags: Uint16Array;
}

/** The bytes the columns hold (typed arrays; the dictionaries are a few hundred small objects). */
export const columnBytes = (c: FacetColumns): number =>
  [
    c.ids,
    c.label,
    c.patient,
    c.site,
    c.elevation,
    c.border,
    c.score,
    c.collection,
    c.age,
    c.diameter,
    c.acquired,
    c.colors,
    c.structures,
    c.flags,
  ].reduce((s, a) => s + a.byteLength, 0);

// ---------------------------------------------------------------- scalar conditions

type Scalar = string | number | boolean | null;
type Test = (x: Scalar) => K;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

const norm = (v: unknown): Scalar => {
  if (v instanceof Date) return v.getTime();
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  throw new Unsupported(`value ${String(v)}`);
};

/** SQLite's LIKE folds ASCII letters only; PostgreSQL's is case-sensitive. */
const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

export interface EvalOptions {
  /** How `startsWith` compares: SQLite's LIKE ignores the case of ASCII letters. */
  likeFoldsCase: boolean;
}

/** A Prisma scalar filter (`value`, `null`, `{ in, notIn, not: null, lt, lte, gt, gte, equals, startsWith }`). */
function scalarTest(f: unknown, o: EvalOptions): Test {
  if (f === null) return (x) => (x === null ? T : F);
  if (!isObject(f)) {
    const v = norm(f);
    return (x) => (x === null ? U : x === v ? T : F);
  }
  const tests: Test[] = [];
  for (const [op, arg] of Object.entries(f)) {
    if (arg === undefined) continue;
    switch (op) {
      case 'equals':
        tests.push(scalarTest(arg === null ? null : norm(arg), o));
        break;
      case 'in':
      case 'notIn': {
        if (!Array.isArray(arg)) throw new Unsupported(op);
        const set = new Set(arg.map(norm));
        if (set.has(null)) throw new Unsupported(`${op} with null`);
        const hit = op === 'in' ? T : F;
        // an empty list matches nothing (in) or everything (notIn), whatever the column holds
        if (set.size === 0) tests.push(() => (op === 'in' ? F : T));
        else tests.push((x) => (x === null ? U : set.has(x) ? hit : ((2 - hit) as K)));
        break;
      }
      case 'not':
        if (arg !== null) throw new Unsupported('not with a value');
        tests.push((x) => (x === null ? F : T));
        break;
      case 'lt':
      case 'lte':
      case 'gt':
      case 'gte': {
        const v = norm(arg);
        if (typeof v !== 'number' && typeof v !== 'string') throw new Unsupported(op);
        const cmp =
          op === 'lt'
            ? (x: number | string) => x < v
            : op === 'lte'
              ? (x: number | string) => x <= v
              : op === 'gt'
                ? (x: number | string) => x > v
                : (x: number | string) => x >= v;
        tests.push((x) => (x === null ? U : typeof x === typeof v && cmp(x as number | string) ? T : F));
        break;
      }
      case 'startsWith': {
        if (typeof arg !== 'string') throw new Unsupported(op);
        const prefix = o.likeFoldsCase ? asciiLower(arg) : arg;
        tests.push((x) =>
          x === null ? U : typeof x === 'string' && (o.likeFoldsCase ? asciiLower(x) : x).startsWith(prefix) ? T : F,
        );
        break;
      }
      default:
        throw new Unsupported(`operator ${op}`);
    }
  }
  if (tests.length === 1) return tests[0] as Test;
  return (x) => {
    let k: K = T;
    for (const t of tests) {
      const r = t(x);
      if (r < k) k = r;
      if (k === F) break;
    }
    return k;
  };
}

/**
 * A condition on one row of a small table (a label tuple, a patient, a collection, a colour): its
 * fields, AND, OR and NOT. Evaluated once per distinct row, never per image.
 */
function rowTest(where: unknown, fields: ReadonlySet<string>, o: EvalOptions): (row: Record<string, Scalar>) => K {
  if (!isObject(where)) throw new Unsupported('condition');
  const parts: ((row: Record<string, Scalar>) => K)[] = [];
  for (const [key, v] of Object.entries(where)) {
    if (v === undefined) continue;
    if (key === 'AND' || key === 'NOT') {
      const list = (Array.isArray(v) ? v : [v]).map((x) => rowTest(x, fields, o));
      parts.push(
        key === 'AND'
          ? (r) => list.reduce<K>((k, t) => Math.min(k, t(r)) as K, T)
          : (r) => list.reduce<K>((k, t) => Math.min(k, 2 - t(r)) as K, T),
      );
    } else if (key === 'OR') {
      if (!Array.isArray(v) || v.length === 0) throw new Unsupported('OR');
      const list = v.map((x) => rowTest(x, fields, o));
      parts.push((r) => list.reduce<K>((k, t) => Math.max(k, t(r)) as K, F));
    } else if (fields.has(key)) {
      const t = scalarTest(v, o);
      parts.push((r) => t(r[key] ?? null));
    } else throw new Unsupported(`field ${key}`);
  }
  return (r) => parts.reduce<K>((k, t) => Math.min(k, t(r)) as K, T);
}

// ---------------------------------------------------------------- image conditions

type DimName =
  | 'label'
  | 'patient'
  | 'site'
  | 'elevation'
  | 'border'
  | 'score'
  | 'age'
  | 'collection'
  | 'colors'
  | 'flags';

/** A condition's truth per image: a constant, a lookup table over one dictionary-coded column, or per image. */
type Node = { k: 'const'; v: K } | { k: 'dim'; dim: DimName; lut: Uint8Array } | { k: 'full'; v: Uint8Array };

function dimCodes(c: FacetColumns, dim: DimName): Uint8Array | Uint16Array {
  return dim === 'label'
    ? c.label
    : dim === 'patient'
      ? c.patient
      : dim === 'site'
        ? c.site
        : dim === 'elevation'
          ? c.elevation
          : dim === 'border'
            ? c.border
            : dim === 'score'
              ? c.score
              : dim === 'age'
                ? c.age
                : dim === 'collection'
                  ? c.collection
                  : dim === 'colors'
                    ? c.colors
                    : c.flags;
}

function dimSize(c: FacetColumns, dim: DimName): number {
  switch (dim) {
    case 'label':
      return c.labels.length;
    case 'patient':
      return c.patients.length;
    case 'site':
      return c.sites.length;
    case 'elevation':
      return c.elevations.length;
    case 'border':
      return c.borders.length;
    case 'score':
      return c.scores.length;
    case 'collection':
      return c.collections.length;
    case 'age':
      return 256;
    case 'colors':
      return 1 << COLOR_BITS.length;
    case 'flags':
      return FLAG_VALUES;
  }
}

const dimLeaf = (c: FacetColumns, dim: DimName, test: (code: number) => K): Node => {
  const size = dimSize(c, dim);
  const lut = new Uint8Array(size);
  for (let code = 0; code < size; code++) lut[code] = test(code);
  return { k: 'dim', dim, lut };
};

function materialise(c: FacetColumns, node: Node): Uint8Array {
  if (node.k === 'full') return node.v;
  const out = new Uint8Array(c.n);
  if (node.k === 'const') return out.fill(node.v);
  const codes = dimCodes(c, node.dim);
  const lut = node.lut;
  for (let i = 0; i < c.n; i++) out[i] = lut[codes[i] as number] as number;
  return out;
}

function combine(c: FacetColumns, op: 'and' | 'or', nodes: Node[]): Node {
  const identity: K = op === 'and' ? T : F;
  let constant: K = identity;
  const rest: Node[] = [];
  for (const n of nodes) {
    if (n.k === 'const') constant = (op === 'and' ? Math.min(constant, n.v) : Math.max(constant, n.v)) as K;
    else rest.push(n);
  }
  // false AND anything is false; true OR anything is true
  if (constant !== identity && constant !== U) return { k: 'const', v: constant };
  if (rest.length === 0) return { k: 'const', v: constant };
  const all: Node[] = constant === U ? [...rest, { k: 'const', v: U }] : rest;
  const first = rest[0] as Node;
  const pick = op === 'and' ? Math.min : Math.max;
  if (first.k === 'dim' && rest.every((n) => n.k === 'dim' && n.dim === first.dim)) {
    const lut = new Uint8Array(first.lut.length);
    for (let code = 0; code < lut.length; code++) {
      let k: number = constant === U ? U : identity;
      for (const n of rest) k = pick(k, (n as { lut: Uint8Array }).lut[code] as number);
      lut[code] = k;
    }
    return { k: 'dim', dim: first.dim, lut };
  }
  const arrays = all.map((n) => materialise(c, n));
  const out = new Uint8Array(arrays[0] as Uint8Array);
  for (const a of arrays.slice(1)) {
    if (op === 'and') for (let i = 0; i < c.n; i++) out[i] = Math.min(out[i] as number, a[i] as number);
    else for (let i = 0; i < c.n; i++) out[i] = Math.max(out[i] as number, a[i] as number);
  }
  return { k: 'full', v: out };
}

function not(c: FacetColumns, node: Node): Node {
  if (node.k === 'const') return { k: 'const', v: (2 - node.v) as K };
  if (node.k === 'dim') return { k: 'dim', dim: node.dim, lut: node.lut.map((x) => 2 - x) };
  const out = new Uint8Array(c.n);
  for (let i = 0; i < c.n; i++) out[i] = 2 - (node.v[i] as number);
  return { k: 'full', v: out };
}

const LABEL_FIELDS = new Set(['diagnosisClass', 'diagnosisTerm', 'clinicalStatus', 'verificationStage']);
const PATIENT_FIELDS = new Set(['sex', 'fitzpatrickType', 'sunburnHistory', 'personalCaHistory']);
const DICT_FIELDS = {
  anatomicalSite: 'site',
  elevation: 'elevation',
  borderRegularity: 'border',
  imageQualityScore: 'score',
} as const;
const FLAG_FIELDS: Record<string, number> = {
  histopathologyResult: FLAG.noHistopathologyResult,
  examinerCode: FLAG.noExaminer,
};
const SOME_NONE: Record<string, number> = {
  nearDuplicates: FLAG.nearDuplicateImage,
  nearDuplicateOf: FLAG.nearDuplicateTwin,
  factConflicts: FLAG.factConflict,
};

const flagLeaf = (c: FacetColumns, bit: number, set: K): Node =>
  dimLeaf(c, 'flags', (m) => ((m & bit) !== 0 ? set : ((2 - set) as K)));

/** `{ some: {} }` (true when the image has one) or `{ none: {} }`: true for `some`. */
function someOrNone(v: unknown): boolean {
  if (!isObject(v)) throw new Unsupported('relation filter');
  const keys = Object.keys(v).filter((k) => v[k] !== undefined);
  const [key] = keys;
  if (keys.length !== 1 || (key !== 'some' && key !== 'none')) throw new Unsupported('relation filter');
  const inner = v[key];
  if (!isObject(inner) || Object.keys(inner).length > 0) throw new Unsupported('relation filter with a condition');
  return key === 'some';
}

/**
 * A list relation (colours, structures): `{ some: cond }` or `{ none: cond }`, cond on the one field
 * (`color` / `structure`). Returns the bits of the values cond holds for, and whether it is `some`.
 */
function listRelation(v: unknown, field: string, bits: readonly string[], o: EvalOptions): [number, boolean] {
  if (!isObject(v)) throw new Unsupported('relation filter');
  const keys = Object.keys(v).filter((k) => v[k] !== undefined);
  const [key] = keys;
  if (keys.length !== 1 || (key !== 'some' && key !== 'none')) throw new Unsupported('relation filter');
  const test = rowTest(v[key], new Set([field]), o);
  let mask = 0;
  bits.forEach((value, b) => {
    if (test({ [field]: value }) === T) mask |= 1 << b;
  });
  return [mask >>> 0, key === 'some'];
}

/** A quality rule's condition as image-filter.ts writes it (qualityWhere): the rule's defect bit. */
function qualityLeaf(c: FacetColumns, measure: string, v: unknown): Node {
  if (!isObject(v)) throw new Unsupported(measure);
  const { not: notNull, ...cmp } = v;
  const [op, threshold, ...more] = Object.entries(cmp).flat();
  const rule = QUALITY_RULES.find(
    (r) => r.measure === measure && r.threshold === threshold && op === (r.flagged === 'below' ? 'lt' : 'gte'),
  );
  // sharpness and glare are never null; the later measures are tested with `not: null` beside
  const nullable = measure === 'meanLuminance' || measure === 'highlightShare';
  if (!rule || more.length > 0 || (notNull !== undefined && notNull !== null) || (nullable && notNull !== null)) {
    throw new Unsupported(`${measure} condition`);
  }
  return flagLeaf(c, FLAG[rule.defect], T);
}

function fullLeaf(c: FacetColumns, values: Float64Array, test: Test): Node {
  const out = new Uint8Array(c.n);
  for (let i = 0; i < c.n; i++) {
    const x = values[i] as number;
    out[i] = test(Number.isNaN(x) ? null : x);
  }
  return { k: 'full', v: out };
}

function compile(c: FacetColumns, where: unknown, o: EvalOptions): Node {
  if (!isObject(where)) throw new Unsupported('condition');
  const parts: Node[] = [];
  for (const [key, v] of Object.entries(where)) {
    if (v === undefined) continue;
    if (key === 'AND')
      parts.push(
        combine(
          c,
          'and',
          (Array.isArray(v) ? v : [v]).map((x) => compile(c, x, o)),
        ),
      );
    else if (key === 'OR') {
      // Prisma reads an empty OR as false or as true depending on where it sits: SQL decides
      if (!Array.isArray(v) || v.length === 0) throw new Unsupported('OR');
      parts.push(
        combine(
          c,
          'or',
          v.map((x) => compile(c, x, o)),
        ),
      );
    } else if (key === 'NOT')
      parts.push(
        combine(
          c,
          'and',
          (Array.isArray(v) ? v : [v]).map((x) => not(c, compile(c, x, o))),
        ),
      );
    else if (LABEL_FIELDS.has(key)) {
      const t = scalarTest(v, o);
      parts.push(dimLeaf(c, 'label', (code) => t((c.labels[code] as LabelTuple)[key as keyof LabelTuple])));
    } else if (key in DICT_FIELDS) {
      const dim = DICT_FIELDS[key as keyof typeof DICT_FIELDS];
      const values: readonly Scalar[] =
        dim === 'site' ? c.sites : dim === 'elevation' ? c.elevations : dim === 'border' ? c.borders : c.scores;
      const t = scalarTest(v, o);
      parts.push(dimLeaf(c, dim, (code) => (code < values.length ? t(values[code] ?? null) : F)));
    } else if (key === 'ageAtExam') {
      const t = scalarTest(v, o);
      parts.push(dimLeaf(c, 'age', (code) => t(code === NO_AGE ? null : code)));
    } else if (key === 'lesionDiameterMm') parts.push(fullLeaf(c, c.diameter, scalarTest(v, o)));
    else if (key === 'acquiredAt') parts.push(fullLeaf(c, c.acquired, scalarTest(v, o)));
    else if (key in FLAG_FIELDS) {
      // only null-ness: the columns keep no values of these text fields
      const bit = FLAG_FIELDS[key] as number;
      if (v === null) parts.push(flagLeaf(c, bit, T));
      else if (isObject(v) && Object.keys(v).length === 1 && v.not === null) parts.push(flagLeaf(c, bit, F));
      else throw new Unsupported(key);
    } else if (key === 'histopathology') {
      // the report row (to-one): null = none, { isNot: null } = one
      if (v === null) parts.push(flagLeaf(c, FLAG.histology, F));
      else if (isObject(v) && Object.keys(v).length === 1 && v.isNot === null)
        parts.push(flagLeaf(c, FLAG.histology, T));
      else throw new Unsupported(key);
    } else if (key in SOME_NONE) parts.push(flagLeaf(c, SOME_NONE[key] as number, someOrNone(v) ? T : F));
    else if (key === 'colors') {
      const [mask, some] = listRelation(v, 'color', COLOR_BITS, o);
      parts.push(dimLeaf(c, 'colors', (m) => (((m & mask) !== 0) === some ? T : F)));
    } else if (key === 'structures') {
      const [mask, some] = listRelation(v, 'structure', STRUCTURE_BITS, o);
      const out = new Uint8Array(c.n);
      const s = c.structures;
      for (let i = 0; i < c.n; i++) out[i] = (((s[i] as number) & mask) !== 0) === some ? T : F;
      parts.push({ k: 'full', v: out });
    } else if (key === 'patient') {
      // a to-one relation: true where the patient row meets the condition
      const t = rowTest(v, PATIENT_FIELDS, o);
      parts.push(
        dimLeaf(c, 'patient', (code) => (t(c.patients[code] as unknown as Record<string, Scalar>) === T ? T : F)),
      );
    } else if (key === 'collection') {
      const t = rowTest(v, new Set(['slug', 'id']), o);
      parts.push(
        dimLeaf(c, 'collection', (code) => (t(c.collections[code] ?? { slug: null, id: null }) === T ? T : F)),
      );
    } else if (key === 'sharpness' || key === 'meanLuminance' || key === 'highlightShare' || key === 'glareShare')
      parts.push(qualityLeaf(c, key, v));
    else if (key === 'id' && isObject(v) && Object.keys(v).length === 1 && Array.isArray(v.in) && v.in.length === 0)
      parts.push({ k: 'const', v: F });
    else throw new Unsupported(`field ${key}`);
  }
  return combine(c, 'and', parts);
}

/**
 * The images a condition holds for (1) or not (0), by row of the columns; throws Unsupported for a
 * condition the columns cannot evaluate exactly.
 */
export function matchWhere(c: FacetColumns, where: unknown, o: EvalOptions): Uint8Array {
  const node = compile(c, where, o);
  const out = new Uint8Array(c.n);
  if (node.k === 'const') return node.v === T ? out.fill(1) : out;
  if (node.k === 'dim') {
    const codes = dimCodes(c, node.dim);
    const lut = node.lut;
    for (let i = 0; i < c.n; i++) out[i] = lut[codes[i] as number] === T ? 1 : 0;
    return out;
  }
  for (let i = 0; i < c.n; i++) out[i] = node.v[i] === T ? 1 : 0;
  return out;
}

/** How many rows match. */
export function countMatches(match: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < match.length; i++) n += match[i] as number;
  return n;
}

/**
 * The ids a keyset page reads, as Prisma's cursor paging reads them (`cursor` = rows from that id on,
 * `skip` rows dropped, `take` rows, negative = backwards from the end): the first (or last) skip + |take|
 * matching ids at or after (at or before) the cursor, in id order.
 */
export function pageIds(
  c: FacetColumns,
  match: Uint8Array,
  cursor: number | null,
  skip: number,
  take: number,
): number[] {
  const want = skip + Math.abs(take);
  const out: number[] = [];
  if (take >= 0) {
    for (let i = 0; i < c.n && out.length < want; i++) {
      const id = c.ids[i] as number;
      if (match[i] === 1 && (cursor === null || id >= cursor)) out.push(id);
    }
    return out;
  }
  for (let i = c.n - 1; i >= 0 && out.length < want; i--) {
    const id = c.ids[i] as number;
    if (match[i] === 1 && (cursor === null || id <= cursor)) out.push(id);
  }
  return out.reverse();
}

// ---------------------------------------------------------------- counting

/** Every facet's counts over the matching images, in one pass. */
export interface ColumnCounts {
  total: number;
  /** By index into labels, patients, sites, …, collections. */
  label: Uint32Array;
  patient: Uint32Array;
  site: Uint32Array;
  elevation: Uint32Array;
  border: Uint32Array;
  score: Uint32Array;
  collection: Uint32Array;
  /** By bit of COLOR_BITS / STRUCTURE_BITS, and the images with none. */
  colors: Uint32Array;
  noColors: number;
  structures: Uint32Array;
  noStructures: number;
  /** By bit of FLAG. */
  flag: (bit: number) => number;
  /** Images flagged with none of the quality defects. */
  qualityOk: number;
}

const DEFECTS = FLAG.BLURRED | FLAG.UNDEREXPOSED | FLAG.OVEREXPOSED | FLAG.GLARE;

export function countColumns(c: FacetColumns, match: Uint8Array): ColumnCounts {
  const label = new Uint32Array(c.labels.length);
  const patient = new Uint32Array(c.patients.length);
  const site = new Uint32Array(c.sites.length);
  const elevation = new Uint32Array(c.elevations.length);
  const border = new Uint32Array(c.borders.length);
  const score = new Uint32Array(c.scores.length);
  const collection = new Uint32Array(c.collections.length);
  const colorMasks = new Uint32Array(1 << COLOR_BITS.length);
  const flagValues = new Uint32Array(FLAG_VALUES);
  const structures = new Uint32Array(STRUCTURE_BITS.length);
  let noStructures = 0;
  let total = 0;
  for (let i = 0; i < c.n; i++) {
    if (match[i] !== 1) continue;
    total++;
    label[c.label[i] as number] = (label[c.label[i] as number] as number) + 1;
    patient[c.patient[i] as number] = (patient[c.patient[i] as number] as number) + 1;
    site[c.site[i] as number] = (site[c.site[i] as number] as number) + 1;
    elevation[c.elevation[i] as number] = (elevation[c.elevation[i] as number] as number) + 1;
    border[c.border[i] as number] = (border[c.border[i] as number] as number) + 1;
    score[c.score[i] as number] = (score[c.score[i] as number] as number) + 1;
    collection[c.collection[i] as number] = (collection[c.collection[i] as number] as number) + 1;
    colorMasks[c.colors[i] as number] = (colorMasks[c.colors[i] as number] as number) + 1;
    flagValues[c.flags[i] as number] = (flagValues[c.flags[i] as number] as number) + 1;
    let m = c.structures[i] as number;
    if (m === 0) noStructures++;
    while (m !== 0) {
      const low = m & -m;
      const b = 31 - Math.clz32(low);
      structures[b] = (structures[b] as number) + 1;
      m ^= low;
    }
  }
  const colors = new Uint32Array(COLOR_BITS.length);
  colorMasks.forEach((count, mask) => {
    for (let b = 0; b < COLOR_BITS.length; b++) if (mask & (1 << b)) colors[b] = (colors[b] as number) + count;
  });
  const flag = (bit: number) => flagValues.reduce((s, count, m) => ((m & bit) !== 0 ? s + count : s), 0);
  return {
    total,
    label,
    patient,
    site,
    elevation,
    border,
    score,
    collection,
    colors,
    noColors: colorMasks[0] as number,
    structures,
    noStructures,
    flag,
    qualityOk: flagValues.reduce((s, count, m) => ((m & DEFECTS) === 0 ? s + count : s), 0),
  };
}
