import { builder } from '../builder.ts';
import { readProfile } from '../domain/deidentify.ts';
import type { CountShare, NumericSummary } from '../domain/shift.ts';
import {
  type DomainShift,
  domainShift,
  SHIFT_DIMENSIONS,
  type ShiftDimension,
  type ShiftRequest,
  type ShiftSide,
  type ShiftTest,
} from '../resolvers/domain-shift.ts';
import { ImageFilter, RELEASE_ARG_DESCRIPTION, SplitSelectionInput } from './image.ts';

export const SubsetInput = builder.inputRef<ShiftRequest>('SubsetInput').implement({
  description:
    'One subset of a comparison: the images of a filter (as every read filters them), limited to a stored split ' +
    'or one of its parts, as of a release. All are optional: {} is every image, live.',
  fields: (t) => ({
    filter: t.field({ type: ImageFilter }),
    split: t.field({ type: SplitSelectionInput, description: 'Images of a stored split, or of one of its parts' }),
    release: t.string({ description: RELEASE_ARG_DESCRIPTION }),
  }),
});

const ShiftCountRef = builder.objectRef<CountShare>('ShiftCount').implement({
  fields: (t) => ({
    count: t.exposeInt('count', { description: 'Images' }),
    share: t.exposeFloat('share', {
      nullable: true,
      description: 'Of the side’s images with a value (missing: of all its images); null when that is none',
    }),
  }),
});
const ShiftValueRef = builder.objectRef<ShiftDimension['values'][number]>('ShiftValue').implement({
  fields: (t) => ({
    value: t.exposeString('value', { description: 'The value as the API writes it (numbers in decimal)' }),
    a: t.field({ type: ShiftCountRef, resolve: (v) => v.a }),
    b: t.field({ type: ShiftCountRef, resolve: (v) => v.b }),
  }),
});
const ShiftMissingRef = builder.objectRef<ShiftDimension['missing']>('ShiftMissing').implement({
  description: 'Images of each side without a value, and their share of all the side’s images.',
  fields: (t) => ({
    a: t.field({ type: ShiftCountRef, resolve: (m) => m.a }),
    b: t.field({ type: ShiftCountRef, resolve: (m) => m.b }),
  }),
});
const ShiftSummaryRef = builder.objectRef<NumericSummary>('ShiftSummary').implement({
  description: 'The present values of one side of a numeric dimension; all but n are null when n is 0.',
  fields: (t) => ({
    n: t.exposeInt('n'),
    mean: t.exposeFloat('mean', { nullable: true }),
    median: t.exposeFloat('median', { nullable: true }),
    min: t.exposeFloat('min', { nullable: true }),
    max: t.exposeFloat('max', { nullable: true }),
  }),
});
const ShiftSummariesRef = builder.objectRef<{ a: NumericSummary; b: NumericSummary }>('ShiftSummaries').implement({
  fields: (t) => ({
    a: t.field({ type: ShiftSummaryRef, resolve: (s) => s.a }),
    b: t.field({ type: ShiftSummaryRef, resolve: (s) => s.b }),
  }),
});
const ShiftTestRef = builder.objectRef<ShiftTest>('ShiftTest').implement({
  description:
    'chi-squared: Pearson’s test of homogeneity on the 2×k table of counts, no continuity correction ' +
    '(scipy chi2_contingency(correction=False)); kolmogorov-smirnov: the two-sample two-sided test with the ' +
    'asymptotic p-value of scipy ks_2samp(method="asymp").',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'chi-squared or kolmogorov-smirnov' }),
    statistic: t.exposeFloat('statistic', { description: 'χ², or the largest distance D of the two ECDFs' }),
    pValue: t.exposeFloat('pValue'),
    df: t.exposeInt('df', { nullable: true, description: 'χ²: categories with a count on either side − 1' }),
    effectiveN: t.exposeInt('effectiveN', { nullable: true, description: 'KS: round(m·n / (m + n))' }),
  }),
});
const ShiftKindEnum = builder.enumType('ShiftKind', { values: ['CATEGORICAL', 'NUMERIC'] as const });

const ShiftDimensionRef = builder.objectRef<ShiftDimension>('ShiftDimension').implement({
  description:
    'One dimension of two subsets compared, counted per image. jensenShannon, totalVariation and test are null ' +
    'when a side has no value at all.',
  fields: (t) => ({
    dimension: t.exposeString('dimension', {
      description: SHIFT_DIMENSIONS.map((d) => `${d.id}: ${d.about}`).join('; '),
    }),
    kind: t.field({ type: ShiftKindEnum, resolve: (d) => (d.kind === 'numeric' ? 'NUMERIC' : 'CATEGORICAL') }),
    values: t.field({
      type: [ShiftValueRef],
      resolve: (d) => d.values,
      description: 'Side by side; categorical: most images first, numeric: ascending',
    }),
    summary: t.field({
      type: ShiftSummariesRef,
      nullable: true,
      resolve: (d) => d.summary,
      description: 'Numeric dimensions only',
    }),
    jensenShannon: t.exposeFloat('jensenShannon', {
      nullable: true,
      description: 'Jensen–Shannon divergence, base 2, in [0, 1] (the divergence, not its square root, the distance)',
    }),
    totalVariation: t.exposeFloat('totalVariation', { nullable: true, description: '½ Σ |p − q|, in [0, 1]' }),
    test: t.field({
      type: ShiftTestRef,
      nullable: true,
      resolve: (d) => d.test,
      description:
        'χ² for a categorical dimension (one category on both sides: statistic 0, df 0, p 1, as scipy), ' +
        'Kolmogorov–Smirnov for a numeric one (null when each side holds a single image)',
    }),
    missing: t.field({ type: ShiftMissingRef, resolve: (d) => d.missing }),
  }),
});

const ShiftSubsetRef = builder.objectRef<ShiftSide>('ShiftSubset').implement({
  fields: (t) => ({
    filter: t.field({
      type: 'JSONObject',
      nullable: true,
      resolve: (s) => s.subset.asked,
      description: 'The filter as asked',
    }),
    split: t.field({
      type: 'JSONObject',
      nullable: true,
      resolve: (s) => s.subset.split && { ...s.subset.split.selection, parts: s.subset.split.parts },
      description: 'The split selection the side is limited to (the request’s, else the filter’s), and its parts',
    }),
    release: t.field({
      type: 'JSONObject',
      nullable: true,
      resolve: (s) =>
        s.subset.release && { id: s.subset.release.id, name: s.subset.release.name, version: s.subset.release.version },
      description: 'The release the side is read as of (asked, or its split’s): id, name and version',
    }),
    images: t.exposeInt('images'),
  }),
});

export const DomainShiftRef = builder.objectRef<DomainShift>('DomainShift').implement({
  description: 'Two subsets compared dimension by dimension, from SQL counts.',
  fields: (t) => ({
    policyId: t.string({ resolve: (s) => s.policy.id, description: 'The policy both sides’ labels are read under' }),
    policyVersion: t.string({ resolve: (s) => s.policy.version }),
    profile: t.exposeString('profile', { description: 'The de-identification profile the ages are read through' }),
    a: t.field({ type: ShiftSubsetRef, resolve: (s) => s.a }),
    b: t.field({ type: ShiftSubsetRef, resolve: (s) => s.b }),
    dimensions: t.field({ type: [ShiftDimensionRef], resolve: (s) => s.dimensions }),
  }),
});

builder.queryFields((t) => ({
  domainShift: t.field({
    type: DomainShiftRef,
    authScopes: { viewer: true },
    description:
      'How subset b differs from subset a: per dimension (label, diagnosis term, age, sex, anatomical site, ' +
      'Fitzpatrick type, verification stage, image size in pixels, format; all counted per image) the shares side ' +
      'by side, the Jensen–Shannon divergence and total variation, χ² (categorical) or Kolmogorov–Smirnov ' +
      '(numeric), and the missing images of each side. Both sides are read under one policy: the one named, else ' +
      'each side’s own (a split’s, else the active one), and two different ones are BAD_USER_INPUT. For viewers ' +
      'ages are top-coded at 90 and the filters’ age and date bounds select no finer than safe-harbor shows.',
    args: {
      a: t.arg({ type: SubsetInput, required: true }),
      b: t.arg({ type: SubsetInput, required: true }),
      policy: t.arg.string(),
    },
    resolve: (_root, args, ctx) => domainShift(ctx, args, readProfile(ctx.role)),
  }),
}));
