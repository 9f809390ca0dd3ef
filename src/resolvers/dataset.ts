// What the dataset says about itself in every document that describes it (Croissant, the datasheet):
// its licence and creator, and its version. One resolution, so the documents cannot disagree.
import { createHash } from 'node:crypto';
import { type DatasetConfig, datasetConfig } from '../config.ts';
import { db } from '../db/current.ts';
import { NOT_STATED } from '../domain/dataset-terms.ts';

/** A stated value and where it comes from. */
export interface Stated {
  value: string;
  /** The environment variable, the datasheet question, or null (not stated). */
  source: string | null;
}

export interface DatasetTerms {
  license: Stated;
  creator: Stated;
}

/** Datasheet questions (distribution section) that answer for the licence and the creator. */
export const TERM_KEYS = { license: 'distribution.license', creator: 'distribution.creator' } as const;
const TERM_VARS = { license: 'DERMASET_LICENSE', creator: 'DERMASET_CREATOR' } as const;

/** The datasheet's written answers, by question key. */
export async function writtenAnswers(): Promise<Map<string, string>> {
  const rows = await db().datasheetText.findMany({ select: { key: true, text: true } });
  return new Map(rows.map((r) => [r.key, r.text]));
}

/**
 * Licence and creator: the configuration (DERMASET_LICENSE, DERMASET_CREATOR) where set, which is
 * the operator's statement for the whole installation; else the datasheet's distribution answers;
 * else "not stated". Nothing is assumed: the paper's own dataset is not public.
 */
export async function datasetTerms(
  config: DatasetConfig = datasetConfig(),
  written?: ReadonlyMap<string, string>,
): Promise<DatasetTerms> {
  const answers = written ?? (await writtenAnswers());
  const term = (name: keyof typeof TERM_KEYS): Stated => {
    const configured = config[name];
    if (configured) return { value: configured, source: TERM_VARS[name] };
    const answer = answers.get(TERM_KEYS[name])?.trim();
    if (answer) return { value: answer, source: TERM_KEYS[name] };
    return { value: NOT_STATED, source: null };
  };
  return { license: term('license'), creator: term('creator') };
}

/**
 * The dataset's version: DERMASET_DATASET_VERSION where configured (a release the operator names);
 * else derived from the stored image set, `0.0.0+<YYYYMMDD>.<hash>`: no release was named (0.0.0),
 * and the build metadata identify the content — the latest acquisition date and the first 8 hex
 * digits of the SHA-256 over the sorted image SHA-256s. Installations holding the same images give
 * the same version; adding or removing an image changes it. Record corrections do not: the
 * metadata file's own sha256 tracks those.
 */
export async function datasetVersion(config: DatasetConfig = datasetConfig()): Promise<Stated> {
  if (config.version) return { value: config.version, source: 'DERMASET_DATASET_VERSION' };
  // the hashes as plain rows (a million Prisma objects cost seconds), the latest date off its index
  const [images, period] = await Promise.all([
    db().$queryRawUnsafe<{ sha256: string }[]>('SELECT sha256 FROM image'),
    db().image.aggregate({ _max: { acquiredAt: true } }),
  ]);
  // sorted here, not in SQL: the order must not depend on the database's collation
  const hashes = images.map((i) => i.sha256).sort();
  const digest = createHash('sha256').update(hashes.join('\n')).digest('hex').slice(0, 8);
  const latest = period._max.acquiredAt;
  const date = latest ? latest.toISOString().slice(0, 10).replaceAll('-', '') : 'undated';
  return { value: `0.0.0+${date}.${digest}`, source: null };
}
