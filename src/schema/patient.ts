import { queryFromInfo } from '@pothos/plugin-prisma';
import { builder } from '../builder.ts';
import { readProfile } from '../domain/deidentify.ts';
import { sortOrder } from '../resolvers/images.ts';
import { checkPageSize, type PageArgs } from '../resolvers/paging.ts';
import {
  countLesions,
  countPatients,
  type LesionFilter as LesionFilterShape,
  lesionsConnection,
  lesionWhere,
  type PatientFilter as PatientFilterShape,
  patientByCode,
  patientsConnection,
  patientWhere,
  RECORD_ORDER_KEYS,
  type RecordOrderField,
  type RecordRead,
} from '../resolvers/patients.ts';
import type { Context } from '../server/context.ts';
import { ImageFilter, OrderDirectionEnum, readsCoarse } from './image.ts';
import { AnatomicalSiteEnum, DiagnosisClassEnum, FitzpatrickTypeEnum, SexEnum } from './vocabulary.ts';

/** Nested pages in id order; a page past the cap is refused, as on the root connections. */
const byId = (args: PageArgs) => {
  checkPageSize(args);
  return { orderBy: { id: 'asc' as const } };
};

export const PatientRef = builder.prismaNode('Patient', {
  id: { field: 'id' },
  authScopes: { viewer: true },
  description: 'A de-identified patient: the code is a keyed hash of the source identifier.',
  fields: (t) => ({
    code: t.exposeString('code'),
    sex: t.expose('sex', { type: SexEnum, nullable: true }),
    fitzpatrickType: t.expose('fitzpatrickType', { type: FitzpatrickTypeEnum, nullable: true }),
    sunburnHistory: t.exposeBoolean('sunburnHistory', { nullable: true }),
    personalCaHistory: t.exposeBoolean('personalCaHistory', { nullable: true }),
    imageCount: t.relationCount('images'),
    images: t.relatedConnection('images', { cursor: 'id', query: byId, totalCount: true }),
    lesions: t.relatedConnection('lesions', { cursor: 'id', query: byId, totalCount: true }),
  }),
});

export const LesionRef = builder.prismaNode('Lesion', {
  id: { field: 'id' },
  authScopes: { viewer: true },
  description: 'One lesion of one patient, possibly imaged more than once.',
  fields: (t) => ({
    code: t.exposeString('code'),
    patient: t.relation('patient'),
    imageCount: t.relationCount('images'),
    images: t.relatedConnection('images', { cursor: 'id', query: byId, totalCount: true }),
  }),
});

const RecordOrderFieldEnum = builder.enumType('RecordOrderField', {
  description:
    'What patients and lesions are sorted by; ties in id order. CREATED_AT: when the record was first stored ' +
    '(viewers: by its year, then id, as they read dates).',
  values: Object.keys(RECORD_ORDER_KEYS) as RecordOrderField[],
});

const RecordOrder = builder.inputType('RecordOrder', {
  description: 'An order of the patients or lesions connection (default: ID ASC).',
  fields: (t) => ({
    field: t.field({ type: RecordOrderFieldEnum, required: true }),
    direction: t.field({ type: OrderDirectionEnum, defaultValue: 'ASC' }),
  }),
});

const CODES = 'At most 500 codes';

export const PatientFilter = builder.inputRef<PatientFilterShape>('PatientFilter').implement({
  description:
    'Conditions on patients, all of which must hold. A condition on a patient field never matches a patient who ' +
    'lacks it. `collection` and `images` are conditions on the patient’s images: one image must meet both.',
  fields: (t) => ({
    code: t.stringList({ description: `Patients with one of these codes. ${CODES}` }),
    sex: t.field({ type: [SexEnum] }),
    fitzpatrickType: t.field({ type: [FitzpatrickTypeEnum] }),
    sunburnHistory: t.boolean(),
    personalCaHistory: t.boolean(),
    collection: t.stringList({ description: 'Patients with an image in one of these collections (by slug)' }),
    images: t.field({
      type: ImageFilter,
      description:
        'Patients with at least one image matching this filter (its bounds and refusals are those of the images ' +
        'connection’s filter; viewers’ age and date bounds widen as there)',
    }),
  }),
});

const LesionFilter = builder.inputRef<LesionFilterShape>('LesionFilter').implement({
  description:
    'Conditions on lesions, all of which must hold. anatomicalSite, diagnosisClass, diagnosisTerm, collection and ' +
    '`images` are conditions on the lesion’s images: one image must meet them all.',
  fields: (t) => ({
    code: t.stringList({ description: `Lesions with one of these codes. ${CODES}` }),
    patientCode: t.stringList({ description: `Lesions of these patients. ${CODES}` }),
    anatomicalSite: t.field({ type: [AnatomicalSiteEnum] }),
    diagnosisClass: t.field({ type: [DiagnosisClassEnum] }),
    diagnosisTerm: t.stringList({
      description: 'Terms or nodes of the diagnosis hierarchy, as ImageFilter takes them',
    }),
    collection: t.stringList({ description: 'Collections by slug' }),
    images: t.field({ type: ImageFilter, description: 'Lesions with at least one image matching this filter' }),
    hasHistology: t.boolean({
      description: 'true: an image of the lesion has a histopathology report; false: none has',
    }),
    patient: t.field({ type: PatientFilter, description: 'Lesions whose patient matches this filter' }),
  }),
});

const recordRead = (ctx: Context): RecordRead => ({ scope: ctx, profile: readProfile(ctx.role) });

/** A connection's total, stashed on the value the connection resolves to (see the images connection). */
const totalCountField = (what: string) =>
  ({ description: `How many ${what} match (every page, not this page)` }) as const;
type Counted = { totalCount: () => Promise<number> };

builder.queryFields((t) => ({
  patients: t.connection(
    {
      type: PatientRef,
      authScopes: { viewer: true },
      description:
        'Patients matching the filter, in `orderBy` (default: id ascending; keyset cursors; at most 200 a page).',
      args: {
        filter: t.arg({ type: PatientFilter }),
        orderBy: t.arg({ type: RecordOrder }),
      },
      resolve: async (_root, args, ctx, info) => {
        const where = await patientWhere(recordRead(ctx), args.filter);
        const order = sortOrder(RECORD_ORDER_KEYS, args.orderBy, readsCoarse(ctx), 'ID');
        const query = queryFromInfo({ context: ctx, info, path: ['edges', 'node'] });
        const connection = await patientsConnection(query, where, order, args);
        return { ...connection, totalCount: () => countPatients(where) };
      },
    },
    {
      name: 'PatientConnection',
      fields: (t) => ({
        totalCount: t.int({ ...totalCountField('patients'), resolve: (c) => (c as unknown as Counted).totalCount() }),
      }),
    },
    { name: 'PatientEdge' },
  ),
  patient: t.prismaField({
    type: 'Patient',
    nullable: true,
    authScopes: { viewer: true },
    args: { code: t.arg.string({ required: true }) },
    resolve: (query, _root, args) => patientByCode(query, args.code),
  }),
  lesions: t.connection(
    {
      type: LesionRef,
      authScopes: { viewer: true },
      description:
        'Lesions matching the filter, in `orderBy` (default: id ascending; keyset cursors; at most 200 a page).',
      args: {
        filter: t.arg({ type: LesionFilter }),
        orderBy: t.arg({ type: RecordOrder }),
      },
      resolve: async (_root, args, ctx, info) => {
        const where = await lesionWhere(recordRead(ctx), args.filter);
        const order = sortOrder(RECORD_ORDER_KEYS, args.orderBy, readsCoarse(ctx), 'ID');
        const query = queryFromInfo({ context: ctx, info, path: ['edges', 'node'] });
        const connection = await lesionsConnection(query, where, order, args);
        return { ...connection, totalCount: () => countLesions(where) };
      },
    },
    {
      name: 'LesionConnection',
      fields: (t) => ({
        totalCount: t.int({ ...totalCountField('lesions'), resolve: (c) => (c as unknown as Counted).totalCount() }),
      }),
    },
    { name: 'LesionEdge' },
  ),
}));
