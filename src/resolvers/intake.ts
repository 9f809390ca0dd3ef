import { db } from '../db/current.ts';
import type { Prisma } from '../db/generated/sqlite/client.ts';
import type { IntakeOutcome } from '../domain/enums.ts';
import { checkPageSize, type PageArgs } from './paging.ts';

const where = (outcome?: IntakeOutcome[] | null): Prisma.IntakeRecordWhereInput =>
  outcome ? { outcome: { in: outcome } } : {};

/** The intake log, newest attempt first. */
export function listIntake(
  query: Prisma.IntakeRecordFindManyArgs,
  args: PageArgs & { outcome?: IntakeOutcome[] | null },
) {
  checkPageSize(args);
  return db().intakeRecord.findMany({ ...query, where: where(args.outcome), orderBy: { id: 'desc' } });
}

export const countIntake = (outcome?: IntakeOutcome[] | null) => db().intakeRecord.count({ where: where(outcome) });
