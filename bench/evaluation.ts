// bench/evaluation: the time to evaluate one model's predictions with R patient-bootstrap resamples
// (every metric of the subset and of its ~40 strata, raters, reliability, ROC), against one pass
// reading the rows the evaluation reads (the model's predictions joined to their image, patient,
// collection and consensus: resolvers/evaluation.ts readPredictedImages), in the same run. Target
// (issue 17): ≤ 10× the read, at 1,000,000 predictions × 1,000 resamples.
//
//   npm run bench:evaluation -- [--rows 1000000] [--resamples 1000] [--threads N] [--dir <cohort folder>]
//
// --threads: the worker threads of the resamples (DERMASET_EVALUATION_THREADS; default the cores, at
// most 4; 0 computes them in the request's thread, as before the workers).
//
// The cohort is a SQLite bench cohort (bench/make-cohort.ts) of N images, built once under
// /work/cohorts/sqlite-eval-<N> (or the OS temp folder) and reused; one model (screening-binary)
// gets a prediction for every image in one INSERT … SELECT (scores drawn in SQL: malignant images
// score higher), also reused.
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { DEFAULT_EVALUATION_THREADS } from '../src/config.ts';
import { openDatabase } from '../src/db/client.ts';
import { useDatabase } from '../src/db/current.ts';
import { sqlitePath } from '../src/db/provider.ts';
import { registry } from '../src/plugins/index.ts';
import { evaluate, readPredictedImages } from '../src/resolvers/evaluation.ts';
import { configureEvaluationWorkers } from '../src/resolvers/evaluation-workers.ts';
import { requestScope } from '../src/resolvers/subset.ts';
import { cohortExists, cohortUrl, makeCohort, refreshCohort } from './make-cohort.ts';
import { report } from './report.ts';
import { median } from './timing.ts';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};

const ROWS = Number(arg('rows') ?? 1_000_000);
const RESAMPLES = Number(arg('resamples') ?? 1000);
const THREADS = Number(arg('threads') ?? DEFAULT_EVALUATION_THREADS);
const MODEL = 'bench-evaluation';
const POLICY = 'screening-binary';

/** The cohort, built if missing (a few minutes at 1,000,000 rows). */
async function cohort(): Promise<string> {
  const dir =
    arg('dir') ??
    (existsSync('/work/cohorts') ? `/work/cohorts/sqlite-eval-${ROWS}` : join(tmpdir(), `dermaset-bench-eval-${ROWS}`));
  const url = cohortUrl('sqlite', dir);
  if (await cohortExists(url)) {
    console.log(`bench/evaluation: reusing ${sqlitePath(url)}`);
    await refreshCohort(url, (l) => console.log(l));
  } else {
    console.log(`bench/evaluation: building a cohort of ${ROWS.toLocaleString('en')} images in ${dir}…`);
    await makeCohort({ images: ROWS, url, dataDir: dir, log: (l) => console.log(l) });
  }
  return url;
}

/** The bench model and its predictions (one per image), inserted once in bulk. */
function predictions(url: string): number {
  const db = new BetterSqlite3(sqlitePath(url));
  try {
    const found = db.prepare('SELECT id, prediction_count AS n FROM model WHERE name = ?').get(MODEL) as
      | { id: number; n: number }
      | undefined;
    const images = (db.prepare('SELECT COUNT(*) AS n FROM image').get() as { n: number }).n;
    if (found && found.n === images) return found.id;
    const policy = registry.policy(POLICY);
    if (!policy) throw new Error(`no policy ${POLICY}`);
    const t0 = performance.now();
    const id = db.transaction(() => {
      if (found) db.prepare('DELETE FROM model WHERE id = ?').run(found.id);
      const { lastInsertRowid } = db
        .prepare(
          'INSERT INTO model (name, version, policy_id, policy_version, labels, created_by) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(MODEL, '1', policy.id, policy.version, JSON.stringify(policy.labels), 'bench');
      const modelId = Number(lastInsertRowid);
      // s: malignant images 0.3–1, others 0–0.75, in steps of 1e-6 (so some scores tie)
      db.prepare(
        `INSERT INTO prediction (model_id, image_id, scores)
         SELECT ?, id, printf('[%.6f,%.6f]', 1 - s, s) FROM (
           SELECT id, CASE WHEN clinical_status = 'MALIGNANT' THEN 0.3 + 0.7 * r ELSE 0.75 * r END AS s
           FROM (SELECT id, clinical_status, (abs(random()) % 1000001) / 1000000.0 AS r FROM image))`,
      ).run(modelId);
      db.prepare('UPDATE model SET prediction_count = ? WHERE id = ?').run(images, modelId);
      return modelId;
    })();
    console.log(
      `bench/evaluation: ${images.toLocaleString('en')} predictions stored in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    return id;
  } finally {
    db.close();
  }
}

async function main(): Promise<void> {
  const url = await cohort();
  const modelId = predictions(url);
  const database = openDatabase(url);
  useDatabase(database.db);
  configureEvaluationWorkers({ threads: THREADS });
  try {
    const runs = ROWS > 200_000 ? 3 : 5;
    const read = await median(() => readPredictedImages(modelId, null, () => true), runs);
    report({
      bench: 'evaluation',
      what: `read ${ROWS.toLocaleString('en')} predicted rows (one pass)`,
      value: read,
      unit: 'ms',
    });
    const run = (resamples: number) =>
      evaluate(
        { scope: requestScope(), profile: 'limited' },
        { model: modelId, subset: { filter: {} }, positive: ['malignant'], resamples, seed: 0 },
      );
    const noBootstrap = await median(() => run(0), runs);
    report({ bench: 'evaluation', what: 'evaluation without resamples', value: noBootstrap, unit: 'ms' });
    // the full evaluation: timed once after a warm-up at 0 resamples (it takes seconds to minutes)
    const t0 = performance.now();
    const full = await run(RESAMPLES);
    const ms = performance.now() - t0;
    const ratio = ms / read;
    report({
      bench: 'evaluation',
      what: `evaluation, ${RESAMPLES.toLocaleString('en')} resamples, ${full.result.strata.length} strata, ${THREADS} worker thread(s)`,
      value: ms,
      unit: 'ms',
      baseline: { what: 'one pass reading the rows', value: read },
      ratio,
      target: '≤ 10× the read',
      met: ratio <= 10,
    });
    console.log(
      `  images ${full.result.overall.images.toLocaleString('en')}, patients ${full.result.overall.patients.toLocaleString('en')}, ` +
        `AUROC ${full.result.overall.auroc.value?.toFixed(4)} (${full.result.overall.auroc.lower?.toFixed(4)}–${full.result.overall.auroc.upper?.toFixed(4)})`,
    );
  } finally {
    await database.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
