import type { YogaInitialContext } from 'graphql-yoga';

/** Per-request context: the caller's identity and per-request loaders (never the database client). */
export interface Context extends YogaInitialContext {
  requestId: string;
}

export function createContext(initial: YogaInitialContext): Context {
  return { ...initial, requestId: crypto.randomUUID() };
}
