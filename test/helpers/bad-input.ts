// Shared pieces of the bad-input suite (test/bad-input/): raw requests through yoga.fetch (a
// malformed request cannot be written as a typed document), GraphQL multipart uploads built part by
// part, and image files whose header lies about their size.
import { expect } from 'vitest';
import type { DermasetYoga } from '../../src/server/yoga.ts';
import type { TestEnv } from './database.ts';
import { type Snapshot, snapshot } from './snapshot.ts';

export interface RawResponse {
  status: number;
  contentType: string | null;
  headers: Headers;
  text: string;
  /** The body as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/** Any request through yoga.fetch (no port), its body read once as text and, where it parses, as JSON. */
export async function send(yoga: DermasetYoga, path: string, init: RequestInit = {}): Promise<RawResponse> {
  const res = await yoga.fetch(`http://test${path}`, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type'), headers: res.headers, text, json };
}

/** The GraphQL-over-HTTP media type: statuses then follow the spec (4xx for a request that cannot run). */
export const GRAPHQL_RESPONSE = 'application/graphql-response+json';

/** A POST of a JSON body (or of this very text) to /graphql; headers are copied, never shared between requests. */
export const postGraphQL = (
  yoga: DermasetYoga,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<RawResponse> =>
  send(yoga, '/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: GRAPHQL_RESPONSE, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

interface GraphQLErrorBody {
  errors?: { message?: string; extensions?: Record<string, unknown> }[];
  data?: unknown;
}

/**
 * The first GraphQL error's extensions.code, or the `code` of a plain JSON refusal (the HTTP routes,
 * a request refused before GraphQL reads it); undefined when the answer carries none.
 */
export function errorCode(res: RawResponse): unknown {
  const body = res.json as (GraphQLErrorBody & { code?: unknown }) | undefined;
  return body?.errors ? body.errors[0]?.extensions?.code : body?.code;
}

/** The first GraphQL error's extensions. */
export function errorExtensions(res: RawResponse): Record<string, unknown> | undefined {
  return (res.json as GraphQLErrorBody | undefined)?.errors?.[0]?.extensions;
}

/**
 * The state before a request, taken once and handed on: a check that passes leaves its "after" as
 * the next check's "before" (one snapshot per bad input instead of two); a check that fails does
 * not, so the next one takes a fresh snapshot.
 */
export class StateChain {
  #last: Snapshot | undefined;

  constructor(private readonly env: TestEnv) {}

  /** The state now: the last check's, or a fresh snapshot. */
  async before(): Promise<Snapshot> {
    const s = this.#last ?? (await snapshot(this.env));
    this.#last = undefined;
    return s;
  }

  /** The state after the request; call `passed` with it once every assertion held. */
  after(): Promise<Snapshot> {
    return snapshot(this.env);
  }

  passed(after: Snapshot): void {
    this.#last = after;
  }
}

/** A file part of a multipart upload. */
export interface UploadFile {
  bytes: Uint8Array;
  name?: string;
  type?: string;
}

export const UPLOAD_MUTATION = `mutation Acquire($file: File!, $record: JSONObject!) {
  createInitialAnnotation(file: $file, record: $record) { outcome intake { id outcome } image { id sha256 } }
}`;

/**
 * The parts of a GraphQL multipart request (https://github.com/jaydenseric/graphql-multipart-request-spec)
 * as text, so that each can be broken on purpose: `operations` and `map` are sent as given when they
 * are strings, as JSON otherwise; `files` are the parts named "0", "1", ….
 */
export interface MultipartParts {
  operations: unknown;
  map: unknown;
  files: (UploadFile | string)[];
}

export const uploadParts = (record: unknown, file: UploadFile): MultipartParts => ({
  operations: { query: UPLOAD_MUTATION, variables: { file: null, record } },
  map: { 0: ['variables.file'] },
  files: [file],
});

export function multipart(parts: MultipartParts): FormData {
  const form = new FormData();
  const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  form.append('operations', text(parts.operations));
  form.append('map', text(parts.map));
  parts.files.forEach((f, i) => {
    if (typeof f === 'string') form.append(String(i), f);
    else
      form.append(
        String(i),
        new File([new Uint8Array(f.bytes)], f.name ?? 'lesion.jpg', { type: f.type ?? 'image/jpeg' }),
      );
  });
  return form;
}

/** A multipart upload to /graphql with the given headers (a fresh object each time: fetch may add to it). */
export const postMultipart = (
  yoga: DermasetYoga,
  body: FormData | string,
  headers: Record<string, string> = {},
): Promise<RawResponse> =>
  send(yoga, '/graphql', { method: 'POST', headers: { accept: GRAPHQL_RESPONSE, ...headers }, body });

/** The highest intake row id, to find the rows a request added. */
export async function lastIntakeId(env: TestEnv): Promise<number> {
  const row = await env.db.intakeRecord.findFirst({ orderBy: { id: 'desc' }, select: { id: true } });
  return row?.id ?? 0;
}

/** The intake rows added after `afterId`, as the intake log keeps them. */
export function intakeRowsAfter(env: TestEnv, afterId: number) {
  return env.db.intakeRecord.findMany({
    where: { id: { gt: afterId } },
    orderBy: { id: 'asc' },
    select: { outcome: true, errorCode: true, imageId: true, duplicateOfId: true },
  });
}

/**
 * Every table but the intake log, and every file: what an acquisition attempt that is refused must
 * leave as it was. Logging the attempt is a write, so it raises the data versions too.
 */
export function expectUnchangedButIntake(after: Snapshot, before: Snapshot): void {
  const { intake_record: _after, data_version: _va, ...tablesAfter } = after.tables;
  const { intake_record: _before, data_version: _vb, ...tablesBefore } = before.tables;
  expect(tablesAfter).toEqual(tablesBefore);
  expect(after.files).toEqual(before.files);
}

// ---- files that lie about their size (decompression bombs): a small file, a huge declared frame

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A PNG whose IHDR declares width × height (its CRC recomputed, so the header reads as valid). */
export function pngDeclaring(png: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(png);
  // signature (8) | length (4) | "IHDR" (4) | width (4) | height (4) | … | CRC over type + 13 data bytes
  if (out.toString('latin1', 12, 16) !== 'IHDR') throw new Error('not a PNG');
  out.writeUInt32BE(width, 16);
  out.writeUInt32BE(height, 20);
  out.writeUInt32BE(crc32(out.subarray(12, 29)), 29);
  return out;
}

/** A JPEG whose start-of-frame marker declares width × height (at most 65,535 each). */
export function jpegDeclaring(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  let i = 2;
  while (i + 9 < out.length) {
    if (out[i] !== 0xff) throw new Error('not a JPEG marker');
    const marker = out[i + 1] as number;
    const length = out.readUInt16BE(i + 2);
    // SOF0–SOF15 but DHT (C4), JPG (C8) and DAC (CC): precision (1), height (2), width (2)
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      out.writeUInt16BE(height, i + 5);
      out.writeUInt16BE(width, i + 7);
      return out;
    }
    i += 2 + length;
  }
  throw new Error('no start-of-frame marker');
}
