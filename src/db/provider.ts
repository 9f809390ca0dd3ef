export type Provider = 'sqlite' | 'postgresql';

export function providerOf(databaseUrl: string): Provider {
  if (databaseUrl.startsWith('file:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) return 'postgresql';
  throw new Error(
    `DATABASE_URL must start with file: (SQLite) or postgresql:// (PostgreSQL), got "${databaseUrl.split(':')[0]}:…"`,
  );
}

/** The SQLite file path of a file: URL. */
export const sqlitePath = (databaseUrl: string): string => databaseUrl.replace(/^file:/, '').split('?')[0] ?? '';
