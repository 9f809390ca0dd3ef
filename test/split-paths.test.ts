// createSplit reads the whole dataset with plain keyset SELECTs and a filtered subset through Prisma:
// both paths must make the same split. On the demo cohort, a split of every image and a split under
// a filter every image matches give the same manifest, summary and certificate, for each stratifier;
// the summary names patients by their codes (not the row ids the algorithm groups by), and every
// stored assignment is the one the manifest hash covers.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useDatabase } from '../src/db/current.ts';
import { toolActor } from '../src/domain/actor.ts';
import type { Stratifier } from '../src/domain/stored-split.ts';
import { createSplit } from '../src/resolvers/splits.ts';
import { requestScope } from '../src/resolvers/subset.ts';
import { createCohortEnv } from './helpers/cohort.ts';
import type { TestEnv } from './helpers/database.ts';

let env: TestEnv;
beforeAll(async () => {
  env = await createCohortEnv();
  useDatabase(env.db);
}, 300_000);
afterAll(() => env?.dispose());

const stored = (id: string) =>
  env.db.split.findUniqueOrThrow({
    where: { id },
    select: { manifestHash: true, imageCount: true, summary: true, certificate: true, parts: true },
  });

const cases: { stratifyBy: Stratifier[]; folds?: number }[] = [
  { stratifyBy: [] },
  { stratifyBy: ['SEX', 'FITZPATRICK_TYPE'] },
  { stratifyBy: ['VERIFICATION_STAGE', 'COLLECTION'], folds: 5 },
];

describe('createSplit: the whole dataset and a filter matching it', () => {
  for (const c of cases) {
    it(`make the same split (${c.stratifyBy.join(', ') || 'label only'}${c.folds ? `, ${c.folds} folds` : ''})`, async () => {
      const shape = c.folds ? { folds: c.folds } : { fractions: { train: 0.7, validation: 0.15, test: 0.15 } };
      const base = { policy: 'nine-class', seed: 7, stratifyBy: c.stratifyBy, ...shape };
      const whole = await createSplit(requestScope(), base, toolActor('test'));
      const filtered = await createSplit(
        requestScope(),
        { ...base, filter: { verificationStageAtLeast: 'INITIAL' } },
        toolActor('test'),
      );
      const [a, b] = await Promise.all([stored(whole), stored(filtered)]);
      expect(a.imageCount).toBeGreaterThan(900);
      expect(b).toEqual(a);
      // the stored rows are the manifest
      const rows = await env.db.splitAssignment.findMany({
        where: { splitId: whole },
        select: { part: true, image: { select: { sha256: true } } },
      });
      expect(rows).toHaveLength(a.imageCount);
      const lines = rows.map((r) => `${r.image.sha256}\t${r.part}\n`).sort();
      expect(createHash('sha256').update(lines.join('')).digest('hex')).toBe(a.manifestHash);
      // the largest unit is named by its patient's code
      const summary = JSON.parse(a.summary) as { largestUnit?: { kind: string; key: string } };
      const largest = summary.largestUnit;
      expect(largest).toBeDefined();
      if (largest?.kind === 'PATIENT') expect(await env.db.patient.count({ where: { code: largest.key } })).toBe(1);
      const certificate = JSON.parse(a.certificate) as { patients: number; lesions: number; clean: boolean };
      expect(certificate.clean).toBe(true);
      expect(certificate.patients).toBe(
        (await env.db.image.groupBy({ by: ['patientId'], where: { splitAssignments: { some: { splitId: whole } } } }))
          .length,
      );
    });
  }
});
