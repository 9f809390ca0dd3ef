// Bearer tokens: a random secret shown once, stored only as its SHA-256 (the secret has 256 bits of
// entropy, so a fast hash is enough), looked up per request through a short-lived cache.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/client.ts';
import { db } from '../db/current.ts';
import type { Role } from '../domain/roles.ts';

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

export async function revokeToken(id: number): Promise<boolean> {
  const { count } = await db().apiToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
  return count > 0;
}

export function listTokens() {
  return db().apiToken.findMany({
    orderBy: { id: 'asc' },
    select: { id: true, name: true, role: true, prefix: true, createdAt: true, revokedAt: true },
  });
}

/** How long a looked-up token is trusted before it is read again (revocation takes effect within it). */
export const TOKEN_CACHE_MS = 10_000;

/** Resolves bearer tokens to identities, caching hits and misses for TOKEN_CACHE_MS. */
export class TokenResolver {
  readonly #cache = new Map<string, { identity: Identity | null; until: number }>();

  constructor(
    private readonly db: () => Db,
    private readonly ttlMs = TOKEN_CACHE_MS,
  ) {}

  async resolve(token: string): Promise<Identity | null> {
    const hash = hashToken(token);
    const now = Date.now();
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
