// A real browser for the console tests: Debian's chromium driven by playwright-core, which never
// downloads a browser of its own. Missing chromium fails the test with what to install.
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

/** The chromium binary (DERMASET_CHROMIUM overrides Debian's path). */
export const CHROMIUM = process.env.DERMASET_CHROMIUM ?? '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `chromium is not installed at ${CHROMIUM}: the console tests drive Debian's chromium ` +
        '(apt-get install chromium; CI installs it in .ci/run). No browser is downloaded.',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true, timeout: 30_000 });
}

/** What went wrong in a page: uncaught errors, console errors (a CSP violation is one) and failed requests. */
export function watchPage(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // the console asks GET /session on load: 401 is its answer when nobody is signed in
    if (/status of 401/.test(m.text()) && m.location().url.endsWith('/session')) return;
    problems.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('requestfailed', (r) => {
    // a navigation cancels the requests of the page it leaves
    if (r.failure()?.errorText === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`);
  });
  return problems;
}
