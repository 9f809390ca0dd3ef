// Bearer tokens: a random secret shown once, stored only as its SHA-256 (the secret has 256 bits of
// entropy, so a fast hash is enough), looked up per request through a short-lived cache.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/client.ts';
import { db } from '../db/current.ts';
import type { Role } from '../domain/roles.ts';
import { deriveKeys, type SigningKeys } from '../domain/signed-url.ts';

export const TOKEN_PREFIX = 'dst_';

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export interface Identity {
  tokenId: number;
  name: string;
  role: Role;
}

export async function createToken(name: string, role: Role): Promise<{ token: string; id: number }> {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const row = await db().apiToken.create({
    data: { name, role, tokenHash: hashToken(token), prefix: token.slice(0, TOKEN_PREFIX.length + 6) },
    select: { id: true },
  });
  return { token, id: row.id };
}

/** Raised by every revocation in this process: resolvers drop their cached hits at once. */
let revocations = 0;

export async function revokeToken(id: number): Promise<boolean> {
  const { count } = await db().apiToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
  revocations++;
  return count > 0;
}

/** What a token's listing shows: never the secret's hash. */
const LISTED = { id: true, name: true, role: true, prefix: true, createdAt: true, revokedAt: true } as const;

/** Bounds on what a caller gives a token (the API's createToken). */
export const TOKEN_BOUNDS = { label: 100 } as const;

export function listTokens() {
  return db().apiToken.findMany({ orderBy: { id: 'asc' }, select: LISTED });
}

/** One token as listTokens shows it, or null (an id outside the integer range is no token). */
export function tokenById(id: number) {
  if (!Number.isSafeInteger(id) || id < 1 || id > 2_147_483_647) return Promise.resolve(null);
  return db().apiToken.findUnique({ where: { id }, select: LISTED });
}

/** How long a looked-up token is trusted before it is read again (revocation takes effect within it). */
export const TOKEN_CACHE_MS = 10_000;

/** The setting that holds the generated signing secret when DERMASET_URL_SIGNING_KEY is not set. */
export const SIGNING_KEY_SETTING = 'url-signing-key';

/**
 * The secret signed URLs and session cookies are keyed with: DERMASET_URL_SIGNING_KEY, else a random
 * one created once and kept in the database (the setting table), so every instance sharing the
 * database signs and checks with the same key. Concurrent first starts agree: the first insert wins
 * and the others read it.
 */
async function storedSecret(database: Db): Promise<string> {
  const read = () => database.setting.findUnique({ where: { key: SIGNING_KEY_SETTING }, select: { value: true } });
  const found = await read();
  if (found) return found.value;
  try {
    await database.setting.create({ data: { key: SIGNING_KEY_SETTING, value: randomBytes(32).toString('base64url') } });
  } catch (e) {
    // another instance created it first (a unique violation): theirs is the key
    if ((e as { code?: unknown }).code !== 'P2002') throw e;
  }
  const made = await read();
  if (!made) throw new Error('the URL signing key could not be stored');
  return made.value;
}

/**
 * Resolves bearer tokens to identities, caching hits and misses for TOKEN_CACHE_MS (a revocation in
 * this process clears the cache at once); token ids named by a session or a signed URL are read
 * from the table on every request. Holds the signing keys of this database.
 */
export class TokenResolver {
  readonly #cache = new Map<string, { identity: Identity | null; until: number }>();
  #revocations = revocations;
  #keys: Promise<SigningKeys> | undefined;

  constructor(
    private readonly db: () => Db,
    private readonly ttlMs = TOKEN_CACHE_MS,
    /** DERMASET_URL_SIGNING_KEY; undefined: the key stored in the database. */
    private readonly signingSecret?: string,
  ) {}

  /** The keys of signed URLs and sessions (read or created once per resolver). */
  keys(): Promise<SigningKeys> {
    this.#keys ??= Promise.resolve()
      .then(() => this.signingSecret ?? storedSecret(this.db()))
      .then(deriveKeys)
      .catch((e: unknown) => {
        this.#keys = undefined; // a database out of reach now may answer later
        throw e;
      });
    return this.#keys;
  }

  /** The identity of a token id a session or a signed URL names: read now, null if revoked or unknown. */
  async resolveId(tokenId: number): Promise<Identity | null> {
    if (!Number.isSafeInteger(tokenId) || tokenId < 1 || tokenId > 2_147_483_647) return null;
    const row = await this.db().apiToken.findUnique({
      where: { id: tokenId },
      select: { id: true, name: true, role: true, revokedAt: true },
    });
    return row && row.revokedAt === null ? { tokenId: row.id, name: row.name, role: row.role } : null;
  }

  async resolve(token: string): Promise<Identity | null> {
    const hash = hashToken(token);
    const now = Date.now();
    if (this.#revocations !== revocations) {
      this.#cache.clear();
      this.#revocations = revocations;
    }
    const hit = this.#cache.get(hash);
    if (hit && hit.until > now) return hit.identity;
    const row = await this.db().apiToken.findUnique({
      where: { tokenHash: hash },
      select: { id: true, name: true, role: true, revokedAt: true },
    });
    const identity = row && row.revokedAt === null ? { tokenId: row.id, name: row.name, role: row.role } : null;
    if (this.#cache.size > 10_000) this.#cache.clear();
    this.#cache.set(hash, { identity, until: now + this.ttlMs });
    return identity;
  }
}
