/**
 * The acquisition SOP's quality gate. image_quality_score is ordinal 1–5: 1 unusable, 2 significant
 * defects, 3 acceptable with local artefacts, 4 good, 5 reference. Scores 1–2 are rejected at
 * acquisition and counted; 3–5 become records.
 */
export const QUALITY_SCORES = [1, 2, 3, 4, 5] as const;
export type QualityScore = (typeof QUALITY_SCORES)[number];
export const MIN_ACCEPTED_SCORE = 3;

export const isQualityScore = (n: number): n is QualityScore => Number.isInteger(n) && n >= 1 && n <= 5;
export const passesSopGate = (score: QualityScore): boolean => score >= MIN_ACCEPTED_SCORE;

// ---------------------------------------------------------------- technical quality advice

/**
 * What the pipeline measures on the 256 px copy of every image (src/ingest/analyse.ts), stored
 * beside the examiner's SOP score. meanLuminance and highlightShare are null for images stored
 * before they were measured: their exposure is then not judged.
 */
export interface QualityMeasures {
  /** Variance of the 4-neighbour Laplacian of luminance (higher = sharper). */
  sharpness: number;
  /** Share of pixels with luminance ≤ 3 or ≥ 252 (crushed shadows and blown highlights together). */
  clippedShare: number;
  /** Share of bright, nearly colourless pixels (specular glare off the dermatoscope). */
  glareShare: number;
  /** Mean luminance, 0–255. */
  meanLuminance: number | null;
  /** Share of pixels with luminance ≥ 252 (blown highlights). */
  highlightShare: number | null;
}

/**
 * The thresholds of the advice. Calibrated on the demo cohort's synthetic images (prisma/demo,
 * 1,026 sharp frames at 600×450 and at the tests' 96×72, phototypes I–IV) and on the same drawings
 * degraded with sharp (Gaussian blur, exposure gain, white specular spots), plus phototypes V–VI
 * drawn for the purpose. Every demo frame comes out OK; the numbers below are from that run.
 */
export const QUALITY_THRESHOLDS = {
  /**
   * BLURRED below this sharpness. Sharp demo frames measure 28.6 or more (median 37.5) at 600×450
   * and 91 or more at 96×72; a Gaussian blur of σ 1.5 px at 600×450 gives a median of 9, σ 2 gives 5,
   * σ 3 gives 2.7; the demo's SOP-rejected out-of-focus frames (σ 6–12) measure 1.3–3. The Laplacian
   * scales with contrast, so a very dark frame reads as blurred too.
   */
  minSharpness: 10,
  /**
   * UNDEREXPOSED below this mean luminance. Skin itself is dark or light, so the bound sits below
   * well-exposed dark skin: demo frames measure 117–214, synthetic phototype V 90–105 and VI 64–70.
   * Half the light on phototype VI gives 31–34 (flagged); 0.3× the light on phototype II gives 54–56,
   * which no single-frame measure can tell from well-exposed phototype VI, and is not flagged.
   */
  minMeanLuminance: 40,
  /**
   * OVEREXPOSED from this share of blown-out pixels (luminance ≥ 252). Demo frames: at most 0.029;
   * 1.4× the light on phototypes I–II: 0.39–0.87; glare spots over a fifth of the frame: 0.17. Below a
   * mean luminance of 40 at most 16 % of the pixels can be blown out, so a frame is never both under-
   * and over-exposed.
   */
  maxHighlightShare: 0.25,
  /**
   * GLARE from this share of bright, colourless pixels. Demo frames: at most 0.074 (the palest skin
   * under the brightest light); white specular spots covering a share s of the frame measure about s
   * (2 % → 0.015–0.029, 10 % → 0.087–0.107).
   */
  maxGlareShare: 0.1,
} as const;
const T = QUALITY_THRESHOLDS;

/** OK, or the defects found. */
export const QUALITY_VERDICTS = ['OK', 'BLURRED', 'UNDEREXPOSED', 'OVEREXPOSED', 'GLARE'] as const;
export type QualityVerdict = (typeof QUALITY_VERDICTS)[number];
export type QualityDefect = Exclude<QualityVerdict, 'OK'>;

/** A check: one measure against one threshold, flagging one defect. */
export interface QualityRule {
  check: 'SHARPNESS' | 'BRIGHTNESS' | 'HIGHLIGHTS' | 'GLARE';
  defect: QualityDefect;
  measure: Exclude<keyof QualityMeasures, 'clippedShare'>;
  threshold: number;
  /** below: flagged when the measure is below the threshold; from: when it is at or above it. */
  flagged: 'below' | 'from';
}

/** The checks, in QUALITY_VERDICTS order. Filters turn the same rules into SQL (image-filter.ts). */
export const QUALITY_RULES: readonly QualityRule[] = [
  { check: 'SHARPNESS', defect: 'BLURRED', measure: 'sharpness', threshold: T.minSharpness, flagged: 'below' },
  {
    check: 'BRIGHTNESS',
    defect: 'UNDEREXPOSED',
    measure: 'meanLuminance',
    threshold: T.minMeanLuminance,
    flagged: 'below',
  },
  {
    check: 'HIGHLIGHTS',
    defect: 'OVEREXPOSED',
    measure: 'highlightShare',
    threshold: T.maxHighlightShare,
    flagged: 'from',
  },
  { check: 'GLARE', defect: 'GLARE', measure: 'glareShare', threshold: T.maxGlareShare, flagged: 'from' },
];

/** One check applied to an image: OK or its defect, with the measure it read (null: not measured). */
export interface QualityCheck extends QualityRule {
  verdict: QualityVerdict;
  value: number | null;
}

const flags = (r: QualityRule, value: number | null) =>
  value !== null && (r.flagged === 'below' ? value < r.threshold : value >= r.threshold);

/**
 * Every check with its verdict. Advice only: the examiner's SOP score alone decides whether an
 * acquisition is accepted (passesSopGate), as the paper's SOP says.
 */
export const qualityChecks = (m: QualityMeasures): QualityCheck[] =>
  QUALITY_RULES.map((r) => ({ ...r, value: m[r.measure], verdict: flags(r, m[r.measure]) ? r.defect : 'OK' }));

/** The defects found, in QUALITY_VERDICTS order; ['OK'] when there are none. */
export function qualityVerdicts(m: QualityMeasures): QualityVerdict[] {
  const defects = QUALITY_RULES.filter((r) => flags(r, m[r.measure])).map((r) => r.defect);
  return defects.length > 0 ? defects : ['OK'];
}
