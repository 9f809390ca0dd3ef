// Configuration: PostgreSQL (several instances on one database) needs one explicit pseudonym key,
// refused in one line otherwise; the dataset's licence, creator and version are read and checked.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_EVALUATION_THREADS, datasetConfig, loadConfig } from '../src/config.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'dermaset-config-'));
const PG = 'postgresql://dermaset@db.internal:5432/dermaset';

function refusal(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('loadConfig accepted it');
}

describe('the pseudonym key on PostgreSQL', () => {
  it.each([PG, 'postgres://dermaset@db.internal/dermaset'])(
    'refuses %s without DERMASET_PSEUDONYM_KEY, in one line that says the fix',
    (url) => {
      const e = refusal({ DATABASE_URL: url, DATA_DIR: dataDir });
      expect(e.message).not.toContain('\n');
      expect(e.message).toMatch(/^DERMASET_PSEUDONYM_KEY: required on PostgreSQL, the same on every instance/);
      expect(e.message).toContain('openssl rand -hex 32');
      expect(e.message).toContain(join(dataDir, 'pseudonym.key'));
      expect(e.message).toMatch(/DATA_DIR\/blobs must be shared/);
    },
  );

  it('starts on PostgreSQL with a key, and on SQLite without one (a per-installation key file)', () => {
    expect(
      loadConfig({ DATABASE_URL: PG, DATA_DIR: dataDir, DERMASET_PSEUDONYM_KEY: 'k'.repeat(32) }).pseudonymKey,
    ).toBe('k'.repeat(32));
    expect(loadConfig({ DATA_DIR: dataDir }).pseudonymKey).toBeUndefined();
    expect(loadConfig({ DATABASE_URL: `file:${join(dataDir, 'x.db')}`, DATA_DIR: dataDir }).databaseUrl).toMatch(
      /^file:/,
    );
  });

  it('refuses a DATABASE_URL of neither kind as a ConfigError', () => {
    expect(refusal({ DATABASE_URL: 'mysql://x@y/z', DATA_DIR: dataDir }).message).toMatch(
      /DATABASE_URL must start with file: \(SQLite\) or postgresql:\/\//,
    );
  });
});

describe('the dataset’s own description', () => {
  it('reads licence, creator and version; blank means unset', () => {
    const c = loadConfig({
      DATA_DIR: dataDir,
      DERMASET_LICENSE: ' CC-BY-NC-4.0 ',
      DERMASET_CREATOR: 'Clinic 7',
      DERMASET_DATASET_VERSION: '1.0.0-rc.1+build.5',
    });
    expect(c.dataset).toEqual({ license: 'CC-BY-NC-4.0', creator: 'Clinic 7', version: '1.0.0-rc.1+build.5' });
    expect(loadConfig({ DATA_DIR: dataDir, DERMASET_LICENSE: '  ' }).dataset).toEqual({
      license: undefined,
      creator: undefined,
      version: undefined,
    });
    expect(datasetConfig({ DERMASET_CREATOR: 'Clinic 7' }).creator).toBe('Clinic 7');
  });

  it.each(['v1', '1.0', '2026-05', 'screening-binary@1.0.0'])('refuses DERMASET_DATASET_VERSION=%s', (version) => {
    expect(refusal({ DATA_DIR: dataDir, DERMASET_DATASET_VERSION: version }).message).toMatch(
      /DERMASET_DATASET_VERSION must be a semantic version/,
    );
  });
});

describe('the evaluation’s worker threads', () => {
  it('DERMASET_EVALUATION_THREADS: 0 to 64, by default the cores up to 4; anything else one line', () => {
    expect(loadConfig({ DATA_DIR: dataDir }).operations.evaluationThreads).toBe(DEFAULT_EVALUATION_THREADS);
    expect(DEFAULT_EVALUATION_THREADS).toBeGreaterThanOrEqual(1);
    expect(DEFAULT_EVALUATION_THREADS).toBeLessThanOrEqual(4);
    for (const n of ['0', '64'])
      expect(loadConfig({ DATA_DIR: dataDir, DERMASET_EVALUATION_THREADS: n }).operations.evaluationThreads).toBe(
        Number(n),
      );
    for (const bad of ['abc', '65', '-1', '1.5']) {
      const e = refusal({ DATA_DIR: dataDir, DERMASET_EVALUATION_THREADS: bad });
      expect(e.message).not.toContain('\n');
      expect(e.message).toContain(`DERMASET_EVALUATION_THREADS: must be a whole number from 0 to 64, got "${bad}"`);
    }
  });
});
