import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { categoricalShift, chiSquaredSf, kstwoSf, numericShift } from '../src/domain/shift.ts';

// Expected values computed by scipy 1.17.1: test/fixtures/shift/reference.py wrote reference.json.
interface CategoricalCase {
  name: string;
  kind: 'categorical';
  a: [string, number][];
  b: [string, number][];
  missing: { a: number; b: number };
  expected: {
    shares: Record<string, [number, number]>;
    jensenShannon: number;
    totalVariation: number;
    statistic: number;
    df: number;
    pValue: number;
  };
}
interface Summary {
  n: number;
  mean: number;
  median: number;
  min: number;
  max: number;
}
interface NumericCase {
  name: string;
  kind: 'numeric';
  a: [number, number][];
  b: [number, number][];
  missing: { a: number; b: number };
  expected: {
    summary: { a: Summary; b: Summary };
    jensenShannon: number;
    totalVariation: number;
    statistic: number;
    effectiveN: number;
    pValue: number;
  };
}
interface Reference {
  scipy: string;
  cases: (CategoricalCase | NumericCase)[];
  kstwoSf: [number, number, number][];
  chiSquaredSf: [number, number, number][];
}

const reference = JSON.parse(
  readFileSync(join(import.meta.dirname, 'fixtures', 'shift', 'reference.json'), 'utf8'),
) as Reference;
const categoricalCases = reference.cases.filter((c): c is CategoricalCase => c.kind === 'categorical');
const numericCases = reference.cases.filter((c): c is NumericCase => c.kind === 'numeric');

const TOL = 1e-9;
/** Relative error below 1e-9; values that are both below 1e-300 (the edge of doubles) count as equal. */
function close(actual: number | null | undefined, expected: number, what: string): void {
  expect(actual, what).not.toBeNull();
  const a = actual as number;
  if (Math.abs(expected) < 1e-300 && Math.abs(a) < 1e-300) return;
  const err = Math.abs(a - expected) / Math.abs(expected);
  if (expected === 0) expect(Math.abs(a), what).toBeLessThan(1e-15);
  else expect(err, `${what}: ${a} vs scipy ${expected}`).toBeLessThan(TOL);
}
/** Absolute 1e-12 for quantities in [0, 1] that are tiny or cancel (divergences, shares, D). */
function closeUnit(actual: number | null | undefined, expected: number, what: string): void {
  expect(actual, what).not.toBeNull();
  const a = actual as number;
  if (Math.abs(expected) < 1e-3) expect(Math.abs(a - expected), what).toBeLessThan(1e-12);
  else close(a, expected, what);
}

describe('reference values', () => {
  it('were produced by scipy 1.17.1, with every case the brief asks for', () => {
    expect(reference.scipy).toBe('1.17.1');
    expect(categoricalCases.length).toBeGreaterThanOrEqual(3);
    expect(numericCases.length).toBeGreaterThanOrEqual(4);
    expect(categoricalCases.some((c) => c.expected.df === 1)).toBe(true);
    expect(numericCases.some((c) => c.expected.pValue < 1e-10)).toBe(true);
  });
});

describe('categoricalShift against scipy', () => {
  for (const c of categoricalCases) {
    it(c.name, () => {
      const shift = categoricalShift(new Map(c.a), new Map(c.b), c.missing);
      const e = c.expected;
      close(shift.jensenShannon, e.jensenShannon, 'jensenShannon');
      close(shift.totalVariation, e.totalVariation, 'totalVariation');
      expect(shift.test).not.toBeNull();
      expect(shift.test?.name).toBe('chi-squared');
      expect(shift.test?.df).toBe(e.df);
      close(shift.test?.statistic, e.statistic, 'chi-squared statistic');
      close(shift.test?.pValue, e.pValue, 'chi-squared p-value');
      for (const v of shift.values) {
        const [sa, sb] = e.shares[v.value] as [number, number];
        close(v.a.share, sa, `share of ${v.value} in a`);
        close(v.b.share, sb, `share of ${v.value} in b`);
      }
      const presentA = c.a.reduce((s, [, n]) => s + n, 0);
      const presentB = c.b.reduce((s, [, n]) => s + n, 0);
      expect(shift.missing.a).toEqual({ count: c.missing.a, share: c.missing.a / (presentA + c.missing.a) });
      expect(shift.missing.b).toEqual({ count: c.missing.b, share: c.missing.b / (presentB + c.missing.b) });
    });
  }

  it('a wrong df or a wrong logarithm base would not pass the comparison', () => {
    for (const c of categoricalCases) {
      const e = c.expected;
      for (const df of [e.df - 1, e.df + 1]) {
        if (df < 1) continue;
        const wrong = chiSquaredSf(e.statistic, df);
        expect(Math.abs(wrong - e.pValue) / e.pValue).toBeGreaterThan(0.05);
      }
      const shift = categoricalShift(new Map(c.a), new Map(c.b), c.missing);
      // natural-log JS would be the base-2 value times ln 2
      expect(Math.abs((shift.jensenShannon as number) * Math.LN2 - e.jensenShannon)).toBeGreaterThan(1e-6);
    }
  });

  it('orders values by total count, then by value; shares are over present values of each side', () => {
    const shift = categoricalShift(
      new Map([
        ['b', 5],
        ['a', 5],
        ['c', 1],
      ]),
      new Map([
        ['c', 9],
        ['z', 0],
      ]),
      { a: 10, b: 0 },
    );
    expect(shift.values.map((v) => v.value)).toEqual(['c', 'a', 'b', 'z']);
    expect(shift.values[0]).toEqual({ value: 'c', a: { count: 1, share: 1 / 11 }, b: { count: 9, share: 1 } });
    expect(shift.values[3]).toEqual({ value: 'z', a: { count: 0, share: 0 }, b: { count: 0, share: 0 } });
    expect(shift.missing).toEqual({ a: { count: 10, share: 10 / 21 }, b: { count: 0, share: 0 } });
    // 'z' (zero on both sides) is dropped from the table: 3 columns, df 2
    expect(shift.test?.df).toBe(2);
  });
});

describe('numericShift against scipy (ks_2samp method=asymp)', () => {
  for (const c of numericCases) {
    it(c.name, () => {
      const shift = numericShift(new Map(c.a), new Map(c.b), c.missing);
      const e = c.expected;
      for (const side of ['a', 'b'] as const) {
        const got = shift.summary[side];
        const want = e.summary[side];
        expect(got.n).toBe(want.n);
        expect(got.min).toBe(want.min);
        expect(got.max).toBe(want.max);
        close(got.mean, want.mean, `mean ${side}`);
        close(got.median, want.median, `median ${side}`);
      }
      closeUnit(shift.jensenShannon, e.jensenShannon, 'jensenShannon');
      closeUnit(shift.totalVariation, e.totalVariation, 'totalVariation');
      expect(shift.test?.name).toBe('kolmogorov-smirnov');
      expect(shift.test?.effectiveN).toBe(e.effectiveN);
      expect(shift.test?.statistic).toBe(e.statistic);
      close(shift.test?.pValue, e.pValue, 'KS p-value');
    });
  }

  it('the shifted case has p < 1e-10', () => {
    const tiny = numericCases.filter((c) => c.expected.pValue < 1e-10);
    expect(tiny.length).toBeGreaterThan(0);
    for (const c of tiny) {
      expect(numericShift(new Map(c.a), new Map(c.b), c.missing).test?.pValue).toBeLessThan(1e-10);
    }
  });
});

describe('distributions against scipy', () => {
  it(`kstwo.sf(d, n) on every branch (${reference.kstwoSf.length} points)`, () => {
    for (const [n, d, sf] of reference.kstwoSf) close(kstwoSf(d, n), sf, `kstwo.sf(${d}, ${n})`);
  });

  it(`chi2.sf(x, df) (${reference.chiSquaredSf.length} points)`, () => {
    for (const [df, x, sf] of reference.chiSquaredSf) close(chiSquaredSf(x, df), sf, `chi2.sf(${x}, ${df})`);
  });
});

describe('a cohort compared with itself', () => {
  it('categorical: divergence 0, total variation 0, statistic 0, p = 1', () => {
    for (const c of categoricalCases) {
      const a = new Map(c.a);
      const shift = categoricalShift(a, new Map(c.a), { a: c.missing.a, b: c.missing.a });
      expect(shift.jensenShannon).toBe(0);
      expect(shift.totalVariation).toBe(0);
      expect(shift.test?.statistic).toBe(0);
      expect(shift.test?.pValue).toBe(1);
      expect(shift.missing.a).toEqual(shift.missing.b);
    }
  });

  it('numeric: divergence 0, total variation 0, D = 0, p = 1', () => {
    for (const c of numericCases) {
      const shift = numericShift(new Map(c.a), new Map(c.a), { a: 0, b: 0 });
      expect(shift.jensenShannon).toBe(0);
      expect(shift.totalVariation).toBe(0);
      expect(shift.test?.statistic).toBe(0);
      expect(shift.test?.pValue).toBe(1);
      expect(shift.summary.a).toEqual(shift.summary.b);
    }
  });
});

describe('very large counts', () => {
  it('1,000,000 vs 10,000 stays finite and in range', () => {
    const a = new Map([
      ['nevus', 999_000],
      ['melanoma', 1_000],
    ]);
    const b = new Map([
      ['nevus', 9_000],
      ['melanoma', 1_000],
    ]);
    const shift = categoricalShift(a, b, { a: 0, b: 0 });
    expect(shift.test?.statistic).toBeGreaterThan(1e4);
    expect(shift.test?.pValue).toBe(0); // below the smallest double
    expect(Number.isFinite(shift.jensenShannon)).toBe(true);
    const ages = numericShift(
      new Map([
        [30, 500_000],
        [60, 500_000],
      ]),
      new Map([
        [30, 5_000],
        [60, 5_000],
      ]),
      { a: 0, b: 0 },
    );
    expect(ages.summary.a).toEqual({ n: 1_000_000, mean: 45, median: 45, min: 30, max: 60 });
    expect(ages.test).toMatchObject({ statistic: 0, pValue: 1, effectiveN: 9901 });
  });
});

describe('edge cases', () => {
  it('an empty side: no test, no divergence, shares null', () => {
    const shift = categoricalShift(new Map([['nevus', 3]]), new Map(), { a: 0, b: 0 });
    expect(shift.test).toBeNull();
    expect(shift.jensenShannon).toBeNull();
    expect(shift.totalVariation).toBeNull();
    expect(shift.values).toEqual([{ value: 'nevus', a: { count: 3, share: 1 }, b: { count: 0, share: null } }]);
    expect(shift.missing.b).toEqual({ count: 0, share: null });
    const numeric = numericShift(new Map(), new Map([[40, 2]]), { a: 0, b: 0 });
    expect(numeric.test).toBeNull();
    expect(numeric.jensenShannon).toBeNull();
    expect(numeric.summary.a).toEqual({ n: 0, mean: null, median: null, min: null, max: null });
  });

  it('an all-missing side: missing share 1, no test', () => {
    const shift = categoricalShift(new Map([['nevus', 0]]), new Map([['nevus', 4]]), { a: 12, b: 1 });
    expect(shift.missing.a).toEqual({ count: 12, share: 1 });
    expect(shift.missing.b).toEqual({ count: 1, share: 1 / 5 });
    expect(shift.test).toBeNull();
    expect(shift.jensenShannon).toBeNull();
    const numeric = numericShift(new Map(), new Map([[40, 2]]), { a: 7, b: 0 });
    expect(numeric.missing.a).toEqual({ count: 7, share: 1 });
    expect(numeric.test).toBeNull();
  });

  it('a single category with counts: divergence 0 but no test (k < 2)', () => {
    const shift = categoricalShift(new Map([['nevus', 3]]), new Map([['nevus', 8]]), { a: 0, b: 0 });
    expect(shift.jensenShannon).toBe(0);
    expect(shift.test).toBeNull();
  });

  it('one value on each side: effective n rounds to 0 (scipy: nan), so no test', () => {
    const shift = numericShift(new Map([[1, 1]]), new Map([[2, 1]]), { a: 0, b: 0 });
    expect(shift.test).toBeNull();
    expect(shift.totalVariation).toBe(1);
    expect(shift.jensenShannon).toBe(1);
  });

  it('bad counts are a bug, not an input: they throw', () => {
    expect(() => categoricalShift(new Map([['x', -1]]), new Map(), { a: 0, b: 0 })).toThrow(RangeError);
    expect(() => categoricalShift(new Map([['x', 1.5]]), new Map(), { a: 0, b: 0 })).toThrow(RangeError);
    expect(() => numericShift(new Map([[Number.NaN, 1]]), new Map(), { a: 0, b: 0 })).toThrow(RangeError);
    expect(() => numericShift(new Map(), new Map(), { a: -2, b: 0 })).toThrow(RangeError);
  });
});
