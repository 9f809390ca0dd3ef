// Collections (our own acquisition and each imported public source, with its licence and
// attribution), the runs of the importers into them, and an admin's correction of what a
// collection states about itself.
import { builder } from '../builder.ts';
import { COLLECTION_TEXT_LIMITS } from '../domain/collection.ts';
import { collectionBySlug, listCollections, updateCollection } from '../resolvers/collections.ts';
import { badInput } from '../resolvers/errors.ts';
import { actorOf } from '../server/context.ts';

/** Import records a collection lists at once: `imports(limit:)`, 0–IMPORTS_LIMIT. */
export const IMPORTS_LIMIT = 100;

interface ImportInput {
  name: string;
  fileName: string;
  sha256: string;
  bytes: number;
}

const ImportInputRef = builder.objectRef<ImportInput>('ImportInput').implement({
  description: 'One input file of an import run.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The importer’s name for the input (metadata, groundTruth, …)' }),
    fileName: t.exposeString('fileName'),
    sha256: t.exposeString('sha256', { description: 'SHA-256 of the file as read' }),
    bytes: t.exposeInt('bytes'),
  }),
});

const inputsOf = (json: string): ImportInput[] => {
  const parsed = JSON.parse(json) as unknown;
  if (!Array.isArray(parsed)) return [];
  return parsed.map((x: Record<string, unknown>) => ({
    name: String(x.name ?? ''),
    fileName: String(x.fileName ?? ''),
    sha256: String(x.sha256 ?? ''),
    bytes: Number(x.bytes ?? 0),
  }));
};

builder.prismaObject('ImportRecord', {
  authScopes: { viewer: true },
  description: 'One run of an importer into a collection: when, by whom, its inputs, counts and report.',
  fields: (t) => ({
    importer: t.exposeString('importer', { description: 'The importer plugin’s id' }),
    importerVersion: t.exposeString('importerVersion'),
    actor: t.exposeString('actor', {
      nullable: true,
      authScopes: { reviewer: true },
      description: 'Who ran the import: the staff code (reviewers and admins only), or the tool’s name',
    }),
    startedAt: t.expose('startedAt', { type: 'DateTime' }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime' }),
    inputs: t.field({ type: [ImportInputRef], select: { inputs: true }, resolve: (r) => inputsOf(r.inputs) }),
    rowsIn: t.exposeInt('rowsIn', { description: 'Rows read from the metadata' }),
    stored: t.exposeInt('stored', { description: 'Records stored as new images' }),
    alreadyStored: t.exposeInt('alreadyStored', { description: 'Records whose image was stored before' }),
    refused: t.exposeInt('refused', { description: 'Rows refused (invalid or unmapped), with reasons in the report' }),
    report: t.field({
      type: 'JSONObject',
      description: 'The import summary: per-label counts, refusals with reasons, flags (fact conflicts, …)',
      select: { report: true },
      resolve: (r) => JSON.parse(r.report) as unknown,
    }),
  }),
});

const CollectionRef = builder.prismaObject('Collection', {
  authScopes: { viewer: true },
  description:
    'Where images come from: our own acquisition under the SOP (kind own) or an imported public source (kind ' +
    'public), with the licence and attribution that apply to its images.',
  fields: (t) => ({
    slug: t.exposeString('slug', { description: 'Stable kebab-case name: filters, facets and exports use it' }),
    name: t.exposeString('name'),
    kind: t.exposeString('kind', { description: 'own or public' }),
    source: t.exposeString('source', { nullable: true, description: 'Where the source is published (URL or text)' }),
    citation: t.exposeString('citation', { nullable: true }),
    license: t.exposeString('license', { description: 'The licence of its images and metadata ("not stated")' }),
    attribution: t.exposeString('attribution', { description: 'The attribution its images require' }),
    version: t.exposeString('version', { nullable: true, description: 'The source’s version imported' }),
    imageCount: t.relationCount('images'),
    imports: t.relation('imports', {
      description: `Import runs into the collection, newest first: at most \`limit\` (0–${IMPORTS_LIMIT}, else BAD_USER_INPUT)`,
      args: { limit: t.arg.int({ defaultValue: 20, required: true }) },
      query: (args) => {
        if (args.limit < 0 || args.limit > IMPORTS_LIMIT) {
          throw badInput(`limit must be 0–${IMPORTS_LIMIT}`, 'limit');
        }
        return { orderBy: [{ startedAt: 'desc' }, { id: 'desc' }], take: args.limit };
      },
    }),
  }),
});

const CollectionInput = builder.inputType('CollectionInput', {
  description:
    'What a collection states about itself; fields left out keep their value, null clears source, citation or ' +
    'version. Bounds in characters: ' +
    Object.entries(COLLECTION_TEXT_LIMITS)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') +
    '; name, license and attribution may not be empty.',
  fields: (t) => ({
    name: t.string(),
    source: t.string(),
    citation: t.string(),
    license: t.string(),
    attribution: t.string(),
    version: t.string(),
  }),
});

builder.queryFields((t) => ({
  // t.field, not prismaField: the services return rows, and Pothos loads a selected relation
  // (imports, imageCount) per collection by its id (collections are few)
  collections: t.field({
    type: [CollectionRef],
    authScopes: { viewer: true },
    description: 'Every collection, own first, then by slug.',
    resolve: () => listCollections(),
  }),
  collection: t.field({
    type: CollectionRef,
    nullable: true,
    authScopes: { viewer: true },
    args: { slug: t.arg.string({ required: true }) },
    resolve: (_root, args) => collectionBySlug(args.slug),
  }),
}));

builder.mutationFields((t) => ({
  updateCollection: t.field({
    type: CollectionRef,
    authScopes: { admin: true },
    description:
      'Admins only. Corrects what a collection states (name, source, citation, licence, attribution, version). An ' +
      'unknown slug is NOT_FOUND; a value past its bound, or an empty name, licence or attribution, is BAD_USER_INPUT; ' +
      'nothing changes on a refusal.',
    args: { slug: t.arg.string({ required: true }), input: t.arg({ type: CollectionInput, required: true }) },
    resolve: (_root, args, ctx) => {
      // null clears source, citation or version (a required fact refuses it)
      const patch = Object.fromEntries(Object.entries(args.input).filter(([, v]) => v !== undefined));
      return updateCollection(actorOf(ctx), args.slug, patch);
    },
  }),
}));
