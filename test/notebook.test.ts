// The notebook acceptance test (issues 16 and 17): a virtual environment installs the Python client with
// its pandas, parquet, datasets and evaluate extras from the local package mirror (never pypi.org), then
// examples/python/export_walkthrough.py runs against a real HTTP server on 127.0.0.1: it creates a
// split, downloads the test part in parallel (a second run skips every file), exports the split as
// an ImageFolder and loads it with Hugging Face datasets keeping every metadata column, and reads
// the Parquet export with pyarrow (lists, a date, URLs) and pandas. It ends with a model: logistic
// regression (scikit-learn) on colour histograms of the train part's thumbnails, registered, its
// test-part predictions imported from a DataFrame (twice: the second stores nothing), evaluated with
// patient bootstrap intervals, saved, and compared with a second baseline; every figure it prints is
// checked here against the server's own evaluation of the same model (no number is written in here).
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
import { type TestEnv, testProvider } from './helpers/database.ts';

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
    .update(JSON.stringify([PIP_INDEX, EXTRAS, BUILD, 'no-compile']))
    .digest('hex')
    .slice(0, 16);
  const cache = join(root, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = join(cache, `dermaset-venv-${key}`);
  // --no-compile: Python compiles what it imports when it imports it; compiling pandas, pyarrow and
  // datasets whole at install was three quarters of the venv's time (35 s of 46 s on an idle machine)
  const pip = `"${dir}/bin/pip" install --quiet --disable-pip-version-check --no-compile ${PIP_INDEX.join(' ')}`;
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

/** The standard-library core (pandas blocked) through every evaluation call; argv[1]: the SHA-256 of 60 images. */
const STDLIB_SCRIPT = `import hashlib, io, json, sys, urllib.request
sys.modules["pandas"] = None  # the standard-library core: tables are lists of dicts
from PIL import Image
from dermaset import Client, DermasetError
shas = json.loads(sys.argv[1])
ds = Client()
m = ds.register_model("stdlib", "1", policy="three-tier", training_notes="scores from the SHA-256")
rows = []
for s in shas:
    p = int(s[:4], 16) / 65535
    rows.append({"image": s, "malignant": p, "benign": (1 - p) / 2, "borderline": (1 - p) / 2})
def png(shade):
    buf = io.BytesIO()
    Image.new("L", (16, 12), shade).save(buf, "PNG")
    return buf.getvalue()
maps = {shas[10]: png(200), shas[30]: png(90)}
r = ds.import_predictions(("stdlib", "1"), rows, saliency=maps, batch_size=25, progress=False)
print(f"import {r.received} {r.stored} {r.unchanged} {r.refused} {r.batches} {type(r.refusals).__name__}")
ev = ds.evaluate("stdlib@1", filter={"sex": ["FEMALE"]}, positive="malignant", sensitivity=0.8, resamples=200, seed=3)
print(f"tables {type(ev.overall).__name__} {type(ev.strata).__name__} {ev.overall[0]['metric']}")
print(f"operating point: threshold {ev.threshold!r} sensitivity {ev.metric('sensitivity')[0]!r} images {ev.images} missing {ev.missing_predictions}")
for fmt in ("markdown", "html"):
    print(f"report {fmt} {hashlib.sha256(ev.report(fmt).encode()).hexdigest()}")
saved = ev.save(expires_in=120)
again = ds.saved_evaluation(saved["id"])
with urllib.request.urlopen(saved["reportUrl"]) as res:  # signed: no header
    print(f"saved {saved['id']} {again['id'] == saved['id']} {res.status} {res.headers['content-type']}")
print(repr(ev))
for kwargs in ({}, {"split": "x", "release": "y"}, {"split_part": "test"}, {"split": "x", "split_part": "holdout"},
               {"filter": {}, "threshold": 0.3, "sensitivity": 0.9}, {"filter": {}, "positive": []}):
    try:
        ds.evaluate(m, **{"positive": ["malignant"], **kwargs})
    except ValueError as e:
        print("ValueError", str(e).split(";")[0].split(":")[0])
try:
    ds.evaluate("nope@0", filter={}, positive=["malignant"])
except DermasetError as e:
    print("DermasetError", e.code)
`;

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

// On PostgreSQL only, for CI time: the client uses the public API alone, whose services the API suites
// run on both databases.
describe.runIf(testProvider === 'postgresql')('the installed Python client in a notebook', () => {
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

  it('imports a DataFrame’s predictions: refusals carry the frame’s row positions and index labels, refused rows store nothing', async () => {
    const images = await env.db.image.findMany({ select: { sha256: true }, orderBy: { id: 'asc' }, take: 5 });
    const [a, b, c, d] = images.map((i) => i.sha256);
    const script = [
      'import math, sys, pandas as pd',
      'from dermaset import Client',
      'ds = Client()',
      'm = ds.register_model("refusals", "1", policy="three-tier")',
      `shas = ${JSON.stringify([a, b, c, d])}`,
      'frame = pd.DataFrame({"image": [shas[0], shas[1], "0" * 64, shas[2], shas[0], shas[3]],',
      '                      "Benign": [0.5, math.nan, 0.5, 0.9, 0.5, 0.2], "borderline": [0.25] * 6,',
      '                      "MALIGNANT": [0.25, 0.25, 0.25, 0.25, 0.25, 0.55], "note": list("uvwxyz")},',
      '                     index=["r0", "r1", "r2", "r3", "r4", "r5"])',
      'r = ds.import_predictions(m, frame, batch_size=4, progress=False)',
      'print(f"report {r.received} {r.stored} {r.unchanged} {r.refused} {r.batches}")',
      'print(r.refusals[["row", "index", "code"]].to_csv(index=False), end="")',
      'again = ds.import_predictions(m["id"], frame, batch_size=4, progress=False)',
      'print(f"again {again.stored} {again.unchanged} {again.refused}")',
      'for bad in ({"batch_size": 1001}, {"batch_size": 0}):',
      '    try:',
      '        ds.import_predictions(m, frame, **bad)',
      '    except ValueError as e:',
      '        print("ValueError", e)',
      'try:',
      '    ds.import_predictions("refusals@1", frame.drop(columns=["MALIGNANT"]))',
      'except ValueError as e:',
      '    print("ValueError", e)',
    ].join('\n');
    const { stdout } = await py(['-c', script]);
    // r1's NaN is refused in the client, unsent; r0, r2, r3, r4 go in the first batch (r4 repeats r0's image), r5 alone
    expect(stdout).toContain('report 6 2 0 4 2');
    expect(stdout).toContain(
      'row,index,code\n1,r1,NOT_A_PROBABILITY\n2,r2,UNKNOWN_IMAGE\n3,r3,NOT_A_PROBABILITY\n4,r4,DUPLICATE_IMAGE\n',
    );
    expect(stdout).toContain('again 0 2 4');
    expect(stdout).toContain('ValueError batch_size must be a whole number from 1 to 1000');
    expect(stdout).toMatch(/ValueError model refusals@1 has labels without a column: malignant/);
    const model = await env.db.model.findFirstOrThrow({ where: { name: 'refusals', version: '1' } });
    const stored = await env.db.prediction.findMany({ where: { modelId: model.id } });
    const shas = await env.db.image.findMany({ where: { id: { in: stored.map((p) => p.imageId) } } });
    expect(shas.map((i) => i.sha256).sort()).toEqual([a, d].sort());
    expect(model.predictionCount).toBe(2);
  });

  it('works without pandas (tables as lists of dicts): saliency maps uploaded, an operating point, reports, a saved evaluation, the client’s refusals', async () => {
    const images = await env.db.image.findMany({ select: { sha256: true }, orderBy: { id: 'asc' }, take: 60 });
    const shas = images.map((i) => i.sha256);
    const { stdout } = await py(['-c', STDLIB_SCRIPT, JSON.stringify(shas)]);
    // 60 rows in batches of 25, the two maps carried in the batches of their rows (up to 32 files a request): 25 + 25 + 10
    expect(stdout).toContain('import 60 60 0 0 3 list\n');
    const model = await env.db.model.findFirstOrThrow({ where: { name: 'stdlib', version: '1' } });
    const withMaps = await env.db.prediction.findMany({ where: { modelId: model.id, saliencyKey: { not: null } } });
    const mapped = await env.db.image.findMany({ where: { id: { in: withMaps.map((p) => p.imageId) } } });
    expect(mapped.map((i) => i.sha256).sort()).toEqual([shas[10], shas[30]].sort());
    expect(stdout).toContain('tables list list sensitivity\n');

    const input = {
      model: Buffer.from(`Model:${model.id}`).toString('base64'),
      subset: { filter: { sex: ['FEMALE'] } },
      positive: ['malignant'],
      operatingPoint: { sensitivity: 0.8 },
      resamples: 200,
      seed: 3,
    };
    const res = await api.yoga.fetch('http://test/graphql', {
      method: 'POST',
      headers: { ...api.headers('VIEWER'), 'content-type': 'application/json' },
      body: JSON.stringify({
        query: `query E($input: EvaluationInput!) { evaluation(input: $input) {
          input { threshold } missingPredictions overall { images sensitivity { value } }
          markdown: report(format: MARKDOWN) html: report(format: HTML) } }`,
        variables: { input },
      }),
    });
    const { data, errors } = (await res.json()) as {
      data: {
        evaluation: {
          input: { threshold: number };
          missingPredictions: number;
          overall: { images: number; sensitivity: { value: number } };
          markdown: string;
          html: string;
        };
      };
      errors?: unknown;
    };
    expect(errors).toBeUndefined();
    const e = data.evaluation;
    const point = /^operating point: threshold (\S+) sensitivity (\S+) images (\d+) missing (\d+)$/m.exec(stdout);
    expect(point, stdout).toBeTruthy();
    expect(Number(point?.[1])).toBe(e.input.threshold);
    expect(Number(point?.[2])).toBe(e.overall.sensitivity.value);
    expect([Number(point?.[3]), Number(point?.[4])]).toEqual([e.overall.images, e.missingPredictions]);
    const sha = (text: string) => createHash('sha256').update(text).digest('hex');
    expect(stdout).toContain(`report markdown ${sha(e.markdown)}\n`);
    expect(stdout).toContain(`report html ${sha(e.html)}\n`);

    const saved = /^saved (\S+) True 200 text\/html/m.exec(stdout);
    expect(saved, stdout).toBeTruthy();
    const id = saved?.[1] ?? '';
    const raw = id.startsWith('ev_') ? id : (Buffer.from(id, 'base64').toString().split(':')[1] ?? '');
    expect(await env.db.evaluation.count({ where: { id: raw, modelId: model.id } })).toBe(1);
    expect(stdout).toMatch(/^<Evaluation stdlib@1 on .+: \d+ images, \d+ patients, AUROC \S+>$/m);
    // the client's own refusals, before anything is sent
    expect(stdout).toContain(
      [
        'ValueError name exactly one subset',
        'ValueError name exactly one subset',
        'ValueError split_part and fold need split=<split id> (the split the part belongs to)',
        'ValueError split_part must be one of train, validation, test',
        'ValueError give threshold or sensitivity (an operating point), not both',
        'ValueError positive',
        'DermasetError NOT_FOUND',
      ].join('\n'),
    );
  });

  describe('the walkthrough’s model', () => {
    const line = (re: RegExp) => {
      const m = re.exec(out);
      expect(m, `${re} in:\n${out}\n${err}`).toBeTruthy();
      return m as RegExpExecArray;
    };
    const figure = (s: string | undefined) => (s === 'n/a' || s === undefined ? null : Number(s));
    /** A printed figure (4 decimals) against the server's number. */
    const near = (printed: number | null, actual: number | null) => {
      if (actual === null) expect(printed).toBeNull();
      else expect(Math.abs((printed ?? Number.NaN) - actual)).toBeLessThanOrEqual(5.000001e-5);
    };
    const ask = async (query: string, variables: Record<string, unknown>) => {
      const res = await api.yoga.fetch('http://test/graphql', {
        method: 'POST',
        headers: { ...api.headers('VIEWER'), 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
      expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
      return body.data as Record<string, never>;
    };
    const EST = '{ value lower upper }';
    const METRICS = ['sensitivity', 'specificity', 'ppv', 'npv', 'balancedAccuracy', 'auroc', 'auprc', 'ece'];
    const SNAKE: Record<string, string> = { balancedAccuracy: 'balanced_accuracy' };
    type Est = { value: number | null; lower: number | null; upper: number | null };
    const splitId = () => line(/^split ([0-9a-f-]{36})/m)[1];
    const subset = () => ({ split: { id: splitId(), part: 'TEST' } });

    it('is trained on the train part’s labelled thumbnails', async () => {
      const labelled = await env.db.splitAssignment.count({ where: { splitId: splitId(), part: 'train' } });
      const m = line(/^baseline trained on (\d+) thumbnails: classes (.+)$/m);
      // the three-tier policy labels every class of the cohort
      expect(Number(m[1])).toBe(labelled);
      expect(m[2]).toBe('benign, borderline, malignant');
    });

    it('is registered with the policy’s labels, its predictions imported once: the re-import stores nothing', async () => {
      const m = line(/^model (\S+): colour-histogram-baseline@(\S+), labels (.+)$/m);
      expect(m[3]).toBe('benign, borderline, malignant');
      const stored = await env.db.model.findFirstOrThrow({
        where: { name: 'colour-histogram-baseline', version: m[2] },
        include: { _count: { select: { predictions: true } } },
      });
      const test = await env.db.splitAssignment.count({ where: { splitId: splitId(), part: 'test' } });
      expect(stored.policyId).toBe('three-tier');
      expect(stored._count.predictions).toBe(test);
      expect(stored.predictionCount).toBe(test);
      expect(out).toContain(`import: received ${test}, stored ${test}, unchanged 0, refused 0`);
      expect(out).toContain(`re-import: stored 0, unchanged ${test}, refused 0`);
    });

    it('prints the server’s evaluation of that model on the test part: counts, confusion, every metric with its interval', async () => {
      const model = line(/^model (\S+): colour-histogram-baseline@/m)[1];
      const set = `images patients positives negatives confusion { tp fp tn fn } ${METRICS.map((k) => `${k} ${EST}`).join(' ')}`;
      const data = await ask(
        `query E($input: EvaluationInput!) { evaluation(input: $input) {
          input { threshold } missingPredictions unlabelled bootstrap { note resamples seed unit }
          overall { ${set} } strata { dimension value tooSmall images patients auroc ${EST} }
          reliability { count } roc { fpr } raters { kind } errors(first: 5) { edges { node { image { sha256 } loss } } } } }`,
        { input: { model, subset: subset(), positive: ['malignant'], resamples: 1000, seed: 0 } },
      );
      const e = data.evaluation as unknown as {
        input: { threshold: number };
        missingPredictions: number;
        unlabelled: number;
        bootstrap: { note: string; resamples: number; seed: number; unit: string };
        overall: Record<string, Est> & {
          images: number;
          patients: number;
          positives: number;
          confusion: { tp: number; fp: number; tn: number; fn: number };
        };
        strata: {
          dimension: string;
          value: string | null;
          tooSmall: boolean;
          images: number;
          patients: number;
          auroc: Est;
        }[];
        reliability: unknown[];
        roc: unknown[];
        raters: unknown[];
        errors: { edges: { node: { image: { sha256: string }; loss: number } }[] };
      };
      const o = e.overall;
      expect(e.bootstrap.resamples).toBe(1000);
      expect(o.images).toBeGreaterThan(0);
      const head = line(
        /^evaluation: (\d+) images, (\d+) patients, (\d+) positives, threshold (\S+), missing predictions (\d+), unlabelled (\d+)$/m,
      );
      expect(head.slice(1, 4).map(Number)).toEqual([o.images, o.patients, o.positives]);
      near(Number(head[4]), e.input.threshold);
      expect(head.slice(5, 7).map(Number)).toEqual([e.missingPredictions, e.unlabelled]);
      expect(e.missingPredictions).toBe(0);
      expect(out).toContain(`note: ${e.bootstrap.note}`);
      expect(e.bootstrap.note).toMatch(/patient/i);
      const c = o.confusion;
      expect(out).toContain(`confusion: tp ${c.tp} fn ${c.fn} fp ${c.fp} tn ${c.tn}`);
      for (const k of METRICS) {
        const m = line(new RegExp(`^metric ${SNAKE[k] ?? k}: (\\S+) \\[(\\S+), (\\S+)\\]$`, 'm'));
        const est = o[k] as Est;
        near(figure(m[1]), est.value);
        near(figure(m[2]), est.lower);
        near(figure(m[3]), est.upper);
      }
      const dims = new Set(e.strata.map((s) => s.dimension)).size;
      const small = e.strata.filter((s) => s.tooSmall).length;
      expect(out).toContain(`strata: ${e.strata.length} over ${dims} dimensions, ${small} too small`);
      const histology = e.strata.find((s) => s.dimension === 'VERIFICATION_STAGE' && s.value === 'HISTOLOGY');
      if (histology) {
        const m = line(/^histology-verified: (\d+) images, (\d+) patients, auroc (\S+)$/m);
        expect([Number(m[1]), Number(m[2])]).toEqual([histology.images, histology.patients]);
        near(figure(m[3]), histology.auroc.value);
      }
      expect(out).toContain(
        `reliability bins: ${e.reliability.length}, roc points: ${e.roc.length}, rater rows: ${e.raters.length}`,
      );
      const worst = e.errors.edges.map((x) => x.node.image.sha256.slice(0, 8));
      const printed = line(/^largest losses: (.+)$/m)[1]?.split(', ') ?? [];
      expect(printed.map((p) => p.slice(0, 8))).toEqual(worst);
      for (const [i, p] of printed.entries()) {
        expect(Math.abs(Number(p.slice(9)) - (e.errors.edges[i]?.node.loss ?? Number.NaN))).toBeLessThanOrEqual(
          5.000001e-4,
        );
      }
    });

    it('saves the evaluation (the row holds its input and result) and renders its report', async () => {
      const id = line(/^saved evaluation (\S+)$/m)[1] ?? '';
      // the saved evaluation's global id (SavedEvaluation:ev_…) or its row id
      const raw = id.startsWith('ev_') ? id : (Buffer.from(id, 'base64').toString().split(':')[1] ?? '');
      const row = await env.db.evaluation.findUnique({ where: { id: raw } });
      expect(row, `evaluation ${id}`).toBeTruthy();
      const m = line(/^report: (\d+) lines, first: (.+)$/m);
      expect(Number(m[1])).toBeGreaterThan(10);
      expect(m[2]).toMatch(/colour-histogram-baseline/);
    });

    it('compares the two baselines as the server does: both AUROCs and their paired difference', async () => {
      const a = line(/^model (\S+): colour-histogram-baseline@/m)[1];
      const version = line(/^model \S+: colour-histogram-baseline@(\S+),/m)[1];
      const b = await ask('query M($v: String!) { model(name: "mean-colour-baseline", version: $v) { id } }', {
        v: version,
      });
      const data = await ask(
        `query C($input: ModelComparisonInput!) { modelComparison(input: $input) { images patients aurocA ${EST} aurocB ${EST} difference ${EST} } }`,
        {
          input: {
            models: [a, (b.model as unknown as { id: string }).id],
            subset: subset(),
            positive: ['malignant'],
            resamples: 1000,
            seed: 0,
          },
        },
      );
      const c = data.modelComparison as unknown as { images: number; patients: number } & Record<string, Est>;
      const rows: [string, Est][] = [
        ['auroc colour-histogram-baseline', c.aurocA as Est],
        ['auroc mean-colour-baseline', c.aurocB as Est],
        ['difference mean-colour-baseline', c.difference as Est],
      ];
      for (const [prefix, est] of rows) {
        const m = line(new RegExp(`^comparison ${prefix}@\\S+(?: - \\S+)?: (\\S+) \\[(\\S+), (\\S+)\\]$`, 'm'));
        near(figure(m[1]), est.value);
        near(figure(m[2]), est.lower);
        near(figure(m[3]), est.upper);
      }
      expect(out).toContain(`comparison images ${c.images}, patients ${c.patients}`);
    });
  });
});
