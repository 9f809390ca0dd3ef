// The database's own refusals of a write that lost to another one, as typed errors instead of
// "Unexpected error.": a write conflict, deadlock or serialization failure (PostgreSQL, Prisma
// P2034) is CONFLICT, like the optimistic version check; a database that stayed busy past the wait
// (SQLite's write lock held by another process for more than BUSY_WAIT_MS, Prisma P1008, or a
// transaction that could not start in time, P2028) is SERVICE_UNAVAILABLE with advice to retry.
// src/db/busy.ts makes these rare on SQLite; this plugin is what a caller sees when they happen.
import { GraphQLError } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { isBusy } from '../db/busy.ts';

interface Classified {
  code: 'CONFLICT' | 'SERVICE_UNAVAILABLE';
  message: string;
}

const CONFLICT_CODES = new Set(['P2034', '40001', '40P01']);
const BUSY_CODES = new Set(['P1008', 'P2028']);

/** What a database error means to the caller, or undefined for any other error. */
export function classifyDbError(e: unknown): Classified | undefined {
  for (let cur: unknown = e, depth = 0; cur && typeof cur === 'object' && depth < 6; depth++) {
    const c = cur as { code?: unknown; cause?: unknown; originalError?: unknown };
    const code = typeof c.code === 'string' ? c.code : undefined;
    if (code && CONFLICT_CODES.has(code)) {
      return {
        code: 'CONFLICT',
        message: 'another write to the same data was committed first: reload and try again',
      };
    }
    if ((code && BUSY_CODES.has(code)) || isBusy(cur)) {
      return {
        code: 'SERVICE_UNAVAILABLE',
        message: 'the database is busy with another writer: try again in a moment',
      };
    }
    cur = c.originalError ?? c.cause;
  }
  return undefined;
}

function mapError(error: GraphQLError): GraphQLError {
  if (typeof error.extensions?.code === 'string' && error.extensions.code !== 'INTERNAL_SERVER_ERROR') return error;
  const classified = classifyDbError(error.originalError);
  if (!classified) return error;
  return createGraphQLError(classified.message, {
    extensions: { code: classified.code, ...(classified.code === 'SERVICE_UNAVAILABLE' ? { retry: true } : {}) },
    ...(error.path ? { path: error.path } : {}),
    ...(error.nodes ? { nodes: error.nodes } : {}),
  });
}

/** Maps the database's conflict and busy errors of an execution to typed GraphQL errors. */
export function useDbErrors(): Plugin {
  return {
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          if (Symbol.asyncIterator in result || !result.errors?.length) return;
          const errors = result.errors.map((e) => (e instanceof GraphQLError ? mapError(e) : e));
          if (errors.some((e, i) => e !== result.errors?.[i])) setResult({ ...result, errors });
        },
      };
    },
  };
}
