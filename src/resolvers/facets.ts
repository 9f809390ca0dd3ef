// Counts per value of every categorical field of the images matching a filter, with how many
// images have the field and how many miss it: one GraphQL round trip, GROUP BY / COUNT in SQL.
import { db } from '../db/current.ts';
import type { Prisma } from '../db/generated/sqlite/client.ts';
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
import { originOf } from '../domain/terms.ts';
import { decide } from '../plugins/evaluate.ts';
import type { ClassMappingPolicy, PolicyInput } from '../plugins/types.ts';
import { type IndexedMatch, indexedMatch } from './facet-index.ts';
import { qualityWhere } from './image-filter.ts';
import { labelGroups, structureCounts } from './releases.ts';
import { asOfRelease, type Subset } from './subset.ts';

export interface FacetValue {
  value: string;
  count: number;
}
export interface FieldFacet {
  /**
   * The information model's snake_case name (or diagnosis_term / origin / clinical_status / collection /
   * has_histology / near_duplicate / fact_conflict / quality_verdict).
   */
  field: string;
  present: number;
  missing: number;
  values: FacetValue[];
}
export interface Facets {
  total: number;
  /** The policy the `label` facet is read under. */
  policyId: string;
  fields: FieldFacet[];
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

const byCount = (a: FacetValue, b: FacetValue) => b.count - a.count || a.value.localeCompare(b.value);

/**
 * The facets of a subset: from the facet index when it holds the data the request reads and can
 * evaluate the filter (resolvers/facet-index.ts), else from SQL. Both give the same answer.
 */
export async function computeFacets(subset: Subset): Promise<Facets> {
  const indexed = await indexedMatch(subset);
  return indexed ? assemble(indexedCounts(indexed), subset.policy) : computeFacetsSql(subset);
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
  const slugs = new Map(
    (
      await client.collection.findMany({
        where: { id: { in: byCollection.map((r) => r.collectionId) } },
        select: { id: true, slug: true },
      })
    ).map((c) => [c.id, c.slug]),
  );
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
  colors: { rows: FacetValue[]; missing: number };
  structures: { rows: FacetValue[]; missing: number };
  histology: number;
  nearDup: number;
  /** Images per (class, term, status, stage). */
  classStage: LabelGroup[];
  verdicts: FacetValue[];
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

function assemble(counts: FacetCounts, policy: ClassMappingPolicy): Facets {
  const { total, classStage } = counts;
  // the label under the policy: excluded and unmapped images count as missing
  const labels = classStage.map((r) => {
    const d = decide(policy, r);
    return { value: d.kind === 'mapped' ? d.label : null, count: r.count };
  });

  const merge = (rows: Rows) => {
    const m = new Map<string | null, number>();
    for (const r of rows) m.set(r.value, (m.get(r.value) ?? 0) + r.count);
    return [...m].map(([value, count]) => ({ value, count }));
  };
  const single = (field: string, rows: Rows): FieldFacet => {
    const rowsMerged = merge(rows);
    const missing = rowsMerged.filter((r) => r.value === null).reduce((s, r) => s + r.count, 0);
    const values = rowsMerged.filter((r): r is FacetValue => r.value !== null && r.count > 0).sort(byCount);
    return { field, present: total - missing, missing, values };
  };
  // read off the (class, term, status, stage) groups: null = the image lacks the value
  const derived = (key: (r: LabelGroup) => string | null) =>
    merge(classStage.map((r) => ({ value: key(r), count: r.count })));
  const boolean = (field: string, yes: number): FieldFacet => ({
    field,
    present: total,
    missing: 0,
    values: [
      { value: 'true', count: yes },
      { value: 'false', count: total - yes },
    ].filter((v) => v.count > 0),
  });
  const multiFacet = (field: string, m: { rows: FacetValue[]; missing: number }): FieldFacet => ({
    field,
    present: total - m.missing,
    missing: m.missing,
    values: m.rows.filter((r) => r.count > 0).sort(byCount),
  });

  return {
    total,
    policyId: policy.id,
    fields: [
      single('sex', counts.sex),
      single('fitzpatrick_type', counts.fitz),
      single('sunburn_history', counts.sunburn),
      single('personal_ca_history', counts.personalCa),
      single('anatomical_site', counts.sites),
      multiFacet('dominant_colors', counts.colors),
      single('elevation', counts.elevations),
      single('border_regularity', counts.borders),
      multiFacet('dermoscopic_structures', counts.structures),
      single('diagnosis_class', counts.classes),
      single(
        'diagnosis_term',
        derived((r) => r.diagnosisTerm),
      ),
      single(
        'origin',
        derived((r) => originOf(r.diagnosisClass, r.diagnosisTerm)),
      ),
      single(
        'clinical_status',
        derived((r) => r.clinicalStatus),
      ),
      single('collection', counts.byCollection),
      single('verification_stage', counts.stages),
      single('image_quality_score', counts.scores),
      boolean('has_histology', counts.histology),
      boolean('near_duplicate', counts.nearDup),
      boolean('fact_conflict', counts.conflicts),
      multiFacet('quality_verdict', { rows: counts.verdicts, missing: 0 }),
      single('label', merge(labels)),
    ],
  };
}
