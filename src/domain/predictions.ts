// A model's predictions as they come in (the importPredictions mutation, `dermaset predictions import`,
// the Python client): pure checks of one row at a time. Every check answers with the row's value or
// a PredictionRowRefusal (a code and a message), never throws: the service refuses the row, stores
// the others, and reports each refusal with its place in the batch.
import { type Refusal, refusal } from './refusal.ts';

/** Bounds of a registered model and of one import batch. */
export const MODEL_BOUNDS = {
  /** A model's name: 1–100 characters after trimming, no control characters. */
  name: 100,
  /** A model's version: 1–50 characters after trimming, no control characters and no `@` (`name@version` names a model on the command line). */
  version: 50,
  /** Notes on the training data: at most 10,000 characters. */
  trainingNotes: 10_000,
} as const;

export const PREDICTION_BOUNDS = {
  /** Rows in one importPredictions call (and one batch of the CLI). */
  batch: 1000,
  /** A saliency map's file: at most 5 MB. */
  saliencyBytes: 5 * 1024 * 1024,
  /** A saliency map's width and height: at most 4096 pixels each. */
  saliencySide: 4096,
  /** How far the scores of a row may sum from 1. */
  sumTolerance: 0.01,
} as const;

/** Why one row of a batch was refused (the GraphQL enum PredictionRefusalCode). */
export const PREDICTION_REFUSAL_CODES = [
  'UNKNOWN_IMAGE',
  'UNKNOWN_LABEL',
  'MISSING_LABEL',
  'NOT_A_PROBABILITY',
  'DUPLICATE_IMAGE',
  'CONFLICTS_WITH_STORED',
  'BAD_SALIENCY',
] as const;
export type PredictionRefusalCode = (typeof PREDICTION_REFUSAL_CODES)[number];

export const PREDICTION_REFUSAL_MEANINGS: Readonly<Record<PredictionRefusalCode, string>> = {
  UNKNOWN_IMAGE: 'The image is neither an Image global id nor the SHA-256 (64 hex digits) of a stored image',
  UNKNOWN_LABEL: 'A score names a label the model does not predict, or names one twice',
  MISSING_LABEL: 'A label of the model has no score',
  NOT_A_PROBABILITY: 'A score is not finite or outside [0, 1], or the scores do not sum to 1 ± 0.01',
  DUPLICATE_IMAGE: 'The image was named by an earlier row of the same batch',
  CONFLICTS_WITH_STORED:
    'The model holds another prediction for the image (predictions are immutable: register a new version)',
  BAD_SALIENCY: 'The saliency map is not a PNG or JPEG, is over 5 MB or over 4096×4096 pixels, or does not decode',
};

export interface PredictionRowRefusal {
  code: PredictionRefusalCode;
  message: string;
}

export const isRowRefusal = (x: unknown): x is PredictionRowRefusal =>
  typeof x === 'object' && x !== null && 'code' in x && 'message' in x;

const rowRefusal = (code: PredictionRefusalCode, message: string): PredictionRowRefusal => ({ code, message });

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

export interface ModelLabel {
  name: string;
  version: string;
  trainingNotes: string | null;
}

/**
 * A model's name, version and notes trimmed (empty notes: none), or the Refusal of the first that
 * breaks its bound (MODEL_BOUNDS).
 */
export function modelLabel(name: string, version: string, trainingNotes?: string | null): ModelLabel | Refusal {
  const out = { name: name.trim(), version: version.trim() };
  for (const key of ['name', 'version'] as const) {
    const v = out[key];
    const max = MODEL_BOUNDS[key];
    if (v.length === 0 || v.length > max || CONTROL.test(v))
      return refusal(`a model's ${key} is 1–${max} characters without control characters`, `input.${key}`);
  }
  if (out.version.includes('@'))
    return refusal("a model's version may not hold @ (name@version names a model)", 'input.version');
  const notes = trainingNotes?.trim() ?? '';
  if (notes.length > MODEL_BOUNDS.trainingNotes)
    return refusal(
      `trainingNotes are at most ${MODEL_BOUNDS.trainingNotes.toLocaleString('en-US')} characters`,
      'input.trainingNotes',
    );
  return { ...out, trainingNotes: notes === '' ? null : notes };
}

/** `name@version` (the command line's name of a model), split at the last `@`; null when it is not one. */
export function parseModelSpec(spec: string): { name: string; version: string } | null {
  const at = spec.lastIndexOf('@');
  if (at <= 0 || at === spec.length - 1) return null;
  return { name: spec.slice(0, at), version: spec.slice(at + 1) };
}

/** How a row names its image: by an Image's row id (from its global id) or by SHA-256. */
export type ImageRef = { kind: 'id'; id: number } | { kind: 'sha256'; sha256: string };

const SHA256 = /^[0-9a-fA-F]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const MAX_ROW_ID = 2_147_483_647;

/**
 * The image a row names: an Image global id (the base64 of `Image:<id>`, as the API's `id` fields
 * give it) or a SHA-256 as 64 hex digits (any case). A bare number is not accepted: row ids are not
 * part of the API. Anything else is UNKNOWN_IMAGE.
 */
export function parseImageRef(text: string): ImageRef | PredictionRowRefusal {
  const t = text.trim();
  if (SHA256.test(t)) return { kind: 'sha256', sha256: t.toLowerCase() };
  if (t.length > 0 && t.length <= 200 && BASE64.test(t)) {
    const m = /^Image:(\d{1,10})$/.exec(Buffer.from(t, 'base64').toString('utf8'));
    const id = m ? Number(m[1]) : Number.NaN;
    if (id >= 1 && id <= MAX_ROW_ID) return { kind: 'id', id };
  }
  return rowRefusal('UNKNOWN_IMAGE', `"${shown(t)}" is neither an Image global id nor a SHA-256 (64 hex digits)`);
}

/** A caller's text cut for a message. */
export const shown = (text: string, max = 80) => (text.length > max ? `${text.slice(0, max)}…` : text);

export interface LabelScore {
  label: string;
  score: number;
}

/**
 * A row's scores in the model's label order, or its refusal: every label of the model scored once
 * (labels matched without regard to case), no other label, each score finite and in [0, 1], and
 * the scores summing to 1 ± 0.01.
 */
export function checkScores(labels: readonly string[], scores: readonly LabelScore[]): number[] | PredictionRowRefusal {
  const index = new Map(labels.map((l, i) => [l.toLowerCase(), i]));
  const out: (number | undefined)[] = labels.map(() => undefined);
  for (const { label, score } of scores) {
    const i = index.get(label.trim().toLowerCase());
    if (i === undefined)
      return rowRefusal('UNKNOWN_LABEL', `"${shown(label, 40)}" is not a label of the model (${labels.join(', ')})`);
    if (out[i] !== undefined) return rowRefusal('UNKNOWN_LABEL', `the label ${labels[i]} is scored twice`);
    out[i] = score;
  }
  const missing = labels.filter((_, i) => out[i] === undefined);
  if (missing.length > 0) return rowRefusal('MISSING_LABEL', `no score for ${missing.join(', ')}`);
  const values = out as number[];
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v) || v < 0 || v > 1)
      return rowRefusal('NOT_A_PROBABILITY', `the score of ${labels[i]} is ${v}: a probability is a number in [0, 1]`);
  }
  const sum = values.reduce((a, b) => a + b, 0);
  // the tolerance plus a hair for binary floating point (0.505 + 0.505 is 1.0100000000000002)
  if (Math.abs(sum - 1) > PREDICTION_BOUNDS.sumTolerance + 1e-9)
    return rowRefusal(
      'NOT_A_PROBABILITY',
      `the scores sum to ${Number(sum.toPrecision(6))}: the scores of a row sum to 1 ± ${PREDICTION_BOUNDS.sumTolerance}`,
    );
  return values;
}

/** A row's scores as stored (the prediction table's JSON array). */
export const scoresText = (scores: readonly number[]): string => JSON.stringify(scores);

/** Scores as stored back into numbers (an unreadable value is an empty list). */
export function storedScores(text: string): number[] {
  try {
    const parsed = JSON.parse(text) as unknown;
    return Array.isArray(parsed) ? parsed.map(Number) : [];
  } catch {
    return [];
  }
}

/** A model's labels as stored (the model table's JSON array). */
export function storedLabels(text: string): string[] {
  try {
    const parsed = JSON.parse(text) as unknown;
    return Array.isArray(parsed) ? parsed.map(String) : [];
  } catch {
    return [];
  }
}

/**
 * Whether a row repeats the stored prediction exactly: the same scores (as stored, JSON numbers
 * round-trip exactly) and the same saliency map (by the SHA-256 of the file as given; none = none).
 */
export const sameAsStored = (
  stored: { scores: string; saliencySha256: string | null },
  row: { scores: readonly number[]; saliencySha256: string | null },
): boolean => stored.scores === scoresText(row.scores) && stored.saliencySha256 === row.saliencySha256;

/** The saliency file's format as its first bytes say (PNG or JPEG), or null. */
export function saliencyFormat(bytes: Uint8Array): 'png' | 'jpeg' | null {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47)
    return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

/** The refusal of a saliency map's size or frame, or null when it is within the bounds. */
export function saliencyBoundsProblem(size: { bytes?: number; width?: number; height?: number }): string | null {
  if (size.bytes !== undefined && size.bytes > PREDICTION_BOUNDS.saliencyBytes)
    return `the saliency map has ${size.bytes.toLocaleString('en-US')} bytes: at most ${PREDICTION_BOUNDS.saliencyBytes.toLocaleString('en-US')} (5 MB)`;
  const side = PREDICTION_BOUNDS.saliencySide;
  if ((size.width ?? 0) > side || (size.height ?? 0) > side)
    return `the saliency map is ${size.width}×${size.height} pixels: at most ${side}×${side}`;
  return null;
}

export const badSaliency = (message: string): PredictionRowRefusal => rowRefusal('BAD_SALIENCY', message);
export const unknownImage = (message: string): PredictionRowRefusal => rowRefusal('UNKNOWN_IMAGE', message);
export const duplicateImage = (message: string): PredictionRowRefusal => rowRefusal('DUPLICATE_IMAGE', message);
export const conflictsWithStored = (message: string): PredictionRowRefusal =>
  rowRefusal('CONFLICTS_WITH_STORED', message);
