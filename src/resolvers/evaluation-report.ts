// The evaluation report: one EvaluationResult as Markdown or as a self-contained HTML page, with the
// ROC and reliability figures. renderEvaluationReport reads nothing but the result — no database, no clock, no id the
// result does not hold — so the same result always gives the same bytes (a saved evaluation on a
// release reproduces its report byte for byte). Both formats are written from one list of blocks,
// each text escaped for its format: names, labels and collection slugs are the callers' words.
// savedEvaluationReport reads a saved evaluation's result for GET /evaluations/<id>.html and .md.
import { db } from '../db/current.ts';
import { displayName } from '../domain/display-names.ts';
import type {
  Estimate,
  EvaluationResult,
  MetricSet,
  RaterAgreement,
  Stratum,
  StratumDimension,
} from '../domain/evaluation-result.ts';
import { type Role, roleAtLeast } from '../domain/roles.ts';
import { type EvaluationFigure, evaluationFigures } from './evaluation-charts.ts';

export type ReportFormat = 'MARKDOWN' | 'HTML';

/** Real numbers (metrics, scores, κ, thresholds) are written with this many decimals, everywhere. */
export const REPORT_DECIMALS = 3;

const DASH = '—';
/** A count: digits grouped by thousands with commas (no locale data involved). */
export const count = (x: number): string => String(Math.trunc(x)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
/** A real number with REPORT_DECIMALS decimals; null (undefined on the data) as a dash; never "-0.000". */
export const num = (x: number | null): string => {
  if (x === null || !Number.isFinite(x)) return DASH;
  const s = x.toFixed(REPORT_DECIMALS);
  return /^-0\.0*$/.test(s) ? s.slice(1) : s;
};
/** The interval's level as a percentage ("95 %"). */
const level = (x: number) => `${Number((x * 100).toFixed(1))} %`;
const interval = (e: Estimate) => (e.lower === null || e.upper === null ? DASH : `${num(e.lower)}–${num(e.upper)}`);
/** A value with its interval in one cell: "0.812 (0.771–0.850)". */
const withInterval = (e: Estimate) =>
  e.value === null ? DASH : e.lower === null || e.upper === null ? num(e.value) : `${num(e.value)} (${interval(e)})`;

// ---- the document as blocks -------------------------------------------------------------------

/** Inline text: plain words (escaped per format), code (model names, slugs), emphasis. */
type Inline = string | { code: string } | { em: string } | { strong: string };
type Line = Inline[];

type Block =
  | { kind: 'heading'; level: 1 | 2 | 3; text: string }
  | { kind: 'paragraph'; text: Line }
  | { kind: 'list'; items: Line[] }
  | { kind: 'table'; head: string[]; align: ('left' | 'right')[]; rows: Line[][] }
  | { kind: 'figure'; figure: EvaluationFigure };

const DIMENSIONS: Readonly<
  Record<StratumDimension, { title: string; vocabulary?: string; note?: string } | undefined>
> = {
  VERIFICATION_STAGE: {
    title: 'Verification stage',
    vocabulary: 'VerificationStage',
    note: 'Histopathology alone is the reference standard; the other stages are clinical labels.',
  },
  FITZPATRICK_TYPE: { title: 'Fitzpatrick type', vocabulary: 'FitzpatrickType' },
  SEX: { title: 'Sex', vocabulary: 'Sex' },
  AGE_BAND: { title: 'Age band (years)' },
  ANATOMICAL_SITE: { title: 'Anatomical site', vocabulary: 'AnatomicalSite' },
  COLLECTION: { title: 'Collection' },
};
const DIMENSION_ORDER = Object.keys(DIMENSIONS) as StratumDimension[];

const stratumName = (s: Stratum): Inline => {
  if (s.value === null) return { em: 'not recorded' };
  const vocabulary = DIMENSIONS[s.dimension]?.vocabulary;
  if (vocabulary) return displayName(vocabulary, s.value);
  return s.dimension === 'COLLECTION' ? { code: s.value } : s.value;
};

const RATER_KINDS: Readonly<Record<RaterAgreement['kind'], string>> = {
  REVIEWER: 'reviewer',
  CONSENSUS: 'consensus of the specialists',
  HISTOLOGY: 'histopathology',
};

function metricRows(m: MetricSet): Line[][] {
  const rows: [string, Estimate][] = [
    ['Sensitivity', m.sensitivity],
    ['Specificity', m.specificity],
    ['PPV (precision)', m.ppv],
    ['NPV', m.npv],
    ['Balanced accuracy', m.balancedAccuracy],
    ['AUROC', m.auroc],
    ['AUPRC (average precision)', m.auprc],
    ['ECE (expected calibration error)', m.ece],
  ];
  return rows.map(([name, e]) => [[name], [num(e.value)], [interval(e)]]);
}

/**
 * How the intervals were made: the service's own sentence (BootstrapInfo.note, which every output
 * carries; this one if it is empty), then the resamples, the seed and the level. Without resamples,
 * that there are no intervals, and nothing else.
 */
function bootstrapParagraphs(r: EvaluationResult): Line[] {
  const b = r.bootstrap;
  if (b.resamples === 0)
    return [['No intervals: the bootstrap was off (0 resamples). Every value below is a point estimate.']];
  return [
    [
      b.note ||
        `Every interval is a ${level(b.level)} percentile bootstrap interval resampled by patient: each resample draws the subset's patients with replacement and keeps all of a drawn patient's images, because images of one patient are not independent.`,
    ],
    [
      `Resamples: ${count(b.resamples)} · seed: ${b.seed} · level: ${level(b.level)} · unit: the patient. An interval is left out (${DASH}) when a metric is undefined in too many resamples or the stratum is too small.`,
    ],
  ];
}

function blocks(r: EvaluationResult, figures: EvaluationFigure[]): Block[] {
  const { input, overall: o } = r;
  const out: Block[] = [];
  const figure = (id: EvaluationFigure['id']) => {
    const f = figures.find((x) => x.id === id);
    if (f) out.push({ kind: 'figure', figure: f });
  };
  out.push({ kind: 'heading', level: 1, text: `Evaluation of ${input.model.name} ${input.model.version}` });

  out.push({ kind: 'heading', level: 2, text: 'What was evaluated' });
  out.push({
    kind: 'list',
    items: [
      ['Model: ', { code: input.model.name }, ' version ', { code: input.model.version }],
      ['Subset: ', input.subset, ' (as asked: ', { code: JSON.stringify(input.subsetInput ?? {}) }, ')'],
      ['Policy: ', { code: input.policy.id }, ` version ${input.policy.version}`],
      [
        'Positive labels: ',
        ...input.positive.flatMap((l, i): Inline[] => (i === 0 ? [{ code: l }] : [', ', { code: l }])),
        " (an image's score is the sum of the model's scores over these labels; it is positive when its label is one of them)",
      ],
      input.operatingPoint
        ? [
            `Threshold: ${num(input.threshold)}, the threshold reaching a sensitivity of ${num(input.operatingPoint.sensitivity)} on the whole subset (operating point); every stratum uses it too`,
          ]
        : [`Threshold: ${num(input.threshold)} (a score at or above it is called positive)`],
      [
        `Calibration bins: ${count(input.bins)}; strata with fewer than ${count(input.minStratumPatients)} patients, or without positives or negatives, get no interval`,
      ],
    ],
  });

  out.push({ kind: 'heading', level: 2, text: 'Counts' });
  out.push({
    kind: 'table',
    head: ['', 'N'],
    align: ['left', 'right'],
    rows: [
      [['Images evaluated'], [count(o.images)]],
      [['Patients'], [count(o.patients)]],
      [['Positive images'], [count(o.positives)]],
      [['Negative images'], [count(o.negatives)]],
      [['Images without a prediction of the model (not evaluated)'], [count(r.missingPredictions)]],
      [['Images the policy excludes or leaves unmapped (not evaluated)'], [count(r.unlabelled)]],
    ],
  });

  out.push({ kind: 'heading', level: 2, text: 'Intervals' });
  for (const text of bootstrapParagraphs(r)) out.push({ kind: 'paragraph', text });

  const c = o.confusion;
  out.push({ kind: 'heading', level: 2, text: `Confusion matrix at the threshold ${num(input.threshold)}` });
  out.push({
    kind: 'table',
    head: ['', 'called positive', 'called negative', 'total'],
    align: ['left', 'right', 'right', 'right'],
    rows: [
      [['positive'], [count(c.tp)], [count(c.fn)], [count(c.tp + c.fn)]],
      [['negative'], [count(c.fp)], [count(c.tn)], [count(c.fp + c.tn)]],
      [['total'], [count(c.tp + c.fp)], [count(c.fn + c.tn)], [count(c.tp + c.fp + c.fn + c.tn)]],
    ],
  });

  out.push({ kind: 'heading', level: 2, text: 'Metrics' });
  out.push({
    kind: 'table',
    head: ['metric', 'value', `${level(r.bootstrap.level)} interval`],
    align: ['left', 'right', 'right'],
    rows: metricRows(o),
  });

  out.push({ kind: 'heading', level: 2, text: 'ROC curve' });
  figure('roc');

  out.push({ kind: 'heading', level: 2, text: 'Calibration' });
  out.push({
    kind: 'paragraph',
    text: [
      `Expected calibration error (ECE): ${withInterval(o.ece)}, the images' weighted mean gap between the mean score and the share of positives over ${count(input.bins)} equal-width bins of the score.`,
    ],
  });
  figure('reliability');
  out.push({
    kind: 'table',
    head: ['score bin', 'images', 'mean score', 'share of positives'],
    align: ['left', 'right', 'right', 'right'],
    rows: r.reliability.map((b, i) => [
      [`${num(b.lower)}–${num(b.upper)}${i === r.reliability.length - 1 ? ' (incl.)' : ''}`],
      [count(b.count)],
      [num(b.meanScore)],
      [num(b.positiveRate)],
    ]),
  });

  out.push({ kind: 'heading', level: 2, text: 'Strata' });
  out.push({
    kind: 'paragraph',
    text: [
      `The same metrics per stratum, at the same threshold, with the ${level(r.bootstrap.level)} interval in brackets. A stratum marked `,
      { strong: 'too small' },
      ` has fewer than ${count(input.minStratumPatients)} patients, or no positives or no negatives: its values are shown without an interval.`,
    ],
  });
  // the known dimensions in their order, then any other a result carries, in its order
  const dimensions = [...new Set([...DIMENSION_ORDER, ...r.strata.map((s) => s.dimension)])];
  for (const dimension of dimensions) {
    const rows = r.strata.filter((s) => s.dimension === dimension);
    if (rows.length === 0) continue;
    const d = DIMENSIONS[dimension] ?? { title: String(dimension) };
    out.push({ kind: 'heading', level: 3, text: d.title });
    if (d.note) out.push({ kind: 'paragraph', text: [d.note] });
    out.push({
      kind: 'table',
      head: [
        'stratum',
        'images',
        'patients',
        'positives',
        'negatives',
        'sensitivity',
        'specificity',
        'AUROC',
        'AUPRC',
        'ECE',
        '',
      ],
      align: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
      rows: rows.map((s) => [
        [stratumName(s)],
        [count(s.images)],
        [count(s.patients)],
        [count(s.positives)],
        [count(s.negatives)],
        [withInterval(s.sensitivity)],
        [withInterval(s.specificity)],
        [withInterval(s.auroc)],
        [withInterval(s.auprc)],
        [withInterval(s.ece)],
        s.tooSmall ? [{ strong: 'too small' }] : [],
      ]),
    });
  }

  out.push({ kind: 'heading', level: 2, text: 'Agreement with the raters' });
  out.push({
    kind: 'paragraph',
    text: [
      "Cohen's κ between the model's call at the threshold and each rater's label, both as positive or negative, over the images both labelled.",
    ],
  });
  let reviewer = 0;
  out.push({
    kind: 'table',
    head: ['rater', 'images', "Cohen's κ", 'agreement'],
    align: ['left', 'right', 'right', 'right'],
    rows: r.raters.map((a) => {
      const who: Line =
        a.kind !== 'REVIEWER'
          ? [RATER_KINDS[a.kind]]
          : a.rater === null
            ? [`reviewer ${++reviewer}`]
            : ['reviewer ', { code: a.rater }];
      return [who, [count(a.images)], [num(a.kappa)], [num(a.agreement)]];
    }),
  });

  const e = r.expertDisagreement;
  out.push({ kind: 'heading', level: 2, text: 'Where the experts disagree' });
  out.push({
    kind: 'paragraph',
    text: [
      "The images with independent reviews, split by whether the reviewers' positive/negative calls were unanimous: does the model disagree with the consensus where the experts disagree?",
    ],
  });
  out.push({
    kind: 'table',
    head: ['reviewers', 'images', 'model agrees with the consensus', "Cohen's κ"],
    align: ['left', 'right', 'right', 'right'],
    rows: [
      [
        ['unanimous'],
        [count(e.unanimous.images)],
        [num(e.unanimous.modelAgreesWithConsensus)],
        [num(e.unanimous.kappa)],
      ],
      [['split'], [count(e.split.images)], [num(e.split.modelAgreesWithConsensus)], [num(e.split.kappa)]],
    ],
  });
  return out;
}

// ---- Markdown ---------------------------------------------------------------------------------

/**
 * Words as Markdown text: no raw HTML (`<`, `&` as entities), Markdown's punctuation escaped so a
 * name cannot open a link, emphasis or a table cell, and one line (a newline would end a block).
 */
const mdText = (s: string) =>
  s
    .replace(/[\r\n\t]+/g, ' ')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replace(/[\\`*_[\]|!#~]/g, (c) => `\\${c}`);

/**
 * A code span holds anything but a backtick run as long as its fence, and `<` stays literal inside;
 * in a table cell a `|` is escaped (GFM splits cells before it reads code spans).
 */
function mdCode(s: string, inTable: boolean): string {
  const flat = s.replace(/[\r\n\t]+/g, ' ');
  const one = inTable ? flat.replaceAll('|', '\\|') : flat;
  const longest = Math.max(0, ...[...one.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = one.startsWith('`') || one.endsWith('`') || one.startsWith(' ') ? ' ' : '';
  return `${fence}${pad}${one}${pad}${fence}`;
}

const mdInline = (x: Inline, inTable: boolean): string =>
  typeof x === 'string'
    ? mdText(x)
    : 'code' in x
      ? mdCode(x.code, inTable)
      : 'em' in x
        ? `_${mdText(x.em)}_`
        : `**${mdText(x.strong)}**`;
const mdLine = (l: Line, inTable = false) => l.map((x) => mdInline(x, inTable)).join('');

const dataUri = (svg: string) => `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;

function markdown(doc: Block[]): string {
  const parts = doc.map((b): string => {
    switch (b.kind) {
      case 'heading':
        return `${'#'.repeat(b.level)} ${mdText(b.text)}`;
      case 'paragraph':
        return mdLine(b.text);
      case 'list':
        return b.items.map((i) => `- ${mdLine(i)}`).join('\n');
      case 'table':
        return [
          `| ${b.head.map(mdText).join(' | ')} |`,
          `|${b.align.map((a) => (a === 'right' ? '---:' : '---')).join('|')}|`,
          ...b.rows.map((r) => `| ${r.map((c) => mdLine(c, true)).join(' | ')} |`),
        ].join('\n');
      case 'figure':
        // the figure itself, as the HTML page shows it: an SVG image in a data URI
        return `![${mdText(b.figure.caption)}](${dataUri(b.figure.svg)})`;
    }
    return '';
  });
  return `${parts.join('\n\n')}\n`;
}

// ---- HTML -------------------------------------------------------------------------------------

const escapeHtml = (s: string) =>
  s
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');

const htmlInline = (x: Inline): string =>
  typeof x === 'string'
    ? escapeHtml(x)
    : 'code' in x
      ? `<code>${escapeHtml(x.code)}</code>`
      : 'em' in x
        ? `<em>${escapeHtml(x.em)}</em>`
        : `<strong>${escapeHtml(x.strong)}</strong>`;
const htmlLine = (l: Line) => l.map(htmlInline).join('');

function html(doc: Block[], title: string): string {
  const body = doc.map((b): string => {
    switch (b.kind) {
      case 'heading':
        return `<h${b.level}>${escapeHtml(b.text)}</h${b.level}>`;
      case 'paragraph':
        return `<p>${htmlLine(b.text)}</p>`;
      case 'list':
        return `<ul>\n${b.items.map((i) => `<li>${htmlLine(i)}</li>`).join('\n')}\n</ul>`;
      case 'table': {
        const cell = (tag: 'th' | 'td', i: number, content: string) =>
          `<${tag}${b.align[i] === 'right' ? ' class="n"' : ''}>${content}</${tag}>`;
        return [
          '<table>',
          `<thead><tr>${b.head.map((h, i) => cell('th', i, escapeHtml(h))).join('')}</tr></thead>`,
          '<tbody>',
          ...b.rows.map((r) => `<tr>${r.map((c, i) => cell('td', i, htmlLine(c))).join('')}</tr>`),
          '</tbody>',
          '</table>',
        ].join('\n');
      }
      case 'figure':
        return `<figure id="figure-${b.figure.id}">${b.figure.svg}<figcaption>${escapeHtml(b.figure.caption)}</figcaption></figure>`;
    }
    return '';
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}.n{text-align:right;font-variant-numeric:tabular-nums}figure{margin:1rem 0}code{font-size:90%}</style>
</head><body>
${body.join('\n')}
</body></html>
`;
}

/**
 * The report of one evaluation as Markdown or as a self-contained HTML page (inline SVG figures and
 * style, no script, no external resource). A pure function of `result`: same result, same bytes.
 */
export async function renderEvaluationReport(result: EvaluationResult, format: ReportFormat): Promise<string> {
  const figures = await evaluationFigures(result);
  const doc = blocks(result, figures);
  const { model } = result.input;
  return format === 'HTML' ? html(doc, `Evaluation of ${model.name} ${model.version}`) : markdown(doc);
}

// ---- a saved evaluation's report --------------------------------------------------------------

/** The longest saved-evaluation id looked up (longer ones are no evaluation's: not found). */
export const MAX_EVALUATION_ID_LENGTH = 64;
const EVALUATION_ID = new RegExp(`^[A-Za-z0-9_-]{1,${MAX_EVALUATION_ID_LENGTH}}$`);

/**
 * The result as a caller of `role` may read it: the reviewers' staff codes are shown to reviewers
 * and admins only (as reviews show them); below that each reviewer's row keeps its numbers, unnamed.
 */
export function resultForReader(result: EvaluationResult, role: Role): EvaluationResult {
  if (roleAtLeast(role, 'REVIEWER') || result.raters.every((r) => r.rater === null)) return result;
  return { ...result, raters: result.raters.map((r) => (r.kind === 'REVIEWER' ? { ...r, rater: null } : r)) };
}

/**
 * The report of the saved evaluation `id` (table evaluation, its result JSON) for a caller of
 * `role`, or null when no evaluation has that id (an id that is not 1 to MAX_EVALUATION_ID_LENGTH
 * letters, digits, `_` or `-` is looked up nowhere). The same saved evaluation always gives the
 * same bytes to callers of the same rights.
 */
export async function savedEvaluationReport(id: string, format: ReportFormat, role: Role): Promise<string | null> {
  if (!EVALUATION_ID.test(id)) return null;
  const row = await db().evaluation.findUnique({ where: { id }, select: { result: true } });
  if (!row) return null;
  return renderEvaluationReport(resultForReader(JSON.parse(row.result) as EvaluationResult, role), format);
}
