// Shared by the privacy tests: a few patients whose ages and dates a profile must hide (104, 95 and
// 90 years, exact days), raw GraphQL through yoga.fetch as a role, and an export awaited by its owner.
import type { Role } from '../../src/domain/roles.ts';
import { createPipeline } from '../../src/ingest/pipeline.ts';
import type { Api } from './api.ts';
import type { TestEnv } from './database.ts';
import { lesion, record } from './images.ts';

/** age as entered, acquisition date, clinical diagnosis: one patient and one image each. */
export const PEOPLE = [
  { patient: 'MRN-0104', age: '104', date: '2021-05-17', diagnosis: 'nevus' },
  { patient: 'MRN-0095', age: '95', date: '2022-11-03', diagnosis: 'melanoma' },
  { patient: 'MRN-0090', age: '90', date: '2023-08-09', diagnosis: 'nevus' },
  { patient: 'MRN-0044', age: '44', date: '2023-02-14', diagnosis: 'basal cell carcinoma' },
  { patient: 'MRN-0043', age: '43', date: '2024-12-30', diagnosis: 'nevus' },
] as const;

/** Feeds PEOPLE through the acquisition pipeline; returns their images' sha256 in the same order. */
export async function seedPeople(env: TestEnv, first = 900): Promise<string[]> {
  const pipeline = createPipeline(env.config, env.db);
  const shas: string[] = [];
  for (const [k, p] of PEOPLE.entries()) {
    const r = await pipeline.ingest({
      bytes: await lesion(first + k),
      record: record({
        patient_id: p.patient,
        lesion_id: `${p.patient}-L1`,
        age_at_exam: p.age,
        acquisition_date: p.date,
        clinical_diagnosis: p.diagnosis,
        border_regularity: p.diagnosis === 'nevus' ? 'regular' : 'irregular',
      }),
      fileName: `${p.patient}.jpg`,
      source: 'test',
    });
    if (r.outcome !== 'ACCEPTED') throw new Error(`${p.patient}: ${r.outcome}`);
    shas.push((await env.db.image.findUniqueOrThrow({ where: { id: r.imageId } })).sha256);
  }
  return shas;
}

export interface RawResponse<T = Record<string, unknown>> {
  data?: T | null;
  errors?: { message: string; extensions?: Record<string, unknown> & { code?: string } }[];
}

/** A raw GraphQL document as a role (null: anonymous). */
export async function gql<T = Record<string, unknown>>(
  api: Api,
  role: Role | null,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<RawResponse<T>> {
  const res = await api.yoga.fetch('http://test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...api.headers(role) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as RawResponse<T>;
}

const START = `mutation Start($format: String!, $profile: String, $policy: String, $filter: ImageFilter, $options: JSONObject) {
  startExport(format: $format, profile: $profile, policy: $policy, filter: $filter, options: $options) { id status profile }
}`;
const POLL = `query Poll($id: String!) { export(id: $id) { status error downloadUrl manifestUrl profile } }`;

/** Starts an export as `role`, waits for it as its owner, and downloads the file and the manifest. */
export async function exportAs(
  api: Api,
  role: Role,
  vars: { format: string; profile?: string; policy?: string; filter?: unknown; options?: unknown },
) {
  const started = await gql<{ startExport: { id: string } }>(api, role, START, { policy: 'nine-class', ...vars });
  if (started.errors) throw new Error(JSON.stringify(started.errors));
  const id = started.data?.startExport.id ?? '';
  for (let i = 0; i < 600; i++) {
    const e = (
      await gql<{ export: { status: string; error: string | null; downloadUrl: string; manifestUrl: string } }>(
        api,
        role,
        POLL,
        { id },
      )
    ).data?.export;
    if (e?.status === 'DONE') {
      const file = Buffer.from(
        await (await api.yoga.fetch(e.downloadUrl, { headers: api.headers(role) })).arrayBuffer(),
      );
      const manifest = (await (await api.yoga.fetch(e.manifestUrl, { headers: api.headers(role) })).json()) as Record<
        string,
        unknown
      >;
      return { id, file, manifest };
    }
    if (e?.status === 'FAILED') throw new Error(e.error ?? 'failed');
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('export did not finish');
}
