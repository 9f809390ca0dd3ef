// deploy/compose.yaml is documentation (CI runs no Docker), so what can be checked without Docker
// is: it parses, it has the parts the README describes (PostgreSQL, MinIO and its bucket, a one-shot
// migrate the instances wait for, several instances, a load balancer checking /readyz), and the
// environment it gives an instance is one loadConfig accepts, on the S3 backend.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../src/config.ts';
import { ROOT } from './helpers/cli.ts';

interface Service {
  image?: string;
  command?: string[] | string;
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  profiles?: string[];
}

const read = (name: string) => readFileSync(join(ROOT, 'deploy', name), 'utf8');
const compose = parse(read('compose.yaml'), { merge: true }) as { services: Record<string, Service> };
const instances = Object.entries(compose.services).filter(([name]) => /^dermaset-\d+$/.test(name));

/** Compose's interpolation of `${NAME}`, `${NAME:-default}` and `${NAME:?message}` with made-up secrets. */
const interpolate = (value: string) =>
  value.replace(/\$\{([A-Z0-9_]+)(?::[-?]([^}]*))?\}/g, (_m, name: string, fallback?: string) =>
    /_KEY$|_TOKEN$|PASSWORD$/.test(name) ? `${name.toLowerCase()}-0123456789abcdef` : (fallback ?? ''),
  );

describe('deploy/compose.yaml', () => {
  it('parses, with the database, the object store and its bucket, the one-shot migrate and a load balancer', () => {
    for (const name of ['postgres', 'minio', 'minio-init', 'migrate', 'lb'])
      expect(compose.services[name], name).toBeDefined();
    expect(compose.services.migrate?.command).toEqual(['node', 'bin/dermaset.mjs', 'migrate']);
    expect(compose.services.migrate?.depends_on?.postgres?.condition).toBe('service_healthy');
    expect(String(compose.services['minio-init']?.command)).toMatch(/mc mb --ignore-existing local\/dermaset/);
  });

  it('runs several stateless instances that wait for the migration and the bucket, checked on /readyz', () => {
    expect(instances.length).toBeGreaterThanOrEqual(2);
    for (const [name, s] of instances) {
      expect(s.depends_on?.migrate?.condition, name).toBe('service_completed_successfully');
      expect(s.depends_on?.['minio-init']?.condition, name).toBe('service_completed_successfully');
      expect(s.healthcheck?.test?.join(' '), name).toContain('/readyz');
      // no volume: nothing of an instance lives on its disk
      expect((s as { volumes?: unknown }).volumes, name).toBeUndefined();
    }
  });

  it('gives each instance an environment loadConfig accepts: PostgreSQL, S3 on MinIO, the keys from the environment', () => {
    const [, first] = instances[0] ?? [];
    const env = Object.fromEntries(
      Object.entries(first?.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]),
    );
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['DERMASET_PSEUDONYM_KEY', 'DERMASET_URL_SIGNING_KEY']));
    const config = loadConfig(env);
    expect(config.databaseUrl).toMatch(/^postgresql:\/\/dermaset:.*@postgres:5432\/dermaset$/);
    expect(config.storage).toEqual({
      backend: 's3',
      bucket: 'dermaset',
      prefix: '',
      endpoint: 'http://minio:9000',
      region: 'us-east-1',
      forcePathStyle: true,
    });
    expect(config.operations.metricsToken).toBeDefined();
    expect(config.seedDemo).toBe(false);
    expect(config.host).toBe('0.0.0.0');
  });

  it('the load balancer names every instance and checks /readyz; /metrics stays inside', () => {
    const caddy = read('Caddyfile');
    for (const [name] of instances) expect(caddy).toContain(`${name}:4000`);
    expect(caddy).toMatch(/health_uri \/readyz/);
    expect(caddy).toMatch(/respond \/metrics 404/);
  });
});
