// Patient-grouped, stratified splits in the spirit of scikit-learn's StratifiedGroupKFold: items
// that share a patient, a lesion or a near-duplicate cluster form one unit that never crosses
// parts; units are placed, largest class imbalance first, in the part where the class
// proportions stay closest to each part's target. A pure function of the items' ids, strata and
// the seed: units are taken in the order of their smallest id, so with content ids (SHA-256) the
// split is the same on every installation, whatever its database ids or pseudonym codes.
import { Random } from './random.ts';

export interface SplitItem {
  /**
   * The item's content identifier (an image's SHA-256): units are ordered by their smallest id and
   * every tie is broken by ids, so ids that derive from content make the split reproducible anywhere.
   */
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

export interface SplitUnit {
  /** The unit's items in id order: items[0] holds the unit's smallest id. */
  items: SplitItem[];
  part: string;
}

export interface SplitResult {
  assignment: Map<string, string>;
  /** Items per part and stratum. */
  counts: Map<string, Map<string, number>>;
  /** For each part, the largest absolute gap between a stratum's share in it and in the whole. */
  deviation: Map<string, number>;
  /** Items per part. */
  sizes: Map<string, number>;
  /** Every unit with its part, in the order of their smallest id. */
  units: SplitUnit[];
}

/** Union-find over string keys; the smaller key becomes a root, so results do not depend on input order. */
export class UnionFind {
  private readonly parent = new Map<string, string>();

  add(x: string): void {
    if (!this.parent.has(x)) this.parent.set(x, x);
  }

  find(x: string): string {
    this.add(x);
    let r = x;
    while (this.parent.get(r) !== r) r = this.parent.get(r) ?? r;
    let c = x;
    while (c !== r) {
      const next = this.parent.get(c) ?? r;
      this.parent.set(c, r);
      c = next;
    }
    return r;
  }

  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return;
    const [lo, hi] = ra < rb ? [ra, rb] : [rb, ra];
    this.parent.set(hi, lo);
  }
}

/**
 * Units: connected components of items linked by any shared group key, each in id order, ordered by
 * their smallest id (not by group names, which may be installation-specific codes). Union-find over
 * dense indexes (items first, then each distinct group key), in typed arrays.
 */
export function units(items: readonly SplitItem[]): SplitItem[][] {
  const n = items.length;
  const groupIndex = new Map<string, number>();
  let edges = 0;
  for (const it of items) edges += it.groups.length;
  const edgeItem = new Int32Array(edges);
  const edgeGroup = new Int32Array(edges);
  let e = 0;
  items.forEach((it, i) => {
    for (const g of it.groups) {
      let k = groupIndex.get(g);
      if (k === undefined) {
        k = groupIndex.size;
        groupIndex.set(g, k);
      }
      edgeItem[e] = i;
      edgeGroup[e] = n + k;
      e++;
    }
  });
  const parent = new Int32Array(n + groupIndex.size);
  for (let i = 0; i < parent.length; i++) parent[i] = i;
  const find = (x: number): number => {
    let r = x;
    while (parent[r] !== r) r = parent[r] as number;
    while (parent[x] !== r) {
      const next = parent[x] as number;
      parent[x] = r;
      x = next;
    }
    return r;
  };
  for (let k = 0; k < edges; k++) {
    const a = find(edgeItem[k] as number);
    const b = find(edgeGroup[k] as number);
    if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
  }
  const byRoot = new Map<number, SplitItem[]>();
  items.forEach((it, i) => {
    const root = find(i);
    const list = byRoot.get(root);
    if (list) list.push(it);
    else byRoot.set(root, [it]);
  });
  const byId = (a: SplitItem, b: SplitItem) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return [...byRoot.values()].map((u) => u.sort(byId)).sort((a, b) => byId(a[0] as SplitItem, b[0] as SplitItem));
}

/** k folds of equal target size, named fold-1 … fold-k (StratifiedGroupKFold's folds). */
export const foldParts = (k: number): SplitPart[] =>
  Array.from({ length: k }, (_, i) => ({ name: `fold-${i + 1}`, fraction: 1 / k }));

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
  // parts and strata by index: counts[part * S + stratum]
  const P = parts.length;
  const target = parts.map((p) => p.fraction / totalFraction);
  const partIndex = new Map(parts.map((p, i) => [p.name, i]));
  const strata = [...new Set(items.map((i) => i.stratum))].sort();
  const S = strata.length;
  const stratumIndex = new Map(strata.map((s, i) => [s, i]));
  const total = new Float64Array(S);
  for (const it of items) {
    const k = stratumIndex.get(it.stratum) as number;
    total[k] = (total[k] as number) + 1;
  }
  const counts = new Float64Array(P * S);
  const sizes = new Float64Array(P);
  const assignment = new Map<string, string>();
  const place = (unit: SplitItem[], part: number) => {
    const name = (parts[part] as SplitPart).name;
    for (const it of unit) {
      assignment.set(it.id, name);
      const k = part * S + (stratumIndex.get(it.stratum) as number);
      counts[k] = (counts[k] as number) + 1;
    }
    sizes[part] = (sizes[part] as number) + unit.length;
  };

  const all = units(items);
  const partOf = new Map<SplitItem[], string>();
  const fresh: SplitItem[][] = [];
  for (const u of all) {
    // a unit with earlier images stays where most of them were; new links that joined units from
    // several parts move the fewest images, and on a tie toward the first part (train), never
    // training images into an evaluation part
    const votes = new Map<string, number>();
    for (const it of u) {
      const p = keep.get(it.id);
      if (p !== undefined && partIndex.has(p)) votes.set(p, (votes.get(p) ?? 0) + 1);
    }
    if (votes.size === 0) {
      fresh.push(u);
      continue;
    }
    let kept = '';
    for (const p of parts) if ((votes.get(p.name) ?? 0) > (votes.get(kept) ?? 0)) kept = p.name;
    place(u, partIndex.get(kept) as number);
    partOf.set(u, kept);
  }
  // sklearn shuffles, then sorts by the spread of a unit's class counts, largest first; among units
  // of the same spread (with a single stratum, all of them) the larger goes first, so that a big unit
  // finds room in a part before small ones have filled it (largest-first, as in bin packing)
  const rnd = new Random(seed);
  rnd.shuffle(fresh);
  // a unit's strata in the order its items first show them, with their counts
  const strataCount = (u: SplitItem[]) => {
    const idx: number[] = [];
    const cnt: number[] = [];
    for (const it of u) {
      const s = stratumIndex.get(it.stratum) as number;
      const at = idx.indexOf(s);
      if (at < 0) {
        idx.push(s);
        cnt.push(1);
      } else cnt[at] = (cnt[at] as number) + 1;
    }
    return { idx, cnt };
  };
  const ordered = fresh
    .map((u, i) => {
      const c = strataCount(u);
      // standard deviation of the unit's counts over every stratum (absent strata count 0)
      const mean = u.length / S;
      const squares = c.cnt.reduce((a, b) => a + b * b, 0);
      return { u, c, i, s: Math.sqrt(Math.max(0, squares / S - mean * mean)) };
    })
    .sort((a, b) => (Math.abs(b.s - a.s) > 1e-9 ? b.s - a.s : b.u.length - a.u.length || a.i - b.i));

  const ratios = new Float64Array(P);
  for (const { u, c } of ordered) {
    let best = -1;
    let bestCost = Number.POSITIVE_INFINITY;
    for (let p = 0; p < P; p++) {
      // cost: spread across parts of each stratum's filled share of that part's target, after placing
      // u; strata u does not hold add the same amount whatever the part, so only u's strata count
      let cost = 0;
      for (let k = 0; k < c.idx.length; k++) {
        const s = c.idx[k] as number;
        const add = c.cnt[k] as number;
        const t = total[s] as number;
        let sum = 0;
        for (let q = 0; q < P; q++) {
          ratios[q] = ((counts[q * S + s] as number) + (q === p ? add : 0)) / (t * (target[q] as number));
          sum += ratios[q] as number;
        }
        const mean = sum / P;
        let spread = 0;
        for (let q = 0; q < P; q++) spread += ((ratios[q] as number) - mean) ** 2;
        cost += spread;
      }
      // parts already past their target size are a last resort
      const fill = ((sizes[p] as number) + u.length) / (items.length * (target[p] as number));
      if (fill > 1.05) cost += 1e6 * fill;
      if (
        cost < bestCost - 1e-12 ||
        (Math.abs(cost - bestCost) <= 1e-12 && (sizes[p] as number) < (best < 0 ? 0 : (sizes[best] as number)))
      ) {
        best = p;
        bestCost = cost;
      }
    }
    place(u, best);
    partOf.set(u, (parts[best] as SplitPart).name);
  }

  const deviation = new Map<string, number>();
  parts.forEach((p, pi) => {
    const n = sizes[pi] as number;
    let worst = 0;
    for (let s = 0; s < S; s++) {
      const whole = (total[s] as number) / Math.max(1, items.length);
      const here = n === 0 ? 0 : (counts[pi * S + s] as number) / n;
      worst = Math.max(worst, Math.abs(here - whole));
    }
    deviation.set(p.name, worst);
  });
  return {
    assignment,
    counts: new Map(parts.map((p, pi) => [p.name, new Map(strata.map((s, si) => [s, counts[pi * S + si] as number]))])),
    deviation,
    sizes: new Map(parts.map((p, pi) => [p.name, sizes[pi] as number])),
    units: all.map((u) => ({ items: u, part: partOf.get(u) ?? '' })),
  };
}

/**
 * How far a part's size may miss its target: 5 % of the split's items (at least one item, so that a
 * small split is not refused for being made of whole images).
 */
export const PART_TOLERANCE = 0.05;

export interface PartSize {
  name: string;
  images: number;
  /** images / all images of the split */
  share: number;
  /** The part's target share (fractions normalised). */
  target: number;
}

/** The largest unit (ties: the one with the smallest id, the first in unit order). */
export function largestUnit(list: readonly SplitUnit[]): SplitUnit | undefined {
  let best: SplitUnit | undefined;
  for (const u of list) if (!best || u.items.length > best.items.length) best = u;
  return best;
}

/**
 * When a part's size misses its target by more than PART_TOLERANCE, the unit to blame: the largest
 * unit of the part furthest over its target (units are placed whole, so only a unit too large for
 * the fractions can push a part that far: the placement treats parts past their target as a last
 * resort). Null when every part is within the tolerance.
 */
export function oversizedUnit(
  result: Pick<SplitResult, 'sizes' | 'units'>,
  parts: readonly SplitPart[],
): { unit: SplitUnit; parts: PartSize[] } | null {
  const total = [...result.sizes.values()].reduce((a, b) => a + b, 0);
  const sum = parts.reduce((a, p) => a + p.fraction, 0);
  if (total === 0 || !(sum > 0)) return null;
  // (a hair over, so that a part exactly at the tolerance is not refused for a rounding error)
  const slack = Math.max(PART_TOLERANCE * total, 1) + 1e-9;
  const sizes: PartSize[] = parts.map((p) => {
    const images = result.sizes.get(p.name) ?? 0;
    return { name: p.name, images, share: images / total, target: p.fraction / sum };
  });
  const excess = (p: PartSize) => p.images - p.target * total;
  if (sizes.every((p) => Math.abs(excess(p)) <= slack)) return null;
  let over: PartSize | undefined;
  for (const p of sizes) if (!over || excess(p) > excess(over)) over = p;
  const unit = largestUnit(result.units.filter((u) => u.part === over?.name));
  return unit ? { unit, parts: sizes } : null;
}

/** A near-duplicate link between two items (by id) and the Hamming distance of their hashes. */
export interface NearLink {
  a: string;
  b: string;
  distance: number;
}

/**
 * The links over item ranks (ids in sorted order): each pair once with its smallest distance, a < b,
 * nearest first, ties by the pair's ids. Ranks keep the ids' order and make the comparisons cheap.
 */
function rankedLinks(links: readonly NearLink[]): { ids: string[]; pairs: { a: number; b: number; d: number }[] } {
  const ids = [...new Set(links.flatMap((l) => [l.a, l.b]))].sort();
  const rank = new Map(ids.map((id, i) => [id, i]));
  const n = ids.length;
  const byPair = new Map<number, { a: number; b: number; d: number }>();
  for (const l of links) {
    const x = rank.get(l.a) ?? 0;
    const y = rank.get(l.b) ?? 0;
    if (x === y) continue;
    const [a, b] = x < y ? [x, y] : [y, x];
    const key = a * n + b;
    const seen = byPair.get(key);
    if (!seen || l.distance < seen.d) byPair.set(key, { a, b, d: l.distance });
  }
  const pairs = [...byPair.values()].sort((p, q) => p.d - q.d || p.a - q.a || p.b - q.b);
  return { ids, pairs };
}

/**
 * Near-duplicate clusters by complete linkage: links are taken nearest first (ties by the pair's
 * ids), and a link joins two clusters only when every item of one is linked to every item of the
 * other. Every two items of a cluster are then themselves a link, so a cluster's diameter never
 * exceeds the near-duplicate distance, and a chain a~b~c~… (each close to the next only) cannot grow
 * into one cluster the way the transitive closure of the links did. The result depends only on the
 * set of links, never on their order. Returns item id → cluster name (its smallest id), for linked
 * items only.
 */
export function nearDuplicateClusters(links: readonly NearLink[]): Map<string, string> {
  const { ids, pairs } = rankedLinks(links);
  const neighbours = ids.map(() => new Set<number>());
  for (const p of pairs) {
    neighbours[p.a]?.add(p.b);
    neighbours[p.b]?.add(p.a);
  }
  // cluster of each rank, named by its smallest rank; the members of each cluster by name
  const clusterOf = ids.map((_, i) => i);
  const members = ids.map((_, i) => [i]);
  for (const p of pairs) {
    const x = clusterOf[p.a] ?? p.a;
    const y = clusterOf[p.b] ?? p.b;
    if (x === y) continue;
    const xs = members[x] ?? [];
    const ys = members[y] ?? [];
    const complete = xs.every((i) => {
      const near = neighbours[i];
      return near !== undefined && ys.every((j) => near.has(j));
    });
    if (!complete) continue;
    const [keep, gone] = x < y ? [x, y] : [y, x];
    const moved = members[gone] ?? [];
    for (const i of moved) clusterOf[i] = keep;
    members[keep]?.push(...moved);
    members[gone] = [];
  }
  return new Map(ids.map((id, i) => [id, ids[clusterOf[i] ?? i] ?? id]));
}

/**
 * The links whose two items are in different parts, other than links inside one cluster (whose
 * crossing is that cluster's leak): the near-duplicate pairs that bounded clusters let apart.
 * In pair order; items without a part are left out.
 */
export function crossingLinks(
  links: readonly NearLink[],
  assignment: ReadonlyMap<string, string>,
  clusterOf: ReadonlyMap<string, string>,
): { a: string; b: string; parts: string[] }[] {
  const { ids, pairs } = rankedLinks(links);
  const out: { a: string; b: string; parts: string[] }[] = [];
  for (const p of pairs.sort((x, y) => x.a - y.a || x.b - y.b)) {
    const [a, b] = [ids[p.a] ?? '', ids[p.b] ?? ''];
    const pa = assignment.get(a);
    const pb = assignment.get(b);
    if (pa === undefined || pb === undefined || pa === pb) continue;
    if ((clusterOf.get(a) ?? a) === (clusterOf.get(b) ?? b)) continue;
    out.push({ a, b, parts: [pa, pb].sort() });
  }
  return out;
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

export interface PartMeasure {
  name: string;
  images: number;
  /** Distinct values of `unitOf` (e.g. patients) in the part. */
  units: number;
  /** Items per key (e.g. per label), every key of the whole listed, in key order. */
  counts: { key: string; count: number; share: number }[];
  /** The largest absolute gap between a key's share in this part and in the whole. */
  deviation: number;
}

/** Counts per part of any key (the label, a stratum…) and each part's distance from the whole. */
export function measureParts<T extends { id: string }>(
  items: readonly T[],
  assignment: ReadonlyMap<string, string>,
  partNames: readonly string[],
  keyOf: (item: T) => string,
  unitOf: (item: T) => string,
): { whole: PartMeasure; parts: PartMeasure[] } {
  const keys = [...new Set(items.map(keyOf))].sort();
  const measure = (name: string, members: readonly T[], whole?: PartMeasure): PartMeasure => {
    const c = new Map(keys.map((k) => [k, 0]));
    for (const it of members) c.set(keyOf(it), (c.get(keyOf(it)) ?? 0) + 1);
    const n = members.length;
    const counts = keys.map((key) => ({ key, count: c.get(key) ?? 0, share: n === 0 ? 0 : (c.get(key) ?? 0) / n }));
    const deviation = whole
      ? Math.max(0, ...counts.map((x, i) => Math.abs(x.share - (whole.counts[i]?.share ?? 0))))
      : 0;
    return { name, images: n, units: new Set(members.map(unitOf)).size, counts, deviation };
  };
  const whole = measure('all', items);
  const byPart = new Map(partNames.map((p) => [p, [] as T[]]));
  for (const it of items) {
    const p = assignment.get(it.id);
    if (p !== undefined) byPart.get(p)?.push(it);
  }
  return { whole, parts: partNames.map((p) => measure(p, byPart.get(p) ?? [], whole)) };
}
