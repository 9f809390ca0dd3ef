import { JSONObjectResolver } from 'graphql-scalars';
import { builder } from '../builder.ts';
import { DEFAULT_PROFILE, PROFILE_IDS, PROFILES, type Profile } from '../domain/deidentify.ts';
import { optionList } from '../plugins/exporters/options.ts';
import { registry } from '../plugins/index.ts';
import type { Exporter, MetadataImporter } from '../plugins/types.ts';
import { exportForReader, listExports, MAX_EXPORTS, startExport } from '../resolvers/exports.ts';
import { actorOf, type Context } from '../server/context.ts';
import { ImageFilter, RELEASE_ARG_DESCRIPTION, SplitSelectionInput } from './image.ts';
import { requireToken } from './staff.ts';

builder.addScalarType('JSONObject', JSONObjectResolver);

const ExportOptionRef = builder
  .objectRef<{ name: string; type: string; description: string; default?: unknown }>('ExportOption')
  .implement({
    fields: (t) => ({
      name: t.exposeString('name'),
      type: t.exposeString('type'),
      description: t.exposeString('description'),
      default: t.string({ nullable: true, resolve: (o) => (o.default === undefined ? null : String(o.default)) }),
    }),
  });

const ExporterRef = builder.objectRef<Exporter>('Exporter').implement({
  description: 'An export format (a plugin).',
  fields: (t) => ({
    id: t.exposeString('id'),
    version: t.exposeString('version'),
    description: t.exposeString('description'),
    mediaType: t.exposeString('mediaType'),
    extension: t.exposeString('extension'),
    includesImages: t.exposeBoolean('needsImages'),
    options: t.field({
      type: [ExportOptionRef],
      resolve: (e) => optionList(e.options),
    }),
  }),
});

const VocabularyEntryRef = builder
  .objectRef<{ sourceLabel: string; diagnosisClass: string | null }>('VocabularyEntry')
  .implement({
    fields: (t) => ({
      sourceLabel: t.exposeString('sourceLabel'),
      diagnosisClass: t.exposeString('diagnosisClass', {
        nullable: true,
        description: 'null: unmapped, kept raw and reported',
      }),
    }),
  });

const ImporterRef = builder.objectRef<MetadataImporter>('Importer').implement({
  description: 'A reader of a public metadata format (a plugin), run with `dermaset import --format <id>`.',
  fields: (t) => ({
    id: t.exposeString('id'),
    version: t.exposeString('version'),
    description: t.exposeString('description'),
    inputs: t.stringList({ resolve: (i) => i.inputs.map((x) => x.name) }),
    vocabulary: t.field({
      type: [VocabularyEntryRef],
      resolve: (i) =>
        Object.entries(i.vocabulary).map(([sourceLabel, e]) => ({ sourceLabel, diagnosisClass: e.diagnosisClass })),
    }),
  }),
});

const DeidentificationProfileRef = builder.objectRef<Profile>('DeidentificationProfile').implement({
  description:
    'How exports, split manifests and Croissant records show ages and dates (startExport(profile:), ?profile= on ' +
    'the manifest route). Viewers read safe-harbor values through the API; annotators and above read exact ones.',
  fields: (t) => ({
    id: t.exposeString('id'),
    version: t.exposeString('version'),
    description: t.exposeString('description'),
    age: t.exposeString('age', { description: 'What an age becomes' }),
    date: t.exposeString('date', { description: 'What a date becomes' }),
    minRole: t.string({ description: 'The least role that may ask for it', resolve: (p) => p.minRole }),
    isDefault: t.boolean({ resolve: (p) => p.id === DEFAULT_PROFILE }),
  }),
});

/** Who reads an export: the token's id (the owner) and its role (admins see every export). */
const readerOf = (ctx: Context) => ({ tokenId: actorOf(ctx).tokenId, role: ctx.role });

const ExportStatusEnum = builder.enumType('ExportStatus', { values: ['RUNNING', 'DONE', 'FAILED'] as const });

const ExportProgressRef = builder
  .objectRef<{ rowsDone: number; rowsTotal: number | null }>('ExportProgress')
  .implement({
    description:
      'How far an export is: rows written of the rows it writes. A running export writes it at most once a second; ' +
      'a finished one has rowsDone = rowCount.',
    fields: (t) => ({
      rowsDone: t.exposeInt('rowsDone', { description: 'Rows written so far' }),
      rowsTotal: t.exposeInt('rowsTotal', {
        nullable: true,
        description: 'Rows the export writes (counted when its run starts; null until then)',
      }),
      fraction: t.float({
        nullable: true,
        description: 'rowsDone / rowsTotal, from 0 to 1 (null while rowsTotal is; 1 for an empty export)',
        resolve: (p) => (p.rowsTotal === null ? null : p.rowsTotal === 0 ? 1 : Math.min(1, p.rowsDone / p.rowsTotal)),
      }),
    }),
  });

const ExportRef = builder.prismaObject('Export', {
  authScopes: { viewer: true },
  description: 'One export run, its state and where to download it.',
  fields: (t) => ({
    id: t.exposeString('id'),
    format: t.exposeString('format'),
    exporterVersion: t.exposeString('exporterVersion'),
    policyId: t.exposeString('policyId'),
    policyVersion: t.exposeString('policyVersion'),
    filter: t.field({ type: 'JSONObject', select: { filter: true }, resolve: (e) => JSON.parse(e.filter) }),
    options: t.field({ type: 'JSONObject', select: { options: true }, resolve: (e) => JSON.parse(e.options) }),
    split: t.field({
      type: 'JSONObject',
      nullable: true,
      description: 'The split the export is limited to: id, part, fold, the part names and the split’s manifest hash',
      select: { split: true },
      resolve: (e) => (e.split ? JSON.parse(e.split) : null),
    }),
    profile: t.exposeString('profile', {
      description: 'The de-identification profile its ages and dates went through (safe-harbor, research, limited)',
    }),
    createdBy: t.exposeString('createdBy', {
      nullable: true,
      authScopes: { reviewer: true },
      description: 'The maker’s staff code, as the trail writes it (reviewers and admins only)',
    }),
    status: t.expose('status', { type: ExportStatusEnum }),
    progress: t.field({
      type: ExportProgressRef,
      select: { rowsDone: true, rowsTotal: true },
      resolve: (e) => ({ rowsDone: e.rowsDone, rowsTotal: e.rowsTotal }),
    }),
    rowCount: t.exposeInt('rowCount', { nullable: true }),
    byteSize: t.exposeInt('byteSize', { nullable: true }),
    sha256: t.exposeString('sha256', { nullable: true }),
    error: t.exposeString('error', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
    downloadUrl: t.string({
      nullable: true,
      args: { expiresIn: t.arg.int({ required: false, description: 'Seconds: 60 to 604800, default 3600' }) },
      select: { id: true, status: true },
      description: 'The finished file, as a URL signed for the caller (opens without a header until it expires)',
      resolve: (e, args, ctx) => (e.status === 'DONE' ? ctx.signedUrl(`/exports/${e.id}/file`, args.expiresIn) : null),
    }),
    manifestUrl: t.string({
      nullable: true,
      args: { expiresIn: t.arg.int({ required: false, description: 'Seconds: 60 to 604800, default 3600' }) },
      select: { id: true, status: true },
      description: 'The finished export’s manifest, as a URL signed for the caller',
      resolve: (e, args, ctx) =>
        e.status === 'DONE' ? ctx.signedUrl(`/exports/${e.id}/manifest.json`, args.expiresIn) : null,
    }),
  }),
});

builder.queryFields((t) => ({
  exporters: t.field({
    type: [ExporterRef],
    authScopes: { viewer: true },
    description: 'Every registered export format.',
    resolve: () => [...registry.exporters.values()],
  }),
  importers: t.field({
    type: [ImporterRef],
    authScopes: { viewer: true },
    description: 'Every registered importer of public metadata.',
    resolve: () => [...registry.importers.values()],
  }),
  deidentificationProfiles: t.field({
    type: [DeidentificationProfileRef],
    authScopes: { viewer: true },
    description: 'The de-identification profiles exports and manifests take.',
    resolve: () => PROFILE_IDS.map((id) => PROFILES[id]),
  }),
  export: t.prismaField({
    type: ExportRef,
    nullable: true,
    authScopes: { viewer: true },
    description:
      'One of your exports (admins: anyone’s). Someone else’s export, like an unknown id, is NOT_FOUND: an id ' +
      'that leaks tells nothing about who made what.',
    args: { id: t.arg.string({ required: true }) },
    resolve: (query, _root, args, ctx) => exportForReader(args.id, readerOf(ctx), query),
  }),
  exports: t.prismaField({
    type: [ExportRef],
    authScopes: { viewer: true },
    description:
      `Your exports (admins: everyone’s), newest first, at most \`first\` (1–${MAX_EXPORTS}, default ${MAX_EXPORTS}; ` +
      'outside it BAD_USER_INPUT). `after`: the id of the last export of the previous page (keyset: a page stays ' +
      'stable while exports are added; an id not yours is BAD_USER_INPUT). `status`: only exports in it.',
    args: {
      first: t.arg.int(),
      after: t.arg.string(),
      status: t.arg({ type: ExportStatusEnum }),
    },
    resolve: (query, _root, args, ctx) =>
      listExports(readerOf(ctx), query, { first: args.first, after: args.after, status: args.status }),
  }),
}));

builder.mutationFields((t) => ({
  startExport: t.field({
    type: ExportRef,
    authScopes: { viewer: true },
    description:
      'Starts an export of the images matching the filter, labelled by the policy (default: the active one). ' +
      'With split: only the split’s images (or one part of it), labelled by the split’s policy, each row with its part ' +
      '(the folder in imagefolder, a split field in jsonl, a split column in parquet). ' +
      'Refuses an unknown format, policy or option, an unknown split or part, or a policy other than the split’s ' +
      '(BAD_USER_INPUT) without recording anything. ' +
      'Examiner codes are included only for reviewers and admins. Ages and dates go through the de-identification ' +
      'profile (default safe-harbor: ages of 90 and over as "90+", dates to the year; research: 5-year age bins, dates ' +
      'to the month; limited: exact values, admins only, FORBIDDEN for others; an unknown profile is BAD_USER_INPUT), ' +
      'and so do the filter’s age and date bounds. The export belongs to the caller’s token: only it and admins can ' +
      'read, list and download it. Needs a bearer token even with public read.',
    args: {
      format: t.arg.string({ required: true }),
      filter: t.arg({ type: ImageFilter }),
      policy: t.arg.string(),
      options: t.arg({ type: 'JSONObject' }),
      split: t.arg({ type: SplitSelectionInput }),
      profile: t.arg.string({ description: `safe-harbor (default), research or limited (admins only)` }),
      release: t.arg.string({
        description: `${RELEASE_ARG_DESCRIPTION}; rows carry the frozen class, term, status, stage, histopathology and structures, and the manifest names the release`,
      }),
    },
    resolve: (_root, args, ctx) => {
      requireToken(ctx, 'startExport');
      const actor = actorOf(ctx);
      return startExport(
        ctx,
        {
          format: args.format,
          filter: args.filter,
          policy: args.policy,
          options: args.options as Record<string, unknown> | null,
          split: args.split,
          profile: args.profile,
          release: args.release,
        },
        {
          actor: actor.code,
          tokenId: actor.tokenId as number,
          role: actor.role,
          dataDir: ctx.dataDir,
          origin: ctx.origin,
        },
      );
    },
  }),
}));
