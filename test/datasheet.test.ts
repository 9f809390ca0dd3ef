// The datasheet and the Croissant document: the paper's numbers computed from the data, the four
// figures, audited prose that cannot inject markup, and JSON-LD that carries Croissant's required properties.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import jsonld from 'jsonld';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { graphql } from '../src/gql/index.ts';
import { missingRequired } from '../src/resolvers/croissant.ts';
import { type Api, createApi } from './helpers/api.ts';
import { createCohortEnv } from './helpers/cohort.ts';
import type { TestEnv } from './helpers/database.ts';

let env: TestEnv;
let api: Api;
beforeAll(async () => {
  env = await createCohortEnv();
  api = await createApi(env);
}, 300_000);
afterAll(() => env?.dispose());

const Sheet = graphql(`
  query Sheet($filter: ImageFilter, $policy: String) {
    datasheet(filter: $filter, policy: $policy) { markdown html sections { id title entries { key question answer fromData } } }
  }
`);
const Update = graphql(
  `mutation UpdateSheet($key: String!, $text: String!) { updateDatasheetText(key: $key, text: $text) { key text } }`,
);
const History = graphql(`query SheetHistory { datasheetTextHistory { key oldText newText actor } }`);
const Croissant = graphql(
  `query Croissant($filter: ImageFilter, $policy: String) { croissant(filter: $filter, policy: $policy) }`,
);

describe('the datasheet', () => {
  it('has the seven sections and every number of Table 5 and section 3 as published', async () => {
    const res = await api.as('VIEWER', Sheet, {});
    expect(res.errors).toBeUndefined();
    const d = res.data?.datasheet;
    expect(d?.sections.map((s) => s.title)).toEqual([
      'Motivation',
      'Composition',
      'Collection process',
      'Preprocessing, cleaning and labeling',
      'Uses',
      'Distribution',
      'Maintenance',
    ]);
    const md = d?.markdown ?? '';
    for (const text of [
      '1,026 unique dermoscopic images',
      'from 443 de-identified patients',
      '1,044 records passed the SOP quality gate, of which 18 (1.7 %) were exact duplicates',
      '32 frames scored 1–2 were refused',
      'min 1, median 2, mean 2.32, max 10; 190 patients have a single image',
      'female 279 (63.0 %), male 164 (37.0 %)',
      'over the 439 of 443 patients with a valid age: min 2, median 38, mean 41.1, max 90 years',
      'consensus 987, histology 39; 39 of 39 malignant images (100.0 %) are histologically verified',
      'melanocytic 767 (74.8 %), non-melanocytic 259 (25.2 %)',
      '| Nevus | 733 | 71.4 % | melanocytic | benign |',
      '| Dysplastic nevus | 16 | 1.6 % | melanocytic | borderline |',
      '| Squamous cell carcinoma | 6 | 0.6 % | non-melanocytic | malignant |',
      'From 2025 to 2026 (acquisition years of the images',
      'one of 9 normalised diagnostic classes',
      'Of the 16 fields of the information model',
    ]) {
      expect(md, text).toContain(text);
    }
    expect(md).toMatch(/Fleiss' κ = 0\.\d{3} over 1,026 images/);
  });

  it('renders HTML with the four figures as SVG', async () => {
    const html = (await api.as('VIEWER', Sheet, {})).data?.datasheet.html ?? '';
    for (const id of ['classes', 'age', 'sex', 'images-per-patient']) {
      expect(html).toMatch(new RegExp(`<figure id="figure-${id}"><svg[^>]*>[\\s\\S]*?</svg>`));
    }
    expect(html).toContain('<table>');
  });

  it('answers a subset and another policy with their own numbers', async () => {
    const md =
      (await api.as('VIEWER', Sheet, { filter: { sex: ['FEMALE'] }, policy: 'three-tier' })).data?.datasheet.markdown ??
      '';
    const women = await env.db.image.count({ where: { patient: { sex: 'FEMALE' } } });
    expect(md).toContain(`${women.toLocaleString('en-US')} unique dermoscopic images`);
    expect(md).toContain('from 279 de-identified patients');
    expect(md).toContain('Sex: female 279 (100.0 %)');
    expect(md).toContain('policy `three-tier`');
  });

  it('states the paper’s motivation, consent, ethics, uses, licence and maintenance in the demo, marked as the demo’s', async () => {
    const sheet = (await api.as('VIEWER', Sheet, {})).data?.datasheet;
    expect(sheet?.markdown).not.toContain('Not written yet');
    const prose = sheet?.sections.flatMap((s) =>
      s.entries.filter((e) => !e.fromData).map((e) => ({ ...e, section: s.id })),
    );
    expect(new Set(prose?.map((e) => e.section))).toEqual(
      new Set(['motivation', 'composition', 'collection', 'uses', 'distribution', 'maintenance']),
    );
    for (const e of prose ?? []) expect(e.answer, e.key).toMatch(/demo cohort/i);
    const answer = (key: string) => prose?.find((e) => e.key === key)?.answer ?? '';
    expect(answer('collection.consent')).toContain('written informed consent was obtained from each patient');
    expect(answer('collection.ethics')).toContain('Declaration of Helsinki');
    expect(answer('distribution.license')).toContain('non-public');
    expect(answer('uses.intended')).toContain('domain-shift analysis');
    expect(answer('maintenance.owner')).toContain('Ivannikov Institute for System Programming');
    const history = (await api.as('REVIEWER', History)).data?.datasheetTextHistory ?? [];
    expect(history.filter((h) => h.actor === 'demo seed')).toHaveLength(prose?.length ?? -1);
  });

  it('states the configured licence and creator in the distribution section, and the dataset version', async () => {
    vi.stubEnv('DERMASET_LICENSE', 'CC-BY-4.0');
    try {
      const sheet = (await api.as('VIEWER', Sheet, {})).data?.datasheet;
      const distribution = sheet?.sections.find((s) => s.id === 'distribution')?.entries ?? [];
      expect(distribution.find((e) => e.key === 'distribution.license')?.answer).toBe(
        'CC-BY-4.0\n\n_Set by `DERMASET_LICENSE`._',
      );
      expect(distribution.find((e) => e.key === 'distribution.creator')?.answer).toMatch(/Ivannikov/);
      expect(distribution.find((e) => e.key === 'distribution.version')?.answer).toMatch(
        /^0\.0\.0\+\d{8}\.[0-9a-f]{8}: no release is named/,
      );
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('lets admins write the prose, audited, and escapes markup in it', async () => {
    const changes = await env.db.datasheetTextChange.count();
    const refused = await api.as('REVIEWER', Update, { key: 'uses.intended', text: 'x' });
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const unknown = await api.as('ADMIN', Update, { key: 'uses.everything', text: 'x' });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await env.db.datasheetTextChange.count()).toBe(changes);
    const demoText = (await env.db.datasheetText.findUnique({ where: { key: 'uses.intended' } }))?.text ?? null;

    await api.as('ADMIN', Update, { key: 'uses.intended', text: 'Independent evaluation of classifiers.' });
    const res = await api.as('ADMIN', Update, {
      key: 'uses.intended',
      text: 'Evaluation <script>alert(1)</script> only.',
    });
    expect(res.data?.updateDatasheetText.text).toContain('<script>');
    const sheet = (await api.as('VIEWER', Sheet, {})).data?.datasheet;
    const entry = sheet?.sections.find((s) => s.id === 'uses')?.entries.find((e) => e.key === 'uses.intended');
    expect(entry).toMatchObject({ fromData: false });
    expect(sheet?.html).not.toContain('<script>alert(1)');
    expect(sheet?.html).toContain('&lt;script&gt;alert(1)');
    const history = (await api.as('REVIEWER', History)).data?.datasheetTextHistory;
    expect(history?.slice(0, 2).map((h) => [h.key, h.oldText, h.newText])).toEqual([
      ['uses.intended', 'Independent evaluation of classifiers.', 'Evaluation <script>alert(1)</script> only.'],
      ['uses.intended', demoText, 'Independent evaluation of classifiers.'],
    ]);
    // who: the admin's staff code, the keyed hash the verification trail uses, never the token
    expect(history?.[0]?.actor).toMatch(/^E-[0-9A-Z]{13}$/);
  });

  it('is served at /datasheet.html and /datasheet.md, with the API’s access checks', async () => {
    expect((await api.yoga.fetch('http://test/datasheet.html')).status).toBe(401);
    const html = await api.yoga.fetch('http://test/datasheet.html', { headers: api.headers('VIEWER') });
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(await html.text()).toContain('<svg');
    const md = await api.yoga.fetch('http://test/datasheet.md?policy=nine-class', { headers: api.headers('VIEWER') });
    expect(await md.text()).toContain('policy `nine-class`');
  });

  it('is written by `dermaset datasheet --out`', async () => {
    const root = join(import.meta.dirname, '..');
    const out = join(env.dataDir, 'datasheet.html');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(root, 'bin', 'dermaset.mjs'), 'datasheet', '--out', out],
      {
        cwd: root,
        env: {
          ...process.env,
          DATABASE_URL: env.url,
          DATA_DIR: env.dataDir,
          DERMASET_PSEUDONYM_KEY: env.config.pseudonymKey ?? '',
        },
      },
    );
    expect(stdout).toContain('1026 images');
    expect(readFileSync(out, 'utf8')).toContain('<figure id="figure-age"><svg');
  });
});

describe('Croissant', () => {
  it('parses as JSON-LD and carries every property the specification marks required', async () => {
    const res = await api.as('VIEWER', Croissant, {});
    expect(res.errors).toBeUndefined();
    const doc = res.data?.croissant as Record<string, unknown>;
    const expanded = (await jsonld.expand(doc as jsonld.JsonLdDocument)) as Record<string, unknown>[];
    expect(missingRequired(expanded)).toEqual([]);
    // and the check can fail: without a license the document does not conform
    const { license: _license, ...withoutLicense } = doc;
    expect(
      missingRequired((await jsonld.expand(withoutLicense as jsonld.JsonLdDocument)) as Record<string, unknown>[]),
    ).toEqual(['https://schema.org/license']);
  });

  it('lists every file with its sha256, a record set with typed fields, and the RAI fields', async () => {
    const doc = (await api.as('VIEWER', Croissant, { filter: { verificationStageAtLeast: 'HISTOLOGY' } })).data
      ?.croissant as {
      conformsTo: string[];
      distribution: { '@type': string; sha256: string; contentUrl: string }[];
      recordSet: { field: { name: string; dataType: string }[] }[];
      [k: string]: unknown;
    };
    expect(doc.conformsTo).toEqual(['http://mlcommons.org/croissant/1.1', 'http://mlcommons.org/croissant/RAI/1.0']);
    const files = doc.distribution;
    expect(files).toHaveLength(1 + 39);
    expect(files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256))).toBe(true);
    expect(doc.recordSet[0]?.field.map((f) => f.name)).toContain('verification_stage');
    for (const rai of [
      'rai:dataCollection',
      'rai:dataCollectionTimeframe',
      'rai:dataAnnotationProtocol',
      'rai:annotationsPerItem',
      'rai:dataAnnotationAnalysis',
      'rai:dataLimitations',
      'rai:personalSensitiveInformation',
    ]) {
      expect(doc[rai], rai).toBeTruthy();
    }
    expect(String(doc['rai:dataAnnotationAnalysis'])).toMatch(
      /Fleiss' kappa of the independent reviews: 0\.\d{3} over 39 images/,
    );
  });
});

describe('the croissant exporter', () => {
  it('writes the same document as a downloadable export', async () => {
    const Start = graphql(
      `mutation StartCroissant($policy: String) { startExport(format: "croissant", policy: $policy) { id } }`,
    );
    const Poll = graphql(`query PollCroissant($id: String!) { export(id: $id) { status downloadUrl error } }`);
    const id = (await api.as('VIEWER', Start, { policy: 'ham10000' })).data?.startExport.id ?? '';
    let url: string | null | undefined;
    for (let i = 0; i < 200 && !url; i++) {
      const e = (await api.as('VIEWER', Poll, { id })).data?.export;
      if (e?.status === 'FAILED') throw new Error(e.error ?? 'failed');
      url = e?.downloadUrl;
      if (!url) await new Promise((r) => setTimeout(r, 50));
    }
    const doc = (await (await api.yoga.fetch(url ?? '', { headers: api.headers('VIEWER') })).json()) as Record<
      string,
      unknown
    >;
    expect(missingRequired((await jsonld.expand(doc as jsonld.JsonLdDocument)) as Record<string, unknown>[])).toEqual(
      [],
    );
    // a dataset version, not the policy the document was made under
    expect(doc.version).toMatch(/^0\.0\.0\+\d{8}\.[0-9a-f]{8}$/);
  });
});
