// The entry of an evaluation worker thread (evaluation-workers.ts). A worker does not inherit the
// TypeScript loader its parent registered (tsx, bin/dermaset.mjs, vitest), so it registers its own.
import { register } from 'tsx/esm/api';

register();
await import('./evaluation-worker.ts');
