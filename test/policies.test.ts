// Class-mapping policies: table-driven over every class and stage; the registry's rules; the admin
// toggle shared through the database and audited; labels, filters and facets under a policy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLASS_CODES, CLASSES } from '../src/domain/classes.ts';
import { STAGES } from '../src/domain/vocabularies.ts';
import { graphql } from '../src/gql/index.ts';
import { decide } from '../src/plugins/evaluate.ts';
import { DEFAULT_POLICY_ID, PLUGINS, registry } from '../src/plugins/index.ts';
import { PluginRegistry, PluginRegistryError } from '../src/plugins/registry.ts';
import { definePolicy } from '../src/plugins/types.ts';
import { type Api, createApi } from './helpers/api.ts';
import { classInfo, policyInput } from './helpers/classes.ts';
import { createCohortEnv } from './helpers/cohort.ts';
import type { TestEnv } from './helpers/database.ts';

const policies = [...registry.policies.values()];

describe('every policy maps every class at every stage, and never throws', () => {
  const grid = policies.flatMap((p) => CLASS_CODES.flatMap((c) => STAGES.map((s) => [p.id, c, s] as const)));
  it.each(grid)('%s: %s at %s', (id, diagnosisClass, verificationStage) => {
    const policy = registry.policy(id);
    if (!policy) throw new Error(id);
    const d = decide(policy, policyInput(diagnosisClass, verificationStage));
    if (d.kind === 'mapped') expect(policy.labels).toContain(d.label);
    else expect(d.reason.length).toBeGreaterThan(10);
  });
});

describe('the built-in policies', () => {
  const label = (id: string, c: (typeof CLASS_CODES)[number]) => {
    const policy = registry.policy(id);
    if (!policy) throw new Error(id);
    const d = decide(policy, policyInput(c, 'CONSENSUS'));
    return d.kind === 'mapped' ? d.label : d.kind;
  };

  it('screening-binary is the default and counts a dysplastic nevus as benign; strict-binary as malignant', () => {
    expect(DEFAULT_POLICY_ID).toBe('screening-binary');
    expect(label('screening-binary', 'DYSPLASTIC_NEVUS')).toBe('benign');
    expect(label('strict-binary', 'DYSPLASTIC_NEVUS')).toBe('malignant');
    for (const c of CLASS_CODES) {
      const malignant = CLASSES[c].status === 'MALIGNANT';
      expect(label('screening-binary', c)).toBe(malignant ? 'malignant' : 'benign');
      expect(label('strict-binary', c)).toBe(CLASSES[c].status === 'BENIGN' ? 'benign' : 'malignant');
      expect(label('three-tier', c)).toBe(CLASSES[c].status.toLowerCase());
      expect(label('nine-class', c)).toBe(CLASSES[c].label);
    }
  });

  it('isic2019 and ham10000 use their datasets’ labels, leaving out what they cannot name', () => {
    expect(CLASS_CODES.map((c) => label('isic2019', c))).toEqual([
      'NV',
      'BKL',
      'VASC',
      'DF',
      'MEL',
      'NV',
      'BCC',
      'SCC',
      'UNK',
    ]);
    expect(CLASS_CODES.map((c) => label('ham10000', c))).toEqual([
      'nv',
      'bkl',
      'vasc',
      'df',
      'mel',
      'nv',
      'bcc',
      'unmapped',
      'unmapped',
    ]);
  });

  it('applies a minimum verification stage, and a failing policy becomes unmapped instead of throwing', () => {
    const histologyOnly = definePolicy({
      id: 'histology-only',
      version: '1.0.0',
      description: 'test: only histologically verified images',
      labels: ['benign', 'malignant'],
      minVerificationStage: 'HISTOLOGY',
      map: () => ({ kind: 'mapped', label: 'malignant' }),
    });
    expect(decide(histologyOnly, policyInput('MELANOMA', 'CONSENSUS'))).toMatchObject({
      kind: 'excluded',
    });
    expect(decide(histologyOnly, policyInput('MELANOMA', 'HISTOLOGY'))).toEqual({
      kind: 'mapped',
      label: 'malignant',
    });
    const broken = definePolicy({
      id: 'broken',
      version: '1.0.0',
      description: 'test: throws',
      labels: [],
      map: () => {
        throw new Error('boom');
      },
    });
    expect(decide(broken, policyInput('NEVUS', 'INITIAL'))).toEqual({
      kind: 'unmapped',
      reason: 'policy broken failed: boom',
    });
  });
});

describe('the registry', () => {
  it('refuses duplicate ids, non-semver versions, bad ids and empty descriptions', () => {
    const [first] = PLUGINS;
    if (!first) throw new Error('no plugins');
    expect(() => new PluginRegistry([first, first])).toThrow(PluginRegistryError);
    expect(() => new PluginRegistry([first, first])).toThrow(/duplicate policy id "screening-binary"/);
    expect(() => new PluginRegistry([{ ...first, version: 'v1' }])).toThrow(/not semver/);
    expect(() => new PluginRegistry([{ ...first, id: 'Screening Binary' }])).toThrow(/kebab-case/);
    expect(() => new PluginRegistry([{ ...first, description: ' ' }])).toThrow(/no description/);
  });
});

describe('the active policy, labels, filters and facets through the API', () => {
  let env: TestEnv;
  let api: Api;
  beforeAll(async () => {
    env = await createCohortEnv();
    api = await createApi(env);
  }, 300_000);
  afterAll(() => env?.dispose());

  const Active = graphql(
    `query Active { activePolicy { id version } policies { id labels } policyHistory { from to at actor } }`,
  );
  const SetActive = graphql(`mutation SetActive($id: String!) { setActivePolicy(id: $id) { id } }`);
  const Labels = graphql(`
    query Labels($filter: ImageFilter, $policy: String) {
      images(first: 200, filter: $filter, policy: $policy) {
        totalCount
        edges { node { diagnostic { diagnosisClass { code } } label { policyId label decision } strict: label(policy: "strict-binary") { label } } }
      }
      facets(filter: $filter, policy: $policy) { policy field(name: "label") { present missing values { value count } } }
    }
  `);

  it('lists the registry and starts at the default policy with an empty history', async () => {
    const res = await api.as('VIEWER', Active);
    expect(res.data?.activePolicy.id).toBe('screening-binary');
    expect(res.data?.policies.map((p) => p.id)).toEqual([
      'screening-binary',
      'strict-binary',
      'three-tier',
      'nine-class',
      'isic2019',
      'ham10000',
    ]);
    expect(res.data?.policyHistory).toEqual([]);
  });

  it.each([null, 'VIEWER', 'ANNOTATOR', 'REVIEWER'] as const)(
    'refuses setActivePolicy to %s, changing nothing',
    async (who) => {
      const res = await api.as(who, SetActive, { id: 'strict-binary' });
      expect(res.errors?.[0]?.extensions?.code).toBe(who === null ? 'UNAUTHENTICATED' : 'FORBIDDEN');
      expect((await api.as('VIEWER', Active)).data?.activePolicy.id).toBe('screening-binary');
      expect(await env.db.policyChange.count()).toBe(0);
    },
  );

  it('refuses an unknown policy id with a typed error, changing nothing', async () => {
    const res = await api.as('ADMIN', SetActive, { id: 'five-class' });
    expect(res.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(res.errors?.[0]?.message).toMatch(/unknown policy "five-class"/);
    expect(await env.db.policyChange.count()).toBe(0);
    const bad = await api.as('VIEWER', Labels, { policy: 'nope' });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('labels images under the active policy; an admin’s switch reaches every instance, is audited, and rewrites no label', async () => {
    const before = await env.db.image.findMany({ select: { id: true, diagnosisClass: true }, orderBy: { id: 'asc' } });
    const dysplastic = { diagnosisClass: ['DYSPLASTIC_NEVUS' as const] };
    const a = await api.as('VIEWER', Labels, { filter: dysplastic });
    expect(
      a.data?.images.edges.every((e) => e.node.label.label === 'benign' && e.node.strict.label === 'malignant'),
    ).toBe(true);

    expect((await api.as('ADMIN', SetActive, { id: 'strict-binary' })).data?.setActivePolicy.id).toBe('strict-binary');
    const otherInstance = await createApi(env); // another server over the same database
    const b = await otherInstance.as('VIEWER', Labels, { filter: dysplastic });
    expect(
      b.data?.images.edges.every(
        (e) => e.node.label.policyId === 'strict-binary' && e.node.label.label === 'malignant',
      ),
    ).toBe(true);
    const history = (await otherInstance.as('REVIEWER', Active)).data?.policyHistory;
    expect(history).toHaveLength(1);
    expect(history?.[0]).toMatchObject({
      from: 'screening-binary',
      to: 'strict-binary',
      actor: expect.stringMatching(/^E-[0-9A-Z]{13}$/),
    });
    const after = await env.db.image.findMany({ select: { id: true, diagnosisClass: true }, orderBy: { id: 'asc' } });
    expect(after).toEqual(before);
    await api.as('ADMIN', SetActive, { id: 'screening-binary' });
  });

  it('filters and facets by label under a named policy, agreeing with an independent count', async () => {
    const all = await env.db.image.findMany({ select: { diagnosisClass: true } });
    const malignantStrict = all.filter((r) => classInfo(r.diagnosisClass).status !== 'BENIGN').length;
    const res = await api.as('VIEWER', Labels, { filter: { label: ['malignant'] }, policy: 'strict-binary' });
    expect(res.errors).toBeUndefined();
    expect(res.data?.images.totalCount).toBe(malignantStrict);
    expect(res.data?.facets.policy).toBe('strict-binary');
    expect(res.data?.facets.field?.values).toEqual([{ value: 'malignant', count: malignantStrict }]);

    const ham = await api.as('VIEWER', Labels, { policy: 'ham10000' });
    const unmapped = all.filter(
      (r) => r.diagnosisClass === 'SQUAMOUS_CELL_CARCINOMA' || r.diagnosisClass === 'PAPILLOMA',
    ).length;
    expect(ham.data?.facets.field?.missing).toBe(unmapped);
    expect(ham.data?.facets.field?.present).toBe(all.length - unmapped);
    const nv = all.filter((r) => r.diagnosisClass === 'NEVUS' || r.diagnosisClass === 'DYSPLASTIC_NEVUS').length;
    expect(ham.data?.facets.field?.values.find((v) => v.value === 'nv')?.count).toBe(nv);
  });
});
