// Patients and lesions: their connections, filtered and sorted. A patient or lesion filter's
// conditions on images ("has an image that …") are an ImageFilter, resolved as the images connection
// resolves one (resolveSelection: the same bounds, collections, splits and labels) and used as
// `images: { some: … }`, so the two connections cannot disagree on what an image filter means.
import { db } from '../db/current.ts';
import type { Prisma } from '../db/generated/sqlite/client.ts';
import { generaliseFilter, type ProfileId } from '../domain/deidentify.ts';
import type { AnatomicalSite, DiagnosisClass, FitzpatrickType, Sex } from '../domain/enums.ts';
import { badInput } from './errors.ts';
import { checkFilterBounds, FILTER_BOUNDS, type ImageFilter } from './image-filter.ts';
import {
  BY_YEAR,
  keysetConnection,
  type PageArgs,
  type SortedConnection,
  type SortKey,
  type SortOrder,
} from './paging.ts';
import { type RequestScope, resolveSelection } from './subset.ts';

type Query<I, S> = { include?: I; select?: S };
/** Rows as the schema's types take them: they carry what the request's selection asked for. */
type PatientRow = Prisma.PatientGetPayload<Record<string, never>>;
type LesionRow = Prisma.LesionGetPayload<Record<string, never>>;

/** Patients as a filter selects them; every condition must hold. */
export interface PatientFilter {
  code?: string[] | null;
  sex?: Sex[] | null;
  fitzpatrickType?: FitzpatrickType[] | null;
  sunburnHistory?: boolean | null;
  personalCaHistory?: boolean | null;
  /** Patients with an image in one of these collections (that also matches `images`). */
  collection?: string[] | null;
  /** Patients with at least one image matching this filter. */
  images?: ImageFilter | null;
}

/** Lesions as a filter selects them; every condition must hold. */
export interface LesionFilter {
  code?: string[] | null;
  patientCode?: string[] | null;
  /** Lesions with one image meeting these conditions together (and `images`). */
  anatomicalSite?: AnatomicalSite[] | null;
  diagnosisClass?: DiagnosisClass[] | null;
  diagnosisTerm?: string[] | null;
  collection?: string[] | null;
  images?: ImageFilter | null;
  /** true: some image of the lesion has a histopathology report; false: none has. */
  hasHistology?: boolean | null;
  /** Lesions whose patient matches this filter. */
  patient?: PatientFilter | null;
}

/** The orders of the patients and lesions connections. */
export const RECORD_ORDER_KEYS = {
  ID: { field: 'ID', column: null, type: 'int', nullable: false },
  CREATED_AT: { field: 'CREATED_AT', column: 'createdAt', type: 'date', nullable: false, coarse: BY_YEAR },
} as const satisfies Record<string, SortKey>;
export type RecordOrderField = keyof typeof RECORD_ORDER_KEYS;

/** The codes a filter lists, checked against the filter's bound on values. */
function codes(list: string[] | null | undefined, argument: string): string[] | undefined {
  if (list == null) return undefined;
  if (list.length > FILTER_BOUNDS.values) {
    throw badInput(`${argument} lists at most ${FILTER_BOUNDS.values} codes`, argument);
  }
  return [...new Set(list)];
}

/** The condition "one of the record's images matches", from an image filter resolved as the images connection resolves it. */
async function someImage(
  read: RecordRead,
  filter: ImageFilter | null,
  argument: string,
): Promise<Prisma.ImageWhereInput | undefined> {
  if (filter === null) return undefined;
  checkFilterBounds(filter, argument);
  // a viewer's age and date bounds select no finer than they read them, as on the images connection
  return (await resolveSelection(read.scope, { filter: generaliseFilter(filter, read.profile) })).where;
}

/** Who reads: the request (its memoised reads) and the de-identification profile they read under. */
export interface RecordRead {
  scope: RequestScope;
  profile: ProfileId;
}

/** The image filter a record filter's image conditions make: its own fields AND `images`. */
function imageConditions(fields: ImageFilter, images: ImageFilter | null | undefined): ImageFilter | null {
  const own = Object.fromEntries(Object.entries(fields).filter(([, v]) => v != null)) as ImageFilter;
  const parts = [own, images].filter((f): f is ImageFilter => f != null && Object.keys(f).length > 0);
  if (parts.length === 0) return null;
  return parts.length === 1 ? (parts[0] as ImageFilter) : { AND: parts };
}

/** The Prisma condition of a patient filter (`argument` names it in refusals). */
export async function patientWhere(
  read: RecordRead,
  f: PatientFilter | null | undefined,
  argument = 'filter',
): Promise<Prisma.PatientWhereInput> {
  if (!f) return {};
  const and: Prisma.PatientWhereInput[] = [];
  const code = codes(f.code, `${argument}.code`);
  if (code) and.push({ code: { in: code } });
  if (f.sex) and.push({ sex: { in: f.sex, not: null } });
  if (f.fitzpatrickType) and.push({ fitzpatrickType: { in: f.fitzpatrickType, not: null } });
  if (f.sunburnHistory != null) and.push({ sunburnHistory: f.sunburnHistory });
  if (f.personalCaHistory != null) and.push({ personalCaHistory: f.personalCaHistory });
  const images = await someImage(read, imageConditions({ collection: f.collection }, f.images), `${argument}.images`);
  if (images) and.push({ images: { some: images } });
  return and.length === 1 ? (and[0] as Prisma.PatientWhereInput) : { AND: and };
}

/** The Prisma condition of a lesion filter. */
export async function lesionWhere(
  read: RecordRead,
  f: LesionFilter | null | undefined,
  argument = 'filter',
): Promise<Prisma.LesionWhereInput> {
  if (!f) return {};
  const and: Prisma.LesionWhereInput[] = [];
  const code = codes(f.code, `${argument}.code`);
  if (code) and.push({ code: { in: code } });
  const patientCode = codes(f.patientCode, `${argument}.patientCode`);
  if (patientCode) and.push({ patient: { code: { in: patientCode } } });
  const images = await someImage(
    read,
    imageConditions(
      {
        anatomicalSite: f.anatomicalSite,
        diagnosisClass: f.diagnosisClass,
        diagnosisTerm: f.diagnosisTerm,
        collection: f.collection,
      },
      f.images,
    ),
    `${argument}.images`,
  );
  if (images) and.push({ images: { some: images } });
  if (f.hasHistology != null) {
    const reported = { histopathology: { isNot: null } };
    and.push(f.hasHistology ? { images: { some: reported } } : { images: { none: reported } });
  }
  if (f.patient) and.push({ patient: await patientWhere(read, f.patient, `${argument}.patient`) });
  return and.length === 1 ? (and[0] as Prisma.LesionWhereInput) : { AND: and };
}

export function patientsConnection(
  query: Query<Prisma.PatientInclude, Prisma.PatientSelect>,
  where: Prisma.PatientWhereInput,
  order: SortOrder,
  page: PageArgs,
): Promise<SortedConnection<PatientRow>> {
  const read = query.select ? { select: { ...query.select, id: true } } : query;
  return keysetConnection(
    order,
    page,
    where,
    (args) => db().patient.findMany(args as Prisma.PatientFindManyArgs),
    (ids) => db().patient.findMany({ ...read, where: { id: { in: ids } } }) as Promise<PatientRow[]>,
  );
}

export const countPatients = (where: Prisma.PatientWhereInput) => db().patient.count({ where });

export const patientByCode = (
  query: { include?: Prisma.PatientInclude; select?: Prisma.PatientSelect },
  code: string,
) => db().patient.findUnique({ ...query, where: { code } });

export function lesionsConnection(
  query: Query<Prisma.LesionInclude, Prisma.LesionSelect>,
  where: Prisma.LesionWhereInput,
  order: SortOrder,
  page: PageArgs,
): Promise<SortedConnection<LesionRow>> {
  const read = query.select ? { select: { ...query.select, id: true } } : query;
  return keysetConnection(
    order,
    page,
    where,
    (args) => db().lesion.findMany(args as Prisma.LesionFindManyArgs),
    (ids) => db().lesion.findMany({ ...read, where: { id: { in: ids } } }) as Promise<LesionRow[]>,
  );
}

export const countLesions = (where: Prisma.LesionWhereInput) => db().lesion.count({ where });
