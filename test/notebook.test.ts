// The notebook acceptance test (issue 16): a virtual environment installs the Python client with its
// pandas, parquet and datasets extras from the local package mirror (never pypi.org), then
// examples/python/export_walkthrough.py runs against a real HTTP server on 127.0.0.1: it creates a
// split, downloads the test part in parallel (a second run skips every file), exports the split as
// an ImageFolder and loads it with Hugging Face datasets keeping every metadata column, and reads
// the Parquet export with pyarrow (lists, a date, URLs) and pandas.
// The venv is made once per machine (node_modules/.cache, keyed by the client's pyproject and the
// pip arguments, under flock so the SQLite and PostgreSQL runs do not both install); each run
// reinstalls only the client itself, without dependencies.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, createApi } from './helpers/api.ts';
import { createCohortEnv } from './helpers/cohort.ts';
import type { TestEnv } from './helpers/database.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const client = join(root, 'clients', 'python');
/** The local mirror only: pip must never wait on the unreachable default index. */
const PIP_INDEX = [
  '--index-url',
  'file:///opt/pypi/simple',
  '--extra-index-url',
  'file:///opt/pypi-more/simple',
  '--find-links',
  '/opt/wheels',
];
const EXTRAS = '[pandas,parquet,datasets,evaluate]';
/** What the client's own reinstall builds with, without build isolation (setuptools as pip's constraints pin it). */
const BUILD = 'setuptools wheel';

/** The venv for this pyproject: made (and the client installed with its extras) once, under a lock. */
function venv(): string {
  const key = createHash('sha256')
    .update(readFileSync(join(client, 'pyproject.toml')))
    .update(JSON.stringify([PIP_INDEX, EXTRAS, BUILD]))
    .digest('hex')
    .slice(0, 16);
  const cache = join(root, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = join(cache, `dermaset-venv-${key}`);
  const pip = `"${dir}/bin/pip" install --quiet --disable-pip-version-check ${PIP_INDEX.join(' ')}`;
  const script = [
    `if [ ! -f "${dir}/.ready" ]; then`,
    `  rm -rf "${dir}" && python3 -m venv "${dir}" &&`,
    `  ${pip} ${BUILD} "${client}${EXTRAS}" && touch "${dir}/.ready" || exit 1`,
    'fi',
    // the client's own code as it is now (its dependencies are those of the pyproject the key names)
    `${pip} --no-deps --no-build-isolation --force-reinstall "${client}"`,
  ].join('\n');
  execFileSync('flock', [`${dir}.lock`, 'sh', '-c', script], { stdio: 'inherit', timeout: 600_000 });
  return dir;
}

let env: TestEnv;
let api: Api;
let server: Server;
let url: string;
let python: string;
let work: string;

beforeAll(async () => {
  const t0 = Date.now();
  python = join(venv(), 'bin', 'python');
  console.log(`venv ready in ${Date.now() - t0} ms`);
  env = await createCohortEnv();
  api = await createApi(env);
  server = createServer(api.yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  work = mkdtempSync(join(tmpdir(), 'dermaset-notebook-'));
}, 900_000);
afterAll(async () => {
  if (server) await new Promise((resolve) => server.close(resolve));
  await env?.dispose();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Runs Python in the venv against the server, with Hugging Face kept offline and in the work folder. */
const py = (args: string[], extra: Record<string, string | undefined> = {}) =>
  run(python, args, {
    env: {
      ...process.env,
      DERMASET_URL: url,
      DERMASET_TOKEN: api.tokens.VIEWER,
      HF_HOME: join(work, 'hf'),
      HF_HUB_OFFLINE: '1',
      HF_DATASETS_OFFLINE: '1',
      ...extra,
    },
    maxBuffer: 16 << 20,
    timeout: 300_000,
  });

describe('the installed Python client in a notebook', () => {
  let out = '';
  let err = '';
  beforeAll(async () => {
    const res = await py([join(root, 'examples', 'python', 'export_walkthrough.py'), join(work, 'walk')]);
    out = res.stdout;
    err = res.stderr;
  }, 300_000);

  it('installs as a package: imported from the venv, not from the repository', async () => {
    const { stdout } = await py(['-c', 'import dermaset, sys; print(dermaset.__file__); print(dermaset.__version__)']);
    expect(stdout).toContain(join('site-packages', 'dermaset', '__init__.py'));
    expect(stdout).toMatch(/^0\.3\.0$/m);
  });

  it('names DERMASET_TOKEN when the token is missing, and defaults the URL to the server’s port', async () => {
    const failed = await py(['-c', 'import dermaset; dermaset.Client()'], { DERMASET_TOKEN: '' }).catch(
      (e: { stderr: string }) => e,
    );
    expect('stderr' in failed && failed.stderr).toMatch(
      /ConfigurationError: no dermaset token: set the DERMASET_TOKEN/,
    );
    const { stdout } = await py(['-c', 'import dermaset; print(dermaset.Client(token="x").url)'], {
      DERMASET_URL: '',
    });
    expect(stdout.trim()).toBe('http://127.0.0.1:4000');
  });

  it('creates a split and downloads its test part in parallel, with the stored format’s extension; a second run skips all', async () => {
    const id = /^split ([0-9a-f-]{36}): 1026 images, test part (\d+)$/m.exec(out);
    expect(id, out + err).toBeTruthy();
    const test = await env.db.splitAssignment.count({ where: { splitId: id?.[1], part: 'test' } });
    expect(Number(id?.[2])).toBe(test);
    expect(out).toContain(`first run: downloaded ${test}, skipped 0`);
    expect(out).toContain(`second run: downloaded 0, skipped ${test}`);
    const formats = await env.db.image.groupBy({
      by: ['format'],
      where: { splitAssignments: { some: { splitId: id?.[1], part: 'test' } } },
    });
    const ext = formats.map((f) => (f.format === 'jpeg' ? '.jpg' : `.${f.format}`)).sort();
    expect(out).toContain(`extensions: ${ext.join(',')}`);
  });

  it('loads the ImageFolder export with datasets: three splits, every metadata column kept', async () => {
    const id = /^split ([0-9a-f-]{36})/m.exec(out)?.[1];
    const parts = await env.db.splitAssignment.groupBy({ by: ['part'], where: { splitId: id }, _count: true });
    const sizes = parts
      .map((p) => `${p.part} ${p._count}`)
      .sort()
      .join(', ');
    expect(out, err).toContain(`imagefolder splits: ${sizes}`);
    expect(out).toContain(
      'imagefolder columns: image,sha256,patient_id,lesion_id,label,age_at_exam,sex,fitzpatrick_type,' +
        'sunburn_history,personal_ca_history,anatomical_site,lesion_diameter_mm,dominant_colors,elevation,' +
        'border_regularity,dermoscopic_structures,clinical_diagnosis,diagnosis_class,diagnosis_term,origin,' +
        'clinical_status,histopathology_result,verification_stage,examiner_id,image_quality_score,' +
        'acquisition_date,collection,width,height,format,image_url,thumbnail_url',
    );
    // values as the API spells them
    expect(out).toMatch(/^first test row: \d+x\d+ [A-Z_]+ (INITIAL|CONSENSUS|HISTOLOGY) \S+$/m);
  });

  it('reads the Parquet export with pyarrow (lists, a date, URLs under the server) and with pandas', async () => {
    expect(out).toContain('parquet rows: 1026');
    expect(out).toContain(
      'parquet types: dominant_colors list<element: string not null>; dermoscopic_structures list<element: string not null>; ' +
        'acquisition_date date32[day]; width int32; sunburn_history bool; image_url string; thumbnail_url string',
    );
    expect(out).toContain('urls under the server: True');
    const classes = await env.db.image.groupBy({ by: ['diagnosisClass'], _count: true });
    expect(out).toMatch(/^pandas: 1026 rows, splits \{'test': \d+, 'train': \d+, 'validation': \d+\}$/m);
    expect(out).toContain(
      `pandas classes: ${classes
        .filter((c) => c.diagnosisClass !== null)
        .map((c) => `${c.diagnosisClass} ${c._count}`)
        .sort()
        .join(', ')}`,
    );
    expect(out).toMatch(/^datasets parquet: 1026 rows, dominant_colors List\(Value\('string'\)\)$/m);
    // the wait drew its progress from rowsDone / rowsTotal
    expect(err).toMatch(/export [0-9a-f]{8} parquet: 1026\/1026 rows \[#+\] 100\.0%/);
  });
});
