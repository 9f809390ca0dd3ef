// Signed, expiring URLs and session values: an HMAC-SHA256 over what a URL opens (its path and its
// query), when it stops opening it, and which token signed it. The server checks the token on every
// use, so a URL or a session of a token revoked since stops working. Pure: the key and the clock
// are the caller's.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { type Refusal, refusal } from './refusal.ts';

/** The bounds of a signed URL's lifetime, in seconds (README, "Signed URLs"). */
export const URL_LIFETIME = {
  /** When the caller names none: one hour. */
  defaultS: 3600,
  minS: 60,
  /** Seven days. */
  maxS: 7 * 24 * 3600,
  /**
   * Expiries are rounded up to the end of a window of this many seconds after the current one, so
   * every URL of one page asked within a window is the same URL (browser and response caches).
   */
  windowS: 600,
} as const;

/** The query parameters a signed URL carries. */
export const SIGNATURE_PARAM = 'signature';
export const EXPIRES_PARAM = 'expires';

/** Two keys derived from one secret, so a session value can never be used as a URL signature. */
export interface SigningKeys {
  url: Buffer;
  session: Buffer;
}

/** The keys derived from the server's secret (DERMASET_URL_SIGNING_KEY, or the stored one). */
export function deriveKeys(secret: string): SigningKeys {
  const derive = (purpose: string) => createHmac('sha256', secret).update(`dermaset ${purpose} v1`).digest();
  return { url: derive('signed-url'), session: derive('session') };
}

const mac = (key: Buffer, message: string) => createHmac('sha256', key).update(message).digest('base64url');

/** Constant-time comparison of two MACs as sent (any length). */
function sameMac(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A lifetime the caller asked for, within URL_LIFETIME, or the refusal naming the bounds. */
export function urlLifetime(expiresIn: number | null | undefined): number | Refusal {
  if (expiresIn === null || expiresIn === undefined) return URL_LIFETIME.defaultS;
  if (!Number.isInteger(expiresIn) || expiresIn < URL_LIFETIME.minS || expiresIn > URL_LIFETIME.maxS)
    return refusal(
      `expiresIn must be a whole number of seconds from ${URL_LIFETIME.minS} to ${URL_LIFETIME.maxS} (7 days), got ${expiresIn}`,
      'expiresIn',
    );
  return expiresIn;
}

/**
 * When a URL signed now for `lifetimeS` expires (unix seconds): the end of the current window plus
 * the lifetime, so it opens for at least `lifetimeS` and at most one window (10 minutes) longer, and
 * is the same for every signing within one window.
 */
export const expiryOf = (nowMs: number, lifetimeS: number) =>
  (Math.floor(nowMs / 1000 / URL_LIFETIME.windowS) + 1) * URL_LIFETIME.windowS + lifetimeS;

/** The query a signature covers: every parameter but the signature, in a fixed order. */
function canonicalQuery(params: URLSearchParams): string {
  const entries = [...params].filter(([k]) => k !== SIGNATURE_PARAM);
  entries.sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  return new URLSearchParams(entries).toString();
}

const urlMessage = (tokenId: number, pathname: string, params: URLSearchParams) =>
  `url\n${tokenId}\n${pathname}\n${canonicalQuery(params)}`;

/**
 * `pathAndQuery` (`/images/<sha>/thumbnail`, `/datasheet.html?policy=ham10000`) with `expires` and
 * `signature=<tokenId>.<mac>` added: a path relative to the server's origin.
 */
export function signPath(keys: SigningKeys, pathAndQuery: string, tokenId: number, expires: number): string {
  const url = new URL(pathAndQuery, 'http://signing.invalid');
  url.searchParams.delete(SIGNATURE_PARAM);
  url.searchParams.set(EXPIRES_PARAM, String(expires));
  url.searchParams.set(
    SIGNATURE_PARAM,
    `${tokenId}.${mac(keys.url, urlMessage(tokenId, url.pathname, url.searchParams))}`,
  );
  return `${url.pathname}${url.search}`;
}

/** What a URL's signature is: the token that signed it, or why it opens nothing. */
export type SignatureCheck =
  | { ok: true; tokenId: number; expires: number }
  | { ok: false; reason: 'expired' | 'invalid'; message: string };

/** Whether `url` carries a signature parameter at all (then it is checked, whatever else it carries). */
export const isSigned = (url: URL) => url.searchParams.has(SIGNATURE_PARAM) || url.searchParams.has(EXPIRES_PARAM);

/**
 * Checks a signed URL: a signature over this very path and query, by the key, not expired, and not
 * further in the future than a URL can be signed for. The token it names is the caller's to check.
 */
export function verifySignedUrl(keys: SigningKeys, url: URL, nowMs: number): SignatureCheck {
  const invalid = (message: string): SignatureCheck => ({ ok: false, reason: 'invalid', message });
  const signature = url.searchParams.get(SIGNATURE_PARAM) ?? '';
  const expiresText = url.searchParams.get(EXPIRES_PARAM) ?? '';
  const m = /^(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(signature);
  if (!m?.[1] || !m[2] || !/^\d{1,12}$/.test(expiresText))
    return invalid(
      'the URL must carry expires=<unix seconds> and signature=<token id>.<signature>, as the API gave it',
    );
  const tokenId = Number(m[1]);
  if (!sameMac(m[2], mac(keys.url, urlMessage(tokenId, url.pathname, url.searchParams))))
    return invalid('the URL signature does not match this URL: use the URL exactly as the API gave it');
  const expires = Number(expiresText);
  const now = nowMs / 1000;
  if (expires <= now)
    return {
      ok: false,
      reason: 'expired',
      message: `the signed URL expired at ${new Date(expires * 1000).toISOString()}: ask the API for a new one`,
    };
  if (expires > now + URL_LIFETIME.maxS + URL_LIFETIME.windowS) return invalid('the signed URL expires too far ahead');
  return { ok: true, tokenId, expires };
}

/** A session cookie's value: `<tokenId>.<expires>.<mac>`, naming the token, never holding it. */
export function sessionValue(keys: SigningKeys, tokenId: number, expires: number): string {
  return `${tokenId}.${expires}.${mac(keys.session, `session\n${tokenId}\n${expires}`)}`;
}

/** The token a session value names, if it is ours and not expired; null otherwise. */
export function readSession(
  keys: SigningKeys,
  value: string,
  nowMs: number,
): { tokenId: number; expires: number } | null {
  const m = /^(\d{1,15})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!m?.[1] || !m[2] || !m[3]) return null;
  const tokenId = Number(m[1]);
  const expires = Number(m[2]);
  if (!sameMac(m[3], mac(keys.session, `session\n${tokenId}\n${expires}`))) return null;
  return expires * 1000 > nowMs ? { tokenId, expires } : null;
}
