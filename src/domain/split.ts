// Patient-grouped, stratified splits in the spirit of scikit-learn's StratifiedGroupKFold: items
// that share a patient, a lesion or a near-duplicate cluster form one unit that never crosses
// parts; units are placed, largest class imbalance first, in the part where the class
// proportions stay closest to each part's target. Deterministic for a seed.
import { Random } from './random.ts';

export interface SplitItem {
  id: string;
  /** The stratum (e.g. the policy label, optionally joined with stage, phototype, sex). */
  stratum: string;
  /** Keys that must stay together: patient, lesion, near-duplicate cluster… */
  groups: readonly string[];
}

export interface SplitPart {
  name: string;
  /** Target share of the items (fractions are normalised). */
  fraction: number;
}

export interface SplitResult {
  assignment: Map<string, string>;
  /** Items per part and stratum. */
  counts: Map<string, Map<string, number>>;
  /** For each part, the largest absolute gap between a stratum's share in it and in the whole. */
  deviation: Map<string, number>;
}

/** Units: connected components of items linked by any shared group key (union-find). */
export function units(items: readonly SplitItem[]): SplitItem[][] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r) ?? r;
    let c = x;
    while (c !== r) {
      const next = parent.get(c) ?? r;
      parent.set(c, r);
      c = next;
    }
    return r;
  };
  const union = (a: string, b: string) => {
    const ra = find(a);
    const rb = find(b);
    if (ra === rb) return;
    // the smaller key becomes the root, so components (and their order) do not depend on input order
    const [lo, hi] = ra < rb ? [ra, rb] : [rb, ra];
    parent.set(hi, lo);
  };
  for (const it of items) {
    const self = `item:${it.id}`;
    parent.set(self, parent.get(self) ?? self);
    for (const g of it.groups) {
      const key = `group:${g}`;
      if (!parent.has(key)) parent.set(key, key);
      union(self, key);
    }
  }
  const byRoot = new Map<string, SplitItem[]>();
  for (const it of items) {
    const root = find(`item:${it.id}`);
    byRoot.set(root, [...(byRoot.get(root) ?? []), it]);
  }
  return [...byRoot.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v);
}

export function stratifiedGroupSplit(
  items: readonly SplitItem[],
  parts: readonly SplitPart[],
  seed: number,
  /** Units that already have a part keep it (a split that stays stable as the dataset grows). */
  keep: ReadonlyMap<string, string> = new Map(),
): SplitResult {
  if (parts.length < 2) throw new Error('a split needs at least two parts');
  const totalFraction = parts.reduce((s, p) => s + p.fraction, 0);
  if (!(totalFraction > 0) || parts.some((p) => p.fraction <= 0)) throw new Error('part fractions must be positive');
  const target = new Map(parts.map((p) => [p.name, p.fraction / totalFraction]));
  const strata = [...new Set(items.map((i) => i.stratum))].sort();
  const total = new Map(strata.map((s) => [s, items.filter((i) => i.stratum === s).length]));
  const counts = new Map(parts.map((p) => [p.name, new Map(strata.map((s) => [s, 0]))]));
  const sizes = new Map(parts.map((p) => [p.name, 0]));
  const assignment = new Map<string, string>();
  const place = (unit: SplitItem[], part: string) => {
    for (const it of unit) {
      assignment.set(it.id, part);
      const c = counts.get(part) as Map<string, number>;
      c.set(it.stratum, (c.get(it.stratum) ?? 0) + 1);
    }
    sizes.set(part, (sizes.get(part) ?? 0) + unit.length);
  };

  const all = units(items);
  const fresh: SplitItem[][] = [];
  for (const u of all) {
    const kept = u.map((i) => keep.get(i.id)).find((p) => p !== undefined && target.has(p));
    if (kept) place(u, kept);
    else fresh.push(u);
  }
  // sklearn shuffles, then sorts by the spread of a unit's class counts, largest first
  const rnd = new Random(seed);
  rnd.shuffle(fresh);
  const spread = (u: SplitItem[]) => {
    const c = strata.map((s) => u.filter((i) => i.stratum === s).length);
    const mean = c.reduce((a, b) => a + b, 0) / c.length;
    return Math.sqrt(c.reduce((a, b) => a + (b - mean) ** 2, 0) / c.length);
  };
  const ordered = fresh.map((u, i) => ({ u, i, s: spread(u) })).sort((a, b) => b.s - a.s || a.i - b.i);

  for (const { u } of ordered) {
    let best = '';
    let bestCost = Number.POSITIVE_INFINITY;
    for (const p of parts) {
      // cost: spread across parts of each stratum's filled share of that part's target, after placing u
      let cost = 0;
      for (const s of strata) {
        const t = total.get(s) ?? 0;
        if (t === 0) continue;
        const ratios = parts.map((q) => {
          const add = q.name === p.name ? u.filter((i) => i.stratum === s).length : 0;
          return ((counts.get(q.name)?.get(s) ?? 0) + add) / (t * (target.get(q.name) ?? 1));
        });
        const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
        cost += ratios.reduce((a, b) => a + (b - mean) ** 2, 0);
      }
      // parts already past their target size are a last resort
      const fill = ((sizes.get(p.name) ?? 0) + u.length) / (items.length * (target.get(p.name) ?? 1));
      if (fill > 1.05) cost += 1e6 * fill;
      if (
        cost < bestCost - 1e-12 ||
        (Math.abs(cost - bestCost) <= 1e-12 && (sizes.get(p.name) ?? 0) < (sizes.get(best) ?? 0))
      ) {
        best = p.name;
        bestCost = cost;
      }
    }
    place(u, best);
  }

  const deviation = new Map<string, number>();
  for (const p of parts) {
    const n = sizes.get(p.name) ?? 0;
    let worst = 0;
    for (const s of strata) {
      const whole = (total.get(s) ?? 0) / Math.max(1, items.length);
      const here = n === 0 ? 0 : (counts.get(p.name)?.get(s) ?? 0) / n;
      worst = Math.max(worst, Math.abs(here - whole));
    }
    deviation.set(p.name, worst);
  }
  return { assignment, counts, deviation };
}

export interface LeakReport {
  /** Group keys (patient, lesion, cluster) found in more than one part, with those parts. */
  leaks: { group: string; parts: string[] }[];
  /** Items without a part. */
  unassigned: string[];
}

/** The overlap report of any assignment: which group keys cross parts. */
export function auditSplit(items: readonly SplitItem[], assignment: ReadonlyMap<string, string>): LeakReport {
  const partsOf = new Map<string, Set<string>>();
  const unassigned: string[] = [];
  for (const it of items) {
    const part = assignment.get(it.id);
    if (part === undefined) {
      unassigned.push(it.id);
      continue;
    }
    for (const g of it.groups) partsOf.set(g, (partsOf.get(g) ?? new Set()).add(part));
  }
  const leaks = [...partsOf.entries()]
    .filter(([, p]) => p.size > 1)
    .map(([group, p]) => ({ group, parts: [...p].sort() }))
    .sort((a, b) => (a.group < b.group ? -1 : 1));
  return { leaks, unassigned };
}
