// The datasheet's four figures (the paper's): class distribution, age histogram, sex, images per
// patient — and, with a comparison, a fifth (comparisonChart): Vega-Lite specifications rendered to
// SVG on the server.
import { createHash } from 'node:crypto';
import * as vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import { compile } from 'vega-lite';
import { CLASSES } from '../domain/classes.ts';
import type { DomainShift } from './domain-shift.ts';
import type { Stats } from './stats.ts';

/** Rendered figures by their specification: rendering is a pure function of the spec (and the data in it). */
const rendered = new Map<string, Promise<string>>();
const CACHED_FIGURES = 64;

/** Forgets every rendered figure (bench/stats measures the cold datasheet with it). */
export const clearChartCache = () => rendered.clear();

/** A Vega-Lite spec rendered to SVG, memoised by the spec (the evaluation report's figures use it too). */
export function renderVegaLite(spec: TopLevelSpec): Promise<string> {
  const key = createHash('sha256').update(JSON.stringify(spec)).digest('hex');
  const hit = rendered.get(key);
  if (hit) {
    // least recently used first out: a hit moves to the end
    rendered.delete(key);
    rendered.set(key, hit);
    return hit;
  }
  const made = render(spec);
  rendered.set(key, made);
  made.catch(() => rendered.delete(key));
  if (rendered.size > CACHED_FIGURES) rendered.delete(rendered.keys().next().value as string);
  return made;
}

async function render(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const base = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  width: 520,
  config: { font: 'sans-serif' },
} as const;

export async function charts(s: Stats): Promise<{ id: string; title: string; svg: string }[]> {
  const classes = s.classes.map((c) => ({
    class: CLASSES[c.diagnosisClass].name,
    images: c.count,
    status: c.status.toLowerCase(),
  }));
  // ages in 5-year bins, as the paper's figure
  const ageBins = new Map<number, number>();
  for (const b of s.age.bins)
    ageBins.set(Math.floor(b.value / 5) * 5, (ageBins.get(Math.floor(b.value / 5) * 5) ?? 0) + b.count);
  const sex = s.patientDistributions.find((d) => d.field === 'sex');
  return Promise.all([
    renderVegaLite({
      ...base,
      title: 'Images per diagnostic class',
      height: 220,
      data: { values: classes },
      mark: 'bar',
      encoding: {
        y: { field: 'class', type: 'nominal', sort: '-x', title: null },
        x: { field: 'images', type: 'quantitative', title: 'images' },
        color: { field: 'status', type: 'nominal', title: 'clinical status' },
      },
    }).then((x) => ({ id: 'classes', title: 'Class distribution', svg: x })),
    renderVegaLite({
      ...base,
      title: `Age at first examination (${s.age.n} patients with a valid age)`,
      height: 200,
      data: { values: [...ageBins].map(([from, patients]) => ({ age: `${from}–${from + 4}`, from, patients })) },
      mark: 'bar',
      encoding: {
        x: { field: 'age', type: 'ordinal', sort: { field: 'from' }, title: 'age (years)' },
        y: { field: 'patients', type: 'quantitative' },
      },
    }).then((x) => ({ id: 'age', title: 'Age distribution', svg: x })),
    renderVegaLite({
      ...base,
      width: 300,
      title: 'Patients by sex',
      height: 120,
      data: { values: sex?.values.map((v) => ({ sex: v.value.toLowerCase(), patients: v.count })) ?? [] },
      mark: 'bar',
      encoding: { y: { field: 'sex', type: 'nominal', title: null }, x: { field: 'patients', type: 'quantitative' } },
    }).then((x) => ({ id: 'sex', title: 'Sex distribution', svg: x })),
    renderVegaLite({
      ...base,
      title: 'Images per patient',
      height: 200,
      data: { values: s.imagesPerPatient.bins.map((b) => ({ images: b.value, patients: b.count })) },
      mark: 'bar',
      encoding: {
        x: { field: 'images', type: 'ordinal', title: 'images of the patient' },
        y: { field: 'patients', type: 'quantitative' },
      },
    }).then((x) => ({ id: 'images-per-patient', title: 'Images per patient', svg: x })),
  ]);
}

/**
 * The comparison's figure: the shares of each label under the policy side by side (or, when no image
 * of either side has a label, of each diagnosis term's last level).
 */
export async function comparisonChart(
  shift: DomainShift,
  title: string,
): Promise<{ id: string; title: string; svg: string }> {
  const label = shift.dimensions.find((d) => d.dimension === 'label');
  const useLabel = label !== undefined && label.values.length > 0;
  const dim = useLabel ? label : shift.dimensions.find((d) => d.dimension === 'diagnosis_term');
  const name = (v: string) => (useLabel ? v : (v.split(':').at(-1) ?? v));
  const here = 'this subset';
  const values = (dim?.values ?? []).flatMap((v) => [
    { value: name(v.value), subset: here, share: v.a.share ?? 0 },
    { value: name(v.value), subset: title, share: v.b.share ?? 0 },
  ]);
  const what = useLabel ? `label under ${shift.policy.id}` : 'diagnosis term';
  const made = await renderVegaLite({
    ...base,
    title: `Share of each ${what}: this subset and ${title}`,
    height: { step: 12 },
    data: { values },
    mark: 'bar',
    encoding: {
      y: { field: 'value', type: 'nominal', sort: null, title: null },
      yOffset: { field: 'subset', sort: [here, title] },
      x: { field: 'share', type: 'quantitative', title: 'share of the images with a value', axis: { format: '%' } },
      color: { field: 'subset', type: 'nominal', title: null, sort: [here, title] },
    },
  });
  return { id: 'comparison', title: `Comparison with ${title}`, svg: made };
}
