// Croissant 1.1 + RAI 1.0 metadata (JSON-LD) of an export's subset, built from what the runner
// states about the subset (SubsetDescription): the dataset's description, its files with their
// SHA-256, its record set (the export record's columns) and the responsible-AI fields the data can
// fill. Pure: the figures are read by the runner for the subset the request resolved.

import { NOT_STATED } from '../../domain/dataset-terms.ts';
import {
  AGE_TOP_CODE,
  DEFAULT_PROFILE,
  dateTimeValue,
  dateValue,
  PROFILES,
  type ProfileId,
} from '../../domain/deidentify.ts';
import { columnType, exportColumn, jsonPathOf } from '../../domain/export-record.ts';
import type { ExportCollection, SubsetDescription } from '../types.ts';

/**
 * A collection's licence as the document states it: its own, or for our own collection when it
 * states none, the dataset's licence (configured or stated in the datasheet).
 */
const licenseOf = (c: ExportCollection, datasetLicense: string) =>
  c.kind === 'own' && c.license === NOT_STATED ? datasetLicense : c.license;

/**
 * The document's licence: the licence of every collection of the records, each once (one is given
 * as a string, several as a list); the dataset's own when no record is left.
 */
export function licensesOf(d: Pick<SubsetDescription, 'collections' | 'license'>): string | string[] {
  const all = [...new Set(d.collections.map((c) => licenseOf(c, d.license)))];
  return all.length === 0 ? d.license : all.length === 1 ? (all[0] as string) : all;
}

/**
 * The collections of the records as schema.org CreativeWorks the dataset is based on: each with
 * its licence, attribution (creditText), source (url), citation and version as the collection states them.
 */
function basedOn(d: Pick<SubsetDescription, 'collections' | 'license'>) {
  return d.collections.map((c) => ({
    '@type': 'sc:CreativeWork',
    identifier: c.slug,
    name: c.name,
    license: licenseOf(c, d.license),
    creditText: c.attribution,
    ...(c.source ? { url: c.source } : {}),
    ...(c.citation ? { citation: c.citation } : {}),
    ...(c.version ? { version: c.version } : {}),
  }));
}

/** The @context of Croissant 1.1 (as published with the specification), with RAI and Dublin Core. */
export const CROISSANT_CONTEXT = {
  '@language': 'en',
  '@vocab': 'https://schema.org/',
  sc: 'https://schema.org/',
  cr: 'http://mlcommons.org/croissant/',
  rai: 'http://mlcommons.org/croissant/RAI/',
  dct: 'http://purl.org/dc/terms/',
  citeAs: 'cr:citeAs',
  column: 'cr:column',
  conformsTo: 'dct:conformsTo',
  data: { '@id': 'cr:data', '@type': '@json' },
  dataType: { '@id': 'cr:dataType', '@type': '@vocab' },
  examples: { '@id': 'cr:examples', '@type': '@json' },
  extract: 'cr:extract',
  field: 'cr:field',
  fileProperty: 'cr:fileProperty',
  fileObject: 'cr:fileObject',
  fileSet: 'cr:fileSet',
  format: 'cr:format',
  includes: 'cr:includes',
  isLiveDataset: 'cr:isLiveDataset',
  jsonPath: 'cr:jsonPath',
  key: 'cr:key',
  md5: 'cr:md5',
  parentField: 'cr:parentField',
  path: 'cr:path',
  recordSet: 'cr:recordSet',
  references: 'cr:references',
  regex: 'cr:regex',
  repeated: 'cr:repeated',
  replace: 'cr:replace',
  samplingRate: 'cr:samplingRate',
  separator: 'cr:separator',
  source: 'cr:source',
  subField: 'cr:subField',
  transform: 'cr:transform',
} as const;

/** Dataset properties the Croissant 1.1 specification marks required, as expanded IRIs. */
export const REQUIRED = [
  'http://purl.org/dc/terms/conformsTo',
  'https://schema.org/name',
  'https://schema.org/description',
  'https://schema.org/license',
  'https://schema.org/url',
  'https://schema.org/creator',
  'https://schema.org/datePublished',
] as const;

/** The required properties an expanded JSON-LD dataset node lacks (empty = conforms). */
export function missingRequired(expanded: readonly Record<string, unknown>[]): string[] {
  const dataset = expanded.find((n) =>
    ((n['@type'] as string[] | undefined) ?? []).includes('https://schema.org/Dataset'),
  );
  if (!dataset) return ['@type https://schema.org/Dataset'];
  return REQUIRED.filter((p) => !Array.isArray(dataset[p]) || (dataset[p] as unknown[]).length === 0);
}

/** The records' fields the document lists, in its order (names, types and paths from the export record). */
const RECORD_FIELDS = [
  'sha256',
  'patient_id',
  'lesion_id',
  'label',
  'diagnosis_class',
  'diagnosis_term',
  'clinical_status',
  'collection',
  'verification_stage',
  'age_at_exam',
  'sex',
  'fitzpatrick_type',
  'anatomical_site',
  'image_quality_score',
].map(exportColumn);
const SPLIT_FIELD = exportColumn('split');

/** Croissant's data types for the export record's value types. */
const DATA_TYPE = {
  string: 'sc:Text',
  strings: 'sc:Text',
  date: 'sc:Text',
  integer: 'sc:Integer',
  float: 'sc:Float',
  boolean: 'sc:Boolean',
} as const;

/** Croissant's split types for our part names; folds have none (a k-fold split names its folds only). */
const SPLIT_TYPES: Record<string, string> = {
  train: 'cr:TrainingSplit',
  validation: 'cr:ValidationSplit',
  test: 'cr:TestSplit',
};

/** Where the metadata file of a subset is served (see server/use-datasheet-routes.ts). */
export const METADATA_PATH = '/croissant/metadata.jsonl';

/**
 * The URL that serves a subset's metadata.jsonl, byte for byte the file whose sha256 the document
 * gives: the policy is written out (not "the active one", which may change), the filter as JSON.
 */
export function metadataUrl(
  origin: string,
  subset: {
    filter?: object | null;
    policy: string;
    split?: { id: string; part?: string | null; fold?: number | null } | null;
    profile?: ProfileId;
    release?: string | null;
  },
): string {
  const q = new URLSearchParams({ policy: subset.policy });
  // the default profile is left out: URLs of safe-harbor documents stay as they were
  if (subset.profile && subset.profile !== DEFAULT_PROFILE) q.set('profile', subset.profile);
  if (subset.filter && Object.keys(subset.filter).length > 0) q.set('filter', JSON.stringify(subset.filter));
  if (subset.split) {
    q.set('split', subset.split.id);
    if (subset.split.part) q.set('part', subset.split.part);
    if (subset.split.fold !== null && subset.split.fold !== undefined) q.set('fold', String(subset.split.fold));
  }
  if (subset.release) q.set('release', subset.release);
  return `${origin}${METADATA_PATH}?${q}`;
}

/** The Croissant document of a described subset, its records under `profile`, its URLs under `origin`. */
export function croissantDocument(d: SubsetDescription, opts: { profile: ProfileId; origin: string; name?: string }) {
  const { profile, origin } = opts;
  const { policy, split, stats } = d;
  const deid = PROFILES[profile];
  const records = d.metadata.records;
  const left = stats.images - records;
  const k = stats.agreement.fleiss;
  const fitz = stats.patientDistributions.find((x) => x.field === 'fitzpatrick_type');
  const citations = [...new Set(d.collections.flatMap((c) => (c.citation ? [c.citation] : [])))];
  const sources =
    d.collections.length > 1
      ? `${d.collections.length} collections (${d.collections.map((c) => c.slug).join(', ')}), each under its own licence and attribution (isBasedOn); ${stats.patients} patients`
      : `A single collection (mobile dermoscopy, ${stats.patients} patients)`;
  return {
    '@context': CROISSANT_CONTEXT,
    '@type': 'sc:Dataset',
    conformsTo: ['http://mlcommons.org/croissant/1.1', 'http://mlcommons.org/croissant/RAI/1.0'],
    // as of a release: the release names the document, and its description gives the content hash
    name: d.release ? `${opts.name ?? 'dermaset'} ${d.release.name} ${d.release.version}` : (opts.name ?? 'dermaset'),
    description: `${d.release ? `Release ${d.release.name} ${d.release.version} (${d.release.imageCount} images frozen with their labels; content hash sha256 ${d.release.contentHash}). ` : ''}${records} clinically verified dermoscopic images of skin lesions from ${stats.patients} de-identified patients, labelled under the policy ${policy.id} ${policy.version}${left > 0 ? ` (${left} further images of the subset have no label under it and are left out)` : ''}.`,
    // stated by the configuration or the datasheet, else said to be not stated: never assumed
    license: licensesOf(d),
    // the collections the records come from, each with its licence and attribution (creditText)
    isBasedOn: basedOn(d),
    ...(citations.length > 0 ? { citeAs: citations.join('\n\n') } : {}),
    url: `${origin}/graphql`,
    creator: d.creator === NOT_STATED ? NOT_STATED : { '@type': 'sc:Organization', name: d.creator },
    // the latest acquisition, no more precise than the profile shows a date
    datePublished: dateValue(d.period.last ?? new Date(0), profile),
    version: d.version,
    distribution: [
      {
        '@type': 'cr:FileObject',
        '@id': 'metadata.jsonl',
        name: 'metadata.jsonl',
        description: `${records} records, one JSON object per line and per image, under the policy ${policy.id} ${policy.version}.`,
        contentUrl: metadataUrl(origin, {
          filter: d.filter as object | null,
          policy: policy.id,
          split,
          profile,
          release: d.release?.id ?? null,
        }),
        encodingFormat: 'application/jsonlines',
        contentSize: `${d.metadata.bytes} B`,
        sha256: d.metadata.sha256,
      },
      ...d.images.map((i) => ({
        '@type': 'cr:FileObject',
        '@id': `images/${i.sha256}`,
        name: i.fileName,
        contentUrl: `${origin}/images/${i.sha256}/original`,
        encodingFormat: `image/${i.format}`,
        sha256: i.sha256,
      })),
    ],
    recordSet: [
      ...(split
        ? [
            {
              '@type': 'cr:RecordSet',
              '@id': 'splits',
              name: 'splits',
              description: `The parts of split ${split.id} (manifest sha256 ${split.manifestHash}): patients, lesions and near-duplicate clusters never cross parts.`,
              dataType: 'cr:Split',
              key: { '@id': 'splits/name' },
              field: [
                { '@type': 'cr:Field', '@id': 'splits/name', name: 'name', dataType: 'sc:Text' },
                { '@type': 'cr:Field', '@id': 'splits/url', name: 'url', dataType: 'sc:URL' },
              ],
              data: split.parts.map((p) => ({
                'splits/name': p,
                ...(SPLIT_TYPES[p] ? { 'splits/url': SPLIT_TYPES[p] } : {}),
              })),
            },
          ]
        : []),
      {
        '@type': 'cr:RecordSet',
        '@id': 'records',
        name: 'records',
        description: `${records} records, one per image; the fields of the information model as exported in metadata.jsonl.`,
        key: { '@id': 'records/sha256' },
        field: [
          ...RECORD_FIELDS.map((c) => ({
            '@type': 'cr:Field',
            '@id': `records/${c.name}`,
            name: c.name,
            description: c.deidentify === 'age' ? `${c.description}: ${deid.age} (profile ${deid.id})` : c.description,
            dataType: DATA_TYPE[columnType(c, profile)],
            source: { fileObject: { '@id': 'metadata.jsonl' }, extract: { jsonPath: jsonPathOf(c) } },
          })),
          ...(split
            ? [
                {
                  '@type': 'cr:Field',
                  '@id': `records/${SPLIT_FIELD.name}`,
                  name: SPLIT_FIELD.name,
                  description: SPLIT_FIELD.description,
                  dataType: DATA_TYPE[SPLIT_FIELD.type],
                  references: { field: { '@id': 'splits/name' } },
                  source: { fileObject: { '@id': 'metadata.jsonl' }, extract: { jsonPath: jsonPathOf(SPLIT_FIELD) } },
                },
              ]
            : []),
        ],
      },
    ],
    'rai:dataCollection': `Mobile dermoscopy under a standard operating procedure with a quality gate: ${stats.intake.sopRejected} frames with image_quality_score 1–2 refused and counted; ${stats.intake.records} records passed, ${stats.intake.duplicates} exact duplicates removed.`,
    'rai:dataCollectionType': 'Manual Human Curator',
    'rai:dataCollectionTimeframe': [
      dateTimeValue(d.period.first, profile)?.toISOString() ?? null,
      dateTimeValue(d.period.last, profile)?.toISOString() ?? null,
    ].filter(Boolean),
    'rai:dataAnnotationProtocol':
      'Initial clinical annotation by one dermatologist; independent review by three specialists and a consensus decision; histopathology for malignant lesions. The verification_stage field records the level reached.',
    'rai:annotationsPerItem':
      'one initial annotation, three independent specialist reviews, one consensus; histopathology for malignant images',
    'rai:dataAnnotationAnalysis': `Fleiss' kappa of the independent reviews: ${k.kappa === null ? 'undefined' : k.kappa.toFixed(3)} over ${k.n} images; pairwise Cohen's kappa: ${stats.agreement.pairs.map((p) => (p.kappa === null ? '—' : p.kappa.toFixed(3))).join(', ')}.`,
    'rai:dataPreprocessingProtocol':
      'Identifiers replaced by keyed-hash codes; EXIF/GPS and embedded metadata stripped without recompression; exact duplicates removed by a hash of the decoded pixels; near duplicates flagged by perceptual hash; diagnoses normalised to 9 classes with the raw text kept.',
    'rai:dataLimitations': `${sources}. Benign and borderline lesions are verified by consensus, not histology (${stats.malignant.histologyVerified} of ${stats.malignant.count} malignant images histologically verified). Fitzpatrick types: ${fitz?.values.map((v) => `${v.value} ${v.count}`).join(', ') ?? '—'}; others are not represented. One patient contributes up to ${stats.imagesPerPatient.max ?? 0} images: split by patient.`,
    'rai:dataBiases': `Class imbalance: ${stats.classes.map((c) => `${c.diagnosisClass} ${c.count}`).join(', ')}.`,
    'rai:personalSensitiveInformation': `Health data (diagnoses, histopathology), age, sex and skin phototype of de-identified patients. No names, record numbers, dates of birth or image metadata are stored or exported. De-identification profile of these records: ${deid.id} ${deid.version} (${deid.description}): ages ${deid.age}, dates ${deid.date}; ISIC-format exports give ages only rounded to 5 years and capped at 85.`,
    'rai:dataManipulationProtocol': `De-identification profile ${deid.id} ${deid.version}: age_at_exam ${deid.age}; dates ${deid.date}.${profile === 'limited' ? '' : ` Filters select no finer than the values show (age bounds of ${AGE_TOP_CODE} and over mean ${AGE_TOP_CODE}+).`}`,
    'rai:dataUseCases':
      'Independent model evaluation, domain-shift analysis, interpretability studies against expert-annotated dermoscopic structures, training-subset selection by verification level.',
  };
}
