/**
 * Domain shift between two cohorts, from COUNTS only (what SQL GROUP BY returns: value → count per
 * side), never from raw arrays: cohorts hold up to 1,000,000 images. Pure maths, written by hand, no
 * imports.
 *
 * Counts are numbers of records: finite, non-negative safe integers. Anything else is a bug in the
 * code that read them (never a user's mistake), so it throws a RangeError rather than returning a
 * Refusal.
 *
 * Conventions shared by both functions:
 * - "present" values are the records of a side with a value; `missing` counts the others.
 * - a share whose denominator is 0 (a side with no present values, or no records at all) is `null`.
 * - `jensenShannon`, `totalVariation` and `test` are `null` when either side has no present values:
 *   there is no distribution to compare.
 * - a cohort compared with itself gives divergence 0, total variation 0, statistic 0 and p-value 1.
 */

/** A count and its share of the side's denominator (null when that denominator is 0). */
export interface CountShare {
  count: number;
  share: number | null;
}

/** Records without a value, per side. */
export interface MissingCounts {
  a: number;
  b: number;
}

/** Missing records per side; share is over ALL records of that side (present + missing). */
export interface MissingShift {
  a: CountShare;
  b: CountShare;
}

/** One category: count per side, share over the present values of that side. */
export interface CategoricalValueShift {
  value: string;
  a: CountShare;
  b: CountShare;
}

/**
 * Pearson's chi-squared test of homogeneity on the 2×k table of present counts (columns that are 0
 * on both sides dropped), with NO continuity correction (scipy.stats.chi2_contingency(table,
 * correction=False)). df = k − 1. pValue = Q(df/2, statistic/2), the regularised upper incomplete
 * gamma function (series below x < a + 1, Lentz continued fraction above, Numerical Recipes style).
 */
export interface ChiSquaredTest {
  name: 'chi-squared';
  statistic: number;
  df: number;
  pValue: number;
}

/**
 * Two-sample two-sided Kolmogorov–Smirnov test as scipy.stats.ks_2samp(x, y, method='asymp')
 * (scipy 1.17): statistic D = max |F_a − F_b| over all observed values (right-continuous empirical
 * CDFs, so ties count in full at their value); pValue = kstwo.sf(D, effectiveN), the exact
 * distribution of the ONE-sample two-sided KS statistic for a sample of size
 * effectiveN = round_half_even(m·n / (m + n)) — see {@link kstwoSf}.
 */
export interface KolmogorovSmirnovTest {
  name: 'kolmogorov-smirnov';
  statistic: number;
  pValue: number;
  effectiveN: number;
}

export interface CategoricalShift {
  /** Union of keys of both sides, by total count descending, then by value (code-unit order). */
  values: CategoricalValueShift[];
  /** Jensen–Shannon divergence, base 2, in [0, 1] (NOT the distance, which is its square root). */
  jensenShannon: number | null;
  /** Total variation distance ½ Σ |p − q|, in [0, 1]. */
  totalVariation: number | null;
  /** null when either side has no present values, or fewer than 2 categories have counts. */
  test: ChiSquaredTest | null;
  missing: MissingShift;
}

/** Summary of the present values of one side; all but n are null when n = 0. */
export interface NumericSummary {
  n: number;
  mean: number | null;
  /** The middle value, or the mean of the two middle values when n is even (numpy's median). */
  median: number | null;
  min: number | null;
  max: number | null;
}

export interface NumericShift {
  summary: { a: NumericSummary; b: NumericSummary };
  /** Jensen–Shannon divergence (base 2) of the two distributions over the distinct values. */
  jensenShannon: number | null;
  /** Total variation over the distinct values. */
  totalVariation: number | null;
  /**
   * null when either side has no present values, or when effectiveN rounds to 0 (one value on each
   * side: scipy returns nan there).
   */
  test: KolmogorovSmirnovTest | null;
  missing: MissingShift;
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

function checkCount(count: number, what: string): void {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`${what} must be a non-negative integer count, got ${count}`);
  }
}

const shareOf = (count: number, total: number): number | null => (total === 0 ? null : count / total);

function missingShift(missing: MissingCounts, presentA: number, presentB: number): MissingShift {
  checkCount(missing.a, 'missing.a');
  checkCount(missing.b, 'missing.b');
  return {
    a: { count: missing.a, share: shareOf(missing.a, presentA + missing.a) },
    b: { count: missing.b, share: shareOf(missing.b, presentB + missing.b) },
  };
}

/**
 * Jensen–Shannon divergence (base 2) and total variation of two aligned count vectors, each
 * normalised by its own total. Both totals must be > 0.
 */
function divergences(
  countsA: readonly number[],
  countsB: readonly number[],
  totalA: number,
  totalB: number,
): { jensenShannon: number; totalVariation: number } {
  let klA = 0;
  let klB = 0;
  let tv = 0;
  for (let i = 0; i < countsA.length; i++) {
    const p = (countsA[i] as number) / totalA;
    const q = (countsB[i] as number) / totalB;
    const m = (p + q) / 2;
    if (p > 0) klA += p * Math.log(p / m);
    if (q > 0) klB += q * Math.log(q / m);
    tv += Math.abs(p - q);
  }
  const js = (klA + klB) / 2 / Math.LN2;
  return { jensenShannon: Math.min(1, Math.max(0, js)), totalVariation: Math.min(1, tv / 2) };
}

// ---------------------------------------------------------------------------------------------
// Categorical

/**
 * Compare the distribution of a categorical field between cohorts a and b.
 *
 * @param a value → number of records of cohort a with that value
 * @param b the same for cohort b
 * @param missing records of each cohort without a value
 */
export function categoricalShift(
  a: ReadonlyMap<string, number>,
  b: ReadonlyMap<string, number>,
  missing: MissingCounts,
): CategoricalShift {
  const keys = new Set<string>([...a.keys(), ...b.keys()]);
  let totalA = 0;
  let totalB = 0;
  const rows: { value: string; a: number; b: number }[] = [];
  for (const value of keys) {
    const ca = a.get(value) ?? 0;
    const cb = b.get(value) ?? 0;
    checkCount(ca, `count of ${value} in a`);
    checkCount(cb, `count of ${value} in b`);
    totalA += ca;
    totalB += cb;
    rows.push({ value, a: ca, b: cb });
  }
  rows.sort((x, y) => y.a + y.b - (x.a + x.b) || (x.value < y.value ? -1 : x.value > y.value ? 1 : 0));
  const values = rows.map((r) => ({
    value: r.value,
    a: { count: r.a, share: shareOf(r.a, totalA) },
    b: { count: r.b, share: shareOf(r.b, totalB) },
  }));
  const result: CategoricalShift = {
    values,
    jensenShannon: null,
    totalVariation: null,
    test: null,
    missing: missingShift(missing, totalA, totalB),
  };
  if (totalA === 0 || totalB === 0) return result;
  const d = divergences(
    rows.map((r) => r.a),
    rows.map((r) => r.b),
    totalA,
    totalB,
  );
  result.jensenShannon = d.jensenShannon;
  result.totalVariation = d.totalVariation;
  result.test = chiSquaredHomogeneity(
    rows.filter((r) => r.a + r.b > 0),
    totalA,
    totalB,
  );
  return result;
}

function chiSquaredHomogeneity(
  columns: readonly { a: number; b: number }[],
  totalA: number,
  totalB: number,
): ChiSquaredTest | null {
  if (columns.length < 2) return null;
  const total = totalA + totalB;
  let statistic = 0;
  for (const c of columns) {
    const col = c.a + c.b;
    const ea = (totalA * col) / total;
    const eb = (totalB * col) / total;
    statistic += (c.a - ea) ** 2 / ea + (c.b - eb) ** 2 / eb;
  }
  const df = columns.length - 1;
  return { name: 'chi-squared', statistic, df, pValue: chiSquaredSf(statistic, df) };
}

/** Upper tail P(X ≥ x) of the chi-squared distribution with df degrees of freedom: Q(df/2, x/2). */
export function chiSquaredSf(x: number, df: number): number {
  return regularizedGammaQ(df / 2, x / 2);
}

// Lanczos approximation of ln Γ(x), x > 0 (Numerical Recipes 3rd ed. gammln, g = 671/128, ~1e-15).
const LANCZOS = [
  57.15623566586292, -59.59796035547549, 14.136097974741746, -0.4919138160976202, 0.00003399464998481189,
  0.00004652362892704858, -0.00009837447530487956, 0.0001580887032249125, -0.00021026444172410488,
  0.00021743961811521265, -0.0001643181065367639, 0.00008441822398385275, -0.000026190838401581408,
  0.0000036899182659531625,
];

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`logGamma needs x > 0, got ${x}`);
  let y = x;
  let tmp = x + 5.2421875;
  tmp = (x + 0.5) * Math.log(tmp) - tmp;
  let ser = 0.9999999999999971;
  for (const c of LANCZOS) {
    y += 1;
    ser += c / y;
  }
  return tmp + Math.log((2.5066282746310007 * ser) / x);
}

const GAMMA_EPS = Number.EPSILON;
const GAMMA_FPMIN = Number.MIN_VALUE / GAMMA_EPS;
const GAMMA_MAX_ITER = 1_000_000;

/**
 * Regularised upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a), a > 0, x ≥ 0: the series for P when
 * x < a + 1 (Q = 1 − P), the modified Lentz continued fraction for Q otherwise.
 */
export function regularizedGammaQ(a: number, x: number): number {
  if (!(a > 0) || Number.isNaN(x)) throw new RangeError(`regularizedGammaQ(${a}, ${x})`);
  if (x <= 0) return 1;
  if (x === Number.POSITIVE_INFINITY) return 0;
  const logPrefactor = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    let ap = a;
    let del = 1 / a;
    let sum = del;
    for (let i = 0; i < GAMMA_MAX_ITER; i++) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * GAMMA_EPS) {
        return Math.min(1, Math.max(0, 1 - sum * Math.exp(logPrefactor)));
      }
    }
    throw new Error(`regularizedGammaQ(${a}, ${x}): series did not converge`);
  }
  let b = x + 1 - a;
  let c = 1 / GAMMA_FPMIN;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < GAMMA_MAX_ITER; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < GAMMA_FPMIN) d = GAMMA_FPMIN;
    c = b + an / c;
    if (Math.abs(c) < GAMMA_FPMIN) c = GAMMA_FPMIN;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) <= GAMMA_EPS) return Math.min(1, Math.max(0, Math.exp(logPrefactor) * h));
  }
  throw new Error(`regularizedGammaQ(${a}, ${x}): continued fraction did not converge`);
}

// ---------------------------------------------------------------------------------------------
// Numeric

/**
 * Compare the distribution of a numeric field (age, size…) between cohorts a and b.
 *
 * @param a value → number of records of cohort a with that value (values must be finite)
 * @param b the same for cohort b
 * @param missing records of each cohort without a value
 */
export function numericShift(
  a: ReadonlyMap<number, number>,
  b: ReadonlyMap<number, number>,
  missing: MissingCounts,
): NumericShift {
  const values = [...new Set<number>([...a.keys(), ...b.keys()])];
  for (const v of values) if (!Number.isFinite(v)) throw new RangeError(`numeric value must be finite, got ${v}`);
  values.sort((x, y) => x - y);
  const countsA = values.map((v) => a.get(v) ?? 0);
  const countsB = values.map((v) => b.get(v) ?? 0);
  let totalA = 0;
  let totalB = 0;
  for (let i = 0; i < values.length; i++) {
    checkCount(countsA[i] as number, `count of ${values[i]} in a`);
    checkCount(countsB[i] as number, `count of ${values[i]} in b`);
    totalA += countsA[i] as number;
    totalB += countsB[i] as number;
  }
  const result: NumericShift = {
    summary: { a: summarise(values, countsA, totalA), b: summarise(values, countsB, totalB) },
    jensenShannon: null,
    totalVariation: null,
    test: null,
    missing: missingShift(missing, totalA, totalB),
  };
  if (totalA === 0 || totalB === 0) return result;
  const d = divergences(countsA, countsB, totalA, totalB);
  result.jensenShannon = d.jensenShannon;
  result.totalVariation = d.totalVariation;
  result.test = kolmogorovSmirnov2(countsA, countsB, totalA, totalB);
  return result;
}

/** values sorted ascending, counts aligned with them. */
function summarise(values: readonly number[], counts: readonly number[], n: number): NumericSummary {
  if (n === 0) return { n, mean: null, median: null, min: null, max: null };
  let sum = 0;
  let min: number | null = null;
  let max: number | null = null;
  for (let i = 0; i < values.length; i++) {
    const c = counts[i] as number;
    if (c === 0) continue;
    const v = values[i] as number;
    sum += v * c;
    if (min === null) min = v;
    max = v;
  }
  // the value at 0-based rank r
  const at = (r: number): number => {
    let seen = 0;
    for (let i = 0; i < values.length; i++) {
      seen += counts[i] as number;
      if (r < seen) return values[i] as number;
    }
    return max as number;
  };
  const median = n % 2 === 1 ? at((n - 1) / 2) : (at(n / 2 - 1) + at(n / 2)) / 2;
  return { n, mean: sum / n, median, min, max };
}

/** numpy's round: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff < 0.5) return f;
  if (diff > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

function kolmogorovSmirnov2(
  countsA: readonly number[],
  countsB: readonly number[],
  n1: number,
  n2: number,
): KolmogorovSmirnovTest | null {
  let cumA = 0;
  let cumB = 0;
  let statistic = 0;
  for (let i = 0; i < countsA.length; i++) {
    cumA += countsA[i] as number;
    cumB += countsB[i] as number;
    // the same arithmetic as scipy: searchsorted(side='right') / n, then the difference
    const diff = Math.abs(cumA / n1 - cumB / n2);
    if (diff > statistic) statistic = diff;
  }
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  const effectiveN = roundHalfEven((m * n) / (m + n));
  if (effectiveN < 1) return null;
  return { name: 'kolmogorov-smirnov', statistic, pValue: kstwoSf(statistic, effectiveN), effectiveN };
}

// ---------------------------------------------------------------------------------------------
// The two-sided one-sample Kolmogorov–Smirnov distribution, a port of scipy 1.17's
// scipy.stats.kstwo.sf (scipy/stats/_ksstats.py _kolmogn, cdf=False), Simard & L'Ecuyer (2011):
//   n·d ≤ 1 and n·d ≥ n − 1: Ruben–Gambino closed forms;
//   d ≥ 0.5: 2 · smirnov(n, d) (exact);
//   n ≤ 140: Durbin matrix (Marsaglia–Tsang–Wang) for n·d² ≤ 0.754693, Pomeranz recursion for
//            n·d² ≤ 4, else 2 · smirnov(n, d);
//   n > 140: 0 for n·d² ≥ 370, 2 · smirnov(n, d) for n·d² ≥ 2.2, else 1 − CDF with the CDF by the
//            Durbin matrix (n ≤ 100000 and n·d^1.5 ≤ 1.4) or the Pelz–Good asymptotic series.
// smirnov(n, d) is the exact one-sided upper tail (Birnbaum–Tingey sum) as scipy.special.smirnov,
// summed here in log space with scaling instead of scipy's double-double, and its approximation
// e^(−(6nd+1)²/18n) beyond n = 1,000,000 as scipy's.

const E128 = 2 ** 128;
const EM128 = 2 ** -128;
const LOG_2PI = Math.log(2 * Math.PI);
const SQRT2PI = Math.sqrt(2 * Math.PI);
const PI2 = Math.PI ** 2;
const PI4 = Math.PI ** 4;
const PI6 = Math.PI ** 6;
const MINLOG = -708.3964185322641;
const STIRLING = [
  -0.029550653594771242, 0.00641025641025641, -0.0019175269175269176, 0.0008417508417508417, -0.0005952380952380953,
  0.0007936507936507937, -0.002777777777777778, 0.08333333333333333,
];

const clip01 = (p: number): number => Math.min(1, Math.max(0, p));

/** x · 2^e without overflowing or underflowing the power of two on its own. */
function ldexp(x: number, e: number): number {
  let r = x;
  let k = e;
  while (k > 1000) {
    r *= 2 ** 1000;
    k -= 1000;
  }
  while (k < -1000) {
    r *= 2 ** -1000;
    k += 1000;
  }
  return r * 2 ** k;
}

/** log(n! / n^n) by Stirling's series. */
function logNFactorialDivNPowN(n: number): number {
  const rn = 1 / n;
  const y = rn / n;
  let poly = 0;
  for (const c of STIRLING) poly = poly * y + c;
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * poly;
}

/**
 * P(D_n > d) for the two-sided one-sample Kolmogorov–Smirnov statistic D_n with sample size n
 * (scipy.stats.kstwo.sf(d, n), same algorithm choices; see the comment above). n a positive integer.
 */
export function kstwoSf(d: number, n: number): number {
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`kstwoSf needs a positive integer n, got ${n}`);
  if (Number.isNaN(d)) return Number.NaN;
  if (d >= 1) return 0;
  if (d <= 0) return 1;
  const t = n * d;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    let prob: number;
    if (n <= 140) {
      prob = 1;
      for (let i = 1; i <= n; i++) prob *= i * (1 / n) * (2 * t - 1);
    } else {
      prob = Math.exp(logNFactorialDivNPowN(n) + n * Math.log(2 * t - 1));
    }
    return clip01(1 - prob);
  }
  if (t >= n - 1) return clip01(2 * (1 - d) ** n);
  if (d >= 0.5) return clip01(2 * smirnov(n, d));
  const nd2 = t * d;
  if (n <= 140) {
    if (nd2 <= 0.754693) return clip01(1 - durbinMatrixCdf(n, d));
    if (nd2 <= 4) return clip01(1 - pomeranzCdf(n, d));
    return clip01(2 * smirnov(n, d));
  }
  if (nd2 >= 370) return 0;
  if (nd2 >= 2.2) return clip01(2 * smirnov(n, d));
  let cdf: number;
  if (nd2 >= 18) cdf = 1;
  else if (n <= 100000 && n * d ** 1.5 <= 1.4) cdf = durbinMatrixCdf(n, d);
  else cdf = pelzGoodCdf(n, d);
  return clip01(1 - cdf);
}

/** P(D_n ≤ d) by Durbin's matrix, computed as Marsaglia, Tsang & Wang (2003). */
function durbinMatrixCdf(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] = (1 - h ** j) * fac;
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m;
  v[m - 1] = (1 + tt) * fac;
  let H: Float64Array = new Float64Array(m * m);
  for (let i = 1; i < m; i++) {
    for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - i + 1] as number;
  }
  for (let r = 0; r < m; r++) H[r * m] = v[r] as number;
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c] as number;

  let Hpwr: Float64Array = new Float64Array(m * m);
  for (let i = 0; i < m; i++) Hpwr[i * m + i] = 1;
  let nn = n;
  let expnt = 0;
  let Hexpnt = 0;
  const kk = (k - 1) * m + (k - 1);
  while (nn > 0) {
    if (nn % 2) {
      Hpwr = matmul(Hpwr, H, m);
      expnt += Hexpnt;
    }
    H = matmul(H, H, m);
    Hexpnt *= 2;
    if (Math.abs(H[kk] as number) > E128) {
      for (let i = 0; i < H.length; i++) H[i] = (H[i] as number) / E128;
      Hexpnt += 128;
    }
    nn = Math.floor(nn / 2);
  }
  let p = Hpwr[kk] as number;
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= E128;
      expnt -= 128;
    }
  }
  if (expnt !== 0) p = ldexp(p, expnt);
  return clip01(p);
}

function matmul(x: Float64Array, y: Float64Array, m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let l = 0; l < m; l++) {
      const xil = x[i * m + l] as number;
      if (xil === 0) continue;
      const rowY = l * m;
      const rowO = i * m;
      for (let j = 0; j < m; j++) out[rowO + j] = (out[rowO + j] as number) + xil * (y[rowY + j] as number);
    }
  }
  return out;
}

function pomeranzJ1J2(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const ip1div2 = Math.floor((i + 1) / 2);
    const ip1mod2 = (i + 1) % 2;
    if (ip1mod2 === 0) {
      if (ip1div2 === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = ip1div2 - 1 - ll - roundf - 1;
        j2 = ip1div2 + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = ip1div2 - 1 - ll - 1;
      j2 = ip1div2 + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** P(D_n ≤ x) by Pomeranz's recursion (1974), as scipy's _kolmogn_Pomeranz. */
function pomeranzCdf(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  const gpower = new Float64Array(npwrs);
  const twogpower = new Float64Array(npwrs);
  const onem2gpower = new Float64Array(npwrs);
  gpower[0] = 1;
  twogpower[0] = 1;
  onem2gpower[0] = 1;
  let expnt = 0;
  const gOverN = g / n;
  const twoGOverN = (2 * g) / n;
  const oneMinusTwoGOverN = (1 - 2 * g) / n;
  for (let m = 1; m < npwrs; m++) {
    gpower[m] = ((gpower[m - 1] as number) * gOverN) / m;
    twogpower[m] = ((twogpower[m - 1] as number) * twoGOverN) / m;
    onem2gpower[m] = ((onem2gpower[m - 1] as number) * oneMinusTwoGOverN) / m;
  }
  let V0 = new Float64Array(npwrs);
  let V1 = new Float64Array(npwrs);
  V1[0] = 1;
  let V0s = 0;
  let V1s = 0;
  let [j1, j2] = pomeranzJ1J2(0, n, ll, ceilf, roundf);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0);
    [j1, j2] = pomeranzJ1J2(i, n, ll, ceilf, roundf);
    const pwrs = i === 1 || i === 2 * n + 1 ? gpower : i % 2 ? twogpower : onem2gpower;
    const ln2 = j2 - k1 + 1;
    if (ln2 > 0) {
      const start = k1 - V0s;
      if (start < 0) throw new Error('pomeranzCdf: negative row offset');
      const la = Math.max(0, Math.min(ln2, npwrs - start));
      const lb = Math.min(ln2, npwrs);
      const convStart = j1 - k1;
      const convLen = j2 - j1 + 1;
      let max = 0;
      for (let c = 0; c < convLen; c++) {
        const idx = convStart + c;
        let s = 0;
        const lo = Math.max(0, idx - lb + 1);
        const hi = Math.min(la - 1, idx);
        for (let q = lo; q <= hi; q++) s += (V0[start + q] as number) * (pwrs[idx - q] as number);
        V1[c] = s;
        if (s > max) max = s;
      }
      if (max > 0 && max < EM128) {
        for (let c = 0; c < convLen; c++) V1[c] = (V1[c] as number) * E128;
        expnt -= 128;
      }
      V1s = V0s + j1 - k1;
    }
  }
  let ans = V1[n - V1s] as number;
  for (let m = 1; m <= n; m++) {
    if (Math.abs(ans) > E128) {
      ans *= EM128;
      expnt += 128;
    }
    ans *= m;
  }
  if (expnt !== 0) ans = ldexp(ans, expnt);
  return clip01(ans);
}

/** P(D_n ≤ x) by the Pelz–Good (1976) asymptotic series, as scipy's _kolmogn_PelzGood. */
function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z ** 2;
  const z3 = z ** 3;
  const z4 = z ** 4;
  const z6 = z ** 6;
  const qlog = -PI2 / 8 / z2;
  if (qlog < -708) return 0;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m ** 2;
    const m4 = m ** 4;
    const m6 = m ** 6;
    const qpower = q ** (8 * k);
    const coeffs = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6];
    for (let i = 0; i < 4; i++) K[i] = (K[i] as number) * qpower + (coeffs[i] as number);
  }
  const denominators = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = ((K[i] as number) * q * SQRT2PI) / (denominators[i] as number);
  q = Math.exp(-PI2 / 2 / z2);
  const sqrt3z = Math.sqrt(3) * z;
  let k2extra = 0;
  let k3extra = 0;
  for (let k = maxk; k > 0; k--) {
    const k2 = k * k;
    const qp = q ** k2;
    const kpi = Math.PI * k;
    k2extra += k2 * qp;
    k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * qp;
  }
  K[2] = (K[2] as number) + (k2extra * PI2 * SQRT2PI) / (-36 * z3);
  K[3] = (K[3] as number) + (k3extra * PI2 * SQRT2PI) / (216 * z6);
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += (K[i] as number) / n ** (i / 2);
  return sum;
}

/**
 * The one-sided Smirnov upper tail P(D_n^+ ≥ x) (scipy.special.smirnov), by the Birnbaum–Tingey
 * sum x · Σ_{j < n(1−x)} C(n, j) (1 − x − j/n)^(n−j) (x + j/n)^(j−1), every term positive, summed
 * in log space with a running scale.
 */
function smirnov(n: number, x: number): number {
  if (n === 1) return 1 - x;
  if (x <= 0) return 1;
  if (x >= 1) return 0;
  const nx = n * x;
  const nxfl = Math.floor(nx);
  const alpha = nx - nxfl;
  if (nxfl === 0 || (nxfl === 1 && alpha === 0)) {
    return clip01(1 - x * Math.exp((n - 1) * Math.log1p(x)));
  }
  if (-2 * n * x * x < MINLOG) return 0;
  if (nxfl >= n - 1) return clip01(Math.exp(n * Math.log1p(-x)));
  if (n > 1_000_000) {
    const logp = -((6 * nx + 1) ** 2) / 18 / n;
    return clip01(logp < -Math.LN2 ? Math.exp(logp) : 1 + Math.expm1(logp));
  }
  const lastJ = n - nxfl - 1;
  const nTerms = lastJ + 1;
  // running sum S · e^M of the terms (without the leading factor x)
  let M = n * Math.log1p(-x) - Math.log(x);
  let S = 1;
  // log C(n, j), summed with Neumaier's compensation: it reaches ~n·ln 2, and plain summation of
  // its n/2 steps would lose ~1e-9 relative in the result at n = 250,000
  let logC = Math.log(n);
  let logCCompensation = 0;
  for (let j = 1; j <= lastJ; j++) {
    const base1 = x + j / n;
    const logBase2 = base1 <= 0.5 ? Math.log1p(-base1) : Math.log((n - j - nx) / n);
    const lt = logC + logCCompensation + (n - j) * logBase2 + (j - 1) * Math.log(base1);
    let term: number;
    if (lt > M) {
      S = S * Math.exp(M - lt) + 1;
      M = lt;
      term = 1;
    } else {
      term = Math.exp(lt - M);
      S += term;
    }
    if (term !== 0 && 4 * (nTerms - j) * term < Number.EPSILON * S && j !== nTerms - 1) break;
    const step = Math.log((n - j) / (j + 1));
    const sum = logC + step;
    logCCompensation += Math.abs(logC) >= Math.abs(step) ? logC - sum + step : step - sum + logC;
    logC = sum;
  }
  return clip01(Math.exp(Math.log(x) + M + Math.log(S)));
}
