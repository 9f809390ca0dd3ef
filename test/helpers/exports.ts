import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import type { Role } from '../../src/domain/roles.ts';
import { graphql } from '../../src/gql/index.ts';
import type { Api } from './api.ts';

const Poll = graphql(
  `query Poll($id: String!) { export(id: $id) { status rowCount sha256 error downloadUrl manifestUrl policyId policyVersion split } }`,
);

/** Waits for an export to finish, downloads it (checking its sha256) and its manifest. */
export async function awaitExport(api: Api, id: string, role: Role = 'VIEWER') {
  for (let i = 0; i < 600; i++) {
    const res = await api.as(role, Poll, { id });
    const e = res.data?.export;
    if (e?.status === 'DONE') {
      const file = await api.yoga.fetch(e.downloadUrl ?? '', { headers: api.headers(role) });
      expect(file.status).toBe(200);
      const body = Buffer.from(await file.arrayBuffer());
      expect(createHash('sha256').update(body).digest('hex')).toBe(e.sha256);
      const manifest = (await (
        await api.yoga.fetch(e.manifestUrl ?? '', { headers: api.headers(role) })
      ).json()) as Record<string, unknown>;
      return { body, export: e, manifest };
    }
    if (e?.status === 'FAILED') throw new Error(e.error ?? 'failed');
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('export did not finish');
}
