import { builder } from '../builder.ts';
import { checkPageSize, type PageArgs } from '../resolvers/paging.ts';
import { countLesions, countPatients, listLesions, listPatients, patientByCode } from '../resolvers/patients.ts';
import { FitzpatrickTypeEnum, SexEnum } from './vocabulary.ts';

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

builder.prismaNode('Lesion', {
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

builder.queryFields((t) => ({
  patients: t.prismaConnection(
    {
      type: 'Patient',
      cursor: 'id',
      authScopes: { viewer: true },
      description: 'Patients in id order (keyset cursors; at most 200 a page).',
      totalCount: () => countPatients(),
      resolve: (query, _root, args) => listPatients(query, args),
    },
    { name: 'PatientConnection' },
    { name: 'PatientEdge' },
  ),
  patient: t.prismaField({
    type: 'Patient',
    nullable: true,
    authScopes: { viewer: true },
    args: { code: t.arg.string({ required: true }) },
    resolve: (query, _root, args) => patientByCode(query, args.code),
  }),
  lesions: t.prismaConnection(
    {
      type: 'Lesion',
      cursor: 'id',
      authScopes: { viewer: true },
      description: 'Lesions in id order (keyset cursors; at most 200 a page).',
      totalCount: () => countLesions(),
      resolve: (query, _root, args) => listLesions(query, args),
    },
    { name: 'LesionConnection' },
    { name: 'LesionEdge' },
  ),
}));
