// The evaluation report's two figures, the ROC curve and the reliability diagram: Vega-Lite
// specifications rendered to SVG on the server by the datasheet's renderer (renderVegaLite, memoised
// by the spec). A figure is a pure function of the result's numbers: the same result gives the same
// bytes, in any process (stableSvgIds).
import type { TopLevelSpec } from 'vega-lite';
import type { EvaluationResult } from '../domain/evaluation-result.ts';
import { renderVegaLite } from './datasheet-charts.ts';

export interface EvaluationFigure {
  /** stable within a report: the HTML `<figure id="figure-…">` and the ids inside its SVG */
  id: 'roc' | 'reliability';
  title: string;
  /** what the figure shows, in words (the Markdown image's alternative text, the HTML caption) */
  caption: string;
  svg: string;
}

/**
 * vega-scenegraph numbers clip paths and gradients with counters kept for the whole process
 * (`clip7`, `gradient_3`), so the same figure rendered later would differ in those ids. They are
 * renumbered per figure and prefixed with its id, which also keeps two figures' ids apart in one page.
 */
export function stableSvgIds(svg: string, figureId: string): string {
  const ids = new Map<string, string>();
  for (const m of svg.matchAll(/\bid="((?:p_)?(?:clip|gradient_)\d+)"/g)) {
    const old = m[1] as string;
    if (!ids.has(old)) ids.set(old, `${figureId}-def${ids.size + 1}`);
  }
  if (ids.size === 0) return svg;
  return svg.replace(/\b((?:p_)?(?:clip|gradient_)\d+)\b/g, (id) => ids.get(id) ?? id);
}

const base = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  width: 360,
  height: 360,
  config: { font: 'sans-serif' },
} as const;

/** A 0–1 axis (a rate, a score). */
const unit = { type: 'quantitative' as const, scale: { domain: [0, 1], nice: false } };
const fixed = (x: number | null) => (x === null ? '—' : x.toFixed(3));

/** The dashed diagonal from (0, 0) to (1, 1) over the fields x and y: chance, or perfect calibration. */
const diagonal = (x: string, y: string) => ({
  data: {
    values: [
      { [x]: 0, [y]: 0 },
      { [x]: 1, [y]: 1 },
    ],
  },
  mark: { type: 'line' as const, color: '#999', strokeDash: [4, 4] },
  encoding: { x: { field: x, ...unit }, y: { field: y, ...unit } },
});

/** The ROC curve with the chance diagonal and the operating point at the report's threshold. */
function rocSpec(r: EvaluationResult): TopLevelSpec {
  const { sensitivity, specificity } = r.overall;
  const point =
    sensitivity.value !== null && specificity.value !== null
      ? [{ fpr: 1 - specificity.value, tpr: sensitivity.value }]
      : [];
  return {
    ...base,
    title: `ROC curve (AUROC ${fixed(r.overall.auroc.value)})`,
    layer: [
      diagonal('fpr', 'tpr'),
      {
        data: { values: r.roc.map((p, order) => ({ fpr: p.fpr, tpr: p.tpr, order })) },
        mark: { type: 'line', color: '#1f5fa8', strokeWidth: 2 },
        encoding: {
          x: { field: 'fpr', ...unit, title: '1 − specificity (false positive rate)' },
          y: { field: 'tpr', ...unit, title: 'sensitivity (true positive rate)' },
          order: { field: 'order', type: 'quantitative' },
        },
      },
      {
        data: { values: point },
        mark: { type: 'point', filled: true, size: 80, color: '#c0392b' },
        encoding: { x: { field: 'fpr', ...unit }, y: { field: 'tpr', ...unit } },
      },
    ],
  };
}

/** Mean score against the share of positives per non-empty bin, with the line of perfect calibration. */
function reliabilitySpec(r: EvaluationResult): TopLevelSpec {
  const bins = r.reliability
    .filter((b) => b.count > 0 && b.meanScore !== null && b.positiveRate !== null)
    .map((b) => ({ meanScore: b.meanScore, positiveRate: b.positiveRate, images: b.count }));
  return {
    ...base,
    title: `Reliability (ECE ${fixed(r.overall.ece.value)})`,
    layer: [
      diagonal('meanScore', 'positiveRate'),
      {
        data: { values: bins },
        mark: { type: 'line', color: '#1f5fa8', point: { filled: true, size: 50 } },
        encoding: {
          x: { field: 'meanScore', ...unit, title: 'mean score of the bin' },
          y: { field: 'positiveRate', ...unit, title: 'share of positives in the bin' },
        },
      },
    ],
  };
}

/** The report's figures, in the report's order. */
export async function evaluationFigures(r: EvaluationResult): Promise<EvaluationFigure[]> {
  const [roc, reliability] = await Promise.all([renderVegaLite(rocSpec(r)), renderVegaLite(reliabilitySpec(r))]);
  return [
    {
      id: 'roc',
      title: 'ROC curve',
      caption: `ROC curve over ${r.roc.length} points; AUROC ${fixed(r.overall.auroc.value)}${
        r.overall.sensitivity.value !== null && r.overall.specificity.value !== null
          ? `; the dot is the threshold ${fixed(r.input.threshold)}`
          : ''
      }`,
      svg: stableSvgIds(roc, 'roc'),
    },
    {
      id: 'reliability',
      title: 'Reliability diagram',
      caption: `Reliability over ${r.input.bins} bins of the score; ECE ${fixed(r.overall.ece.value)}; the dashed line is perfect calibration`,
      svg: stableSvgIds(reliability, 'reliability'),
    },
  ];
}
