import { JSONResolver } from 'graphql-scalars';
import { builder } from '../builder.ts';
import { FILTER_FIELD_NAMES } from '../domain/display-names.ts';
import {
  computeFacets,
  type Distribution,
  type FacetField,
  type Facets,
  type FacetValue,
  type FieldFacet,
  facetNamed,
} from '../resolvers/facets.ts';
import { ImageFilter, RELEASE_ARG_DESCRIPTION, readSubset } from './image.ts';

builder.addScalarType('JSON', JSONResolver);

/** Every facet's label: a facet without one fails the typecheck here. */
const FIELD_NAMES: Readonly<Record<FacetField, string>> = FILTER_FIELD_NAMES;

const FacetValueRef = builder.objectRef<FacetValue>('FacetValue').implement({
  description:
    'One value of a facet: the value as the facet’s ImageFilter field takes it, its name, its count, and the ' +
    'ImageFilter fragment selecting exactly the images counted.',
  fields: (t) => ({
    value: t.field({
      type: 'JSON',
      resolve: (v) => v.value,
      description:
        'The value exactly as ImageFilter takes it: an enum name ("UPPER_EXTREMITY"), a diagnosis term path, a ' +
        'collection slug or a policy label (String), true/false (Boolean) or an SOP score (Int)',
    }),
    displayName: t.exposeString('displayName', {
      description: 'What to show: "Upper extremity", "Yes", "Score 4", a term’s name, a collection’s name',
    }),
    count: t.exposeInt('count', { description: 'Images with this value' }),
    filter: t.field({
      type: 'JSONObject',
      resolve: (v) => v.filter,
      description:
        'The ImageFilter fragment selecting exactly the images counted, e.g. {"anatomicalSite":["UPPER_EXTREMITY"]}, ' +
        '{"hasHistology":true}, {"imageQualityScore":{"min":4,"max":4}}: images(filter: {AND: [base, filter]}) ' +
        'counts `count` images',
    }),
  }),
});

export const FieldFacetRef = builder.objectRef<FieldFacet>('FieldFacet').implement({
  description: 'The counts of one field, keyed by the ImageFilter input field that selects its values.',
  fields: (t) => ({
    field: t.exposeString('field', {
      description: 'The ImageFilter input field its values select (camelCase: anatomicalSite, hasHistology, …)',
    }),
    displayName: t.string({
      description: 'What to call the field: "Fitzpatrick type", "Sunburn history", "Anatomical site", …',
      resolve: (f) => FIELD_NAMES[f.field],
    }),
    present: t.exposeInt('present', { description: 'Images with a value' }),
    missing: t.exposeInt('missing', { description: 'Images without one' }),
    missingFilter: t.field({
      type: 'JSONObject',
      nullable: true,
      resolve: (f) => f.missingFilter,
      description:
        'The ImageFilter fragment selecting the `missing` images (e.g. {"missing":["ANATOMICAL_SITE"]}); null for ' +
        'a field no image lacks',
    }),
    values: t.field({
      type: [FacetValueRef],
      resolve: (f) => f.values,
      description: 'Values with at least one image, most frequent first (then by value)',
    }),
  }),
});

const DistributionValueRef = builder.objectRef<Distribution['values'][number]>('FieldDistributionValue').implement({
  fields: (t) => ({
    value: t.exposeString('value', { description: 'The enum value, score or true/false, as a string' }),
    count: t.exposeInt('count'),
  }),
});

/** Stats' distributions: the information model's names, as the completeness table and the datasheet. */
export const FieldDistributionRef = builder.objectRef<Distribution>('FieldDistribution').implement({
  description:
    'The counts of one field as the statistics report them, by the information model’s snake_case name (as the ' +
    'completeness table names fields). To filter by a value, use the facets query: its values carry ImageFilter ' +
    'fragments.',
  fields: (t) => ({
    field: t.exposeString('field', { description: 'snake_case field name' }),
    present: t.exposeInt('present'),
    missing: t.exposeInt('missing'),
    values: t.field({ type: [DistributionValueRef], resolve: (f) => f.values, description: 'Most frequent first' }),
  }),
});

const FacetsRef = builder.objectRef<Facets>('ImageFacets').implement({
  fields: (t) => ({
    total: t.exposeInt('total', { description: 'Images matching the filter' }),
    policy: t.exposeString('policyId', { description: 'The policy the label facet is read under' }),
    fields: t.field({ type: [FieldFacetRef], resolve: (f) => f.fields }),
    field: t.field({
      type: FieldFacetRef,
      description:
        'One facet by its ImageFilter field name (anatomicalSite, hasHistology, …); a name no facet has is ' +
        'BAD_USER_INPUT naming the facets',
      args: { name: t.arg.string({ required: true }) },
      resolve: (f, args) => facetNamed(f, args.name),
    }),
  }),
});

builder.queryFields((t) => ({
  facets: t.field({
    type: FacetsRef,
    authScopes: { viewer: true },
    description:
      'Per-value counts of every categorical field over the images matching the filter, keyed and typed as ImageFilter ' +
      'takes them: each value’s `filter` selects exactly its images. For viewers the filter’s age and date bounds ' +
      'select no finer than safe-harbor shows (an age bound of 90 or more means 90+, date bounds widen to whole ' +
      'years), as in images and stats.',
    args: {
      filter: t.arg({ type: ImageFilter }),
      policy: t.arg.string({ description: 'Policy of the label facet and label filters (default: the active one)' }),
      release: t.arg.string({ description: RELEASE_ARG_DESCRIPTION }),
    },
    resolve: async (_root, args, ctx) => computeFacets(await readSubset(ctx, args)),
  }),
}));
