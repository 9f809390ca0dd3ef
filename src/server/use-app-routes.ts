import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { Plugin } from 'graphql-yoga';
import { refuseWrite } from './read-only.ts';

/** Where `vite build` (scripts/generate.mjs, at npm install) writes the console. */
export const APP_DIST = resolve(import.meta.dirname, '..', '..', 'app', 'dist');

/** The console's path prefix. */
export const APP_PATH = '/app';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Vite's hashed file names (index-t2-ik3w6.js): their content never changes under that name. */
const HASHED = /^\/assets\/[^/]+-[A-Za-z0-9_-]{8}\.[a-z0-9]+$/;

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dermaset console: not built</title></head>
<body><main><h1>The web console is not built</h1>
<p>This server has no <code>app/dist</code>. It is built by <code>npm install</code> (postinstall:
<code>node scripts/generate.mjs</code>), or on its own with <code>npx vite build --config app/vite.config.ts</code>.</p>
<p>The GraphQL API answers at <a href="/graphql">/graphql</a> meanwhile.</p></main></body></html>`;

/** A file of the build, or null when there is none at that path (or the path leaves the folder). */
async function fileOf(dist: string, path: string): Promise<{ bytes: Buffer; file: string } | null> {
  const file = resolve(join(dist, path));
  if (file !== dist && !file.startsWith(dist + sep)) return null;
  try {
    if (!(await stat(file)).isFile()) return null;
    return { bytes: await readFile(file), file };
  } catch {
    return null;
  }
}

/**
 * The web console at /app: the files of app/dist with their content types; hashed assets cached for
 * a year (immutable), the page itself revalidated on every load (no-cache); any other /app path is
 * the page (the console routes in the browser), except a missing file under /app/assets (404). No
 * access check: the page holds no data, and every request it makes is checked as any other. The
 * Content-Security-Policy of HTML (use-web-security) applies to the page: its only script is an
 * inline module import allowed by its hash (app/vite.config.ts). Without a build: 503 with a page
 * that says how to build it. GET and HEAD only.
 */
export function useAppRoutes(dist: string = APP_DIST): Plugin {
  const root = resolve(dist);
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      const { pathname } = url;
      if (pathname !== APP_PATH && !pathname.startsWith(`${APP_PATH}/`)) return;
      const wrongMethod = refuseWrite(request, fetchAPI, 'the console is read');
      if (wrongMethod) return endResponse(wrongMethod);
      if (pathname === APP_PATH) {
        return endResponse(new fetchAPI.Response(null, { status: 308, headers: { location: `${APP_PATH}/` } }));
      }
      let path: string;
      try {
        path = decodeURIComponent(pathname.slice(APP_PATH.length));
      } catch {
        return endResponse(
          fetchAPI.Response.json(
            { code: 'BAD_REQUEST', message: 'the path is not valid percent-encoding' },
            { status: 400 },
          ),
        );
      }
      const head = request.method === 'HEAD';
      const send = (bytes: Buffer, type: string, cache: string, status = 200) =>
        endResponse(
          new fetchAPI.Response(head ? null : new Uint8Array(bytes), {
            status,
            headers: { 'content-type': type, 'content-length': String(bytes.byteLength), 'cache-control': cache },
          }),
        );
      const asset = path !== '/' && !path.includes('\0') ? await fileOf(root, path) : null;
      if (asset && !asset.file.endsWith(`${sep}index.html`)) {
        const type = TYPES[extname(asset.file).toLowerCase()] ?? 'application/octet-stream';
        return send(asset.bytes, type, HASHED.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
      }
      if (path.startsWith('/assets/')) {
        return endResponse(
          fetchAPI.Response.json({ code: 'NOT_FOUND', message: `no console file ${pathname}` }, { status: 404 }),
        );
      }
      const page = await fileOf(root, 'index.html');
      if (!page) return send(Buffer.from(NOT_BUILT), TYPES['.html'] as string, 'no-store', 503);
      return send(page.bytes, TYPES['.html'] as string, 'no-cache');
    },
  };
}
