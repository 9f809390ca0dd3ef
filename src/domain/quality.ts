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
