// Releases over the API: createRelease (admins), release(id) with its changelog and frozen images,
// releases. The reads as of a release are the `release` argument of images, stats, facets,
// datasheet, croissant, createSplit and startExport (their own files).
import { builder } from '../builder.ts';
import { generaliseFilter, readProfile } from '../domain/deidentify.ts';
import { type Changelog, type FrozenLabels, type LabelOf, RELEASE_BOUNDS } from '../domain/release.ts';
import {
  changelogOf,
  countReleaseImages,
  createRelease,
  frozenOf,
  frozenStructures,
  listReleases,
  MAX_RELEASE_OFFSET,
  releaseById,
  releaseImages,
  storedRelease,
} from '../resolvers/releases.ts';
import { actorOf } from '../server/context.ts';
import { ImageFilter } from './image.ts';
import { requireToken } from './staff.ts';
import {
  ClinicalStatusEnum,
  DermoscopicStructureEnum,
  DiagnosisClassEnum,
  VerificationStageEnum,
} from './vocabulary.ts';

/** The most SHA-256s a changelog list gives over GraphQL (the stored changelog holds them all). */
const MAX_LISTED = 1000;

const firstOf = <T>(list: readonly T[], first: number | null | undefined): T[] => {
  const n = Math.max(0, Math.min(first ?? 100, MAX_LISTED));
  return list.slice(0, n);
};

const FIRST = {
  defaultValue: 100,
  description: `How many to list, in sha256 order (0–${MAX_LISTED}; more is cut to ${MAX_LISTED}); count has them all`,
};

const ImageListRef = builder.objectRef<string[]>('ReleaseImageList').implement({
  description: 'Images by SHA-256: how many, and the first of them in sha256 order.',
  fields: (t) => ({
    count: t.int({ resolve: (l) => l.length }),
    sha256s: t.stringList({ args: { first: t.arg.int(FIRST) }, resolve: (l, args) => firstOf(l, args.first) }),
  }),
});

const LabelRef = builder.objectRef<LabelOf>('ReleaseLabel').implement({
  description: 'A class (null: outside the 9) and a diagnosis term path.',
  fields: (t) => ({
    diagnosisClass: t.field({ type: DiagnosisClassEnum, nullable: true, resolve: (l) => l.diagnosisClass }),
    diagnosisTerm: t.exposeString('diagnosisTerm'),
  }),
});

const RelabelRef = builder.objectRef<Changelog['relabelled'][number]>('ReleaseRelabelling').implement({
  fields: (t) => ({
    sha256: t.exposeString('sha256'),
    from: t.field({ type: LabelRef, resolve: (r) => r.from }),
    to: t.field({ type: LabelRef, resolve: (r) => r.to }),
  }),
});

const StageChangeRef = builder.objectRef<Changelog['stagesAdvanced'][number]>('ReleaseStageChange').implement({
  fields: (t) => ({
    sha256: t.exposeString('sha256'),
    from: t.field({ type: VerificationStageEnum, resolve: (r) => r.from }),
    to: t.field({ type: VerificationStageEnum, resolve: (r) => r.to }),
  }),
});

const RelabelListRef = builder.objectRef<Changelog['relabelled']>('ReleaseRelabellings').implement({
  fields: (t) => ({
    count: t.int({ resolve: (l) => l.length }),
    items: t.field({
      type: [RelabelRef],
      args: { first: t.arg.int(FIRST) },
      resolve: (l, args) => firstOf(l, args.first),
    }),
  }),
});

const StageListRef = builder.objectRef<Changelog['stagesAdvanced']>('ReleaseStageChanges').implement({
  fields: (t) => ({
    count: t.int({ resolve: (l) => l.length }),
    items: t.field({
      type: [StageChangeRef],
      args: { first: t.arg.int(FIRST) },
      resolve: (l, args) => firstOf(l, args.first),
    }),
  }),
});

const ChangelogRef = builder.objectRef<Changelog>('ReleaseChangelog').implement({
  description:
    'What changed since the previous release of the same name (the latest made before it); for the first release of ' +
    'a name every image is added. Lists are in sha256 order.',
  fields: (t) => ({
    added: t.field({ type: ImageListRef, resolve: (c) => c.added }),
    removed: t.field({ type: ImageListRef, resolve: (c) => c.removed }),
    relabelled: t.field({
      type: RelabelListRef,
      description: 'Images in both whose class or term changed',
      resolve: (c) => c.relabelled,
    }),
    stagesAdvanced: t.field({
      type: StageListRef,
      description: 'Images in both whose verification stage went further',
      resolve: (c) => c.stagesAdvanced,
    }),
    stagesLowered: t.field({
      type: StageListRef,
      description: 'Images in both whose verification stage went back (no workflow service lowers one)',
      resolve: (c) => c.stagesLowered ?? [],
    }),
  }),
});

const frozen = (node: object): FrozenLabels => {
  const f = frozenOf(node);
  if (!f) throw new Error('a release image was read without its frozen row');
  return f;
};

const ReleaseRef = builder.prismaObject('Release', {
  authScopes: { viewer: true },
  description:
    'A release: a named, versioned, frozen membership of the dataset with each image’s class, term, clinical status, ' +
    'verification stage, histopathology result and structures as they were when it was made. Nothing changes or ' +
    'deletes a release; later label changes leave it as it is. Read any subset as of it with the `release` argument ' +
    'of images, stats, facets, datasheet, croissant, createSplit and startExport.',
  fields: (t) => ({
    id: t.exposeString('id'),
    name: t.exposeString('name'),
    version: t.exposeString('version'),
    filter: t.field({
      type: 'JSONObject',
      description: 'The filter it was made with ({} for the whole dataset)',
      resolve: (r) => JSON.parse(r.filter) as Record<string, unknown>,
    }),
    imageCount: t.exposeInt('imageCount'),
    contentHash: t.exposeString('contentHash', {
      description:
        'SHA-256 of the canonical manifest: per image, sorted by image sha256, the line ' +
        '["<sha256>","<class code or empty>","<term path>","<status>","<stage>","<structure codes joined by ;>",' +
        '"<histopathology result or empty>"] (a JSON array) and "\\n"',
    }),
    previous: t.prismaField({
      type: 'Release',
      nullable: true,
      description: 'The previous release of the same name, that the changelog is against',
      resolve: (query, r) => (r.previousId ? releaseById(r.previousId, query) : null),
    }),
    changelog: t.field({ type: ChangelogRef, resolve: (r) => changelogOf(r) }),
    createdBy: t.exposeString('createdBy', {
      nullable: true,
      authScopes: { reviewer: true },
      description: 'The maker’s staff code, as the trail writes it (reviewers and admins only)',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    images: t.prismaConnection(
      {
        type: 'Image',
        cursor: 'id',
        description:
          'The release’s images in id order (at most 200 a page); each edge holds the labels the release froze (the ' +
          'node is the image as it is now)',
        totalCount: (r) => countReleaseImages(r.id),
        resolve: (query, r, args) => releaseImages(query, r.id, args),
      },
      { name: 'ReleaseImageConnection' },
      {
        name: 'ReleaseImageEdge',
        fields: (e) => ({
          diagnosisClass: e.field({
            type: DiagnosisClassEnum,
            nullable: true,
            resolve: (edge) => frozen(edge.node).diagnosisClass,
          }),
          diagnosisTerm: e.string({ resolve: (edge) => frozen(edge.node).diagnosisTerm }),
          clinicalStatus: e.field({ type: ClinicalStatusEnum, resolve: (edge) => frozen(edge.node).clinicalStatus }),
          verificationStage: e.field({
            type: VerificationStageEnum,
            resolve: (edge) => frozen(edge.node).verificationStage,
          }),
          histopathologyResult: e.string({
            nullable: true,
            resolve: (edge) => frozen(edge.node).histopathologyResult,
          }),
          structures: e.field({
            type: [DermoscopicStructureEnum],
            resolve: (edge) => frozenStructures(frozen(edge.node).structures),
          }),
        }),
      },
    ),
  }),
});

const CreateReleaseInput = builder.inputType('CreateReleaseInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: `1–${RELEASE_BOUNDS.name} characters` }),
    version: t.string({
      required: true,
      description: `1–${RELEASE_BOUNDS.version} characters, e.g. 1.0.0; a name and version are made once`,
    }),
    filter: t.field({ type: ImageFilter, description: 'The images to release (default: all)' }),
  }),
});

builder.queryFields((t) => ({
  release: t.prismaField({
    type: 'Release',
    nullable: true,
    authScopes: { viewer: true },
    args: { id: t.arg.string({ required: true }) },
    resolve: (query, _root, args) => releaseById(args.id, query),
  }),
  releases: t.prismaField({
    type: ['Release'],
    authScopes: { viewer: true },
    description: `Releases, newest first, optionally of one name: limit 0–200 (default 50), offset 0–${MAX_RELEASE_OFFSET}.`,
    args: { name: t.arg.string(), limit: t.arg.int({ defaultValue: 50 }), offset: t.arg.int({ defaultValue: 0 }) },
    resolve: (query, _root, args) => listReleases(query, args),
  }),
}));

builder.mutationFields((t) => ({
  createRelease: t.prismaField({
    type: ReleaseRef,
    authScopes: { admin: true },
    description:
      'Freezes the images matching the filter (or all) with their labels now, in one transaction, and the changelog ' +
      'against the previous release of the same name. Admins only (FORBIDDEN). Refuses, writing nothing ' +
      `(BAD_USER_INPUT): a name or version that is empty, longer than ${RELEASE_BOUNDS.name} or ` +
      `${RELEASE_BOUNDS.version} characters or holds a control character; a name and version that exist; no ` +
      'image matching the filter.',
    args: { input: t.arg({ type: CreateReleaseInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      requireToken(ctx, 'createRelease');
      const filter = generaliseFilter(input.filter, readProfile(ctx.role));
      return storedRelease(await createRelease(ctx, { ...input, filter }, actorOf(ctx)), query);
    },
  }),
}));
