import { db } from '../db/current.ts';
import type { Prisma } from '../db/generated/sqlite/client.ts';
import { checkPageSize, type PageArgs } from './paging.ts';

export function listPatients(query: Prisma.PatientFindManyArgs, args: PageArgs) {
  checkPageSize(args);
  return db().patient.findMany({ ...query, orderBy: { id: 'asc' } });
}

export const countPatients = () => db().patient.count();

export const patientByCode = (
  query: { include?: Prisma.PatientInclude; select?: Prisma.PatientSelect },
  code: string,
) => db().patient.findUnique({ ...query, where: { code } });

export function listLesions(query: Prisma.LesionFindManyArgs, args: PageArgs) {
  checkPageSize(args);
  return db().lesion.findMany({ ...query, orderBy: { id: 'asc' } });
}

export const countLesions = () => db().lesion.count();
