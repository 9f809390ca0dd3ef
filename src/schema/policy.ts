import { builder } from '../builder.ts';
import { decide, POLICY_INPUT_SELECT } from '../plugins/evaluate.ts';
import { registry } from '../plugins/index.ts';
import type { ClassMappingPolicy, PolicyDecision } from '../plugins/types.ts';
import { policyHistory, setActivePolicy } from '../resolvers/policies.ts';
import { actorOf } from '../server/context.ts';
import { ADMIN_CODE_DESCRIPTION } from './staff.ts';
import { VerificationStageEnum } from './vocabulary.ts';

export const PolicyRef = builder.objectRef<ClassMappingPolicy>('Policy').implement({
  description: 'A class-mapping policy: how the 9 classes become the labels of one kind of model.',
  fields: (t) => ({
    id: t.exposeString('id'),
    version: t.exposeString('version', { description: 'Semver of the policy’s output contract' }),
    description: t.exposeString('description'),
    labels: t.exposeStringList('labels'),
    minVerificationStage: t.expose('minVerificationStage', { type: VerificationStageEnum, nullable: true }),
  }),
});

const DecisionKind = builder.enumType('LabelDecision', {
  values: {
    MAPPED: { description: 'The image has a label under the policy' },
    EXCLUDED: { description: 'Deliberately left out of the policy’s task' },
    UNMAPPED: { description: 'The policy’s vocabulary has no place for the class' },
  },
});

interface ImageLabel {
  policy: ClassMappingPolicy;
  decision: PolicyDecision;
}
const ImageLabelRef = builder.objectRef<ImageLabel>('ImageLabel').implement({
  fields: (t) => ({
    policyId: t.string({ resolve: (l) => l.policy.id }),
    policyVersion: t.string({ resolve: (l) => l.policy.version }),
    decision: t.field({ type: DecisionKind, resolve: (l) => l.decision.kind.toUpperCase() as 'MAPPED' }),
    label: t.string({ nullable: true, resolve: (l) => (l.decision.kind === 'mapped' ? l.decision.label : null) }),
    reason: t.string({ nullable: true, resolve: (l) => (l.decision.kind === 'mapped' ? null : l.decision.reason) }),
  }),
});

builder.prismaObjectField('Image', 'label', (t) =>
  t.field({
    type: ImageLabelRef,
    description: 'The image’s label under a policy (default: the active one); stored labels never change',
    args: { policy: t.arg.string() },
    select: POLICY_INPUT_SELECT,
    resolve: async (image, args, ctx) => {
      const policy = await ctx.policy(args.policy);
      return { policy, decision: decide(policy, image) };
    },
  }),
);

const PolicyChangeRef = builder.prismaObject('PolicyChange', {
  authScopes: { viewer: true },
  fields: (t) => ({
    actor: t.exposeString('actor', {
      nullable: true,
      authScopes: { reviewer: true },
      description: ADMIN_CODE_DESCRIPTION,
    }),
    at: t.expose('at', { type: 'DateTime' }),
    from: t.exposeString('fromPolicy'),
    to: t.exposeString('toPolicy'),
  }),
});

builder.queryFields((t) => ({
  policies: t.field({
    type: [PolicyRef],
    authScopes: { viewer: true },
    description: 'Every registered class-mapping policy.',
    resolve: () => [...registry.policies.values()],
  }),
  activePolicy: t.field({
    type: PolicyRef,
    authScopes: { viewer: true },
    description: 'The policy labels, filters, facets and exports use when none is named.',
    resolve: (_root, _args, ctx) => ctx.policy(),
  }),
  policyHistory: t.prismaField({
    type: [PolicyChangeRef],
    authScopes: { viewer: true },
    description: 'Changes of the active policy, newest first.',
    args: { last: t.arg.int({ defaultValue: 50, required: true }) },
    resolve: (query, _root, args) => policyHistory(query, args.last),
  }),
}));

builder.mutationFields((t) => ({
  setActivePolicy: t.field({
    type: PolicyRef,
    authScopes: { admin: true },
    description:
      'Admins only. Switches the active policy for every server instance; audited; labels are not rewritten.',
    args: { id: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => setActivePolicy(actorOf(ctx).code, args.id),
  }),
}));
