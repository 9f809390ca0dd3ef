import { db } from '../db/current.ts';
import type { Prisma } from '../db/generated/sqlite/client.ts';
import { checkPageSize, type PageArgs } from './paging.ts';

export const listPatients = (query: Prisma.PatientFindManyArgs) =>
  db().patient.findMany({ ...query, orderBy: { id: 'asc' } });
export const countPatients = () => db().patient.count();
export const patientByCode = (
  query: { include?: Prisma.PatientInclude; select?: Prisma.PatientSelect },
  code: string,
) => db().patient.findUnique({ ...query, where: { code } });

export const listLesions = (query: Prisma.LesionFindManyArgs) =>
  db().lesion.findMany({ ...query, orderBy: { id: 'asc' } });
export const countLesions = () => db().lesion.count();
