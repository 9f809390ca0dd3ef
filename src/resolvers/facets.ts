// Counts per value of every categorical field of the images matching a filter, with how many
// images have the field and how many miss it: one GraphQL round trip, GROUP BY / COUNT in SQL.
//
// Each facet is keyed by the ImageFilter input field that selects it, and each value carries the
// typed value (an enum name, a Boolean or an Int, as ImageFilter takes it), the name to show and
// the ImageFilter fragment selecting exactly the images it counts: a frontend puts `filter` into
// `images(filter: { AND: [base, value.filter] })` as it is (test/facets-wiring.test.ts).
import { db } from '../db/current.ts';
import type { Prisma } from '../db/generated/sqlite/client.ts';
import { displayName, labelName, scoreName, yesNo } from '../domain/display-names.ts';
import { FitzpatrickType, Sex } from '../domain/enums.ts';
import {
  COLOR_BITS,
  countColumns,
  FLAG,
  type LabelTuple,
  type PatientTuple,
  STRUCTURE_BITS,
} from '../domain/facet-columns.ts';
import { QUALITY_VERDICTS } from '../domain/quality.ts';
import { isUnder, originOf, TERM_PATHS, termByPath, termsUnder } from '../domain/terms.ts';
import { decide } from '../plugins/evaluate.ts';
import type { ClassMappingPolicy, PolicyInput } from '../plugins/types.ts';
import { badInput } from './errors.ts';
import { type IndexedMatch, indexedMatch } from './facet-index.ts';
import { type OptionalField, qualityWhere } from './image-filter.ts';
import { labelGroups, structureCounts } from './releases.ts';
import { asOfRelease, type Subset } from './subset.ts';

/** A facet value as ImageFilter takes it: an enum name or a string (term, slug, label), a Boolean or an Int. */
export type FacetScalar = string | boolean | number;
/** An ImageFilter fragment, as JSON. */
export type FilterFragment = Record<string, unknown>;

export interface FacetValue {
  value: FacetScalar;
  displayName: string;
  count: number;
  /** The ImageFilter fragment selecting exactly the images counted. */
  filter: FilterFragment;
}

/** The facets, named by the ImageFilter input field that selects their values. */
export const FACET_FIELDS = [
  'sex',
  'fitzpatrickType',
  'sunburnHistory',
  'personalCaHistory',
  'anatomicalSite',
  'colors',
  'elevation',
  'borderRegularity',
  'structures',
  'diagnosisClass',
  'diagnosisTerm',
  'origin',
  'clinicalStatus',
  'collection',
  'verificationStage',
  'imageQualityScore',
  'hasHistology',
  'nearDuplicate',
  'factConflict',
  'qualityVerdict',
  'label',
] as const;
export type FacetField = (typeof FACET_FIELDS)[number];

export interface FieldFacet {
  /** The ImageFilter input field its values select (camelCase). */
  field: FacetField;
  present: number;
  missing: number;
  /** Most frequent first, then by value. */
  values: FacetValue[];
  /** The ImageFilter fragment selecting the `missing` images; null where no image can miss the field. */
  missingFilter: FilterFragment | null;
}
export interface Facets {
  total: number;
  /** The policy the `label` facet is read under. */
  policyId: string;
  fields: FieldFacet[];
}

/**
 * A facet as stats and the datasheet read it: the information model's snake_case field name and the
 * values as text (`anatomical_site`, `"true"`, `"4"`), the names the completeness table uses.
 */
export interface Distribution {
  field: string;
  present: number;
  missing: number;
  values: { value: string; count: number }[];
}

const MODEL_NAMES: Readonly<Record<FacetField, string>> = {
  sex: 'sex',
  fitzpatrickType: 'fitzpatrick_type',
  sunburnHistory: 'sunburn_history',
  personalCaHistory: 'personal_ca_history',
  anatomicalSite: 'anatomical_site',
  colors: 'dominant_colors',
  elevation: 'elevation',
  borderRegularity: 'border_regularity',
  structures: 'dermoscopic_structures',
  diagnosisClass: 'diagnosis_class',
  diagnosisTerm: 'diagnosis_term',
  origin: 'origin',
  clinicalStatus: 'clinical_status',
  collection: 'collection',
  verificationStage: 'verification_stage',
  imageQualityScore: 'image_quality_score',
  hasHistology: 'has_histology',
  nearDuplicate: 'near_duplicate',
  factConflict: 'fact_conflict',
  qualityVerdict: 'quality_verdict',
  label: 'label',
};

/** A facet as a distribution (stats, the datasheet). */
export const toDistribution = (f: FieldFacet): Distribution => ({
  field: MODEL_NAMES[f.field],
  present: f.present,
  missing: f.missing,
  values: f.values.map((v) => ({ value: String(v.value), count: v.count })),
});

/** How one facet's values are typed, named and selected. */
interface FacetSpec {
  /** The value as counted (a string, as SQL and the index give it) → as ImageFilter takes it. */
  parse: (raw: string) => FacetScalar;
  name: (value: FacetScalar, names: FacetNames) => string;
  filter: (value: FacetScalar) => FilterFragment;
  missing: FilterFragment | null;
}
/** Names read from the data (collections), beside the vocabularies' own. */
interface FacetNames {
  collections: ReadonlyMap<string, string>;
}

const missingOf = (field: OptionalField): FilterFragment => ({ missing: [field] });

/** A field of enum values, one each (ImageFilter takes a list: `{ sex: ["FEMALE"] }`). */
const enumSpec = (field: FacetField, vocabulary: string, missing: FilterFragment | null): FacetSpec => ({
  parse: (raw) => raw,
  name: (v) => displayName(vocabulary, String(v)),
  filter: (v) => ({ [field]: [v] }),
  missing,
});
/** A set of enum values per image (colours, structures): `{ colors: { anyOf: ["BLACK"] } }`. */
const setSpec = (field: FacetField, vocabulary: string, missing: OptionalField): FacetSpec => ({
  parse: (raw) => raw,
  name: (v) => displayName(vocabulary, String(v)),
  filter: (v) => ({ [field]: { anyOf: [v] } }),
  missing: missingOf(missing),
});
const boolSpec = (field: FacetField, missing: OptionalField | null): FacetSpec => ({
  parse: (raw) => raw === 'true',
  name: (v) => yesNo(v === true),
  filter: (v) => ({ [field]: v }),
  missing: missing ? missingOf(missing) : null,
});

/**
 * The terms directly under each term that has terms under it: `diagnosisTerm` selects a term and
 * everything under it, so a term's own images are `{ diagnosisTerm: [t], NOT: { diagnosisTerm: [its children] } }`.
 */
const TERM_CHILDREN = new Map<string, string[]>();
for (const t of TERM_PATHS) {
  const under = termsUnder(t).filter((p) => p !== t);
  if (under.length > 0)
    TERM_CHILDREN.set(
      t,
      under.filter((p) => !under.some((q) => q !== p && isUnder(p, q))),
    );
}

const SPECS: Readonly<Record<FacetField, FacetSpec>> = {
  sex: enumSpec('sex', 'Sex', missingOf('SEX')),
  fitzpatrickType: enumSpec('fitzpatrickType', 'FitzpatrickType', missingOf('FITZPATRICK_TYPE')),
  sunburnHistory: boolSpec('sunburnHistory', 'SUNBURN_HISTORY'),
  personalCaHistory: boolSpec('personalCaHistory', 'PERSONAL_CA_HISTORY'),
  anatomicalSite: enumSpec('anatomicalSite', 'AnatomicalSite', missingOf('ANATOMICAL_SITE')),
  colors: setSpec('colors', 'Color', 'DOMINANT_COLORS'),
  elevation: enumSpec('elevation', 'Elevation', missingOf('ELEVATION')),
  borderRegularity: enumSpec('borderRegularity', 'BorderRegularity', missingOf('BORDER_REGULARITY')),
  structures: setSpec('structures', 'DermoscopicStructure', 'DERMOSCOPIC_STRUCTURES'),
  diagnosisClass: enumSpec('diagnosisClass', 'DiagnosisClass', missingOf('DIAGNOSIS_CLASS')),
  diagnosisTerm: {
    parse: (raw) => raw,
    name: (v) => termByPath(String(v)).name,
    filter: (v) => {
      const children = TERM_CHILDREN.get(String(v));
      return children ? { diagnosisTerm: [v], NOT: { diagnosisTerm: children } } : { diagnosisTerm: [v] };
    },
    missing: null,
  },
  // an image lacks an origin when it is outside the 9 and its term names none
  origin: enumSpec('origin', 'Origin', { NOT: { origin: ['MELANOCYTIC', 'NON_MELANOCYTIC'] } }),
  clinicalStatus: enumSpec('clinicalStatus', 'ClinicalStatus', null),
  collection: {
    parse: (raw) => raw,
    name: (v, names) => names.collections.get(String(v)) ?? String(v),
    filter: (v) => ({ collection: [v] }),
    missing: null,
  },
  verificationStage: enumSpec('verificationStage', 'VerificationStage', null),
  imageQualityScore: {
    parse: (raw) => Number(raw),
    name: (v) => scoreName(Number(v)),
    filter: (v) => ({ imageQualityScore: { min: v, max: v } }),
    missing: missingOf('IMAGE_QUALITY_SCORE'),
  },
  hasHistology: boolSpec('hasHistology', null),
  nearDuplicate: boolSpec('nearDuplicate', null),
  factConflict: boolSpec('factConflict', null),
  // an image with two defects counts under both; none lacks a verdict
  qualityVerdict: { ...enumSpec('qualityVerdict', 'QualityVerdict', null) },
  label: {
    parse: (raw) => raw,
    name: (v) => labelName(String(v)),
    filter: (v) => ({ label: [v] }),
    missing: missingOf('LABEL'),
  },
};

/** One facet of the facets by its ImageFilter field name; another name is BAD_USER_INPUT naming them. */
export function facetNamed(facets: Facets, name: string): FieldFacet {
  const f = facets.fields.find((x) => x.field === name);
  if (!f) {
    throw badInput(
      `name: no facet ${JSON.stringify(name.slice(0, 100))}; the facets (ImageFilter fields): ${FACET_FIELDS.join(', ')}`,
      'name',
    );
  }
  return f;
}

/** A value counted as a string, typed, named and with its filter. */
function facetValue(field: FacetField, raw: string, count: number, names: FacetNames): FacetValue {
  const spec = SPECS[field];
  const value = spec.parse(raw);
  return { value, displayName: spec.name(value, names), count, filter: spec.filter(value) };
}

type PatientField = 'sex' | 'fitzpatrickType' | 'sunburnHistory' | 'personalCaHistory';

/**
 * A patient-level field counted over the images of `where`: one COUNT per value and one for the
 * images whose patient lacks it (value null). Facets and domainShift count patient fields this way.
 */
export function patientFieldCounts<T extends string | boolean>(
  where: Prisma.ImageWhereInput,
  key: PatientField,
  values: readonly T[],
): Promise<{ value: string | null; count: number }[]> {
  return Promise.all(
    [...values, null].map(async (v) => ({
      value: v === null ? null : String(v),
      count: await db().image.count({ where: { AND: [where, { patient: { [key]: v } }] } }),
    })),
  );
}

type Counted = { value: string; count: number };
const byCount = (a: Counted, b: Counted) => b.count - a.count || a.value.localeCompare(b.value);

/**
 * The facets of a subset: from the facet index when it holds the data the request reads and can
 * evaluate the filter (resolvers/facet-index.ts), else from SQL. Both give the same answer.
 */
export async function computeFacets(subset: Subset): Promise<Facets> {
  const indexed = await indexedMatch(subset);
  if (!indexed) return computeFacetsSql(subset);
  const names = { collections: new Map(indexed.columns.collections.map((c) => [c.slug, c.name])) };
  return assemble(indexedCounts(indexed), subset.policy, names);
}

/** The facets counted in SQL: GROUP BY / COUNT over the tables (any filter, any release). */
export async function computeFacetsSql(subset: Subset): Promise<Facets> {
  const { where, policy, release } = subset;
  // a condition on a label, histology or structures, as of the subset's release when it has one
  const asOf = (w: Subset['where']) => (release ? asOfRelease(w, release.id) : w);
  const client = db();
  const group = async (
    by:
      | 'diagnosisClass'
      | 'verificationStage'
      | 'anatomicalSite'
      | 'elevation'
      | 'borderRegularity'
      | 'imageQualityScore',
  ) => {
    // as of a release: the class and stage it froze
    if (release && (by === 'diagnosisClass' || by === 'verificationStage')) {
      const frozen = await client.releaseImage.groupBy({
        by: [by],
        where: { releaseId: release.id, image: where },
        _count: { _all: true },
      });
      return frozen.map((r) => ({ value: r[by] === null ? null : String(r[by]), count: r._count._all }));
    }
    const rows = await client.image.groupBy({ by: [by], where, _count: { _all: true } });
    return rows.map((r) => ({ value: r[by] === null ? null : String(r[by]), count: r._count._all }));
  };
  const patientField = <T extends string | boolean>(key: PatientField, values: readonly T[]) =>
    patientFieldCounts(where, key, values);
  const multi = async (relation: 'colors' | 'structures') => {
    const rows =
      relation === 'colors'
        ? (await client.imageColor.groupBy({ by: ['color'], where: { image: where }, _count: { _all: true } })).map(
            (r) => ({ value: r.color as string, count: r._count._all }),
          )
        : (
            await client.imageStructure.groupBy({ by: ['structure'], where: { image: where }, _count: { _all: true } })
          ).map((r) => ({ value: r.structure as string, count: r._count._all }));
    const missing = await client.image.count({ where: { AND: [where, { [relation]: { none: {} } }] } });
    return { rows, missing };
  };

  const [
    total,
    classes,
    stages,
    sites,
    elevations,
    borders,
    scores,
    sex,
    fitz,
    sunburn,
    personalCa,
    colors,
    structures,
    histology,
    nearDup,
    classStage,
    verdicts,
    byCollection,
    conflicts,
  ] = await Promise.all([
    client.image.count({ where }),
    group('diagnosisClass'),
    group('verificationStage'),
    group('anatomicalSite'),
    group('elevation'),
    group('borderRegularity'),
    group('imageQualityScore'),
    patientField('sex', Object.values(Sex)),
    patientField('fitzpatrickType', Object.values(FitzpatrickType)),
    patientField('sunburnHistory', [true, false]),
    patientField('personalCaHistory', [true, false]),
    multi('colors'),
    structureCounts(subset),
    client.image.count({ where: { AND: [where, asOf({ histopathology: { isNot: null } })] } }),
    client.image.count({
      where: { AND: [where, { OR: [{ nearDuplicates: { some: {} } }, { nearDuplicateOf: { some: {} } }] }] },
    }),
    labelGroups(subset),
    // an image with two defects counts under both
    Promise.all(
      QUALITY_VERDICTS.map(async (value) => ({
        value,
        count: await client.image.count({ where: { AND: [where, qualityWhere(value)] } }),
      })),
    ),
    client.image.groupBy({ by: ['collectionId'], where, _count: { _all: true } }),
    client.image.count({ where: { AND: [where, { factConflicts: { some: {} } }] } }),
  ]);
  const collections = await client.collection.findMany({
    where: { id: { in: byCollection.map((r) => r.collectionId) } },
    select: { id: true, slug: true, name: true },
  });
  const slugs = new Map(collections.map((c) => [c.id, c.slug]));
  return assemble(
    {
      total,
      classes,
      stages,
      sites,
      elevations,
      borders,
      scores,
      sex,
      fitz,
      sunburn,
      personalCa,
      colors,
      structures,
      histology,
      nearDup,
      classStage: classStage.map((r) => ({ ...r, count: r._count._all })),
      verdicts,
      byCollection: byCollection.map((r) => ({ value: slugs.get(r.collectionId) ?? null, count: r._count._all })),
      conflicts,
    },
    policy,
    { collections: new Map(collections.map((c) => [c.slug, c.name])) },
  );
}

type Rows = { value: string | null; count: number }[];
type LabelGroup = PolicyInput & { count: number };

/** What the facets are read off, counted in SQL or on the facet index. */
interface FacetCounts {
  total: number;
  classes: Rows;
  stages: Rows;
  sites: Rows;
  elevations: Rows;
  borders: Rows;
  scores: Rows;
  sex: Rows;
  fitz: Rows;
  sunburn: Rows;
  personalCa: Rows;
  colors: { rows: Counted[]; missing: number };
  structures: { rows: Counted[]; missing: number };
  histology: number;
  nearDup: number;
  /** Images per (class, term, status, stage). */
  classStage: LabelGroup[];
  verdicts: Counted[];
  byCollection: Rows;
  conflicts: number;
}

/** The counts over the facet index's matching images, in the shapes the SQL path reads. */
function indexedCounts({ columns: c, match }: IndexedMatch): FacetCounts {
  const n = countColumns(c, match);
  const dict = <V>(values: readonly (V | null)[], counts: Uint32Array): Rows =>
    values.map((v, code) => ({ value: v === null ? null : String(v), count: counts[code] as number }));
  const patient = (key: keyof PatientTuple): Rows =>
    dict(
      c.patients.map((p) => p[key]),
      n.patient,
    );
  const label = (key: keyof LabelTuple): Rows =>
    dict(
      c.labels.map((l) => l[key]),
      n.label,
    );
  const bits = (names: readonly string[], counts: Uint32Array) =>
    names.map((value, b) => ({ value, count: counts[b] as number }));
  return {
    total: n.total,
    classes: label('diagnosisClass'),
    stages: label('verificationStage'),
    sites: dict(c.sites, n.site),
    elevations: dict(c.elevations, n.elevation),
    borders: dict(c.borders, n.border),
    scores: dict(c.scores, n.score),
    sex: patient('sex'),
    fitz: patient('fitzpatrickType'),
    sunburn: patient('sunburnHistory'),
    personalCa: patient('personalCaHistory'),
    colors: { rows: bits(COLOR_BITS, n.colors), missing: n.noColors },
    structures: { rows: bits(STRUCTURE_BITS, n.structures), missing: n.noStructures },
    histology: n.flag(FLAG.histology),
    nearDup: n.flag(FLAG.nearDuplicateImage | FLAG.nearDuplicateTwin),
    classStage: c.labels.map((l, code) => ({ ...l, count: n.label[code] as number })).filter((g) => g.count > 0),
    verdicts: QUALITY_VERDICTS.map((value) => ({ value, count: value === 'OK' ? n.qualityOk : n.flag(FLAG[value]) })),
    byCollection: c.collections.map((col, code) => ({ value: col.slug, count: n.collection[code] as number })),
    conflicts: n.flag(FLAG.factConflict),
  };
}

/**
 * A facet of a single-valued field from its counts per value (null: the image lacks it), typed, named
 * and with its filters.
 */
function singleFacet(field: FacetField, rows: Rows, total: number, names: FacetNames = NO_NAMES): FieldFacet {
  const merged = merge(rows);
  const missing = merged.filter((r) => r.value === null).reduce((n, r) => n + r.count, 0);
  const values = merged
    .filter((r): r is Counted => r.value !== null && r.count > 0)
    .sort(byCount)
    .map((r) => facetValue(field, r.value, r.count, names));
  return { field, present: total - missing, missing, values, missingFilter: SPECS[field].missing };
}

const NO_NAMES: FacetNames = { collections: new Map() };

function merge(rows: Rows): Rows {
  const m = new Map<string | null, number>();
  for (const r of rows) m.set(r.value, (m.get(r.value) ?? 0) + r.count);
  return [...m].map(([value, count]) => ({ value, count }));
}

function assemble(counts: FacetCounts, policy: ClassMappingPolicy, names: FacetNames): Facets {
  const { total, classStage } = counts;
  // the label under the policy: excluded and unmapped images count as missing
  const labels = classStage.map((r) => {
    const d = decide(policy, r);
    return { value: d.kind === 'mapped' ? d.label : null, count: r.count };
  });

  const single = (field: FacetField, rows: Rows) => singleFacet(field, rows, total, names);
  // read off the (class, term, status, stage) groups: null = the image lacks the value
  const derived = (key: (r: LabelGroup) => string | null) => classStage.map((r) => ({ value: key(r), count: r.count }));
  const boolean = (field: FacetField, yes: number): FieldFacet =>
    single(field, [
      { value: 'true', count: yes },
      { value: 'false', count: total - yes },
    ]);
  const multiFacet = (field: FacetField, m: { rows: Counted[]; missing: number }): FieldFacet => ({
    field,
    present: total - m.missing,
    missing: m.missing,
    values: m.rows
      .filter((r) => r.count > 0)
      .sort(byCount)
      .map((r) => facetValue(field, r.value, r.count, names)),
    missingFilter: SPECS[field].missing,
  });

  return {
    total,
    policyId: policy.id,
    fields: [
      single('sex', counts.sex),
      single('fitzpatrickType', counts.fitz),
      single('sunburnHistory', counts.sunburn),
      single('personalCaHistory', counts.personalCa),
      single('anatomicalSite', counts.sites),
      multiFacet('colors', counts.colors),
      single('elevation', counts.elevations),
      single('borderRegularity', counts.borders),
      multiFacet('structures', counts.structures),
      single('diagnosisClass', counts.classes),
      single(
        'diagnosisTerm',
        derived((r) => r.diagnosisTerm),
      ),
      single(
        'origin',
        derived((r) => originOf(r.diagnosisClass, r.diagnosisTerm)),
      ),
      single(
        'clinicalStatus',
        derived((r) => r.clinicalStatus),
      ),
      single('collection', counts.byCollection),
      single('verificationStage', counts.stages),
      single('imageQualityScore', counts.scores),
      boolean('hasHistology', counts.histology),
      boolean('nearDuplicate', counts.nearDup),
      boolean('factConflict', counts.conflicts),
      multiFacet('qualityVerdict', { rows: counts.verdicts, missing: 0 }),
      single('label', labels),
    ],
  };
}
