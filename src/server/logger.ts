// The server's log: one JSON object per line on stderr (pino), with the request id on every line
// written while a request is handled. Level from LOG_LEVEL (default info). What goes in: events and
// short causes (an error's class and code, an export's id, a blob key); never a token, a password,
// a database URL, a request's variables or body, nor a patient's data. The human messages of a
// start (the address line, the demo's progress and its one-time admin token) stay plain text on
// stderr: they are for the person at the terminal, not for a log collector.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { YogaLogger } from '@graphql-yoga/logger';
import type { Plugin } from 'graphql-yoga';
import { type LevelWithSilent, type Logger, pino } from 'pino';

/** Header names and fields whose values must never reach the log, wherever they turn up in an object. */
const REDACT = [
  'authorization',
  'cookie',
  'token',
  'password',
  'databaseUrl',
  '*.authorization',
  '*.cookie',
  '*.token',
  '*.password',
  '*.databaseUrl',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
];

function create(level: LevelWithSilent): Logger {
  return pino(
    {
      level,
      base: { service: 'dermaset' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT, censor: '[redacted]' },
    },
    // synchronous: a line written just before process.exit is not lost
    pino.destination({ fd: 2, sync: true }),
  );
}

let root = create((process.env.LOG_LEVEL as LevelWithSilent | undefined) ?? 'info');

/** Sets the level (the server's LOG_LEVEL, checked by loadConfig). */
export function setLogLevel(level: LevelWithSilent): void {
  root.level = level;
}

/** For tests: the log written somewhere else (a stream the test reads), at a level. */
export function useLogDestination(stream: NodeJS.WritableStream, level: LevelWithSilent = 'info'): void {
  root = pino(
    {
      level,
      base: { service: 'dermaset' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT, censor: '[redacted]' },
    },
    stream,
  );
}

interface RequestLog {
  requestId: string;
  log: Logger;
}

const current = new AsyncLocalStorage<RequestLog>();

/** The log: inside a request, a child carrying its `requestId`; else the server's. */
export function log(): Logger {
  return current.getStore()?.log ?? root;
}

/** The id of the request being handled, if any. */
export function currentRequestId(): string | undefined {
  return current.getStore()?.requestId;
}

/**
 * A caller's `x-request-id` is kept when it is a sane token (1-128 of letters, digits and `._:-`):
 * ids from a proxy or a client tie their logs to ours. Anything else (spaces, control characters,
 * a JSON fragment, an over-long value) is replaced by a new UUID, so a caller cannot forge log lines.
 */
export const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdOf(request: Request): string {
  const sent = request.headers.get('x-request-id');
  return sent && SANE_REQUEST_ID.test(sent) ? sent : randomUUID();
}

const ids = new WeakMap<Request, string>();
const started = new WeakMap<Request, number>();

/**
 * A request id for every request (the caller's sane `x-request-id`, else a new UUID), echoed as the
 * response's `x-request-id` and carried by every log line written while the request is handled; a
 * line per request at debug (method, path without the query, status, milliseconds), a warning for
 * every 5xx.
 */
export function useRequestLog(): Plugin {
  return {
    instrumentation: {
      request({ request }, wrapped) {
        const requestId = requestIdOf(request);
        ids.set(request, requestId);
        return current.run({ requestId, log: root.child({ requestId }) }, wrapped);
      },
    },
    onRequest({ request }) {
      started.set(request, performance.now());
    },
    onResponse({ request, response }) {
      const requestId = ids.get(request) ?? requestIdOf(request);
      response.headers.set('x-request-id', requestId);
      const ms = Math.round((performance.now() - (started.get(request) ?? performance.now())) * 10) / 10;
      const line = {
        requestId,
        method: request.method,
        path: new URL(request.url).pathname.slice(0, 200),
        status: response.status,
        ms,
      };
      if (response.status >= 500) root.warn(line, 'request failed');
      else root.debug(line, 'request');
    },
  };
}

/**
 * An error as the log keeps it: its class, its code and where it was thrown (the stack's frames),
 * not its message: a database driver's message can quote the values of a query.
 */
export function errorFields(e: unknown): { type: string; code?: string; stack?: string } {
  if (!(e instanceof Error)) return { type: typeof e };
  const code = (e as { code?: unknown }).code;
  const frames = e.stack
    ?.split('\n')
    .filter((l) => l.startsWith('    at '))
    .slice(0, 12)
    .join('\n');
  return {
    type: e.name,
    ...(typeof code === 'string' || typeof code === 'number' ? { code: String(code) } : {}),
    ...(frames ? { stack: frames } : {}),
  };
}

/** yoga's own logger (its warnings and unexpected errors) routed to the log, at the same levels. */
export function yogaLogger(): YogaLogger {
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...args: unknown[]) => {
      const err = args.find((a) => a instanceof Error);
      const text = args.find((a): a is string => typeof a === 'string');
      if (err) log()[level]({ err: errorFields(err) }, text ?? 'unexpected error');
      else log()[level](text ?? 'yoga');
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
