import { builder } from '../builder.ts';
import { computeFacets, type Facets, type FacetValue, type FieldFacet } from '../resolvers/facets.ts';
import { ImageFilter, RELEASE_ARG_DESCRIPTION, readSubset } from './image.ts';

const FacetValueRef = builder.objectRef<FacetValue>('FacetValue').implement({
  fields: (t) => ({
    value: t.exposeString('value', { description: 'The enum value, score or true/false, as a string' }),
    count: t.exposeInt('count', { description: 'Images with this value' }),
  }),
});

export const FieldFacetRef = builder.objectRef<FieldFacet>('FieldFacet').implement({
  fields: (t) => ({
    field: t.exposeString('field', { description: 'snake_case field name' }),
    present: t.exposeInt('present', { description: 'Images with a value' }),
    missing: t.exposeInt('missing', { description: 'Images without one' }),
    values: t.field({ type: [FacetValueRef], resolve: (f) => f.values, description: 'Most frequent first' }),
  }),
});

const FacetsRef = builder.objectRef<Facets>('ImageFacets').implement({
  fields: (t) => ({
    total: t.exposeInt('total', { description: 'Images matching the filter' }),
    policy: t.exposeString('policyId', { description: 'The policy the label facet is read under' }),
    fields: t.field({ type: [FieldFacetRef], resolve: (f) => f.fields }),
    field: t.field({
      type: FieldFacetRef,
      nullable: true,
      args: { name: t.arg.string({ required: true }) },
      resolve: (f, args) => f.fields.find((x) => x.field === args.name) ?? null,
    }),
  }),
});

builder.queryFields((t) => ({
  facets: t.field({
    type: FacetsRef,
    authScopes: { viewer: true },
    description:
      'Per-value counts of every categorical field over the images matching the filter. For viewers the filter’s ' +
      'age and date bounds select no finer than safe-harbor shows (an age bound of 90 or more means 90+, date ' +
      'bounds widen to whole years), as in images and stats.',
    args: {
      filter: t.arg({ type: ImageFilter }),
      policy: t.arg.string({ description: 'Policy of the label facet and label filters (default: the active one)' }),
      release: t.arg.string({ description: RELEASE_ARG_DESCRIPTION }),
    },
    resolve: async (_root, args, ctx) => computeFacets(await readSubset(ctx, args)),
  }),
}));
