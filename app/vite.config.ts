// The web console (/app): Vite + React, built into app/dist by scripts/generate.mjs (npm install)
// and served by src/server/use-app-routes.ts.
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/**
 * The server's Content-Security-Policy (src/server/use-web-security.ts) allows scripts only through
 * the hashes of the page's inline scripts ('self' is listed only beside them). So the entry is loaded
 * by one inline module script, `import "/app/assets/index-….js"`, whose hash the policy carries;
 * the bundle itself then loads from 'self'.
 */
function entryByInlineImport(): Plugin {
  return {
    name: 'dermaset-entry-by-inline-import',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html) {
        const entry = /<script type="module" crossorigin src="([^"]+)"><\/script>/;
        if (!entry.test(html)) throw new Error('the built index.html has no module entry script');
        return html.replace(
          entry,
          (_m, src: string) => `<script type="module">import ${JSON.stringify(src)};</script>`,
        );
      },
    },
  };
}

export default defineConfig({
  root: import.meta.dirname,
  base: '/app/',
  plugins: [react(), entryByInlineImport()],
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // no data: URLs for assets and no polyfill script: everything a file under /app/assets
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
    chunkSizeWarningLimit: 400,
  },
  server: {
    proxy: {
      '/graphql': 'http://127.0.0.1:4000',
      '/session': 'http://127.0.0.1:4000',
      '/images': 'http://127.0.0.1:4000',
    },
  },
});
