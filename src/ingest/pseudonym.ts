import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function base32(bytes: Uint8Array, chars: number): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5 && out.length < chars) {
      out += CROCKFORD[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

export type PseudonymKind = 'patient' | 'lesion' | 'examiner';
const PREFIX: Record<PseudonymKind, string> = { patient: 'P', lesion: 'L', examiner: 'E' };

/**
 * Replaces source identifiers by stable codes: a keyed hash (HMAC-SHA256) of the kind and the
 * identifier. Without the key the code cannot be traced back by hashing candidate identifiers;
 * with the same key the same identifier always gets the same code, so re-imports link up.
 */
export class Pseudonymizer {
  readonly #key: Buffer;

  constructor(key: string | Buffer) {
    this.#key = Buffer.isBuffer(key) ? key : Buffer.from(key, 'utf8');
    if (this.#key.length < 16) throw new Error('the pseudonymisation key must be at least 16 bytes');
  }

  code(kind: PseudonymKind, ...parts: string[]): string {
    const mac = createHmac('sha256', this.#key)
      .update(`${kind}\0${parts.map((p) => p.trim()).join('\0')}`)
      .digest();
    return `${PREFIX[kind]}-${base32(mac, 13)}`;
  }
}

/**
 * The configured key, or else a per-installation key kept in DATA_DIR/pseudonym.key (created once
 * with owner-only permissions). The key file serves one instance on its own SQLite file: instances
 * sharing a PostgreSQL database must share one key, so loadConfig refuses PostgreSQL without
 * DERMASET_PSEUDONYM_KEY rather than let each instance generate its own.
 */
export function resolvePseudonymKey(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const file = join(dataDir, 'pseudonym.key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    try {
      writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (e) {
      // another process created it first: use theirs
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  chmodSync(file, 0o600);
  return readFileSync(file, 'utf8').trim();
}
