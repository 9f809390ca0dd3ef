import { db } from '../db/current.ts';
import type { Prisma } from '../db/generated/sqlite/client.ts';
import type { IntakeOutcome } from '../domain/enums.ts';

const where = (outcome?: IntakeOutcome[] | null): Prisma.IntakeRecordWhereInput =>
  outcome ? { outcome: { in: outcome } } : {};

/** The intake log, newest attempt first. */
export const listIntake = (query: Prisma.IntakeRecordFindManyArgs, outcome?: IntakeOutcome[] | null) =>
  db().intakeRecord.findMany({ ...query, where: where(outcome), orderBy: { id: 'desc' } });

export const countIntake = (outcome?: IntakeOutcome[] | null) => db().intakeRecord.count({ where: where(outcome) });
