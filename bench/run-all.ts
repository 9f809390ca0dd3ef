// npm run bench: every bench on every cohort size and database, into ONE table.
//
//   npm run bench [-- --sizes 100k,1m --db sqlite,postgresql --only facets,stats --seconds 60
//                    --cohorts /work/cohorts --timeout 900]
//
// 1. Cohorts: for each size and database, the cohort in the cohorts folder (BENCH_COHORTS or
//    --cohorts, default .bench/cohorts in the project): `sqlite-<size>/` (dermaset.db and blobs/) or
//    `pg-<size>/` (blobs) with the PostgreSQL database `dermaset_bench_<size>` on BENCH_PG_URL
//    (default postgresql://postgres@127.0.0.1:5432/). A cohort is complete when `READY-<name>` is
//    there; a missing one is built (bench/make-cohort.ts), a complete one whose schema is behind
//    the code's migrations is migrated (not rebuilt).
// 2. Benches: each script runs as a child process with BENCH_JSON=1 and
//    `--db <url> --data-dir <dir> --cohort <size>`; its `BENCH {…}` lines (bench/report.ts) become
//    rows. A script that does not take --db yet runs once as it is, on its own demo cohort (cohort
//    "demo"); ingest runs once per database. A script that fails or prints no figure is a row that
//    says so, and the run goes on.
// 3. The table (bench, what, database, cohort, value, baseline, ratio, target, met) is printed and
//    written to bench/results.md.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { BENCH_PSEUDONYM_KEY, cohortExists, cohortUrl, makeCohort, refreshCohort } from './make-cohort.ts';
import type { Figure } from './report.ts';

const ROOT = resolve(import.meta.dirname, '..');
const SIZES: Record<string, number> = { '1k': 1_000, '10k': 10_000, '100k': 100_000, '1m': 1_000_000 };
type Provider = 'sqlite' | 'postgresql';

interface BenchScript {
  name: string;
  file: string;
  /** Runs once per database, not per cohort size (it builds what it measures). */
  oncePerDatabase?: boolean;
  /** Takes --seconds (the load run). */
  seconds?: boolean;
}

/** Every bench the table holds, in the table's order. */
const BENCHES: BenchScript[] = [
  { name: 'facets', file: 'bench/facets.ts' },
  { name: 'stats', file: 'bench/stats.ts' },
  { name: 'split', file: 'bench/split.ts' },
  { name: 'api', file: 'bench/api.ts' },
  { name: 'export', file: 'bench/export.ts' },
  { name: 'evaluation', file: 'bench/evaluation.ts' },
  { name: 'ingest', file: 'bench/ingest.ts', oncePerDatabase: true },
  { name: 'load', file: 'bench/load.ts', seconds: true },
];

export interface Row {
  bench: string;
  what: string;
  database: string;
  cohort: string;
  value: string;
  baseline: string;
  ratio: string;
  target: string;
  met: string;
}

export interface Cohort {
  size: string;
  provider: Provider;
  url: string;
  dataDir: string;
}

const fmt = (v: number) =>
  Number.isInteger(v) || Math.abs(v) >= 100
    ? Math.round(v).toLocaleString('en')
    : Math.abs(v) >= 1
      ? v.toFixed(2)
      : v.toPrecision(2);

/** The BENCH lines of a script's output as figures (other lines are ignored; a broken line is skipped). */
export function parseFigures(stdout: string): Figure[] {
  const out: Figure[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('BENCH ')) continue;
    try {
      const f = JSON.parse(line.slice(6)) as Figure;
      if (typeof f.what === 'string' && typeof f.value === 'number') out.push(f);
    } catch {
      // not a figure
    }
  }
  return out;
}

export function rowOf(f: Figure, database: string, cohort: string): Row {
  return {
    bench: f.bench,
    what: f.what,
    database,
    cohort,
    value: `${fmt(f.value)} ${f.unit}`,
    baseline: f.baseline ? `${fmt(f.baseline.value)} ${f.unit} (${f.baseline.what})` : '',
    ratio: f.ratio === undefined ? '' : fmt(f.ratio),
    target: f.target ?? '',
    met: f.met === undefined ? '' : f.met ? 'yes' : '**no**',
  };
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function markdownTable(rows: readonly Row[]): string {
  const head = ['bench', 'what', 'database', 'cohort', 'value', 'baseline (same run)', 'ratio', 'target', 'met'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    lines.push(
      `| ${[r.bench, r.what, r.database, r.cohort, r.value, r.baseline, r.ratio, r.target, r.met].map(cell).join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

/** Whether a script reads an existing cohort (takes --db); the others keep their demo behaviour. */
function acceptsDb(file: string): boolean {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return /--db\b|['"]db['"]|arg\(\s*['"]db['"]/.test(text) && /data-dir|dataDir/.test(text);
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

function runScript(file: string, args: string[], timeoutS: number): Promise<RunResult> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
      cwd: ROOT,
      env: { ...process.env, BENCH_JSON: '1', DERMASET_PSEUDONYM_KEY: BENCH_PSEUDONYM_KEY },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      for (const line of d.toString().split('\n'))
        if (line.startsWith('BENCH ')) process.stderr.write(`    ${line.slice(0, 160)}\n`);
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4_000);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      // the script's whole process group: its servers and workers too
      if (child.pid) process.kill(-child.pid, 'SIGTERM');
    }, timeoutS * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, timedOut });
    });
  });
}

/** The cohort of a size and database in the cohorts folder: built if missing, migrated if behind. */
export async function ensureCohort(
  dir: string,
  size: string,
  provider: Provider,
  log: (l: string) => void,
): Promise<Cohort> {
  const name = `${provider === 'sqlite' ? 'sqlite' : 'pg'}-${size}`;
  const dataDir = join(dir, name);
  const url = cohortUrl(provider, dataDir, `dermaset_bench_${size}`);
  const ready = join(dir, `READY-${name}`);
  if (!existsSync(ready) || !(await cohortExists(url))) {
    const images = SIZES[size];
    if (!images) throw new Error(`unknown cohort size ${size} (${Object.keys(SIZES).join(', ')})`);
    log(`building cohort ${name} (${images.toLocaleString('en')} images)`);
    mkdirSync(dataDir, { recursive: true });
    await makeCohort({ images, url, dataDir, log: (l) => log(`  ${l}`) });
    writeFileSync(ready, new Date().toISOString());
  } else {
    const applied = await refreshCohort(url, (l) => log(`${name}:${l}`));
    if (applied.length === 0) log(`cohort ${name}: ready, schema up to date`);
  }
  return { size, provider, url, dataDir };
}

async function main(): Promise<void> {
  const o = new Command('bench')
    .description('run every bench on the cohorts and print one table')
    .option('--sizes <list>', 'cohort sizes (1k, 10k, 100k, 1m)', '100k,1m')
    .option('--db <list>', 'databases', 'sqlite,postgresql')
    .option('--only <list>', `benches (${BENCHES.map((b) => b.name).join(', ')})`)
    .option('--seconds <n>', 'duration of the load run', '60')
    .option('--cohorts <dir>', 'the cohorts folder', process.env.BENCH_COHORTS ?? join(ROOT, '.bench', 'cohorts'))
    .option('--timeout <s>', 'seconds a script may run before it is stopped (a row says so)', '900')
    .option('--out <file>', 'the Markdown file written', join(ROOT, 'bench', 'results.md'))
    .parse()
    .opts<{
      sizes: string;
      db: string;
      only?: string;
      seconds: string;
      cohorts: string;
      timeout: string;
      out: string;
    }>();
  const sizes = o.sizes.split(',').map((s) => s.trim().toLowerCase());
  for (const s of sizes)
    if (!SIZES[s]) throw new Error(`--sizes: unknown size ${s} (${Object.keys(SIZES).join(', ')})`);
  const providers = o.db.split(',').map((s) => s.trim()) as Provider[];
  for (const p of providers)
    if (p !== 'sqlite' && p !== 'postgresql') throw new Error(`--db: ${p} is not sqlite or postgresql`);
  const only = o.only?.split(',').map((s) => s.trim());
  for (const n of only ?? []) if (!BENCHES.some((b) => b.name === n)) throw new Error(`--only: no bench ${n}`);
  const seconds = Number(o.seconds);
  const timeout = Number(o.timeout);
  if (!(seconds >= 1 && seconds <= 3_600)) throw new Error('--seconds must be 1 to 3600');
  if (!(timeout >= 10 && timeout <= 24 * 3_600)) throw new Error('--timeout must be 10 to 86400 seconds');
  const log = (l: string) => process.stderr.write(`${l}\n`);
  const started = new Date();

  const cohorts: Cohort[] = [];
  for (const size of sizes)
    for (const p of providers) cohorts.push(await ensureCohort(resolve(o.cohorts), size, p, log));

  const rows: Row[] = [];
  const failed = (bench: string, database: string, cohort: string, why: string) =>
    rows.push({
      bench,
      what: `failed: ${why}`,
      database,
      cohort,
      value: '',
      baseline: '',
      ratio: '',
      target: '',
      met: '**no**',
    });
  const runOne = async (b: BenchScript, args: string[], database: string, cohort: string) => {
    log(`${b.name} on ${database} ${cohort}`);
    const t0 = performance.now();
    const r = await runScript(b.file, args, timeout);
    const figures = parseFigures(r.stdout);
    for (const f of figures) rows.push(rowOf(f, database, cohort));
    const why = r.timedOut
      ? `stopped after ${timeout} s`
      : r.code !== 0
        ? `exit ${r.code}: ${r.stderr.trim().split('\n').filter(Boolean).at(-1)?.slice(0, 200) ?? ''}`
        : figures.length === 0
          ? 'no BENCH figure printed'
          : '';
    if (why) failed(b.name, database, cohort, why);
    log(`  ${figures.length} figures in ${((performance.now() - t0) / 1000).toFixed(0)} s${why ? ` (${why})` : ''}`);
  };

  for (const b of BENCHES) {
    if (only && !only.includes(b.name)) continue;
    if (!existsSync(join(ROOT, b.file))) {
      failed(b.name, '', '', `${b.file} does not exist yet`);
      continue;
    }
    const extra = b.seconds ? ['--seconds', String(seconds)] : [];
    if (!acceptsDb(b.file)) {
      // its own demo cohort, on its own databases
      await runOne(b, extra, 'as the script chooses', 'demo');
      continue;
    }
    const done = new Set<Provider>();
    for (const c of cohorts) {
      if (b.oncePerDatabase && done.has(c.provider)) continue;
      done.add(c.provider);
      const args = ['--db', c.url, '--data-dir', c.dataDir, '--cohort', c.size, ...extra];
      await runOne(b, args, c.provider, b.oncePerDatabase ? '—' : c.size);
    }
  }

  const table = markdownTable(rows);
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const doc = [
    '# Bench results',
    '',
    `\`npm run bench -- ${process.argv.slice(2).join(' ')}\` on ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC,`,
    `${cpus().length} cores (${cpu}), ${Math.round(totalmem() / 2 ** 30)} GB. Cohorts: ${sizes.join(', ')} on ${providers.join(', ')}`,
    '(bench/make-cohort.ts). Each ratio pairs a figure with its baseline measured in the same run.',
    '',
    table,
    '',
  ].join('\n');
  writeFileSync(o.out, doc);
  console.log(table);
  log(`written to ${o.out}`);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
