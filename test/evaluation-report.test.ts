// The evaluation report (issue 17 §2): a constructed EvaluationResult rendered as Markdown and HTML —
// its numbers in their places, the callers' words escaped, the ROC and reliability figures as SVG,
// the same bytes on every render — and GET /evaluations/<id>.html|.md serving a saved evaluation
// with the API's access rules (bearer, public read, signed URL, revoked signer), on both databases.
import { marked, type Token, type Tokens } from 'marked';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { db } from '../src/db/current.ts';
import { CLASSES } from '../src/domain/classes.ts';
import type { Estimate, EvaluationResult, MetricSet } from '../src/domain/evaluation-result.ts';
import { expiryOf, signPath } from '../src/domain/signed-url.ts';
import { clearChartCache } from '../src/resolvers/datasheet-charts.ts';
import { stableSvgIds } from '../src/resolvers/evaluation-charts.ts';
import {
  MAX_EVALUATION_ID_LENGTH,
  renderEvaluationReport,
  resultForReader,
} from '../src/resolvers/evaluation-report.ts';
import { revokeToken, TokenResolver } from '../src/resolvers/tokens.ts';
import { correctLabel } from '../src/resolvers/verification.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createCohortEnv } from './helpers/cohort.ts';
import { createTestEnv, type TestEnv } from './helpers/database.ts';

const est = (value: number | null, lower: number | null = null, upper: number | null = null): Estimate => ({
  value,
  lower,
  upper,
});

const metrics = (over: Partial<MetricSet> = {}): MetricSet => ({
  images: 1200,
  patients: 480,
  positives: 360,
  negatives: 840,
  confusion: { tp: 288, fp: 84, tn: 756, fn: 72 },
  sensitivity: est(0.8, 0.65, 0.91),
  specificity: est(0.9, 0.82, 0.96),
  ppv: est(0.77419, 0.6, 0.9),
  npv: est(0.91304, 0.85, 0.97),
  balancedAccuracy: est(0.85, 0.77, 0.92),
  auroc: est(0.91234, 0.85123, 0.96111),
  auprc: est(0.8, 0.7, 0.88),
  ece: est(0.0412, 0.0201, 0.0899),
  ...over,
});

/** A hand-made result: every section filled, names that need escaping, a too-small stratum, nulls. */
function sample(): EvaluationResult {
  return {
    input: {
      model: { id: 1, name: 'resnet <script>alert(1)</script>', version: '1.0|rc*1' },
      subset: 'release r_abc (dermaset 1.0.0) <b>frozen</b>',
      subsetInput: { release: 'r_abc' },
      policy: { id: 'binary-malignancy', version: '1.0.0' },
      positive: ['malignant'],
      threshold: 0.5,
      operatingPoint: null,
      bins: 10,
      minStratumPatients: 10,
    },
    bootstrap: {
      unit: 'PATIENT',
      resamples: 1000,
      seed: 7,
      level: 0.95,
      note: 'Intervals are 95 % percentile bootstrap intervals over 1000 resamples of patients (seed 7).',
    },
    missingPredictions: 3,
    unlabelled: 12,
    overall: metrics(),
    reliability: Array.from({ length: 10 }, (_, i) => ({
      lower: i / 10,
      upper: (i + 1) / 10,
      count: i === 4 ? 0 : 100 + i,
      meanScore: i === 4 ? null : i / 10 + 0.05,
      positiveRate: i === 4 ? null : i / 10 + 0.02,
    })),
    roc: [
      { fpr: 0, tpr: 0, threshold: 1 },
      { fpr: 0.05, tpr: 0.5, threshold: 0.8 },
      { fpr: 0.1, tpr: 0.8, threshold: 0.5 },
      { fpr: 0.4, tpr: 0.95, threshold: 0.2 },
      { fpr: 1, tpr: 1, threshold: 0 },
    ],
    strata: [
      {
        ...metrics({ images: 39, patients: 30 }),
        dimension: 'VERIFICATION_STAGE',
        value: 'HISTOLOGY',
        tooSmall: false,
      },
      {
        ...metrics({ images: 9, patients: 4, positives: 2, negatives: 7, sensitivity: est(0.5) }),
        dimension: 'SEX',
        value: null,
        tooSmall: true,
      },
      { ...metrics({ images: 700 }), dimension: 'SEX', value: 'FEMALE', tooSmall: false },
      { ...metrics({ images: 77 }), dimension: 'COLLECTION', value: 'isic-<i>2020</i>', tooSmall: false },
      { ...metrics({ images: 55 }), dimension: 'AGE_BAND', value: '85+', tooSmall: false },
    ],
    raters: [
      { kind: 'REVIEWER', rater: 'R-SECRET01', images: 900, kappa: 0.6123, agreement: 0.85 },
      { kind: 'REVIEWER', rater: 'R-SECRET02', images: 880, kappa: -0.00001, agreement: 0.5 },
      { kind: 'CONSENSUS', rater: null, images: 1000, kappa: 0.7, agreement: 0.9 },
      { kind: 'HISTOLOGY', rater: null, images: 39, kappa: null, agreement: null },
    ],
    expertDisagreement: {
      unanimous: { images: 800, modelAgreesWithConsensus: 0.9, kappa: 0.75 },
      split: { images: 100, modelAgreesWithConsensus: 0.6, kappa: 0.2 },
    },
  };
}

const svgsOf = (html: string) => [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]);

describe('renderEvaluationReport', () => {
  it('puts the numbers in their places in the Markdown, three decimals each', async () => {
    const md = await renderEvaluationReport(sample(), 'MARKDOWN');
    for (const line of [
      '- Model: `resnet <script>alert(1)</script>` version `1.0|rc*1`',
      '- Policy: `binary-malignancy` version 1.0.0',
      '- Positive labels: `malignant`',
      '- Threshold: 0.500 (a score at or above it is called positive)',
      '| Images evaluated | 1,200 |',
      '| Patients | 480 |',
      '| Positive images | 360 |',
      '| Negative images | 840 |',
      '| Images without a prediction of the model (not evaluated) | 3 |',
      '| Images the policy excludes or leaves unmapped (not evaluated) | 12 |',
      'Intervals are 95 % percentile bootstrap intervals over 1000 resamples of patients (seed 7).',
      'Resamples: 1,000 · seed: 7 · level: 95 % · unit: the patient.',
      '## Confusion matrix at the threshold 0.500',
      '| positive | 288 | 72 | 360 |',
      '| negative | 84 | 756 | 840 |',
      '| total | 372 | 828 | 1,200 |',
      '| Sensitivity | 0.800 | 0.650–0.910 |',
      '| Specificity | 0.900 | 0.820–0.960 |',
      '| PPV (precision) | 0.774 | 0.600–0.900 |',
      '| NPV | 0.913 | 0.850–0.970 |',
      '| Balanced accuracy | 0.850 | 0.770–0.920 |',
      '| AUROC | 0.912 | 0.851–0.961 |',
      '| AUPRC (average precision) | 0.800 | 0.700–0.880 |',
      '| ECE (expected calibration error) | 0.041 | 0.020–0.090 |',
      'Expected calibration error (ECE): 0.041 (0.020–0.090)',
      '| 0.400–0.500 | 0 | — | — |',
      '| 0.900–1.000 (incl.) | 109 | 0.950 | 0.920 |',
      '### Verification stage',
      'Histopathology alone is the reference standard',
      '| Histopathology | 39 | 30 | 360 | 840 | 0.800 (0.650–0.910) | 0.900 (0.820–0.960) | 0.912 (0.851–0.961) | 0.800 (0.700–0.880) | 0.041 (0.020–0.090) |  |',
      '| _not recorded_ | 9 | 4 | 2 | 7 | 0.500 | 0.900 (0.820–0.960) |',
      '**too small** |',
      '| Female | 700 |',
      '| `isic-<i>2020</i>` | 77 |',
      '| 85+ | 55 |',
      '| reviewer `R-SECRET01` | 900 | 0.612 | 0.850 |',
      '| reviewer `R-SECRET02` | 880 | 0.000 | 0.500 |',
      '| consensus of the specialists | 1,000 | 0.700 | 0.900 |',
      '| histopathology | 39 | — | — |',
      '| unanimous | 800 | 0.900 | 0.750 |',
      '| split | 100 | 0.600 | 0.200 |',
    ])
      expect(md, line).toContain(line);
    // the service's sentence is the report's, said once; the strata come in the fixed dimension order
    expect(md.split('percentile bootstrap')).toHaveLength(2);
    const order = ['### Verification stage', '### Sex', '### Age band', '### Collection'].map((h) => md.indexOf(h));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // the callers' words outside code spans cannot open HTML or Markdown: escaped
    expect(md).toContain('# Evaluation of resnet &lt;script&gt;alert(1)&lt;/script&gt; 1.0\\|rc\\*1');
    expect(md).toContain(
      '- Subset: release r\\_abc (dermaset 1.0.0) &lt;b&gt;frozen&lt;/b&gt; (as asked: `{"release":"r_abc"}`)',
    );
    expect(md.replace(/`[^`\n]*`/g, '')).not.toMatch(/<(script|b|i)\b/);
  });

  it('parses as the Markdown it means: whole tables, no raw HTML, no link but the two figures', async () => {
    const r = sample();
    // words that would break a table, open a link or emphasis, or end a block
    r.strata.push({
      ...metrics({ images: 5 }),
      dimension: 'COLLECTION',
      value: 'a|b`c` [x](javascript:alert(1)) *y*\n# z',
      tooSmall: true,
    });
    r.input.positive = ['mal|ignant', '<img src=x onerror=alert(1)>'];
    const md = await renderEvaluationReport(r, 'MARKDOWN');
    const kinds = new Set<string>();
    const images: string[] = [];
    marked.walkTokens(marked.lexer(md), (t: Token) => {
      kinds.add(t.type);
      if (t.type === 'image') images.push((t as Tokens.Image).href.slice(0, 26));
      if (t.type === 'table') {
        const table = t as Tokens.Table;
        for (const row of table.rows) expect(row.length).toBe(table.header.length);
      }
    });
    expect([...kinds].filter((k) => ['html', 'link', 'heading'].includes(k))).toEqual(['heading']);
    expect(images).toEqual(['data:image/svg+xml;base64,', 'data:image/svg+xml;base64,']);
    const html = await marked.parse(md);
    expect(html).not.toMatch(/<img src="x|<a |<script/);
    expect(html).toContain('<code>a|b`c` [x](javascript:alert(1)) *y* # z</code>');
  });

  it('states an operating point and a bootstrap turned off', async () => {
    const r = sample();
    r.input.operatingPoint = { sensitivity: 0.9 };
    r.input.threshold = 0.31415;
    r.bootstrap = { ...r.bootstrap, note: '' };
    expect(await renderEvaluationReport(r, 'MARKDOWN')).toContain(
      'Every interval is a 95 % percentile bootstrap interval resampled by patient: each resample draws',
    );
    r.bootstrap = { ...r.bootstrap, resamples: 0 };
    const md = await renderEvaluationReport(r, 'MARKDOWN');
    expect(md).toContain(
      '- Threshold: 0.314, the threshold reaching a sensitivity of 0.900 on the whole subset (operating point)',
    );
    expect(md).toContain('No intervals: the bootstrap was off (0 resamples).');
    expect(md).not.toContain('Every interval is');
    expect(md).toContain('![ROC curve over 5 points; AUROC 0.912; the dot is the threshold 0.314](data:');
    // no positives: no sensitivity, no operating point to mark
    r.overall = { ...r.overall, positives: 0, sensitivity: est(null) };
    expect(await renderEvaluationReport(r, 'MARKDOWN')).toContain('![ROC curve over 5 points; AUROC 0.912](data:');
  });

  it('writes self-contained HTML: text escaped, two inline SVG figures, no script', async () => {
    const html = await renderEvaluationReport(sample(), 'HTML');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<title>Evaluation of resnet &lt;script&gt;alert(1)&lt;/script&gt; 1.0|rc*1</title>');
    expect(html).toContain('<code>resnet &lt;script&gt;alert(1)&lt;/script&gt;</code>');
    expect(html).toContain('<td><code>isic-&lt;i&gt;2020&lt;/i&gt;</code></td>');
    expect(html).toContain('release r_abc (dermaset 1.0.0) &lt;b&gt;frozen&lt;/b&gt;');
    expect(html).not.toMatch(/<script|<b>|<i>|javascript:|<link|<img|src=/i);
    expect(html).toContain('<td>Sensitivity</td><td class="n">0.800</td><td class="n">0.650–0.910</td>');
    expect(html).toContain('<td class="n">0.500</td>');
    expect(html).toContain('<td><strong>too small</strong></td>');
    for (const id of ['roc', 'reliability'])
      expect(html).toMatch(new RegExp(`<figure id="figure-${id}"><svg[^>]*>[\\s\\S]*?</svg><figcaption>`));
    const [roc, reliability] = svgsOf(html);
    expect(roc).toContain('ROC curve (AUROC 0.912)');
    expect(roc).toContain('1 − specificity (false positive rate)');
    expect(reliability).toContain('Reliability (ECE 0.041)');
  });

  it('gives the same bytes on every render, whatever else the process has drawn', async () => {
    const first = await Promise.all([
      renderEvaluationReport(sample(), 'HTML'),
      renderEvaluationReport(sample(), 'MARKDOWN'),
    ]);
    // a figure with clip paths and a gradient in between moves vega's process-wide id counters
    const other = new vega.View(
      vega.parse(
        compile({
          data: { values: [{ a: 1, b: 2 }] },
          mark: { type: 'rect', clip: true },
          encoding: { x: { field: 'a', type: 'quantitative' }, color: { field: 'b', type: 'quantitative' } },
        }).spec,
      ),
      { renderer: 'none' },
    );
    expect(await other.toSVG()).toMatch(/clip\d+|gradient_\d+/);
    other.finalize();
    // drawn afresh, not from the renderer's memo
    clearChartCache();
    const again = await Promise.all([
      renderEvaluationReport(sample(), 'HTML'),
      renderEvaluationReport(sample(), 'MARKDOWN'),
    ]);
    expect(again[0]).toBe(first[0]);
    expect(again[1]).toBe(first[1]);
    // the Markdown carries the same figures as data-URI SVG images
    const images = [...first[1].matchAll(/!\[[^\]]*\]\(data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)\)/g)].map((m) =>
      Buffer.from(m[1] ?? '', 'base64').toString('utf8'),
    );
    expect(images).toEqual(svgsOf(first[0]));
  });

  it('renumbers vega’s process-wide clip and gradient ids per figure', () => {
    const svg =
      '<svg><defs><clipPath id="clip12"><rect/></clipPath><linearGradient id="gradient_3"/></defs>' +
      '<g clip-path="url(#clip12)"><rect fill="url(#gradient_3)"/></g></svg>';
    expect(stableSvgIds(svg, 'roc')).toBe(
      '<svg><defs><clipPath id="roc-def1"><rect/></clipPath><linearGradient id="roc-def2"/></defs>' +
        '<g clip-path="url(#roc-def1)"><rect fill="url(#roc-def2)"/></g></svg>',
    );
    expect(stableSvgIds('<svg><text>clip12</text></svg>', 'roc')).toBe('<svg><text>clip12</text></svg>');
  });

  it('names reviewers by their staff code for reviewers and admins only', async () => {
    for (const role of ['VIEWER', 'ANNOTATOR'] as const) {
      const md = await renderEvaluationReport(resultForReader(sample(), role), 'MARKDOWN');
      expect(md).not.toContain('R-SECRET');
      expect(md).toContain('| reviewer 1 | 900 | 0.612 | 0.850 |');
      expect(md).toContain('| reviewer 2 | 880 |');
    }
    for (const role of ['REVIEWER', 'ADMIN'] as const)
      expect(await renderEvaluationReport(resultForReader(sample(), role), 'MARKDOWN')).toContain('R-SECRET01');
  });
});

describe('GET /evaluations/<id>.html and .md', () => {
  let env: TestEnv;
  let api: Api;
  let open: Api;
  const ID = 'ev_0123456789abcdef';
  beforeAll(async () => {
    env = await createTestEnv();
    api = await createApi(env);
    open = await createApi(env, { publicRead: true });
    const model = await db().model.create({
      data: {
        name: 'resnet',
        version: '1',
        policyId: 'binary-malignancy',
        policyVersion: '1.0.0',
        labels: JSON.stringify(['benign', 'malignant']),
        createdBy: 'test',
      },
    });
    await db().evaluation.create({
      data: {
        id: ID,
        modelId: model.id,
        input: JSON.stringify(sample().input),
        result: JSON.stringify(sample()),
        createdBy: 'test',
      },
    });
  }, 120_000);
  afterAll(() => env?.dispose());

  const get = (a: Api, path: string, headers: Record<string, string> = {}, method = 'GET') =>
    a.yoga.fetch(`http://test${path}`, { method, headers });

  it('serves the saved result’s report as HTML and Markdown, byte for byte the renderer’s', async () => {
    const html = await get(api, `/evaluations/${ID}.html`, api.headers('VIEWER'));
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    // the server's page policy: nothing from elsewhere, no script
    expect(html.headers.get('content-security-policy')).toContain("script-src 'none'");
    expect(html.headers.get('x-content-type-options')).toBe('nosniff');
    const body = await html.text();
    expect(body).toBe(await renderEvaluationReport(resultForReader(sample(), 'VIEWER'), 'HTML'));
    expect(body).not.toContain('R-SECRET');
    const md = await get(api, `/evaluations/${ID}.md`, api.headers('VIEWER'));
    expect(md.status).toBe(200);
    expect(md.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    const text = await md.text();
    expect(text).toBe(await renderEvaluationReport(resultForReader(sample(), 'VIEWER'), 'MARKDOWN'));
    expect(text).toContain('| AUROC | 0.912 | 0.851–0.961 |');
    // again: the same bytes
    expect(await (await get(api, `/evaluations/${ID}.html`, api.headers('VIEWER'))).text()).toBe(body);
    // a reviewer reads the reviewers' codes
    expect(await (await get(api, `/evaluations/${ID}.md`, api.headers('REVIEWER'))).text()).toContain(
      'reviewer `R-SECRET01`',
    );
    // the report's hash is its ETag: a browser revalidating gets 304 without the report; a reviewer's
    // report (with the codes) is another
    const etag = html.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    const unchanged = await get(api, `/evaluations/${ID}.html`, { ...api.headers('VIEWER'), 'if-none-match': etag });
    expect(unchanged.status).toBe(304);
    expect(await unchanged.text()).toBe('');
    const reviewers = await get(api, `/evaluations/${ID}.html`, { ...api.headers('REVIEWER'), 'if-none-match': etag });
    expect(reviewers.status).toBe(200);
    expect(reviewers.headers.get('etag')).not.toBe(etag);
    // HEAD answers as GET does, without the report
    const head = await get(api, `/evaluations/${ID}.html`, api.headers('VIEWER'), 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });

  it('is 404 for an unknown id, an id past its bound or of other characters, another format', async () => {
    for (const path of [
      '/evaluations/ev_unknown.html',
      `/evaluations/${'a'.repeat(MAX_EVALUATION_ID_LENGTH + 1)}.html`,
      `/evaluations/${'a'.repeat(5000)}.md`,
      `/evaluations/${ID}%00.html`,
      `/evaluations/..%2F${ID}.html`,
      `/evaluations/${ID}.pdf`,
      `/evaluations/${ID}`,
      `/evaluations/${ID}.html/x`,
      '/evaluations/',
    ]) {
      const res = await get(api, path, api.headers('ADMIN'));
      expect(res.status, path).toBe(404);
      expect(await res.json(), path).toMatchObject({ code: 'NOT_FOUND' });
    }
  });

  it('keeps the API’s access rules: 401 without a token, the session cookie, public read, 405 for writes', async () => {
    const anonymous = await get(api, `/evaluations/${ID}.html`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({
      code: 'UNAUTHENTICATED',
      message: 'an evaluation report needs a bearer token',
    });
    // the refusal comes before the lookup: an unknown id is not told apart
    expect((await get(api, '/evaluations/ev_unknown.html')).status).toBe(401);
    expect((await get(api, `/evaluations/${ID}.md`, { authorization: 'Bearer not-a-token' })).status).toBe(401);
    // a browser signed in at POST /session sends the cookie alone
    const session = await api.yoga.fetch('http://test/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: api.tokens.VIEWER }),
    });
    const cookie = (session.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect(cookie).toMatch(/=/);
    const byCookie = await get(api, `/evaluations/${ID}.html`, { cookie });
    expect(byCookie.status).toBe(200);
    expect(await byCookie.text()).toBe(await renderEvaluationReport(resultForReader(sample(), 'VIEWER'), 'HTML'));
    const shown = await get(open, `/evaluations/${ID}.md`);
    expect(shown.status).toBe(200);
    expect(await shown.text()).not.toContain('R-SECRET');
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await get(api, `/evaluations/${ID}.html`, api.headers('ADMIN'), method);
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
      expect(await res.json()).toEqual({
        code: 'METHOD_NOT_ALLOWED',
        message: `evaluation reports are read with GET or HEAD, not ${method}`,
      });
    }
    // nothing was written by any of these requests
    expect(await db().evaluation.count()).toBe(1);
  });

  it('opens by a signed URL, for its path only, until it expires or its signer is revoked', async () => {
    const resolver = new TokenResolver(() => env.db);
    const keys = await resolver.keys();
    const viewer = await resolver.resolve(api.tokens.VIEWER);
    const reviewer = await resolver.resolve(api.tokens.REVIEWER);
    if (!viewer || !reviewer) throw new Error('test tokens not found');
    const sign = (path: string, tokenId: number, expires = expiryOf(Date.now(), 3600)) =>
      signPath(keys, path, tokenId, expires);
    const signed = await get(api, sign(`/evaluations/${ID}.html`, viewer.tokenId));
    expect(signed.status).toBe(200);
    expect(await signed.text()).toBe(await renderEvaluationReport(resultForReader(sample(), 'VIEWER'), 'HTML'));
    // the signer's rights: a reviewer's URL shows the codes
    expect(await (await get(api, sign(`/evaluations/${ID}.md`, reviewer.tokenId))).text()).toContain('R-SECRET01');
    // another path with the same signature
    const other = sign(`/evaluations/${ID}.html`, viewer.tokenId).replace('.html', '.md');
    expect((await get(api, other)).status).toBe(403);
    const expired = await get(api, sign(`/evaluations/${ID}.html`, viewer.tokenId, Math.floor(Date.now() / 1000) - 1));
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ code: 'SIGNATURE_EXPIRED' });
    // an unknown id behind a good signature is still 404
    expect((await get(api, sign('/evaluations/ev_unknown.html', viewer.tokenId))).status).toBe(404);
    // revoked: the URL stops opening
    const url = sign(`/evaluations/${ID}.html`, reviewer.tokenId);
    await revokeToken(reviewer.tokenId);
    const revoked = await get(api, url);
    expect(revoked.status).toBe(401);
    expect(await revoked.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});

/** A GraphQL request without a typed document (the generated documents are the lead's to regenerate). */
async function gql<T>(a: Api, role: 'VIEWER' | 'ADMIN', query: string, variables?: Record<string, unknown>) {
  const res = await a.yoga.fetch('http://test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...a.headers(role) },
    body: JSON.stringify({ query, variables }),
  });
  const answer = (await res.json()) as { data?: T; errors?: unknown[] };
  if (answer.errors || !answer.data) throw new Error(JSON.stringify(answer.errors));
  return answer.data;
}

/** A score in [0, 1] from a hash of the image and its clinical status: a model better than chance, fixed. */
const scoreOf = (sha256: string, malignant: boolean) => {
  const noise = Number.parseInt(sha256.slice(0, 8), 16) / 0xffffffff;
  return Math.round((malignant ? 0.35 + 0.6 * noise : 0.6 * noise) * 1e6) / 1e6;
};

describe('acceptance: an evaluation made on a release is reproducible byte for byte', () => {
  let cohort: TestEnv;
  let api: Api;
  beforeAll(async () => {
    cohort = await createCohortEnv();
    api = await createApi(cohort);
  }, 300_000);
  afterAll(() => cohort?.dispose());

  const SAVE = `mutation Save($input: EvaluationInput!) {
    saveEvaluation(input: $input) { id reportUrl result { report(format: HTML) } }
  }`;
  const EVALUATE = `query Evaluate($input: EvaluationInput!) {
    evaluation(input: $input) { report(format: HTML) md: report(format: MARKDOWN) overall { images confusion { tp fp tn fn } } }
  }`;
  type Saved = { saveEvaluation: { id: string; reportUrl: string; result: { report: string } } };
  type Evaluated = { evaluation: { report: string; md: string; overall: { images: number; confusion: unknown } } };
  /** The report as Markdown at the route of the signed HTML URL (its key), read with a header. */
  const markdownOf = async (reportUrl: string) => {
    const path = new URL(reportUrl).pathname;
    expect(path).toMatch(/^\/evaluations\/[A-Za-z0-9_-]{1,64}\.html$/);
    return (
      await api.yoga.fetch(`http://test${path.replace(/\.html$/, '.md')}`, { headers: api.headers('ADMIN') })
    ).text();
  };

  it('serves the saved report unchanged after consensus labels are corrected and the policy switched', async () => {
    const registered = await gql<{ registerModel: { id: string } }>(
      api,
      'ADMIN',
      'mutation { registerModel(input: { name: "acceptance", version: "1", policy: "screening-binary" }) { id } }',
    );
    const model = await db().model.findFirstOrThrow({ where: { name: 'acceptance' } });
    expect(JSON.parse(model.labels)).toEqual(['benign', 'malignant']);
    const images = await db().image.findMany({ select: { id: true, sha256: true, diagnosisClass: true } });
    await db().prediction.createMany({
      data: images.map((i) => {
        const s = scoreOf(i.sha256, i.diagnosisClass !== null && CLASSES[i.diagnosisClass].status === 'MALIGNANT');
        return { modelId: model.id, imageId: i.id, scores: JSON.stringify([Math.round((1 - s) * 1e6) / 1e6, s]) };
      }),
    });
    const release = (
      await gql<{ createRelease: { id: string } }>(
        api,
        'ADMIN',
        'mutation { createRelease(input: { name: "acceptance", version: "1.0.0" }) { id } }',
      )
    ).createRelease.id;
    const split = (
      await gql<{ createSplit: { id: string } }>(
        api,
        'ADMIN',
        `mutation($release: String!) { createSplit(input: { name: "on the release", release: $release, seed: 5, policy: "screening-binary", fractions: { train: 0.5, validation: 0.2, test: 0.3 } }) { id } }`,
        { release },
      )
    ).createSplit.id;
    const base = { model: registered.registerModel.id, positive: ['malignant'], resamples: 200, seed: 11 };
    const frozen = [
      { ...base, subset: { release } },
      { ...base, subset: { split: { id: split, part: 'TEST' } } },
    ];
    const live = { ...base, subset: { filter: {} } };

    const before = [];
    for (const input of frozen) {
      const saved = (await gql<Saved>(api, 'ADMIN', SAVE, { input })).saveEvaluation;
      // the signed reportUrl opens the report without a header: the mutation's own report, byte for byte
      const html = await (await api.yoga.fetch(saved.reportUrl)).text();
      expect(html).toBe(saved.result.report);
      expect(html).toContain('<figure id="figure-roc"><svg');
      const md = await markdownOf(saved.reportUrl);
      expect(md).toContain('# Evaluation of acceptance 1');
      before.push({ input, saved, html, md });
    }
    const liveBefore = (await gql<Evaluated>(api, 'ADMIN', EVALUATE, { input: live })).evaluation;

    // live labels change: consensus labels corrected from nevus to melanoma (benign to malignant under
    // the model's policy), and the active policy switched (every image of the demo cohort is decided
    // already: a consensus or histology, so a correction is how its labels change)
    const nevi = await db().image.findMany({
      where: { diagnosisClass: 'NEVUS', histopathology: null },
      select: { id: true, consensus: { select: { id: true } } },
      orderBy: { id: 'asc' },
    });
    const corrected = nevi.filter((i) => i.consensus !== null).slice(0, 20);
    expect(corrected).toHaveLength(20);
    for (const i of corrected)
      await correctLabel({ imageId: i.id, diagnosisClass: 'MELANOMA', reason: 'acceptance: re-read', actor: 'test' });
    await gql(api, 'ADMIN', 'mutation { setActivePolicy(id: "nine-class") { id } }');

    // the live subset moved
    const liveAfter = (await gql<Evaluated>(api, 'ADMIN', EVALUATE, { input: live })).evaluation;
    expect(liveAfter.overall.confusion).not.toEqual(liveBefore.overall.confusion);
    expect(liveAfter.report).not.toBe(liveBefore.report);

    // the frozen ones did not: evaluated again, the same report; saved again, the same evaluation;
    // served, the same bytes
    for (const { input, saved, html, md } of before) {
      const again = (await gql<Evaluated>(api, 'ADMIN', EVALUATE, { input })).evaluation;
      expect(again.report, JSON.stringify(input.subset)).toBe(html);
      expect(again.md).toBe(md);
      const resaved = (await gql<Saved>(api, 'ADMIN', SAVE, { input })).saveEvaluation;
      expect(resaved.id).toBe(saved.id);
      expect(await (await api.yoga.fetch(resaved.reportUrl)).text()).toBe(html);
      expect(await markdownOf(resaved.reportUrl)).toBe(md);
    }
  }, 300_000);
});
