// The active class-mapping policy lives in the database, so every server instance sees an admin's
// switch at once; each switch is audited. Switching never touches a stored label.
import { db } from '../db/current.ts';
import type { Prisma } from '../db/generated/sqlite/client.ts';
import { DEFAULT_POLICY_ID, registry } from '../plugins/index.ts';
import type { ClassMappingPolicy } from '../plugins/types.ts';
import { badInput } from './errors.ts';

const KEY = 'active_policy';

export const unknownPolicy = (id: string) =>
  badInput(`unknown policy "${id}"; known: ${[...registry.policies.keys()].join(', ')}`, 'policy');

export async function activePolicyId(): Promise<string> {
  const row = await db().setting.findUnique({ where: { key: KEY } });
  // a stored id whose plugin was removed falls back to the default rather than failing every query
  return row && registry.policy(row.value) ? row.value : DEFAULT_POLICY_ID;
}

/** The named policy, or the active one; an unknown id is a typed error. */
export async function resolvePolicy(id?: string | null): Promise<ClassMappingPolicy> {
  const policy = registry.policy(id ?? (await activePolicyId()));
  if (!policy) throw unknownPolicy(id ?? '');
  return policy;
}

export async function setActivePolicy(actor: string, id: string): Promise<ClassMappingPolicy> {
  const policy = registry.policy(id);
  if (!policy) throw unknownPolicy(id);
  await db().$transaction(async (tx) => {
    const row = await tx.setting.findUnique({ where: { key: KEY } });
    const from = row?.value ?? DEFAULT_POLICY_ID;
    if (from === id) return;
    await tx.setting.upsert({ where: { key: KEY }, create: { key: KEY, value: id }, update: { value: id } });
    await tx.policyChange.create({ data: { actor, fromPolicy: from, toPolicy: id } });
  });
  return policy;
}

export const policyHistory = (query: { select?: Prisma.PolicyChangeSelect }, limit: number) =>
  db().policyChange.findMany({ ...query, orderBy: { id: 'desc' }, take: Math.min(Math.max(limit, 0), 200) });
