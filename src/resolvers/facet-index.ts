// The facet index: the facet columns (domain/facet-columns.ts) of every image, held in this process,
// so that `facets`, the images connection's `totalCount` and its first pages are one pass over
// typed arrays instead of dozens of aggregates over the tables.
//
// Freshness: the index is built at one `records` data version (db/data-version.ts), and a request
// uses it only when the version it reads is that version. Equal versions are equal data on every
// instance, so several instances each keep their own index and none answers from a stale one.
// Otherwise the request is answered by SQL (always right) while the index is rebuilt in the
// background, one build at a time per database. A build reads the version before and after its
// batches and is kept only when the two are equal (no write committed in between): the columns are
// then exactly the data of that version.
//
// Built lazily on the first request that could use it (a CLI command or an export process never
// builds one), in keyset batches of raw rows, yielding to the event loop between batches.
import type { Db } from '../db/client.ts';
import { db } from '../db/current.ts';
import { currentVersions, dataVersions } from '../db/data-version.ts';
import {
  COLOR_BITS,
  columnBytes,
  type FacetColumns,
  FLAG,
  type LabelTuple,
  matchWhere,
  NO_AGE,
  type PatientTuple,
  STRUCTURE_BITS,
  Unsupported,
} from '../domain/facet-columns.ts';
import { QUALITY_RULES } from '../domain/quality.ts';
import type { Selection } from './subset.ts';

/** Rows read per statement while building. */
const BATCH = 50_000;
/** Builds tried in a row when writes keep landing during a build. */
const ATTEMPTS = 3;

interface Built {
  version: number;
  columns: FacetColumns;
  likeFoldsCase: boolean;
  bytes: number;
  buildMs: number;
}

interface State {
  built: Built | null;
  building: Promise<void> | null;
  builds: number;
  discarded: number;
  lastError: string | null;
}

const STATES = new WeakMap<Db, State>();
const stateOf = (d: Db): State => {
  let s = STATES.get(d);
  if (!s) {
    s = { built: null, building: null, builds: 0, discarded: 0, lastError: null };
    STATES.set(d, s);
  }
  return s;
};

let enabled = process.env.DERMASET_FACET_INDEX !== 'off';
const counters = { hits: 0, fallbacks: 0 };

/** Turns the index off (every answer from SQL) or on again: benches measure the SQL path beside it. */
export function setFacetIndexEnabled(on: boolean): void {
  enabled = on;
}

/** What the index of the current database holds, for operators, benches and tests. */
export function facetIndexStatus() {
  const s = stateOf(db());
  return {
    enabled,
    version: s.built?.version ?? null,
    images: s.built?.columns.n ?? 0,
    bytes: s.built?.bytes ?? 0,
    buildMs: s.built?.buildMs ?? null,
    building: s.building !== null,
    builds: s.builds,
    discarded: s.discarded,
    lastError: s.lastError,
    hits: counters.hits,
    fallbacks: counters.fallbacks,
  };
}

/** Waits for the build in progress on the current database, if any (benches and tests). */
export async function facetIndexSettled(): Promise<void> {
  await stateOf(db()).building;
}

/** Builds the index of the current database now, unless it is current (benches and tests). */
export async function buildFacetIndex(): Promise<void> {
  const d = db();
  const s = stateOf(d);
  await s.building;
  const { records } = await dataVersions();
  if (s.built?.version === records) return;
  start(d, s);
  await s.building;
}

function start(d: Db, s: State): void {
  if (s.building) return;
  // a stale index can never answer again (versions only grow): let it go before building the next
  s.built = null;
  s.building = (async () => {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const built = await build(d);
      s.builds++;
      if (built) {
        s.built = built;
        s.lastError = null;
        return;
      }
      s.discarded++;
    }
  })()
    .catch((e: unknown) => {
      s.lastError = e instanceof Error ? e.message : String(e);
    })
    .finally(() => {
      s.building = null;
    });
}

/** The version each selection was read at: one read per resolved selection (a request's page and count share it). */
const VERSIONS = new WeakMap<Selection, Promise<number>>();
const versionOf = (selection: Selection): Promise<number> => {
  let v = VERSIONS.get(selection);
  if (!v) {
    v = currentVersions().then((x) => x.records);
    VERSIONS.set(selection, v);
  }
  return v;
};

export interface IndexedMatch {
  columns: FacetColumns;
  /** 1 for the rows (images) the selection holds. */
  match: Uint8Array;
  total: number;
}

const MATCHES = new WeakMap<Selection, Promise<IndexedMatch | null>>();

/**
 * The images of a selection from the index, or null when the SQL path must answer: the index is off,
 * not built at the version the request reads (a build starts), the selection reads as of a release,
 * or its condition has a part the index cannot evaluate exactly (a split, a patient code, …).
 */
export function indexedMatch(selection: Selection): Promise<IndexedMatch | null> {
  let m = MATCHES.get(selection);
  if (!m) {
    m = matchOnce(selection);
    MATCHES.set(selection, m);
  }
  return m;
}

async function matchOnce(selection: Selection): Promise<IndexedMatch | null> {
  if (!enabled || selection.release) return miss();
  const d = db();
  const s = stateOf(d);
  const version = await versionOf(selection);
  const built = s.built;
  if (!built || built.version !== version) {
    if (!built || built.version < version) start(d, s);
    return miss();
  }
  let match: Uint8Array;
  try {
    match = matchWhere(built.columns, selection.where, { likeFoldsCase: built.likeFoldsCase });
  } catch (e) {
    if (e instanceof Unsupported) return miss();
    throw e;
  }
  counters.hits++;
  let total = 0;
  for (let i = 0; i < match.length; i++) total += match[i] as number;
  return { columns: built.columns, match, total };
}

const miss = () => {
  counters.fallbacks++;
  return null;
};

// ---------------------------------------------------------------- building

const recordsVersion = async (d: Db) =>
  (await d.dataVersion.findUnique({ where: { scope: 'records' }, select: { version: true } }))?.version ?? 0;

const isPostgres = (d: Db) => (d as unknown as { _activeProvider?: string })._activeProvider === 'postgresql';

/** A SQL number literal of a JS double, typed as a double on both databases. */
const dbl = (x: number) => `CAST(${x} AS DOUBLE PRECISION)`;

/** The sum of the bits of an image's colours or structures (each value at most once: the primary key). */
const bitSum = (table: string, column: string, values: readonly string[]) =>
  `CAST(COALESCE((SELECT SUM(CASE x."${column}" ${values
    .map((v, b) => `WHEN '${v}' THEN ${2 ** b}`)
    .join(' ')} ELSE 0 END) FROM "${table}" x WHERE x."image_id" = i."id"), 0) AS INTEGER)`;

const exists = (sql: string, bit: number) => `(CASE WHEN EXISTS (${sql}) THEN ${bit} ELSE 0 END)`;
const when = (cond: string, bit: number) => `(CASE WHEN ${cond} THEN ${bit} ELSE 0 END)`;

/** The quality advice's defects as image-filter.ts's qualityWhere tests them (a measure not taken flags nothing). */
const qualityFlags = QUALITY_RULES.map((r) => {
  const column = r.measure.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  const cmp = r.flagged === 'below' ? '<' : '>=';
  return when(`i."${column}" IS NOT NULL AND i."${column}" ${cmp} ${dbl(r.threshold)}`, FLAG[r.defect]);
});

const FLAGS_SQL = [
  exists('SELECT 1 FROM "histopathology_report" h WHERE h."image_id" = i."id"', FLAG.histology),
  when('i."histopathology_result" IS NULL', FLAG.noHistopathologyResult),
  exists('SELECT 1 FROM "near_duplicate" d WHERE d."image_id" = i."id"', FLAG.nearDuplicateImage),
  exists('SELECT 1 FROM "near_duplicate" d WHERE d."twin_id" = i."id"', FLAG.nearDuplicateTwin),
  exists('SELECT 1 FROM "fact_conflict" f WHERE f."image_id" = i."id"', FLAG.factConflict),
  when('i."examiner_code" IS NULL', FLAG.noExaminer),
  ...qualityFlags,
].join(' + ');

const bool = (column: string) => `(CASE WHEN ${column} IS NULL THEN 0 WHEN ${column} THEN 1 ELSE 2 END)`;

/**
 * One batch of images as one text value: a line per image in id order, its fields separated by tabs
 * (empty = null), so that a batch costs one row through the driver, not thousands of row objects.
 */
function batchSql(postgres: boolean, after: number, limit: number): string {
  const text = (e: string) => `COALESCE(CAST(${e} AS TEXT), '')`;
  const acquired = postgres
    ? 'CAST(EXTRACT(EPOCH FROM i."acquired_at") * 1000 AS BIGINT)'
    : // stored as ISO-8601 text (or milliseconds, which the parser takes too)
      'i."acquired_at"';
  const fields = [
    'i."id"',
    'i."diagnosis_class"',
    'i."diagnosis_term"',
    'i."clinical_status"',
    'i."verification_stage"',
    'p."sex"',
    'p."fitzpatrick_type"',
    bool('p."sunburn_history"'),
    bool('p."personal_ca_history"'),
    'i."anatomical_site"',
    'i."elevation"',
    'i."border_regularity"',
    'i."image_quality_score"',
    'i."collection_id"',
    'i."age_at_exam"',
    // a double as text: the shortest form that reads back as the same double, on both databases
    'i."lesion_diameter_mm"',
    acquired,
    bitSum('image_color', 'color', COLOR_BITS),
    bitSum('image_structure', 'structure', STRUCTURE_BITS),
    `(${FLAGS_SQL})`,
  ].map(text);
  const tab = postgres ? 'chr(9)' : 'char(9)';
  const newline = postgres ? 'chr(10)' : 'char(10)';
  const agg = postgres ? 'string_agg' : 'group_concat';
  return `SELECT ${agg}(s."line", ${newline} ORDER BY s."id") AS "t", MAX(s."id") AS "last", COUNT(*) AS "n" FROM (
  SELECT i."id" AS "id", ${fields.join(` || ${tab} || `)} AS "line"
  FROM "image" i JOIN "patient" p ON p."id" = i."patient_id"
  WHERE i."id" > ${after} ORDER BY i."id" LIMIT ${limit}) s`;
}

const BOOLS = [null, true, false] as const;

/** Codes of a dictionary-coded column: code 0 is null, the others in order of appearance. */
class Dictionary<V> {
  readonly values: (V | null)[] = [null];
  private readonly codes = new Map<string, number>();
  constructor(private readonly max: number) {}
  code(key: string | null, value: () => V): number {
    if (key === null) return 0;
    let c = this.codes.get(key);
    if (c === undefined) {
      c = this.values.length;
      if (c > this.max) throw new Error(`facet index: more than ${this.max} distinct values`);
      this.values.push(value());
      this.codes.set(key, c);
    }
    return c;
  }
}

const toMs = (v: string): number => {
  if (v === '') return Number.NaN;
  const ms = /^-?\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (Number.isNaN(ms)) throw new Error(`facet index: unreadable acquired_at ${v}`);
  return ms;
};

async function build(d: Db): Promise<Built | null> {
  const began = performance.now();
  const before = await recordsVersion(d);
  const [{ n } = { n: 0 }] = await d.$queryRawUnsafe<{ n: number | bigint }[]>('SELECT COUNT(*) AS n FROM "image"');
  // room for images stored while this build runs (it is then discarded: the version moved)
  const capacity = Number(n) + 1024;
  const collections = await d.collection.findMany({
    select: { id: true, slug: true, name: true },
    orderBy: { id: 'asc' },
  });
  const collectionCode = new Map(collections.map((c, i) => [c.id, i]));
  const labels: LabelTuple[] = [];
  const labelCode = new Map<string, number>();
  const patients: PatientTuple[] = [];
  const patientCode = new Map<string, number>();
  const sites = new Dictionary<string>(255);
  const elevations = new Dictionary<string>(255);
  const borders = new Dictionary<string>(255);
  const scores = new Dictionary<number>(255);
  const c: FacetColumns = {
    n: 0,
    ids: new Int32Array(capacity),
    label: new Uint16Array(capacity),
    labels,
    patient: new Uint16Array(capacity),
    patients,
    site: new Uint8Array(capacity),
    sites: sites.values,
    elevation: new Uint8Array(capacity),
    elevations: elevations.values,
    border: new Uint8Array(capacity),
    borders: borders.values,
    score: new Uint8Array(capacity),
    scores: scores.values,
    collection: new Uint16Array(capacity),
    collections,
    age: new Uint8Array(capacity),
    diameter: new Float64Array(capacity),
    acquired: new Float64Array(capacity),
    colors: new Uint8Array(capacity),
    structures: new Uint32Array(capacity),
    flags: new Uint16Array(capacity),
  };
  const postgres = isPostgres(d);
  let after = 0;
  for (;;) {
    const [batch] = await d.$queryRawUnsafe<{ t: string | null; last: number | bigint | null; n: number | bigint }[]>(
      batchSql(postgres, after, BATCH),
    );
    const count = Number(batch?.n ?? 0);
    if (!batch?.t || count === 0) break;
    for (const line of batch.t.split('\n')) {
      const i = c.n;
      if (i >= capacity) return null;
      const f = line.split('\t');
      if (f.length !== 20) throw new Error(`facet index: unreadable row ${line.slice(0, 80)}`);
      const [id, cls, term, status, stage, sex, fitz, sunburn, ca, site, elevation, border, score, coll, age] = f;
      const [diameter, acquired, colors, structures, flags] = f.slice(15);
      c.ids[i] = Number(id);
      const lk = `${cls}\t${term}\t${status}\t${stage}`;
      let l = labelCode.get(lk);
      if (l === undefined) {
        l = labels.length;
        labels.push({
          diagnosisClass: (cls || null) as LabelTuple['diagnosisClass'],
          diagnosisTerm: term as string,
          clinicalStatus: status as LabelTuple['clinicalStatus'],
          verificationStage: stage as LabelTuple['verificationStage'],
        });
        labelCode.set(lk, l);
      }
      c.label[i] = l;
      const pk = `${sex}\t${fitz}\t${sunburn}\t${ca}`;
      let p = patientCode.get(pk);
      if (p === undefined) {
        p = patients.length;
        patients.push({
          sex: (sex || null) as PatientTuple['sex'],
          fitzpatrickType: (fitz || null) as PatientTuple['fitzpatrickType'],
          sunburnHistory: BOOLS[Number(sunburn)] ?? null,
          personalCaHistory: BOOLS[Number(ca)] ?? null,
        });
        patientCode.set(pk, p);
      }
      c.patient[i] = p;
      c.site[i] = sites.code(site || null, () => site as string);
      c.elevation[i] = elevations.code(elevation || null, () => elevation as string);
      c.border[i] = borders.code(border || null, () => border as string);
      c.score[i] = scores.code(score || null, () => Number(score));
      const collection = collectionCode.get(Number(coll));
      // a collection made after the list above was read: the version moved, the build is discarded
      if (collection === undefined) return null;
      c.collection[i] = collection;
      const a = age ? Number(age) : NO_AGE;
      if (!Number.isInteger(a) || a < 0 || a > NO_AGE) throw new Error(`facet index: age ${age}`);
      c.age[i] = a;
      c.diameter[i] = diameter ? Number(diameter) : Number.NaN;
      c.acquired[i] = toMs(acquired ?? '');
      c.colors[i] = Number(colors);
      c.structures[i] = Number(structures);
      c.flags[i] = Number(flags);
      c.n++;
    }
    if (count < BATCH) break;
    after = Number(batch.last);
    // a request waiting behind the build runs between batches
    await new Promise((r) => setImmediate(r));
  }
  if (labels.length > 0xffff || patients.length > 0xffff || collections.length > 0xffff) {
    throw new Error('facet index: too many distinct labels, patients facts or collections');
  }
  if ((await recordsVersion(d)) !== before) return null;
  return {
    version: before,
    columns: c,
    likeFoldsCase: !postgres,
    bytes: columnBytes(c),
    buildMs: performance.now() - began,
  };
}
