// Counting SQL statements per request (tests of N+1 and of the response cache).

/**
 * Whether a statement is the request's own work. A bearer token's lookup is cached for
 * TOKEN_CACHE_MS (resolvers/tokens.ts), so whether a request makes one depends on the clock, not on
 * the request: on a busy machine two requests a few seconds apart differ by it. Counts leave it out.
 */
export const requestWork = (sql: string): boolean => !/\bapi_token\b/.test(sql);
