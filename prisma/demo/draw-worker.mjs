// Entry of the drawing thread: plain JavaScript that registers tsx, then loads the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./draw-worker.ts');
