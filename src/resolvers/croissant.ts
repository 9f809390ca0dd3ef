// Croissant 1.1 + RAI 1.0 metadata (JSON-LD) for a subset under a policy: the dataset's description,
// its files with their SHA-256, its record set and the responsible-AI fields the data can fill.
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { type DatasetConfig, datasetConfig } from '../config.ts';
import { db } from '../db/current.ts';
import { NOT_STATED } from '../domain/dataset-terms.ts';
import {
  AGE_TOP_CODE,
  DEFAULT_PROFILE,
  dateTimeValue,
  dateValue,
  generaliseFilter,
  PROFILES,
  type ProfileId,
} from '../domain/deidentify.ts';
import type { Role } from '../domain/roles.ts';
import { decide } from '../plugins/evaluate.ts';
import { hashingTap } from '../plugins/exporters/hashing.ts';
import { registry } from '../plugins/index.ts';
import { BlobStore } from '../storage/blob-store.ts';
import { datasetTerms, datasetVersion } from './dataset.ts';
import { type ExportSplit, type RunInput, resolveProfile, validateSplit, writeExport } from './exports.ts';
import type { ImageFilter, SplitSelection } from './image-filter.ts';
import type { ImageQueryArgs } from './images.ts';
import { whereOf } from './images.ts';
import { resolvePolicy } from './policies.ts';
import { computeStats } from './stats.ts';

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

const FIELDS: readonly [string, string, string][] = [
  ['sha256', 'sc:Text', 'SHA-256 of the stored image file'],
  ['patient_id', 'sc:Text', 'De-identified patient code (group by it when splitting)'],
  ['lesion_id', 'sc:Text', 'De-identified lesion code'],
  ['label', 'sc:Text', 'Label under the class-mapping policy'],
  ['diagnosis_class', 'sc:Text', 'Normalised diagnostic class (9 classes)'],
  ['verification_stage', 'sc:Text', 'initial / consensus / histology'],
  ['age_at_exam', 'sc:Integer', 'Age in years at the examination'], // sc:Text under a generalising profile
  ['sex', 'sc:Text', 'female / male'],
  ['fitzpatrick_type', 'sc:Text', 'Fitzpatrick phototype I–VI'],
  ['anatomical_site', 'sc:Text', 'Anatomical site'],
  ['image_quality_score', 'sc:Integer', 'SOP image quality score 1–5'],
];

/** Croissant's split types for our part names; folds have none (a k-fold split names its folds only). */
const SPLIT_TYPES: Record<string, string> = {
  train: 'cr:TrainingSplit',
  validation: 'cr:ValidationSplit',
  test: 'cr:TestSplit',
};

/**
 * What a Croissant document describes: a filtered subset under a policy, or a stored split (or part),
 * its records de-identified under a profile (default safe-harbor; limited: admins only).
 */
export type CroissantRequest = ImageQueryArgs & { split?: SplitSelection | null; profile?: string | null };

/** Where the metadata file of a subset is served (see server/use-datasheet-routes.ts). */
export const METADATA_PATH = '/croissant/metadata.jsonl';

/**
 * The URL that serves a subset's metadata.jsonl, byte for byte the file whose sha256 the document
 * gives: the policy is written out (not "the active one", which may change), the filter as JSON.
 */
export function metadataUrl(
  origin: string,
  subset: { filter?: ImageFilter | null; policy: string; split?: SplitSelection | null; profile?: ProfileId },
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
  return `${origin}${METADATA_PATH}?${q}`;
}

/**
 * The export run that writes a subset's metadata.jsonl (the jsonl exporter, without examiner codes),
 * checked before anything is written: an unknown policy, profile or split, or a bad filter, is
 * BAD_USER_INPUT; the limited profile for anyone but an admin (`role`) is FORBIDDEN. The filter's
 * age and date bounds are generalised as the profile generalises the values.
 */
export async function metadataRun(
  request: CroissantRequest,
  dataDir: string,
  role: Role | null = null,
): Promise<RunInput & { split: ExportSplit | null }> {
  const profile = resolveProfile(request.profile, role);
  request = { ...request, filter: generaliseFilter(request.filter, profile) };
  const { split, policyId } = await validateSplit(request);
  const policy = await resolvePolicy(policyId);
  await whereOf({ filter: request.filter, policy: policy.id });
  const exporter = registry.exporter('jsonl');
  if (!exporter) throw new Error('the jsonl exporter is not registered');
  return {
    exporter,
    policy,
    options: {},
    filter: request.filter,
    split,
    withExaminer: false,
    store: new BlobStore(join(dataDir, 'blobs')),
    profile,
  };
}

/** Writes a subset's metadata.jsonl to `out`; returns its record count. */
export async function writeMetadata(run: RunInput, out: Writable): Promise<number> {
  return (await writeExport(run, out)).rowCount;
}

export async function croissant(
  request: CroissantRequest,
  opts: { origin: string; dataDir: string; name?: string; dataset?: DatasetConfig; role?: Role | null },
) {
  const config = opts.dataset ?? datasetConfig();
  // a stored split: its images (or a part's), under its policy, each record with its part
  const run = await metadataRun(request, opts.dataDir, opts.role ?? null);
  const { split, policy, profile } = run;
  const deid = PROFILES[profile];
  request = { ...request, filter: run.filter ?? null };
  const args: ImageQueryArgs = split
    ? {
        filter: request.filter ? { AND: [request.filter, { split: split.selection }] } : { split: split.selection },
        policy: policy.id,
      }
    : request;
  const stats = await computeStats(args, { profile });
  // the metadata file is the jsonl export of the same subset: hash it as it is written
  const tap = hashingTap();
  tap.stream.resume(); // nothing reads the bytes: only their hash is wanted
  const records = await writeMetadata(run, tap.stream);
  tap.stream.end();
  await finished(tap.stream);
  const { sha256, bytes } = tap.result();
  const where = await whereOf(args);
  const [candidates, period, terms, version] = await Promise.all([
    db().image.findMany({
      where,
      select: { sha256: true, format: true, storageKey: true, diagnosisClass: true, verificationStage: true },
      orderBy: { id: 'asc' },
    }),
    db().image.aggregate({ where, _min: { acquiredAt: true }, _max: { acquiredAt: true } }),
    datasetTerms(config),
    datasetVersion(config),
  ]);
  // the image files are those of the records: images the policy leaves without a label are not listed
  const images = candidates.filter((i) => decide(policy, i).kind === 'mapped');
  const left = stats.images - records;
  const k = stats.agreement.fleiss;
  const fitz = stats.patientDistributions.find((d) => d.field === 'fitzpatrick_type');
  return {
    '@context': CROISSANT_CONTEXT,
    '@type': 'sc:Dataset',
    conformsTo: ['http://mlcommons.org/croissant/1.1', 'http://mlcommons.org/croissant/RAI/1.0'],
    name: opts.name ?? 'dermaset',
    description: `${records} clinically verified dermoscopic images of skin lesions from ${stats.patients} de-identified patients, labelled under the policy ${policy.id} ${policy.version}${left > 0 ? ` (${left} further images of the subset have no label under it and are left out)` : ''}.`,
    // stated by the configuration or the datasheet, else said to be not stated: never assumed
    license: terms.license.value,
    url: `${opts.origin}/graphql`,
    creator:
      terms.creator.value === NOT_STATED ? NOT_STATED : { '@type': 'sc:Organization', name: terms.creator.value },
    // the latest acquisition, no more precise than the profile shows a date
    datePublished: dateValue(period._max.acquiredAt ?? new Date(0), profile),
    version: version.value,
    distribution: [
      {
        '@type': 'cr:FileObject',
        '@id': 'metadata.jsonl',
        name: 'metadata.jsonl',
        description: `${records} records, one JSON object per line and per image, under the policy ${policy.id} ${policy.version}.`,
        contentUrl: metadataUrl(opts.origin, {
          filter: request.filter,
          policy: policy.id,
          split: split?.selection,
          profile,
        }),
        encodingFormat: 'application/jsonlines',
        contentSize: `${bytes} B`,
        sha256,
      },
      ...images.map((i) => ({
        '@type': 'cr:FileObject',
        '@id': `images/${i.sha256}`,
        name: `${i.sha256}.${i.storageKey.split('.').pop()}`,
        contentUrl: `${opts.origin}/images/${i.sha256}/original`,
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
              description: `The parts of split ${split.selection.id} (manifest sha256 ${split.manifestHash}): patients, lesions and near-duplicate clusters never cross parts.`,
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
          ...FIELDS.map(([name, dataType, description]) => ({
            '@type': 'cr:Field',
            '@id': `records/${name}`,
            name,
            description: name === 'age_at_exam' ? `${description}: ${deid.age} (profile ${deid.id})` : description,
            dataType: name === 'age_at_exam' && profile !== 'limited' ? 'sc:Text' : dataType,
            source: { fileObject: { '@id': 'metadata.jsonl' }, extract: { jsonPath: jsonPathOf(name) } },
          })),
          ...(split
            ? [
                {
                  '@type': 'cr:Field',
                  '@id': 'records/split',
                  name: 'split',
                  description: 'The part of the split the image is in',
                  dataType: 'sc:Text',
                  references: { field: { '@id': 'splits/name' } },
                  source: { fileObject: { '@id': 'metadata.jsonl' }, extract: { jsonPath: '$.split' } },
                },
              ]
            : []),
        ],
      },
    ],
    'rai:dataCollection': `Mobile dermoscopy under a standard operating procedure with a quality gate: ${stats.intake.sopRejected} frames with image_quality_score 1–2 refused and counted; ${stats.intake.records} records passed, ${stats.intake.duplicates} exact duplicates removed.`,
    'rai:dataCollectionType': 'Manual Human Curator',
    'rai:dataCollectionTimeframe': [
      dateTimeValue(period._min.acquiredAt, profile)?.toISOString() ?? null,
      dateTimeValue(period._max.acquiredAt, profile)?.toISOString() ?? null,
    ].filter(Boolean),
    'rai:dataAnnotationProtocol':
      'Initial clinical annotation by one dermatologist; independent review by three specialists and a consensus decision; histopathology for malignant lesions. The verification_stage field records the level reached.',
    'rai:annotationsPerItem':
      'one initial annotation, three independent specialist reviews, one consensus; histopathology for malignant images',
    'rai:dataAnnotationAnalysis': `Fleiss' kappa of the independent reviews: ${k.kappa === null ? 'undefined' : k.kappa.toFixed(3)} over ${k.n} images; pairwise Cohen's kappa: ${stats.agreement.pairs.map((p) => (p.kappa === null ? '—' : p.kappa.toFixed(3))).join(', ')}.`,
    'rai:dataPreprocessingProtocol':
      'Identifiers replaced by keyed-hash codes; EXIF/GPS and embedded metadata stripped without recompression; exact duplicates removed by a hash of the decoded pixels; near duplicates flagged by perceptual hash; diagnoses normalised to 9 classes with the raw text kept.',
    'rai:dataLimitations': `A single collection (mobile dermoscopy, ${stats.patients} patients). Benign and borderline lesions are verified by consensus, not histology (${stats.malignant.histologyVerified} of ${stats.malignant.count} malignant images histologically verified). Fitzpatrick types: ${fitz?.values.map((v) => `${v.value} ${v.count}`).join(', ') ?? '—'}; others are not represented. One patient contributes up to ${stats.imagesPerPatient.max ?? 0} images: split by patient.`,
    'rai:dataBiases': `Class imbalance: ${stats.classes.map((c) => `${c.diagnosisClass.toLowerCase()} ${c.count}`).join(', ')}.`,
    'rai:personalSensitiveInformation': `Health data (diagnoses, histopathology), age, sex and skin phototype of de-identified patients. No names, record numbers, dates of birth or image metadata are stored or exported. De-identification profile of these records: ${deid.id} ${deid.version} (${deid.description}): ages ${deid.age}, dates ${deid.date}; ISIC-format exports give ages only rounded to 5 years and capped at 85.`,
    'rai:dataManipulationProtocol': `De-identification profile ${deid.id} ${deid.version}: age_at_exam ${deid.age}; dates ${deid.date}.${profile === 'limited' ? '' : ` Filters select no finer than the values show (age bounds of ${AGE_TOP_CODE} and over mean ${AGE_TOP_CODE}+).`}`,
    'rai:dataUseCases':
      'Independent model evaluation, domain-shift analysis, interpretability studies against expert-annotated dermoscopic structures, training-subset selection by verification level.',
  };
}

function jsonPathOf(name: string): string {
  const nested: Record<string, string> = {
    label: '$.label.value',
    diagnosis_class: '$.diagnostic.diagnosis_class',
    verification_stage: '$.diagnostic.verification_stage',
    age_at_exam: '$.demographic.age_at_exam',
    sex: '$.demographic.sex',
    fitzpatrick_type: '$.demographic.fitzpatrick_type',
    anatomical_site: '$.morphological.anatomical_site',
    image_quality_score: '$.service.image_quality_score',
  };
  return nested[name] ?? `$.${name}`;
}
