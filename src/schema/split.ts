// Splits over the API: createSplit, split(id) with its parts, certificate and images(part:, fold:),
// splits, and auditSplit for any uploaded assignment.
import { builder } from '../builder.ts';
import { generaliseFilter, readProfile } from '../domain/deidentify.ts';
import { PART_TOLERANCE, type PartMeasure } from '../domain/split.ts';
import { type Leak, type LeakCertificate, type SplitUnitSummary, STRATIFIERS } from '../domain/stored-split.ts';
import {
  auditAssignments,
  countSplitImages,
  createSplit,
  deleteSplit,
  listSplits,
  type SplitAudit,
  type SplitSummary,
  splitById,
  splitImages,
  storedSplit,
} from '../resolvers/splits.ts';
import { actorOf } from '../server/context.ts';
import { imageIdOf } from './ids.ts';
import { ImageFilter } from './image.ts';
import { requireToken } from './staff.ts';
import { SplitPartEnum } from './vocabulary.ts';

const StratifierEnum = builder.enumType('SplitStratifier', {
  description: 'What a split balances besides the policy label (always).',
  values: STRATIFIERS,
});
const LeakKindEnum = builder.enumType('LeakKind', {
  values: {
    PATIENT: { description: 'A patient (by code) has images in more than one part' },
    LESION: { description: 'A lesion (by code) has images in more than one part' },
    NEAR_DUPLICATE_CLUSTER: {
      description: 'Images linked as near duplicates (named by the sha256 of the cluster’s first image) cross parts',
    },
    NEAR_DUPLICATE_PAIR: {
      description:
        'Two images linked as near duplicates but in different clusters (a chain that the cluster bound cut; named ' +
        'by the sha256 of the pair’s first image) are in different parts',
    },
  },
});

const LeakRef = builder.objectRef<Leak>('SplitLeak').implement({
  fields: (t) => ({
    kind: t.expose('kind', { type: LeakKindEnum }),
    group: t.exposeString('group', { description: 'Patient code, lesion code, or the cluster’s first image sha256' }),
    parts: t.exposeStringList('parts'),
    images: t.exposeStringList('images', { description: 'SHA-256 of the group’s images' }),
  }),
});

const LeakCertificateRef = builder.objectRef<LeakCertificate>('LeakCertificate').implement({
  description:
    'Computed after placing the images, independently of the algorithm: every patient, lesion and near-duplicate ' +
    'cluster checked for images in more than one part, and every near-duplicate link between two clusters for its ' +
    'two images in different parts (clusters are bounded: every two images of a cluster are a link, so a chain of ' +
    'similar images is cut into several clusters, and the links between them are reported when they cross).',
  fields: (t) => ({
    clean: t.exposeBoolean('clean', { description: 'No leak: nothing is shared between parts' }),
    patients: t.exposeInt('patients', { description: 'Patients checked' }),
    lesions: t.exposeInt('lesions', { description: 'Lesions checked' }),
    nearDuplicateClusters: t.exposeInt('nearDuplicateClusters', {
      description: 'Near-duplicate clusters of two or more images checked',
    }),
    nearDuplicatePairs: t.int({
      nullable: true,
      description:
        'Near-duplicate links (image pairs) checked, each for its two images in different parts; null for splits ' +
        'stored before links were checked',
      resolve: (c) => c.nearDuplicatePairs ?? null,
    }),
    leaks: t.field({ type: [LeakRef], resolve: (c) => c.leaks }),
  }),
});

const SplitUnitKindEnum = builder.enumType('SplitUnitKind', {
  values: {
    PATIENT: {
      description: 'One patient’s images (with their lesions and near-duplicate clusters); key: the patient code',
    },
    LINKED_PATIENTS: {
      description:
        'Several patients joined by near-duplicate clusters; key: the sha256 of the unit’s first image (the smallest)',
    },
  },
});

const SplitUnitRef = builder.objectRef<SplitUnitSummary>('SplitUnit').implement({
  description: 'Images that never cross parts, because they share a patient, a lesion or a near-duplicate cluster.',
  fields: (t) => ({
    kind: t.expose('kind', { type: SplitUnitKindEnum }),
    key: t.exposeString('key', { description: 'The patient code, or the sha256 of the unit’s first image' }),
    images: t.exposeInt('images'),
    patients: t.exposeInt('patients'),
    share: t.exposeFloat('share', { description: 'images / the split’s images' }),
    part: t.exposeString('part', { description: 'The part the unit is in' }),
  }),
});

const LabelCountRef = builder.objectRef<{ key: string; count: number; share: number }>('SplitLabelCount').implement({
  fields: (t) => ({
    label: t.exposeString('key'),
    count: t.exposeInt('count'),
    share: t.exposeFloat('share', { description: 'count / images of the part' }),
  }),
});

const PartSummaryRef = builder.objectRef<PartMeasure>('SplitPartSummary').implement({
  fields: (t) => ({
    name: t.exposeString('name', { description: 'train, validation, test, or fold-1 … fold-k' }),
    part: t.field({
      type: SplitPartEnum,
      nullable: true,
      resolve: (p) =>
        p.name === 'train' ? 'TRAIN' : p.name === 'validation' ? 'VALIDATION' : p.name === 'test' ? 'TEST' : null,
    }),
    fold: t.int({ nullable: true, resolve: (p) => (p.name.startsWith('fold-') ? Number(p.name.slice(5)) : null) }),
    images: t.exposeInt('images'),
    patients: t.exposeInt('units'),
    labels: t.field({ type: [LabelCountRef], resolve: (p) => p.counts }),
    deviation: t.exposeFloat('deviation', {
      description: 'The largest gap between a label’s share in this part and in the whole split',
    }),
  }),
});

const FractionsRef = builder
  .objectRef<{ train: number; validation: number; test: number }>('SplitFractionsOutput')
  .implement({
    fields: (t) => ({
      train: t.exposeFloat('train'),
      validation: t.exposeFloat('validation'),
      test: t.exposeFloat('test'),
    }),
  });

const summaryOf = (s: { summary: string }) => JSON.parse(s.summary) as SplitSummary;
const inputOf = (s: { input: string }) =>
  JSON.parse(s.input) as {
    filter: Record<string, unknown>;
    fractions?: { train: number; validation: number; test: number };
    folds?: number;
    stratifyBy: (typeof STRATIFIERS)[number][];
    release?: string;
  };

const SplitRef = builder.prismaObject('Split', {
  authScopes: { viewer: true },
  description:
    'A stored split: images grouped by patient, lesion and near-duplicate cluster, stratified by label, with its ' +
    'manifest hash, counts per part, largest unit and leak certificate. The same images, inputs and seed give the ' +
    'same manifest on any installation: units are ordered by image content (sha256), never by database ids or ' +
    'pseudonym codes.',
  fields: (t) => ({
    id: t.exposeString('id'),
    name: t.exposeString('name', { nullable: true }),
    policyId: t.exposeString('policyId'),
    policyVersion: t.exposeString('policyVersion'),
    seed: t.exposeInt('seed'),
    filter: t.field({ type: 'JSONObject', resolve: (s) => inputOf(s).filter }),
    fractions: t.field({ type: FractionsRef, nullable: true, resolve: (s) => inputOf(s).fractions ?? null }),
    folds: t.int({ nullable: true, resolve: (s) => inputOf(s).folds ?? null }),
    stratifyBy: t.field({ type: [StratifierEnum], resolve: (s) => inputOf(s).stratifyBy }),
    release: t.string({
      nullable: true,
      description: 'The id of the release the split was made on (its labels are read as of it), or null',
      resolve: (s) => inputOf(s).release ?? null,
    }),
    extends: t.prismaField({
      type: 'Split',
      nullable: true,
      description: 'The split whose images kept their part in this one',
      resolve: (query, s) => (s.extendsId ? splitById(s.extendsId, query) : null),
    }),
    partNames: t.stringList({ resolve: (s) => JSON.parse(s.parts) as string[] }),
    imageCount: t.exposeInt('imageCount'),
    patientCount: t.int({ resolve: (s) => summaryOf(s).whole.units }),
    excluded: t.int({
      description: 'Images matching the filter that the policy excludes or cannot map: not in the split',
      resolve: (s) => summaryOf(s).excluded,
    }),
    kept: t.int({
      description: 'Images that kept their part from the extended split',
      resolve: (s) => summaryOf(s).kept,
    }),
    moved: t.int({
      description: 'Images of the extended split moved because new near-duplicate links joined them to another part',
      resolve: (s) => summaryOf(s).moved,
    }),
    manifestHash: t.exposeString('manifestHash', {
      description: 'SHA-256 of "<image sha256>\\t<part>\\n" lines sorted by image sha256',
    }),
    manifestUrl: t.string({
      args: {
        part: t.arg({ type: SplitPartEnum, description: 'One part only (default: every part)' }),
        fold: t.arg.int({ description: 'The fold of a k-fold split, with part' }),
        profile: t.arg.string({ description: 'safe-harbor (default), research or limited (admins only)' }),
        expiresIn: t.arg.int({ required: false, description: 'Seconds: 60 to 604800, default 3600' }),
      },
      select: { id: true },
      description:
        'GET /splits/<id>/manifest.csv (with part, fold and profile) as a URL signed for the caller: it opens ' +
        'without a header until it expires, e.g. with pandas.read_csv. The route checks part, fold and profile ' +
        'when it is opened (a bad one is 400, limited below admin 403).',
      resolve: (s, args, ctx) => {
        const query = new URLSearchParams();
        if (args.part) query.set('part', args.part);
        if (args.fold !== null && args.fold !== undefined) query.set('fold', String(args.fold));
        if (args.profile) query.set('profile', args.profile);
        const q = query.toString();
        return ctx.signedUrl(`/splits/${s.id}/manifest.csv${q ? `?${q}` : ''}`, args.expiresIn);
      },
    }),
    largestUnit: t.field({
      type: SplitUnitRef,
      nullable: true,
      description:
        'The split’s largest unit (ties: the one with the smallest first sha256); null for splits stored before',
      resolve: (s) => summaryOf(s).largestUnit ?? null,
    }),
    oversizedUnit: t.field({
      type: SplitUnitRef,
      nullable: true,
      description:
        `The unit too large for the fractions: a part is more than ${PART_TOLERANCE * 100} % of the split’s images ` +
        'off its target, and this is the largest unit of the part most over it. Only a split made with ' +
        'allowOversizedUnits has one; null when every part met its target',
      resolve: (s) => summaryOf(s).oversizedUnit ?? null,
    }),
    whole: t.field({ type: PartSummaryRef, resolve: (s) => summaryOf(s).whole }),
    parts: t.field({ type: [PartSummaryRef], resolve: (s) => summaryOf(s).parts }),
    certificate: t.field({
      type: LeakCertificateRef,
      resolve: (s) => JSON.parse(s.certificate) as LeakCertificate,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    images: t.prismaConnection(
      {
        type: 'Image',
        cursor: 'id',
        description:
          'The split’s images in id order (at most 200 a page). Without arguments: every image. A train/validation/test ' +
          'split takes part:; a k-fold split takes fold: (that fold), with part: TRAIN for every other fold.',
        args: { part: t.arg({ type: SplitPartEnum }), fold: t.arg.int() },
        totalCount: (s, args) => countSplitImages(s, args),
        resolve: (query, s, args) => splitImages(query, s, args),
      },
      { name: 'SplitImageConnection' },
      {
        name: 'SplitImageEdge',
        fields: (e) => ({
          part: e.string({
            description: 'The image’s part: train, validation, test, or fold-1 … fold-k',
            resolve: (edge) =>
              (edge.node as unknown as { splitAssignments?: { part: string }[] }).splitAssignments?.[0]?.part ?? '',
          }),
        }),
      },
    ),
  }),
});

const AuditPartRef = builder.objectRef<SplitAudit['parts'][number]>('SplitAuditPart').implement({
  fields: (t) => ({ name: t.exposeString('name'), images: t.exposeInt('images'), patients: t.exposeInt('patients') }),
});

const SplitAuditRef = builder.objectRef<SplitAudit>('SplitAudit').implement({
  description: 'The overlap report of an uploaded assignment.',
  fields: (t) => ({
    clean: t.exposeBoolean('clean', { description: 'No leak, no image under two parts' }),
    patients: t.exposeInt('patients'),
    lesions: t.exposeInt('lesions'),
    nearDuplicateClusters: t.exposeInt('nearDuplicateClusters'),
    nearDuplicatePairs: t.int({ resolve: (a) => a.nearDuplicatePairs ?? 0 }),
    leaks: t.field({ type: [LeakRef], resolve: (a) => a.leaks }),
    parts: t.field({ type: [AuditPartRef], resolve: (a) => a.parts }),
    unknown: t.exposeStringList('unknown', { description: 'Identifiers that match no image' }),
    conflicting: t.exposeStringList('conflicting', {
      description: 'SHA-256 of images listed under more than one part',
    }),
  }),
});

const FractionsInput = builder.inputType('SplitFractions', {
  description: 'Shares of train, validation and test; they add up to 1; a 0 leaves the part out.',
  fields: (t) => ({
    train: t.float({ required: true }),
    validation: t.float({ required: true }),
    test: t.float({ required: true }),
  }),
});

const CreateSplitInput = builder.inputType('CreateSplitInput', {
  fields: (t) => ({
    name: t.string(),
    filter: t.field({ type: ImageFilter, description: 'The images to split (default: all)' }),
    policy: t.string({ description: 'The labels to stratify by (default: the active policy)' }),
    seed: t.int({ description: 'Same seed, same inputs, same data: same split (default 0)' }),
    fractions: t.field({ type: FractionsInput, description: 'Train/validation/test shares; or folds' }),
    folds: t.int({ description: 'k folds (2–20) of equal size; or fractions' }),
    stratifyBy: t.field({ type: [StratifierEnum], description: 'Balance these too, beside the label' }),
    release: t.string({
      description:
        'Split a stored release (its id): its images (AND the filter), labelled and stratified as it froze them, ' +
        'near-duplicate links among its images only; the same release, inputs and seed give the same manifest ' +
        'whatever changed since. The split records it, and reads of the split are as of it. An unknown id is BAD_USER_INPUT',
    }),
    extend: t.string({
      description: 'An earlier split with the same parts: its images keep their part, new ones are placed around them',
    }),
    allowOversizedUnits: t.boolean({
      description:
        `Store the split even when a unit (a patient, or patients linked by near duplicates) is so large that a part ` +
        `misses its target by more than ${PART_TOLERANCE * 100} % of the images; the split then reports it as ` +
        'oversizedUnit (default false: refused with BAD_USER_INPUT naming the unit)',
    }),
  }),
});

const AssignmentInput = builder.inputType('SplitAssignmentInput', {
  description: 'One image (by id or by sha256) and the part it is in.',
  fields: (t) => ({
    image: t.globalID(),
    sha256: t.string(),
    part: t.string({ required: true }),
  }),
});

builder.queryFields((t) => ({
  split: t.prismaField({
    type: SplitRef,
    nullable: true,
    authScopes: { viewer: true },
    args: { id: t.arg.string({ required: true }) },
    resolve: (query, _root, args) => splitById(args.id, query),
  }),
  splits: t.prismaField({
    type: [SplitRef],
    authScopes: { viewer: true },
    description: 'Stored splits, newest first: at most `limit` of them (0–200, else BAD_USER_INPUT).',
    args: { limit: t.arg.int({ defaultValue: 50 }) },
    resolve: (query, _root, args) => listSplits(query, args.limit),
  }),
  auditSplit: t.field({
    type: SplitAuditRef,
    authScopes: { viewer: true },
    description:
      'The overlap report of any split: which patients, lesions and near-duplicate clusters have images in more than ' +
      'one part. Reads only. Refuses an entry with neither or both of image and sha256, a non-Image id, an ' +
      'unusable part name, or more than 10,000 entries (BAD_USER_INPUT).',
    args: { assignments: t.arg({ type: [AssignmentInput], required: true }) },
    resolve: (_root, args) =>
      auditAssignments(
        args.assignments.map((a) => ({
          imageId: a.image ? imageIdOf(a.image, 'assignments') : null,
          sha256: a.sha256,
          part: a.part,
        })),
      ),
  }),
}));

builder.mutationFields((t) => ({
  deleteSplit: t.string({
    authScopes: { viewer: true },
    description:
      'Deletes a stored split and its manifest; returns its id. Its maker or an admin may (else FORBIDDEN); an ' +
      'unknown id is NOT_FOUND. Exports already written are kept; splits that extended it keep their images.',
    args: { id: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => {
      requireToken(ctx, 'deleteSplit');
      return deleteSplit(args.id, actorOf(ctx));
    },
  }),
  createSplit: t.prismaField({
    type: SplitRef,
    authScopes: { viewer: true },
    description:
      'Splits the images matching the filter that have a label under the policy: patients, lesions and near-duplicate ' +
      'clusters never cross parts (a near-duplicate link between two clusters may; the certificate lists it); label ' +
      'shares (and the stratifiers’) stay close to the whole; the same images and seed give the same manifest on any ' +
      'installation. Stores the split with its manifest hash, counts and leak certificate. Refuses, storing ' +
      'nothing (BAD_USER_INPUT): neither or both of fractions and folds, fractions outside 0–1 or not adding up to 1, ' +
      'fewer than two parts, folds outside 2–20, an unknown policy, an unknown extended split or one with other parts, ' +
      'a name over 200 characters, no labelled image, too few patients to fill every part, or a unit so large that a ' +
      `part would miss its target by more than ${PART_TOLERANCE * 100} % of the images (naming the unit; ` +
      'allowOversizedUnits accepts it). Needs a bearer token even with public read (UNAUTHENTICATED). For viewers ' +
      'the filter’s age and date bounds select no finer than safe-harbor shows (as in images), and the split stores ' +
      'that filter.',
    args: { input: t.arg({ type: CreateSplitInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      requireToken(ctx, 'createSplit');
      // a viewer's filter selects no finer than safe-harbor shows: a split's counts are counts too
      const filter = generaliseFilter(input.filter, readProfile(ctx.role));
      return storedSplit(await createSplit(ctx, { ...input, filter }, actorOf(ctx)), query);
    },
  }),
}));
