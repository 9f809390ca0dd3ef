// The datasheet (Gebru et al., "Datasheets for Datasets"): seven sections of questions. Every
// question the data can answer is answered from stats(filter, policy); the rest is prose that admins
// edit with updateDatasheetText (audited). Rendered as Markdown and as HTML with the four figures.
// With `compare`, an eighth section compares the subset with another one (domainShift) in a table
// and a fifth figure.
import { Marked, type Token, type Tokens } from 'marked';
import { type DatasetConfig, datasetConfig } from '../config.ts';
import { db } from '../db/current.ts';
import { dataVersions, versionKey } from '../db/data-version.ts';
import type { Prisma } from '../db/generated/sqlite/client.ts';
import { CLASSES } from '../domain/classes.ts';
import { DEFAULT_PROFILE, dateValue, type ProfileId } from '../domain/deidentify.ts';
import { FIELDS } from '../domain/information-model.ts';
import { registry } from '../plugins/index.ts';
import { datasetTerms, datasetVersion, type Stated, TERM_KEYS, writtenAnswers } from './dataset.ts';
import { charts, comparisonChart } from './datasheet-charts.ts';
import { computeDomainShift, type DomainShift, resolveShiftSide, type ShiftRequest } from './domain-shift.ts';
import { badInput } from './errors.ts';
import { computeStats, type Stats } from './stats.ts';
import type { RequestScope, Subset } from './subset.ts';

export interface DatasheetEntry {
  key: string;
  question: string;
  answer: string;
  /** True when computed from the records; false for admin-written prose. */
  fromData: boolean;
}
export interface DatasheetSection {
  id: string;
  title: string;
  entries: DatasheetEntry[];
}
export interface Datasheet {
  stats: Stats;
  /** The datasheet's subset (a) compared with the one `compare` names (b), or null without compare. */
  comparison: DomainShift | null;
  sections: DatasheetSection[];
  markdown: string;
  html: string;
}

/** Questions only people can answer; their keys are what updateDatasheetText accepts. */
export const PROSE: Readonly<Record<string, { section: string; question: string }>> = {
  'motivation.purpose': { section: 'motivation', question: 'For what purpose was the dataset created?' },
  'motivation.creators': { section: 'motivation', question: 'Who created the dataset, and on behalf of which entity?' },
  'motivation.funding': { section: 'motivation', question: 'Who funded the creation of the dataset?' },
  'composition.confidentiality': {
    section: 'composition',
    question: 'Does the dataset contain data that might be considered confidential?',
  },
  'collection.consent': {
    section: 'collection',
    question: 'Did the individuals consent to the collection and use of their data?',
  },
  'collection.ethics': { section: 'collection', question: 'Were any ethical review processes conducted?' },
  'uses.intended': { section: 'uses', question: 'What tasks could the dataset be used for?' },
  'uses.avoid': { section: 'uses', question: 'Are there tasks for which the dataset should not be used?' },
  'distribution.license': { section: 'distribution', question: 'Under what license is the dataset distributed?' },
  'distribution.creator': {
    section: 'distribution',
    question: 'Who is credited as the creator of the dataset where it is distributed?',
  },
  'maintenance.owner': {
    section: 'maintenance',
    question: 'Who maintains the dataset, and how can they be contacted?',
  },
  'maintenance.updates': { section: 'maintenance', question: 'Will the dataset be updated, how often and by whom?' },
};

const SECTIONS: readonly [string, string][] = [
  ['motivation', 'Motivation'],
  ['composition', 'Composition'],
  ['collection', 'Collection process'],
  ['preprocessing', 'Preprocessing, cleaning and labeling'],
  ['uses', 'Uses'],
  ['distribution', 'Distribution'],
  ['maintenance', 'Maintenance'],
];

// The datasheet is a published document (/datasheet.html may be public): its timeframe follows the
// default profile, safe-harbor, and names years only, whoever asks. Counts and shares are unchanged.
const year = (d: Date) => dateValue(d, DEFAULT_PROFILE) ?? '—';
const pct = (x: number) => `${(Math.round(x * 1000) / 10).toFixed(1)} %`;
const n = (x: number) => x.toLocaleString('en-US');
const fmt = (x: number | null, digits = 0) => (x === null ? '—' : digits === 0 ? n(x) : x.toFixed(digits));

function dataEntries(s: Stats, version: Stated): Record<string, DatasheetEntry[]> {
  const e = (key: string, question: string, answer: string): DatasheetEntry => ({
    key,
    question,
    answer,
    fromData: true,
  });
  const classTable = [
    '| class | N | % | origin | status |',
    '|---|---:|---:|---|---|',
    ...s.classes.map(
      (c) =>
        `| ${CLASSES[c.diagnosisClass].name} | ${n(c.count)} | ${pct(c.share)} | ${c.origin.toLowerCase().replace('_', '-')} | ${c.status.toLowerCase()} |`,
    ),
    `| total | ${n(s.images)} | 100.0 % | | |`,
  ].join('\n');
  const sex = s.patientDistributions.find((d) => d.field === 'sex');
  const origins = s.distributions.find((d) => d.field === 'origin')?.values ?? [];
  const stages = s.distributions.find((d) => d.field === 'verification_stage')?.values ?? [];
  const completeness = s.completeness
    .filter((c) => c.missing > 0)
    .map((c) => `${c.field} ${n(c.missing)} missing (${pct(c.missing / Math.max(1, s.images))})`)
    .join('; ');
  const k = s.agreement.fleiss;
  return {
    composition: [
      e(
        'composition.instances',
        'What do the instances represent, and how many are there?',
        `${n(s.images)} unique dermoscopic images (image–patient pairs) of skin lesions from ${n(s.patients)} de-identified patients; ${n(s.intake.records)} records passed the SOP quality gate, of which ${n(s.intake.duplicates)} (${pct(s.intake.duplicateShare)}) were exact duplicates.`,
      ),
      e(
        'composition.labels',
        'Is there a label associated with each instance?',
        `Each image carries one of ${s.classes.filter((c) => c.count > 0).length} normalised diagnostic classes, with origin and clinical status:\n\n${classTable}\n\nOrigins: ${origins.map((o) => `${o.value.toLowerCase().replace('_', '-')} ${n(o.count)} (${pct(o.count / Math.max(1, s.images))})`).join(', ')}. Under the policy \`${s.policy.id}\` (${s.policy.version}): ${s.labels.map((l) => `${l.key} ${n(l.count)}`).join(', ')}${s.unmapped ? `; ${n(s.unmapped)} unmapped` : ''}${s.excluded ? `; ${n(s.excluded)} excluded` : ''}.`,
      ),
      e(
        'composition.patients',
        'What are the relationships between instances?',
        `Images are linked to de-identified patients and lesions. Images per patient: min ${fmt(s.imagesPerPatient.min)}, median ${fmt(s.imagesPerPatient.median)}, mean ${fmt(s.imagesPerPatient.mean, 2)}, max ${fmt(s.imagesPerPatient.max)}; ${n(s.imagesPerPatient.singleImagePatients)} patients have a single image. Any split must keep a patient's images together.`,
      ),
      e(
        'composition.demographics',
        'Does the dataset identify subpopulations?',
        `Sex: ${sex?.values.map((v) => `${v.value.toLowerCase()} ${n(v.count)} (${pct(v.count / Math.max(1, s.patients))})`).join(', ') ?? '—'}. Age at first examination over the ${n(s.age.patientsWithValidAge)} of ${n(s.patients)} patients with a valid age: min ${fmt(s.age.min)}, median ${fmt(s.age.median)}, mean ${fmt(s.age.mean, 1)}, max ${fmt(s.age.max)} years.`,
      ),
      e(
        'composition.missing',
        'Is any information missing from individual instances?',
        `Records with missing fields are kept and counted. Of the ${FIELDS.length} fields of the information model: ${completeness || 'none missing'}.`,
      ),
      e(
        'composition.redundancies',
        'Are there errors, sources of noise, or redundancies?',
        `Exact duplicates (same decoded pixels) were caught at intake and not stored: ${n(s.intake.duplicates)}. ${n(s.nearDuplicatePairs)} near-duplicate pairs (perceptual hash) are flagged and linked.`,
      ),
    ],
    collection: [
      e(
        'collection.process',
        'How was the data acquired?',
        `Mobile dermoscopy under a standard operating procedure with a quality gate (image_quality_score 1–5): ${n(s.intake.sopRejected)} frames scored 1–2 were refused at acquisition and counted; ${n(s.intake.records)} records passed.`,
      ),
      e(
        'collection.timeframe',
        'Over what timeframe was the data collected?',
        s.collection.from && s.collection.to
          ? `${year(s.collection.from) === year(s.collection.to) ? `In ${year(s.collection.to)}` : `From ${year(s.collection.from)} to ${year(s.collection.to)}`} (acquisition years of the images: dates are given to the year, the ${DEFAULT_PROFILE} de-identification profile).`
          : 'The acquisition dates are not recorded for these images.',
      ),
    ],
    preprocessing: [
      e(
        'preprocessing.cleaning',
        'Was any preprocessing or cleaning done?',
        'Patient, lesion and examiner identifiers were replaced by keyed-hash codes; EXIF, GPS and all other embedded metadata were stripped from the stored files without recompressing them; exact duplicates were removed by a hash of the decoded pixels; near duplicates were flagged by a 64-bit perceptual hash; diagnoses were normalised to 9 classes, the raw text kept beside each class.',
      ),
      e(
        'preprocessing.labeling',
        'How were the labels verified?',
        `Initial clinical annotation, independent review by three specialists and consensus, histology for malignant lesions. Verification stage: ${stages.map((v) => `${v.value.toLowerCase()} ${n(v.count)}`).join(', ')}; ${n(s.malignant.histologyVerified)} of ${n(s.malignant.count)} malignant images (${pct(s.malignant.histologyShare)}) are histologically verified. Agreement of the independent reviews: Fleiss' κ = ${k.kappa === null ? '—' : k.kappa.toFixed(3)} over ${n(k.n)} images.`,
      ),
    ],
    distribution: [
      e(
        'distribution.version',
        'Which version of the dataset is this?',
        version.source
          ? `${version.value} (set by \`${version.source}\`).`
          : `${version.value}: no release is named (\`DERMASET_DATASET_VERSION\` is unset), so the version identifies the stored images — the latest acquisition date and the start of the SHA-256 over their sorted SHA-256s.`,
      ),
      e(
        'distribution.formats',
        'In which formats is the dataset distributed?',
        `Exports: ${[...registry.exporters.values()].map((x) => `${x.id} (${x.version})`).join(', ')}; each export carries a manifest with the policy and exporter versions and the SHA-256 of every file.`,
      ),
    ],
  };
}

/** Prose is Markdown without raw HTML: `<` is escaped so admins' text cannot inject markup. */
const safe = (markdown: string) => markdown.replaceAll('&', '&amp;').replaceAll('<', '&lt;');

/** The longest prose answer updateDatasheetText stores (characters). */
export const MAX_PROSE_LENGTH = 20_000;

const SAFE_SCHEMES = new Set(['http', 'https', 'mailto']);

/**
 * Whether a link or image URL may stay live in the datasheet: http, https and mailto, or a relative
 * or fragment URL. Judged on what a browser would read: control characters and spaces are dropped
 * first (browsers strip them at the ends and tabs and newlines anywhere, so `java\tscript:` is
 * javascript:), and a relative URL may hold no colon, no backslash and no character reference
 * before its first `/`, `?` or `#` (`javascript&#58;…` decodes to a scheme in an attribute).
 */
export function safeUrl(href: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are the point
  const url = href.replace(/[\u0000-\u0020\u007f-\u009f]/g, '');
  if (url === '') return false;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  if (scheme !== undefined) return SAFE_SCHEMES.has(scheme.toLowerCase());
  return !/[:&\\]/.test(url.split(/[/?#]/, 1)[0] ?? '');
}

/**
 * The datasheet's Markdown renderer: marked with every link or image whose URL is not safeUrl
 * rendered as its text (defence in depth: neutralUrls already emptied them in the Markdown).
 */
const markdownRenderer = new Marked({
  renderer: {
    link(token) {
      return safeUrl(token.href) ? false : this.parser.parseInline(token.tokens);
    },
    image(token) {
      return safeUrl(token.href) ? false : this.parser.parseInline(token.tokens);
    },
  },
});

/**
 * Markdown with every link and image whose URL is not safeUrl kept as a link with an empty
 * destination (`[text]()`, rendered as plain text), and the reference definitions of such URLs
 * removed: the Markdown export carries no live `javascript:` link either. Replacing the
 * destination, not the whole link, keeps the document's structure: no new link can form.
 */
export function neutralUrls(markdown: string): string {
  let out = markdown;
  // a link and an image inside it are both replaced in one pass (a parent comes before its
  // children); a second pass finds nothing unless a replacement met another link's text
  for (let pass = 0; pass < 4; pass++) {
    const unsafe = new Map<string, string>();
    markdownRenderer.walkTokens(markdownRenderer.lexer(out), (token: Token) => {
      if ((token.type === 'link' || token.type === 'image') && !safeUrl(token.href)) {
        const t = token as Tokens.Link | Tokens.Image;
        if (t.href !== '') unsafe.set(t.raw, `${t.type === 'image' ? '!' : ''}[${t.text}]()`);
      } else if (token.type === 'def' && !safeUrl(token.href)) unsafe.set(token.raw, '');
    });
    if (unsafe.size === 0) break;
    for (const [raw, replacement] of unsafe) out = out.replaceAll(raw, replacement);
  }
  return out;
}

/** The longest title of a comparison (characters). */
export const MAX_COMPARISON_TITLE = 120;

/** What a datasheet compares its subset with: another subset, and the name the section gives it. */
export interface ComparisonRequest {
  with: ShiftRequest;
  title: string;
}

/** A comparison resolved: the other subset, read under the datasheet's policy. */
export interface Comparison {
  subset: Subset;
  title: string;
}

/**
 * The subset a datasheet is compared with, resolved as domainShift resolves a side, under the
 * datasheet's own policy (a split made under another one is BAD_USER_INPUT). The title is one line
 * of 1 to MAX_COMPARISON_TITLE characters without control characters, else BAD_USER_INPUT.
 */
export async function resolveComparison(
  scope: RequestScope,
  req: ComparisonRequest,
  subset: Subset,
  filterProfile: ProfileId,
): Promise<Comparison> {
  const title = req.title.trim();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are the point
  if (title === '' || title.length > MAX_COMPARISON_TITLE || /[\u0000-\u001f\u007f-\u009f]/.test(title))
    throw badInput(
      `the title is one line of 1 to ${MAX_COMPARISON_TITLE} characters without control characters`,
      'compare.title',
    );
  return { subset: await resolveShiftSide(scope, 'compare.with', req.with, subset.policy.id, filterProfile), title };
}

const DIMENSION_NAMES: Readonly<Record<string, string>> = {
  label: 'label',
  diagnosis_term: 'diagnosis term',
  age_at_exam: 'age at exam',
  sex: 'sex',
  anatomical_site: 'anatomical site',
  fitzpatrick_type: 'Fitzpatrick type',
  verification_stage: 'verification stage',
  image_pixels: 'image size (pixels)',
  format: 'format',
};

const figure = (x: number | null, digits = 4) => (x === null ? '—' : x.toFixed(digits));
const pValue = (p: number) => (p === 0 ? '0' : p < 1e-4 ? p.toExponential(2) : p.toFixed(4));

/** The comparison section: one entry, a table of the divergences and tests per dimension. */
function comparisonSection(shift: DomainShift, title: string): DatasheetSection {
  const shown = safe(title);
  const missing = (m: DomainShift['dimensions'][number]['missing']['a']) =>
    m.count === 0 ? '0' : `${n(m.count)} (${pct(m.share ?? 0)})`;
  const table = [
    '| dimension | Jensen–Shannon | total variation | test | statistic | p | missing here | missing there |',
    '|---|---:|---:|---|---:|---:|---:|---:|',
    ...shift.dimensions.map((d) => {
      const t = d.test;
      const test = t === null ? '—' : t.name === 'chi-squared' ? `χ² (df ${t.df})` : 'Kolmogorov–Smirnov';
      return `| ${DIMENSION_NAMES[d.dimension] ?? d.dimension} | ${figure(d.jensenShannon)} | ${figure(d.totalVariation)} | ${test} | ${t === null ? '—' : figure(t.statistic, 3)} | ${t === null ? '—' : pValue(t.pValue)} | ${missing(d.missing.a)} | ${missing(d.missing.b)} |`;
    }),
  ].join('\n');
  return {
    id: 'comparison',
    title: `Comparison with ${shown}`,
    entries: [
      {
        key: 'comparison.shift',
        question: `How does this subset differ from ${shown}?`,
        answer: neutralUrls(
          `This subset (${n(shift.a.images)} images) against ${shown} (\`${JSON.stringify(shift.b.subset.asked ?? {})}\`${shift.b.subset.split ? `, split \`${shift.b.subset.split.selection.id}\`` : ''}; ${n(shift.b.images)} images), both under the policy \`${shift.policy.id}\` ${shift.policy.version}, counted per image. Jensen–Shannon divergence (base 2) and total variation are 0 for the same distribution and 1 for disjoint ones; categorical dimensions are tested with Pearson's χ² of homogeneity, age and image size with the two-sample Kolmogorov–Smirnov test; ages are top-coded at 90. Missing: images without a value (a label: excluded or unmapped by the policy), with their share of the side's images.\n\n${table}`,
        ),
        fromData: true,
      },
    ],
  };
}

/** Text for HTML: the figure caption repeats the caller's title. */
const escapeHtml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** Questions the configuration answers when set (the licence, the creator): see datasetTerms. */
const CONFIGURED: ReadonlyMap<string, keyof typeof TERM_KEYS> = new Map(
  Object.entries(TERM_KEYS).map(([term, key]) => [key, term as keyof typeof TERM_KEYS]),
);

/** The dataset's version by the records version it was computed at (it reads every image's hash). */
let keptVersion: { key: string; version: Promise<Stated> } | null = null;

/** Forgets the kept dataset version (bench/stats measures a cold datasheet with it). */
export const clearDatasheetCache = () => {
  keptVersion = null;
};

async function keptDatasetVersion(config: DatasetConfig): Promise<Stated> {
  if (config.version) return datasetVersion(config);
  // only the images make the version: a review or a setting leaves it as it was
  const key = versionKey(await dataVersions()).replace(/\.v\d+\.s\d+$/, ''); // this database, its records
  if (keptVersion?.key !== key) {
    const version = datasetVersion(config);
    keptVersion = { key, version };
    version.catch(() => {
      if (keptVersion?.version === version) keptVersion = null;
    });
  }
  return keptVersion.version;
}

export async function computeDatasheet(
  subset: Subset,
  config: DatasetConfig = datasetConfig(),
  compare: Comparison | null = null,
): Promise<Datasheet> {
  const [stats, texts, version, comparison] = await Promise.all([
    computeStats(subset),
    writtenAnswers(),
    keptDatasetVersion(config),
    // a published document: ages top-coded whoever asks, as in the rest of the datasheet
    compare ? computeDomainShift(subset, compare.subset, DEFAULT_PROFILE) : null,
  ]);
  const terms = await datasetTerms(config, texts);
  // as of a release: its version, stated by the release
  const { release } = subset;
  const fromData = dataEntries(
    stats,
    release
      ? { value: release.version, source: `release ${release.name} (content hash ${release.contentHash})` }
      : version,
  );
  const answer = (key: string): string => {
    const term = CONFIGURED.get(key);
    const stated = term ? terms[term] : undefined;
    // the configuration wins over a written answer, here as in the Croissant document
    if (stated?.source?.startsWith('DERMASET_')) return `${stated.value}\n\n_Set by \`${stated.source}\`._`;
    return texts.get(key) ?? `_Not written yet: an admin sets it with \`updateDatasheetText(key: "${key}")\`._`;
  };
  const sections = SECTIONS.map(([id, title]) => ({
    id,
    title,
    entries: [
      ...Object.entries(PROSE)
        .filter(([, p]) => p.section === id)
        .map(([key, p]) => ({
          key,
          question: p.question,
          // the Markdown as the document carries it: no raw HTML, no live link to a script
          answer: neutralUrls(safe(answer(key))),
          fromData: false,
        })),
      ...(fromData[id] ?? []),
    ],
  }));
  if (comparison && compare) sections.push(comparisonSection(comparison, compare.title));
  const header = `# Datasheet\n\nSubset: \`${JSON.stringify(subset.asked ?? {})}\` · policy \`${stats.policy.id}\` ${stats.policy.version}${release ? ` · release \`${release.name}\` ${release.version} (${n(release.imageCount)} images frozen with their labels; content hash ${release.contentHash})` : ''}\n`;
  const markdown = `${header}\n${sections
    .map((s) => `## ${s.title}\n\n${s.entries.map((x) => `**${x.question}**\n\n${x.answer}\n`).join('\n')}`)
    .join('\n')}`;
  const figures = [
    ...(await charts(stats)),
    ...(comparison && compare ? [await comparisonChart(comparison, compare.title)] : []),
  ];
  const body = await markdownRenderer.parse(markdown);
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Datasheet</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem}figure{margin:1rem 0}</style>
</head><body>
${body}
<h2>Figures</h2>
${figures.map((f) => `<figure id="figure-${f.id}">${f.svg}<figcaption>${escapeHtml(f.title)}</figcaption></figure>`).join('\n')}
</body></html>
`;
  return { stats, comparison, sections, markdown, html };
}

export async function updateDatasheetText(
  query: { select?: Prisma.DatasheetTextSelect },
  actor: string,
  key: string,
  text: string,
) {
  // own keys only: `__proto__` or `constructor` name no question (PROSE[key] would be truthy)
  if (!Object.hasOwn(PROSE, key)) {
    throw badInput(`key names no editable datasheet question; editable: ${Object.keys(PROSE).join(', ')}`, 'key');
  }
  if (text.length > MAX_PROSE_LENGTH) {
    throw badInput(`the text is longer than ${MAX_PROSE_LENGTH.toLocaleString('en-US')} characters`, 'text');
  }
  await writeDatasheetText(actor, key, text);
  return db().datasheetText.findUniqueOrThrow({ ...query, where: { key } });
}

/**
 * Sets one prose answer with its audit entry. With `onlyIfUnwritten`, an answer already written is
 * kept (a seed must not overwrite what an admin wrote); returns whether it wrote.
 */
export async function writeDatasheetText(
  actor: string,
  key: string,
  text: string,
  opts: { onlyIfUnwritten?: boolean } = {},
): Promise<boolean> {
  return db().$transaction(async (tx) => {
    const old = await tx.datasheetText.findUnique({ where: { key } });
    if (old && opts.onlyIfUnwritten) return false;
    await tx.datasheetText.upsert({
      where: { key },
      create: { key, text, updatedBy: actor },
      update: { text, updatedBy: actor },
    });
    await tx.datasheetTextChange.create({ data: { key, actor, oldText: old?.text ?? null, newText: text } });
    return true;
  });
}

export const datasheetTextHistory = (query: { select?: Prisma.DatasheetTextChangeSelect }) =>
  db().datasheetTextChange.findMany({ ...query, orderBy: { id: 'desc' }, take: 200 });
