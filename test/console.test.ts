// The web console (/app) in a real browser: Debian's chromium driven by playwright-core against a
// real server on 127.0.0.1 over a copy of the demo cohort. An image walks from upload to histology
// through the console (an annotator, three blind reviewers, a consensus, histology); an admin
// previews and switches a policy; a lost write race is shown as CONFLICT; the session cookie is
// out of scripts' reach and thumbnails load. With DERMASET_SCREENSHOTS=1 the pages are written to
// docs/console-*.png (scripts/console-screenshots.sh).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSchema, createYoga } from 'graphql-yoga';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../src/resolvers/tokens.ts';
import { SESSION_COOKIE } from '../src/server/context.ts';
import { useAppRoutes } from '../src/server/use-app-routes.ts';
import { type Api, createApi } from './helpers/api.ts';
import { launchChromium, watchPage } from './helpers/browser.ts';
import { createCohortEnv } from './helpers/cohort.ts';
import { type TestEnv, testProvider } from './helpers/database.ts';
import { lesion, record } from './helpers/images.ts';

const SCREENSHOTS = process.env.DERMASET_SCREENSHOTS === '1';
/**
 * The browser walks run on the SQLite suite only: the console is a client of the public API, whose
 * every query and mutation the API suites run on both databases, and a second chromium pass on
 * PostgreSQL costs two minutes of CI without reaching anything the API suites do not.
 */
const BROWSER = testProvider === 'sqlite';
const docs = join(import.meta.dirname, '..', 'docs');

let env: TestEnv;
let api: Api;
let server: Server;
let url: string;
let browser: Browser;
const reviewers: string[] = [];
const opened: BrowserContext[] = [];

beforeAll(async () => {
  env = await createCohortEnv();
  api = await createApi(env);
  for (const n of [1, 2, 3, 4, 5]) reviewers.push((await createToken(`console reviewer ${n}`, 'REVIEWER')).token);
  server = createServer(api.yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  if (BROWSER) browser = await launchChromium();
});

afterAll(async () => {
  for (const c of opened) await c.close().catch(() => {});
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  await env?.dispose();
});

/** A GraphQL request with a bearer token, as any API client sends it (the cross-checks). */
async function asToken<T>(token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await api.yoga.fetch('http://test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data as T;
}

/** A browser of its own (its own cookie jar), signed in through the console's token form. */
async function signedIn(token: string): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ baseURL: url, viewport: { width: 1280, height: 860 } });
  opened.push(context);
  const page = await context.newPage();
  const problems = watchPage(page);
  await page.goto('/app/');
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('role').waitFor();
  return { context, page, problems };
}

/** Waits for `target`, failing with the page's message when it shows a refusal instead. */
async function appears(page: Page, target: Locator): Promise<void> {
  const alert = page.locator('[role=alert]');
  await target.or(alert).first().waitFor({ timeout: 30_000 });
  if ((await alert.count()) > 0) throw new Error(`the page shows a refusal: ${await alert.first().textContent()}`);
}

async function screenshot(page: Page, name: string) {
  if (!SCREENSHOTS) return;
  mkdirSync(docs, { recursive: true });
  await page.screenshot({ path: join(docs, `console-${name}.png`), fullPage: false });
}

/** What the API says of an image, read as an admin. */
const stageOf = async (id: string) =>
  (
    await asToken<{ node: { version: number; diagnostic: { verificationStage: string } } }>(
      api.tokens.ADMIN,
      'query($id: ID!) { node(id: $id) { ... on Image { version diagnostic { verificationStage } } } }',
      { id },
    )
  ).node;

describe('the console page at /app', () => {
  const get = (path: string, init: RequestInit = {}) => api.yoga.fetch(`http://test${path}`, init);

  it('is served with its content types, cache headers, a CSP that lets its one script run, and the page for every console path', async () => {
    const bare = await get('/app');
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe('/app/');
    const page = await get('/app/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const html = await page.text();
    expect(html).toContain('<div id="root"></div>');
    // no script by src (the policy would refuse it): one inline module import, allowed by its hash
    expect(html).not.toMatch(/<script[^>]*\bsrc=/);
    const entry = /<script type="module">import "(\/app\/assets\/[^"]+\.js)";<\/script>/.exec(html)?.[1];
    expect(entry).toBeDefined();
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    const script = await get(entry as string);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const css = /href="(\/app\/assets\/[^"]+\.css)"/.exec(html)?.[1];
    expect((await get(css as string)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    // the console's own paths are the page (it routes in the browser)
    for (const path of ['/app/images/SW1hZ2U6MQ', '/app/policy', '/app/review/x?y=1']) {
      const spa = await get(path);
      expect(spa.status, path).toBe(200);
      expect(await spa.text()).toBe(html);
    }
    // a missing asset is not the page; a path out of the folder is not a file; HEAD has no body
    expect((await get('/app/assets/index-AAAAAAAA.js')).status).toBe(404);
    const outside = await get('/app/%2e%2e/package.json');
    expect(await outside.text()).not.toContain('"dependencies"');
    const head = await get('/app/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await get('/app/', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('says how to build the console when app/dist is missing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'dermaset-no-console-'));
    const yoga = createYoga({
      schema: createSchema({ typeDefs: 'type Query { ok: Boolean }' }),
      plugins: [useAppRoutes(join(empty, 'dist'))],
    });
    try {
      const res = await yoga.fetch('http://test/app/gallery');
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await res.text()).toContain('vite build --config app/vite.config.ts');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe.runIf(BROWSER)('the console in chromium', () => {
  it('walks an image from upload to histology: annotator, three blind reviewers, consensus, histology', async () => {
    // the annotator acquires a new image with its record
    const annotator = await signedIn(api.tokens.ANNOTATOR);
    const { page: a } = annotator;
    await a.getByRole('link', { name: 'Upload' }).click();
    await a.getByLabel('Dermoscopic image (JPEG or PNG)').setInputFiles({
      name: 'lesion.jpg',
      mimeType: 'image/jpeg',
      buffer: await lesion(9_601, { cls: 'MELANOMA' }),
    });
    // the typed record (AcquisitionRecordInput): texts, a date, numbers, choices and lists
    await a.locator('#record-patientId').fill('MRN-CONSOLE-1');
    await a.locator('#record-lesionId').fill('L7');
    await a.locator('#record-acquisitionDate').fill('2025-07-01');
    await a.locator('#record-ageAtExam').fill('44');
    await a.locator('#record-sex').selectOption('FEMALE');
    await a.locator('#record-fitzpatrickType').selectOption('II');
    await a.locator('#record-sunburnHistory').selectOption('yes');
    await a.locator('#record-personalCaHistory').selectOption('no');
    await a.locator('#record-anatomicalSite').selectOption('POSTERIOR_TORSO');
    await a.locator('#record-lesionDiameterMm').fill('5.5');
    await a.locator('#record-dominantColors').selectOption(['LIGHT_BROWN', 'DARK_BROWN']);
    await a.locator('#record-elevation').selectOption('FLAT');
    await a.locator('#record-borderRegularity').selectOption('REGULAR');
    await a.locator('#record-dermoscopicStructures').selectOption(['PIGMENT_NETWORK_TYPICAL']);
    await a.locator('#record-clinicalDiagnosis').fill('melanoma');
    await a.locator('#record-imageQualityScore').selectOption('4');
    await a.getByRole('button', { name: 'Upload' }).click();
    await expect.poll(() => a.getByTestId('outcome').textContent()).toBe('ACCEPTED');
    await a.getByRole('link', { name: 'Open it' }).click();
    await a.getByTestId('stage').waitFor();
    const id = decodeURIComponent(new URL(a.url()).pathname.replace('/app/images/', ''));
    expect(await a.getByTestId('stage').textContent()).toBe('INITIAL');
    // stored as typed, read back through the API
    const stored = await asToken<{
      node: {
        demographic: unknown;
        anamnestic: unknown;
        morphological: unknown;
        dermoscopic: unknown;
        acquiredAt: string;
      };
    }>(
      api.tokens.ADMIN,
      `query($id: ID!) { node(id: $id) { ... on Image { acquiredAt
        demographic { ageAtExam sex fitzpatrickType } anamnestic { sunburnHistory personalCaHistory }
        morphological { anatomicalSite lesionDiameterMm dominantColors elevation borderRegularity }
        dermoscopic { dermoscopicStructures } } } }`,
      { id },
    );
    expect(stored.node).toMatchObject({
      demographic: { ageAtExam: 44, sex: 'FEMALE', fitzpatrickType: 'II' },
      anamnestic: { sunburnHistory: true, personalCaHistory: false },
      morphological: {
        anatomicalSite: 'POSTERIOR_TORSO',
        lesionDiameterMm: 5.5,
        dominantColors: expect.arrayContaining(['LIGHT_BROWN', 'DARK_BROWN']),
        elevation: 'FLAT',
        borderRegularity: 'REGULAR',
      },
      dermoscopic: { dermoscopicStructures: ['PIGMENT_NETWORK_TYPICAL'] },
    });
    expect(stored.node.acquiredAt.slice(0, 10)).toBe('2025-07-01');
    expect(annotator.problems).toEqual([]);

    // three reviewers, each blind: no other review is shown before their own is in
    for (const [n, token] of reviewers.slice(0, 3).entries()) {
      const { page, problems } = await signedIn(token as string);
      await page.goto(`/app/review/${encodeURIComponent(id)}`);
      await page.getByTestId('no-reviews').waitFor();
      expect(await page.getByTestId('visible-reviews').count()).toBe(0);
      if (n === 1) await screenshot(page, 'review');
      await page.getByLabel('Diagnosis class').selectOption('MELANOMA');
      await page.locator('input[name=structure][value=BLUE_WHITISH_VEIL]').check();
      await page.locator('input[name=structure][value=PIGMENT_NETWORK_ATYPICAL]').check();
      await page.getByRole('button', { name: 'Submit review' }).click();
      await page.getByText('Your review is in.').waitFor();
      // once mine is in, the reviews so far are visible: mine and those before it
      await expect.poll(() => page.getByTestId('visible-reviews').locator('li').count()).toBe(n + 1);
      expect(problems).toEqual([]);
    }
    expect((await stageOf(id)).diagnostic.verificationStage).toBe('INITIAL');

    // the consensus, with the three reviews side by side: malignant
    const lead = await signedIn(reviewers[0] as string);
    await lead.page.goto('/app/consensus');
    await lead.page
      .locator(`a[href="/app/consensus/${encodeURIComponent(id)}"]`)
      .first()
      .waitFor();
    await lead.page.goto(`/app/consensus/${encodeURIComponent(id)}`);
    const columns = lead.page.getByRole('table', { name: 'The reviews side by side' }).locator('thead th');
    await expect.poll(() => columns.count()).toBe(4);
    await lead.page.getByLabel('Agreed diagnosis class').selectOption('MELANOMA');
    await lead.page.locator('input[name=structure][value=BLUE_WHITISH_VEIL]').check();
    await lead.page.getByLabel('Note').fill('Three of three: melanoma');
    await lead.page.getByRole('button', { name: 'Record consensus' }).click();
    await lead.page.getByText('Consensus recorded').waitFor();
    expect((await stageOf(id)).diagnostic.verificationStage).toBe('CONSENSUS');

    // histology, from the pending-histology queue
    await lead.page.getByRole('link', { name: 'Histology' }).click();
    await lead.page.getByRole('heading', { name: 'Pending histology' }).waitFor();
    await lead.page.goto(`/app/histology/${encodeURIComponent(id)}`);
    await lead.page.getByLabel('Histological diagnosis class').selectOption('MELANOMA');
    await lead.page.getByLabel('Report', { exact: true }).fill('Superficial spreading melanoma, Breslow 0.4 mm');
    await lead.page.getByRole('button', { name: 'Record histology' }).click();
    await lead.page.getByText('Histology recorded').waitFor();

    // the image detail: stage HISTOLOGY, the six blocks and the whole trail
    await lead.page.goto(`/app/images/${encodeURIComponent(id)}`);
    await expect.poll(() => lead.page.getByTestId('stage').textContent()).toBe('HISTOLOGY');
    for (const block of ['Demographic', 'Anamnestic', 'Morphological', 'Dermoscopic', 'Diagnostic', 'Service'])
      expect(await lead.page.getByRole('region', { name: block }).count(), block).toBe(1);
    const trail = lead.page.getByRole('table').filter({ has: lead.page.getByText('Step') });
    const steps = await trail.locator('tbody td:nth-child(2)').allTextContents();
    // the workflow's steps in order, and each label change the API keeps beside them
    expect(steps.filter((step) => step !== 'Label change')).toEqual([
      'Initial annotation',
      'Review',
      'Review',
      'Review',
      'Consensus (Confirmed)',
      'Histology',
    ]);
    const { node } = await asToken<{ node: { labelChanges: unknown[] } }>(
      api.tokens.ADMIN,
      'query($id: ID!) { node(id: $id) { ... on Image { labelChanges { at } } } }',
      { id },
    );
    expect(steps.filter((step) => step === 'Label change')).toHaveLength(node.labelChanges.length);
    await screenshot(lead.page, 'image');
    expect((await stageOf(id)).diagnostic.verificationStage).toBe('HISTOLOGY');
    expect(lead.problems).toEqual([]);
  });

  it('an admin previews another policy, sees the counts change, and switches to it', async () => {
    type Labels = { label: string; count: number }[];
    const { activePolicy, policies } = await asToken<{ activePolicy: { id: string }; policies: { id: string }[] }>(
      api.tokens.ADMIN,
      '{ activePolicy { id } policies { id } }',
    );
    const labelsUnder = async (policy: string) =>
      (
        await asToken<{ stats: { labels: Labels } }>(
          api.tokens.ADMIN,
          'query($p: String) { stats(policy: $p) { labels { label count } } }',
          { p: policy },
        )
      ).stats.labels;
    const before = await labelsUnder(activePolicy.id);
    const next = policies.find((p) => p.id !== activePolicy.id)?.id as string;
    const after = await labelsUnder(next);
    const counts = (l: Labels) => new Map(l.map((x) => [x.label, x.count]));
    const changes = [...new Set([...before, ...after].map((l) => l.label))]
      .filter((label) => counts(before).get(label) !== counts(after).get(label))
      .map((label) => `${label}: ${counts(before).get(label) ?? '—'} → ${counts(after).get(label) ?? '—'}`);
    expect(changes.length).toBeGreaterThan(0);
    /** A Table-4 table of the page as [label, count] rows. */
    const rows = async (page: Page, caption: string) => {
      const table = page.getByRole('table', { name: caption });
      await table.waitFor();
      return Promise.all(
        (await table.locator('tbody tr').all()).map(async (r) => ({
          label: (await r.getAttribute('data-label')) as string,
          count: Number(await r.locator('td').first().textContent()),
        })),
      );
    };

    const { page, problems } = await signedIn(api.tokens.ADMIN);
    await page.getByRole('link', { name: 'Policy' }).click();
    expect(await page.getByTestId('active-policy').textContent()).toBe(activePolicy.id);
    expect(await rows(page, `Now: ${activePolicy.id}`)).toEqual(before);
    await page.locator(`input[name=policy][value="${next}"]`).check();
    // the preview: Table 4 under both side by side, and the counts that change
    expect(await rows(page, `With ${next}`)).toEqual(after);
    await expect.poll(() => page.getByTestId('preview-changes').locator('li').allTextContents()).toEqual(changes);
    await screenshot(page, 'policy');
    // nothing changed before confirming
    const active = async () =>
      (await asToken<{ activePolicy: { id: string } }>(api.tokens.ADMIN, '{ activePolicy { id } }')).activePolicy.id;
    expect(await active()).toBe(activePolicy.id);
    await page.getByRole('button', { name: `Make ${next} the active policy` }).click();
    await expect.poll(() => page.getByTestId('active-policy').textContent()).toBe(next);
    expect(await rows(page, `Now: ${next}`)).toEqual(after);
    expect(await active()).toBe(next);

    // and back, through the console too
    await page.locator(`input[name=policy][value="${activePolicy.id}"]`).check();
    expect(await rows(page, `With ${activePolicy.id}`)).toEqual(before);
    await page.getByRole('button', { name: `Make ${activePolicy.id} the active policy` }).click();
    await expect.poll(() => page.getByTestId('active-policy').textContent()).toBe(activePolicy.id);
    expect(await active()).toBe(activePolicy.id);
    expect(problems).toEqual([]);
  });

  it('shows a lost write race as a CONFLICT message, and the review goes in after a reload', async () => {
    const slow = reviewers[3] as string;
    const fast = reviewers[4] as string;
    // a new image, acquired through the API as any client does (multipart)
    const form = new FormData();
    form.append(
      'operations',
      JSON.stringify({
        query:
          'mutation($file: File!, $record: JSONObject!) { createInitialAnnotation(file: $file, record: $record) { image { id version } } }',
        variables: { file: null, record: record({ patient_id: 'MRN-CONSOLE-2', lesion_id: 'L1' }) },
      }),
    );
    form.append('map', JSON.stringify({ 0: ['variables.file'] }));
    form.append('0', new File([new Uint8Array(await lesion(9_602))], 'lesion.jpg', { type: 'image/jpeg' }));
    const acquired = await api.yoga.fetch('http://test/graphql', {
      method: 'POST',
      headers: api.headers('ANNOTATOR'),
      body: form,
    });
    const body = (await acquired.json()) as {
      data?: { createInitialAnnotation: { image: { id: string; version: number } | null } };
    };
    const target = body.data?.createInitialAnnotation.image;
    expect(target, JSON.stringify(body)).toBeTruthy();
    const { id, version } = target as { id: string; version: number };

    const { page, problems } = await signedIn(slow);
    await page.goto(`/app/review/${encodeURIComponent(id)}`);
    await page.getByLabel('Diagnosis class').selectOption('NEVUS');
    // meanwhile another reviewer's review goes in (the image's version moves on)
    await asToken(
      fast,
      'mutation($id: ID!, $v: Int!) { submitReview(image: $id, expectedVersion: $v, diagnosisClass: NEVUS, structures: []) { id } }',
      { id, v: version },
    );
    await page.getByRole('button', { name: 'Submit review' }).click();
    const alert = page.locator('[role=alert][data-code=CONFLICT]');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/changed since version/);
    expect((await stageOf(id)).version).toBe(version + 1);
    // the refused review is not in: the slow reviewer still has the image in their queue
    const still = await asToken<{ reviewQueue: { edges: { node: { id: string } }[] } }>(
      slow,
      '{ reviewQueue(first: 5) { edges { node { id } } } }',
    );
    expect(still.reviewQueue.edges.map((e) => e.node.id)).toContain(id);

    await page.getByRole('button', { name: 'Reload the image' }).click();
    await expect.poll(() => page.getByTestId('version').textContent()).toBe(String(version + 1));
    await page.getByRole('button', { name: 'Submit review' }).click();
    await page.getByText('Your review is in.').waitFor();
    expect((await stageOf(id)).version).toBe(version + 2);
    expect(problems).toEqual([]);
  });

  it('an admin reaches every page: statistics, datasheet, queues, an export to its download, a split and a release created', async () => {
    const { page, problems } = await signedIn(api.tokens.ADMIN);
    const facts = await asToken<{
      datasetSummary: { classes: unknown[] };
      datasheet: { sections: unknown[] };
    }>(api.tokens.ADMIN, '{ datasetSummary { classes { count } } datasheet { sections { id } } }');

    await page.getByRole('link', { name: 'Statistics' }).click();
    const table4 = page.getByRole('table', { name: 'Diagnosis classes (Table 4)' });
    await table4.waitFor();
    expect(await table4.locator('tbody tr').count()).toBe(facts.datasetSummary.classes.length);

    await page.getByRole('link', { name: 'Datasheet' }).click();
    await page.locator('.ds-section h2').first().waitFor();
    expect(await page.locator('.ds-section').count()).toBe(facts.datasheet.sections.length);

    const queues = await asToken<Record<string, { totalCount: number }>>(
      api.tokens.ADMIN,
      '{ reviewQueue { totalCount } consensusQueue { totalCount } pendingHistology { totalCount } }',
    );
    for (const [link, heading, field] of [
      ['Review', 'My review queue', 'reviewQueue'],
      ['Consensus', 'Consensus queue', 'consensusQueue'],
      ['Histology', 'Pending histology', 'pendingHistology'],
      ['Tokens', 'Tokens', null],
    ] as const) {
      await page.getByRole('link', { name: link, exact: true }).click();
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      const total = field ? queues[field]?.totalCount : 0;
      if (total) await expect.poll(() => page.getByTestId('queue-total').textContent()).toBe(`${total} waiting.`);
    }

    // an export: started, listed, finished with a download the session opens
    await page.getByRole('link', { name: 'Exports' }).click();
    await page.getByLabel('Format').selectOption('jsonl');
    await page.getByRole('button', { name: 'Start export' }).click();
    const download = page.getByRole('link', { name: /^Download/ }).first();
    await appears(page, download);
    const href = (await download.getAttribute('href')) as string;
    const fetched = await page.evaluate(async (u) => {
      const res = await fetch(u);
      return { status: res.status, lines: (await res.text()).split('\n').filter(Boolean).length };
    }, href);
    expect(fetched.status).toBe(200);
    expect(fetched.lines).toBeGreaterThan(1000);

    // a split and a release, created and listed
    await page.getByRole('link', { name: 'Splits' }).click();
    await page.getByLabel('Name').fill('console split');
    await page.getByLabel('accept an oversized unit').check();
    await page.getByRole('button', { name: 'Create a train/validation/test split' }).click();
    const split = page.getByRole('row').filter({ hasText: 'console split' });
    await appears(page, split);
    expect(await split.locator('td').nth(5).textContent()).toBe('yes');

    await page.getByRole('link', { name: 'Releases' }).click();
    await page.getByLabel('Name').fill('console release');
    await page.getByLabel('Version').fill('1.0.0');
    await page.getByRole('button', { name: 'Create release' }).click();
    const release = page.getByRole('row').filter({ hasText: 'console release' });
    await appears(page, release);
    expect(await release.locator('td').nth(1).textContent()).toBe('1.0.0');
    expect(problems).toEqual([]);
  });

  it('an admin creates a token in the console; it signs in elsewhere; revoked, that browser is signed out at its next request', async () => {
    const admin = await signedIn(api.tokens.ADMIN);
    const { page } = admin;
    await page.getByRole('link', { name: 'Tokens', exact: true }).click();
    await page.getByRole('heading', { name: 'Tokens', exact: true }).waitFor();
    await page.getByLabel('Label', { exact: true }).fill('console token');
    await page.getByLabel('Role', { exact: true }).selectOption('ANNOTATOR');
    await page.getByRole('button', { name: 'Create token' }).click();
    const shown = page.getByTestId('new-secret');
    await appears(page, shown);
    const secret = (await shown.textContent()) as string;
    expect(secret).toMatch(/^dst_/);
    const row = page.getByRole('row').filter({ hasText: 'console token' });
    await row.waitFor();
    expect(await row.locator('td').nth(2).textContent()).toBe('ANNOTATOR');
    // the list never shows a secret: only its first characters
    expect(await page.getByRole('table').textContent()).not.toContain(secret);
    await screenshot(page, 'tokens');
    // the secret is shown once: gone after "I have kept it"
    await page.getByRole('button', { name: 'I have kept it' }).click();
    expect(await page.getByTestId('new-secret').count()).toBe(0);

    // the new token signs in, in a browser of its own
    const other = await signedIn(secret);
    expect(await other.page.getByTestId('role').textContent()).toBe('ANNOTATOR');
    await other.page.getByRole('link', { name: 'Upload' }).click();
    await other.page.getByRole('heading', { name: 'Acquire an image' }).waitFor();

    // revoked, after a confirmation
    await row.getByRole('button', { name: 'Revoke console token' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Confirm revocation' });
    await confirm.waitFor();
    await confirm.getByRole('button', { name: 'Revoke it' }).click();
    await expect.poll(() => row.locator('td').nth(5).textContent()).toMatch(/^revoked /);
    const { tokens } = await asToken<{ tokens: { label: string; revokedAt: string | null }[] }>(
      api.tokens.ADMIN,
      '{ tokens { label revokedAt } }',
    );
    expect(tokens.find((t) => t.label === 'console token')?.revokedAt).toBeTruthy();

    // the other browser's next request is refused: it is shown as signed out
    await other.page.getByRole('link', { name: 'Statistics' }).click();
    await other.page.getByTestId('signed-out').waitFor();
    await other.page.getByLabel('API token').waitFor();
    expect(admin.problems).toEqual([]);
    expect(other.problems).toEqual([]);
  });

  it('keeps the session cookie out of scripts (HttpOnly, SameSite=Strict) and loads thumbnails in <img>', async () => {
    const { context, page, problems } = await signedIn(api.tokens.VIEWER);
    const cookie = (await context.cookies()).find((c) => c.name === SESSION_COOKIE);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(await page.evaluate(() => document.cookie)).not.toContain(SESSION_COOKIE);
    expect(await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }))).toBe('{}');

    await page.getByRole('link', { name: 'Gallery' }).click();
    const thumbs = page.locator('.cards img');
    await thumbs.first().waitFor();
    expect(await thumbs.count()).toBeGreaterThan(4);
    // the first row is in view: each of its thumbnails has decoded pixels
    await page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLImageElement>('.cards img')].slice(0, 4).every((i) => i.complete),
    );
    const widths = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLImageElement>('.cards img')].slice(0, 4).map((i) => i.naturalWidth),
    );
    expect(widths.every((w) => w > 0)).toBe(true);
    await screenshot(page, 'gallery');

    // the facet headings are the server's field names ("Fitzpatrick type"), in its order
    const { facets } = await asToken<{ facets: { fields: { displayName: string }[] } }>(
      api.tokens.VIEWER,
      '{ facets { fields { displayName } } }',
    );
    expect(facets.fields.map((f) => f.displayName)).toContain('Fitzpatrick type');
    expect(await page.locator('.facets details summary').allTextContents()).toEqual(
      facets.fields.map((f) => f.displayName),
    );

    // create forms only for roles that may use them: a viewer may split (any token), not release
    await page.getByRole('link', { name: 'Splits' }).click();
    await page.getByRole('form', { name: 'Create a split' }).waitFor();
    await page.getByRole('link', { name: 'Releases' }).click();
    await page.getByRole('table', { name: 'Collections' }).waitFor();
    expect(await page.getByRole('form', { name: 'Create a release' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Tokens' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Gallery' }).click();
    await page.locator('.cards img').first().waitFor();

    // a facet value narrows the gallery to its count
    const facet = page.locator('.facets details[open] li label').first();
    const count = Number(await facet.locator('.count').textContent());
    await facet.locator('input').check();
    await expect
      .poll(() => page.locator('.facets > p').first().textContent())
      .toMatch(new RegExp(`^${count} images match`));
    await page.getByRole('button', { name: 'Clear' }).click();

    // signing out ends the session: the page asks for a token again
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    expect((await context.cookies()).find((c) => c.name === SESSION_COOKIE)).toBeUndefined();
    expect(problems).toEqual([]);
  });
});
