// The split algorithm (pure): patient-, lesion- and cluster-grouped, stratified, deterministic, and
// the leak audit. On the demo cohort's plan and on the HAM10000 fixture (lesion_id as the group).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { planCohort } from '../prisma/demo/cohort.ts';
import { CLASSES } from '../src/domain/classes.ts';
import { auditSplit, type SplitItem, stratifiedGroupSplit } from '../src/domain/split.ts';
import { fixture } from './helpers/fixtures.ts';

const PARTS = [
  { name: 'train', fraction: 0.7 },
  { name: 'val', fraction: 0.15 },
  { name: 'test', fraction: 0.15 },
];

/** The demo cohort's records (from its plan): three-tier stratum, patient and lesion groups. */
const demo: SplitItem[] = planCohort()
  .attempts.filter((a) => a.trail)
  .map((a, i) => ({
    id: `img${i}`,
    stratum: CLASSES[a.trail?.finalClass ?? 'NEVUS'].status,
    groups: [
      `patient:${String(a.record.patient_id)}`,
      `lesion:${String(a.record.patient_id)}/${String(a.record.lesion_id)}`,
    ],
  }));

const ham: SplitItem[] = (
  parse(readFileSync(fixture('ham10000_metadata.csv')), { columns: true }) as Record<string, string>[]
).map((r) => ({
  id: r.image_id ?? '',
  stratum: r.dx ?? '',
  groups: [`lesion:${r.lesion_id}`],
}));

const hashOf = (a: ReadonlyMap<string, string>) =>
  createHash('sha256')
    .update(JSON.stringify([...a.entries()].sort()))
    .digest('hex');

describe('stratified group splits', () => {
  it('never puts a patient, or a lesion, in two parts (100 seeds)', () => {
    expect(demo).toHaveLength(1026);
    for (let seed = 1; seed <= 100; seed++) {
      const { assignment } = stratifiedGroupSplit(demo, PARTS, seed);
      const audit = auditSplit(demo, assignment);
      expect(audit.unassigned, `seed ${seed}`).toEqual([]);
      expect(audit.leaks, `seed ${seed}`).toEqual([]);
    }
  });

  it.each([
    ['the demo cohort', demo, 0.02],
    ['HAM10000 (lesion_id as the group)', ham, 0.01],
  ] as const)('keeps class proportions per part within %s of the whole (tolerance %s)', (_name, items, tolerance) => {
    const { deviation, counts } = stratifiedGroupSplit(items, PARTS, 7);
    for (const [part, d] of deviation) expect(d, part).toBeLessThanOrEqual(tolerance);
    // and the parts have about their target sizes
    const size = (p: string) => [...(counts.get(p)?.values() ?? [])].reduce((a, b) => a + b, 0);
    expect(size('train') / items.length).toBeGreaterThan(0.65);
    expect(size('test') / items.length).toBeGreaterThan(0.12);
  });

  it('gives the same manifest for the same seed, another for another seed', () => {
    const a = hashOf(stratifiedGroupSplit(demo, PARTS, 42).assignment);
    expect(hashOf(stratifiedGroupSplit(demo, PARTS, 42).assignment)).toBe(a);
    expect(hashOf(stratifiedGroupSplit(demo, PARTS, 43).assignment)).not.toBe(a);
  });

  it('keeps existing assignments when the dataset grows', () => {
    const first = demo.slice(0, 800);
    const before = stratifiedGroupSplit(first, PARTS, 5).assignment;
    const after = stratifiedGroupSplit(demo, PARTS, 5, before).assignment;
    for (const [id, part] of before) expect(after.get(id)).toBe(part);
    expect(auditSplit(demo, after).leaks).toEqual([]);
  });

  it('keeps a unit joined by a new link where most of its earlier images were, train on a tie', () => {
    const earlier = new Map([
      ['p1-a', 'test'],
      ...['p2-a', 'p2-b', 'p2-c'].map((id) => [id, 'train'] as const),
      ['p3-a', 'test'],
      ['p4-a', 'train'],
    ]);
    const items: SplitItem[] = [
      // a new near-duplicate link joins patient 1 (test) with patient 2 (three images in train)
      { id: 'p1-a', stratum: 'x', groups: ['patient:1', 'cluster:new'] },
      ...['p2-a', 'p2-b', 'p2-c'].map((id) => ({ id, stratum: 'x', groups: ['patient:2'] })),
      { id: 'p2-d', stratum: 'x', groups: ['patient:2', 'cluster:new'] },
      // and patient 3 (test) with patient 4 (train), one image each
      { id: 'p3-a', stratum: 'y', groups: ['patient:3', 'cluster:tie'] },
      { id: 'p4-a', stratum: 'y', groups: ['patient:4', 'cluster:tie'] },
    ];
    const { assignment } = stratifiedGroupSplit(items, PARTS, 1, earlier);
    for (const id of ['p1-a', 'p2-a', 'p2-b', 'p2-c', 'p2-d']) expect(assignment.get(id), id).toBe('train');
    expect(assignment.get('p3-a')).toBe('train');
    expect(assignment.get('p4-a')).toBe('train');
  });

  it('joins near-duplicate clusters across patients, and the audit reports any leak', () => {
    const items: SplitItem[] = [
      { id: 'a', stratum: 'x', groups: ['patient:1', 'cluster:7'] },
      { id: 'b', stratum: 'x', groups: ['patient:2', 'cluster:7'] },
      { id: 'c', stratum: 'y', groups: ['patient:3'] },
      { id: 'd', stratum: 'y', groups: ['patient:4'] },
    ];
    for (let seed = 1; seed <= 20; seed++) {
      const { assignment } = stratifiedGroupSplit(items, PARTS.slice(0, 2), seed);
      expect(assignment.get('a')).toBe(assignment.get('b'));
    }
    const leaky = new Map([
      ['a', 'train'],
      ['b', 'test'],
      ['c', 'train'],
    ]);
    expect(auditSplit(items, leaky)).toEqual({
      leaks: [{ group: 'cluster:7', parts: ['test', 'train'] }],
      unassigned: ['d'],
    });
  });
});
