import { builder } from '../builder.ts';
import { readProfile } from '../domain/deidentify.ts';
import { croissant } from '../resolvers/croissant.ts';
import {
  type ComparisonRequest,
  computeDatasheet,
  type Datasheet,
  type DatasheetEntry,
  type DatasheetSection,
  datasheetTextHistory,
  MAX_COMPARISON_TITLE,
  MAX_PROSE_LENGTH,
  resolveComparison,
  updateDatasheetText,
} from '../resolvers/datasheet.ts';
import { actorOf } from '../server/context.ts';
import { DomainShiftRef, SubsetInput } from './domain-shift.ts';
import { ImageFilter, RELEASE_ARG_DESCRIPTION, readSubset, SplitSelectionInput } from './image.ts';
import { ADMIN_CODE_DESCRIPTION } from './staff.ts';
import { StatsRef } from './stats.ts';

const EntryRef = builder.objectRef<DatasheetEntry>('DatasheetEntry').implement({
  fields: (t) => ({
    key: t.exposeString('key'),
    question: t.exposeString('question'),
    answer: t.exposeString('answer', {
      description:
        'Markdown, as the document carries it: in prose, raw HTML is escaped and a link or image whose URL is not ' +
        'http, https, mailto or relative keeps its text and loses its URL',
    }),
    fromData: t.exposeBoolean('fromData', { description: 'Computed from the records (else: admin-written prose)' }),
  }),
});
const SectionRef = builder.objectRef<DatasheetSection>('DatasheetSection').implement({
  fields: (t) => ({
    id: t.exposeString('id'),
    title: t.exposeString('title'),
    entries: t.field({ type: [EntryRef], resolve: (s) => s.entries }),
  }),
});
const DatasheetRef = builder.objectRef<Datasheet>('Datasheet').implement({
  description: 'Datasheets for Datasets: seven sections, data-derived answers computed from stats, the rest prose.',
  fields: (t) => ({
    sections: t.field({ type: [SectionRef], resolve: (d) => d.sections }),
    markdown: t.exposeString('markdown'),
    html: t.exposeString('html', {
      description: 'Self-contained HTML with the four figures as SVG (five with compare: the comparison’s)',
    }),
    stats: t.field({ type: StatsRef, resolve: (d) => d.stats }),
    comparison: t.field({
      type: DomainShiftRef,
      nullable: true,
      resolve: (d) => d.comparison,
      description: 'With compare: this subset (a) against the other (b), ages top-coded at 90; else null',
    }),
  }),
});
const DatasheetTextRef = builder.prismaObject('DatasheetText', {
  authScopes: { viewer: true },
  fields: (t) => ({
    key: t.exposeString('key'),
    text: t.exposeString('text'),
    updatedBy: t.exposeString('updatedBy', {
      nullable: true,
      authScopes: { reviewer: true },
      description: ADMIN_CODE_DESCRIPTION,
    }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});
const DatasheetTextChangeRef = builder.prismaObject('DatasheetTextChange', {
  authScopes: { viewer: true },
  fields: (t) => ({
    key: t.exposeString('key'),
    actor: t.exposeString('actor', {
      nullable: true,
      authScopes: { reviewer: true },
      description: ADMIN_CODE_DESCRIPTION,
    }),
    at: t.expose('at', { type: 'DateTime' }),
    oldText: t.exposeString('oldText', { nullable: true }),
    newText: t.exposeString('newText'),
  }),
});

const DatasheetComparisonInput = builder.inputRef<ComparisonRequest>('DatasheetComparison').implement({
  description:
    'Another subset to compare the datasheet’s with, in a section "Comparison with <title>" (a table of the ' +
    'divergences and tests per dimension, as domainShift) and a figure of the label shares side by side.',
  fields: (t) => ({
    with: t.field({ type: SubsetInput, required: true, description: 'Read under the datasheet’s policy' }),
    title: t.string({
      required: true,
      description: `What the other subset is called: one line of 1 to ${MAX_COMPARISON_TITLE} characters`,
    }),
  }),
});

builder.queryFields((t) => ({
  datasheet: t.field({
    type: DatasheetRef,
    authScopes: { viewer: true },
    description:
      'The datasheet of the filtered subset under the policy. Its ages are top-coded at 90 and its timeframe ' +
      'given in years (safe-harbor: a published document) for every role; for viewers the filter’s age and date ' +
      'bounds select no finer than safe-harbor shows. With compare, a section compares the subset with another ' +
      '(a bad filter, split or title there is BAD_USER_INPUT naming compare).',
    args: {
      filter: t.arg({ type: ImageFilter }),
      policy: t.arg.string(),
      release: t.arg.string({ description: RELEASE_ARG_DESCRIPTION }),
      compare: t.arg({ type: DatasheetComparisonInput }),
    },
    resolve: async (_root, args, ctx) => {
      const subset = await readSubset(ctx, args);
      const compare = args.compare && (await resolveComparison(ctx, args.compare, subset, readProfile(ctx.role)));
      return computeDatasheet(subset, undefined, compare);
    },
  }),
  croissant: t.field({
    type: 'JSONObject',
    authScopes: { viewer: true },
    description:
      'Croissant 1.1 + RAI 1.0 metadata (JSON-LD) of the filtered subset under the policy. With split: the split’s ' +
      'images (or a part’s) under its policy, a cr:Split record set and a split field referencing it; an unknown ' +
      'split or part, or another policy, is BAD_USER_INPUT. license and creator: DERMASET_LICENSE and ' +
      'DERMASET_CREATOR, else the datasheet’s distribution.license and distribution.creator answers, else ' +
      '"not stated"; version: DERMASET_DATASET_VERSION, else 0.0.0+<date>.<hash> of the stored image set; ' +
      'metadata.jsonl is served at its contentUrl (/croissant/metadata.jsonl). profile: the de-identification ' +
      'profile of the records (default safe-harbor; research; limited for admins only, else FORBIDDEN; an unknown ' +
      'one is BAD_USER_INPUT), stamped in the RAI fields and in the contentUrl; the filter’s age and date bounds ' +
      'select no finer than the profile shows.',
    args: {
      filter: t.arg({ type: ImageFilter }),
      policy: t.arg.string(),
      split: t.arg({ type: SplitSelectionInput }),
      profile: t.arg.string({ description: 'safe-harbor (default), research or limited (admins only)' }),
      release: t.arg.string({
        description: `${RELEASE_ARG_DESCRIPTION}; the document's version is the release's version`,
      }),
    },
    resolve: (_root, args, ctx) =>
      croissant(args, { origin: ctx.origin, dataDir: ctx.dataDir, role: ctx.role, scope: ctx }),
  }),
  datasheetTextHistory: t.prismaField({
    type: [DatasheetTextChangeRef],
    authScopes: { viewer: true },
    description: 'Every change of the datasheet prose, newest first.',
    resolve: (query) => datasheetTextHistory(query),
  }),
}));

builder.mutationFields((t) => ({
  updateDatasheetText: t.prismaField({
    type: DatasheetTextRef,
    authScopes: { admin: true },
    description:
      'Admins only. Sets the prose answer to one datasheet question (audited with the admin’s staff code); an ' +
      `unknown key or a text longer than ${MAX_PROSE_LENGTH.toLocaleString('en-US')} characters is BAD_USER_INPUT.`,
    args: { key: t.arg.string({ required: true }), text: t.arg.string({ required: true }) },
    resolve: (query, _root, args, ctx) => updateDatasheetText(query, actorOf(ctx).code, args.key, args.text),
  }),
}));
