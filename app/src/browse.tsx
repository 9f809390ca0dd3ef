// Browse: the gallery with facets wired to filters, the image detail (six blocks and the trail),
// the datasheet and the statistics.
import { useState } from 'react';
import {
  CLASSES,
  DATASHEET,
  GALLERY,
  GALLERY_PAGE,
  gql,
  gqlEither,
  imageDetail,
  isSchemaMismatch,
  STATS,
  SUMMARY,
} from './api.ts';
import { DataTable, Link, Loading, navigate, pct, useLoad, useLocation, when } from './ui.tsx';
import { humanize } from './vocab.ts';

type Filter = Record<string, unknown>;
interface FacetValue {
  /** Newer servers: the typed value (enum name, Boolean, Int); older ones: a string. */
  value: unknown;
  count: number;
  filter?: Filter | null;
  displayName?: string | null;
}
interface FieldFacet {
  field: string;
  /** Newer servers: the field's label ("Fitzpatrick type"). */
  displayName?: string | null;
  present: number;
  missing: number;
  values: FacetValue[];
}
interface Card {
  id: string;
  sha256: string;
  thumbnail: string;
  width: number;
  height: number;
  diagnostic: {
    verificationStage: string;
    clinicalStatus: string;
    diagnosisClass: { code: string; name: string } | null;
  };
  patient: { code: string };
}
interface GalleryData {
  images: {
    totalCount?: number;
    edges: { node: Card }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
  facets: { total: number; fields: FieldFacet[] };
}

const camel = (s: string) => s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

/** The filter a facet value stands for: the server's own (newer servers), else its key and value as ImageFilter spells them. */
function filterOf(field: string, v: FacetValue): Filter {
  if (v.filter) return v.filter;
  const text = String(v.value);
  if (text === 'true' || text === 'false') return { [camel(field)]: text === 'true' };
  return { [camel(field)]: [text.toUpperCase().replace(/[^A-Z0-9]+/g, '_')] };
}

/** The server's label of the field; on an older server without one, anatomicalSite or anatomical_site → Anatomical site. */
const fieldName = (f: FieldFacet) => f.displayName ?? humanize(f.field.replace(/([a-z])([A-Z])/g, '$1_$2'));

/** A chosen facet value: its field and the filter it stands for. */
interface Chosen {
  field: string;
  filter: Filter;
}

function readSelected(search: URLSearchParams): Chosen[] {
  try {
    const parsed: unknown = JSON.parse(search.get('f') ?? '[]');
    return Array.isArray(parsed) ? (parsed as Chosen[]).filter((c) => typeof c?.field === 'string') : [];
  } catch {
    return [];
  }
}

/** Values of one field widen (OR), fields narrow (AND). */
function combine(chosen: Chosen[]): Filter | null {
  const byField = new Map<string, Filter[]>();
  for (const c of chosen) byField.set(c.field, [...(byField.get(c.field) ?? []), c.filter]);
  const parts = [...byField.values()].map((fs) => (fs.length === 1 ? (fs[0] as Filter) : { OR: fs }));
  return parts.length === 0 ? null : parts.length === 1 ? (parts[0] as Filter) : { AND: parts };
}

/** The gallery's orders (ImageOrder; a server without orderBy shows id order whatever is chosen). */
const ORDERS = [
  { id: 'stored', label: 'Oldest first', orderBy: { field: 'ID', direction: 'ASC' } },
  { id: 'newest', label: 'Newest first', orderBy: { field: 'ID', direction: 'DESC' } },
  { id: 'acquired', label: 'Acquisition date', orderBy: { field: 'ACQUIRED_AT', direction: 'ASC' } },
  { id: 'age', label: 'Age at exam', orderBy: { field: 'AGE_AT_EXAM', direction: 'ASC' } },
  { id: 'quality', label: 'Image quality, best first', orderBy: { field: 'IMAGE_QUALITY_SCORE', direction: 'DESC' } },
] as const;

export function Gallery() {
  const { search } = useLocation();
  const selected = readSelected(search);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const after = cursors[cursors.length - 1] ?? null;
  const filter = combine(selected);
  const order = ORDERS.find((o) => o.id === search.get('order')) ?? (ORDERS[0] as (typeof ORDERS)[number]);
  const key = JSON.stringify([filter, after, order.id]);
  const state = useLoad(key, () => {
    const variables = { filter, first: GALLERY_PAGE, after, orderBy: order.orderBy };
    // the newest document first, then those of older servers (without field names, without orders)
    return gql<GalleryData>(GALLERY.newer, variables).catch((e: unknown) => {
      if (!isSchemaMismatch(e)) throw e;
      return gqlEither<GalleryData>(GALLERY.middle, GALLERY.older, variables);
    });
  });
  const withParams = (f: Chosen[], o: string) => {
    const params = new URLSearchParams();
    if (f.length) params.set('f', JSON.stringify(f));
    if (o !== ORDERS[0]?.id) params.set('order', o);
    const q = params.toString();
    return q ? `/?${q}` : '/';
  };
  const toggle = (c: Chosen) => {
    const k = JSON.stringify(c);
    const next = selected.some((s) => JSON.stringify(s) === k)
      ? selected.filter((s) => JSON.stringify(s) !== k)
      : [...selected, c];
    setCursors([null]);
    navigate(withParams(next, order.id));
  };
  return (
    <section aria-labelledby="gallery-title">
      <h1 id="gallery-title">Gallery</h1>
      <Loading state={state}>
        {(data) => (
          <div className="gallery-layout">
            <aside aria-label="Facets" className="facets">
              <p>
                {data.facets.total} images match{selected.length ? ` ${selected.length} chosen values` : ''}.
                {selected.length > 0 && (
                  <button type="button" className="link" onClick={() => navigate(withParams([], order.id))}>
                    Clear
                  </button>
                )}
              </p>
              {data.facets.fields
                .filter((f) => f.values.length > 0 && f.values.length <= 40)
                .map((f) => (
                  <details key={f.field} open={f.values.length <= 8}>
                    <summary>{fieldName(f)}</summary>
                    <ul>
                      {f.values.map((v) => {
                        const chosen = { field: f.field, filter: filterOf(f.field, v) };
                        const on = selected.some((s) => JSON.stringify(s) === JSON.stringify(chosen));
                        return (
                          <li key={JSON.stringify(v.value)}>
                            <label>
                              <input type="checkbox" checked={on} onChange={() => toggle(chosen)} />{' '}
                              {v.displayName ?? humanize(String(v.value))} <span className="count">{v.count}</span>
                            </label>
                          </li>
                        );
                      })}
                    </ul>
                  </details>
                ))}
            </aside>
            <div>
              <p className="inline-form">
                <label htmlFor="gallery-order">Order</label>
                <select
                  id="gallery-order"
                  value={order.id}
                  onChange={(e) => {
                    setCursors([null]);
                    navigate(withParams(selected, e.target.value));
                  }}
                >
                  {ORDERS.map((o) => (
                    <option key={o.id} value={o.id}>
                      {o.label}
                    </option>
                  ))}
                </select>
              </p>
              <ul className="cards" aria-label="Images">
                {data.images.edges.map(({ node }) => (
                  <li key={node.id} className="card">
                    <Link to={`/images/${encodeURIComponent(node.id)}`}>
                      <img
                        src={node.thumbnail}
                        alt={`Dermoscopy ${node.sha256.slice(0, 10)}`}
                        width={160}
                        height={Math.round((160 * node.height) / node.width) || 120}
                        loading="lazy"
                      />
                      <span className="card-title">{node.diagnostic.diagnosisClass?.name ?? 'Unclassified'}</span>
                      <span className="card-meta">
                        {humanize(node.diagnostic.verificationStage)} · {node.patient.code}
                      </span>
                    </Link>
                  </li>
                ))}
              </ul>
              {data.images.edges.length === 0 && <p>No image matches.</p>}
              <nav aria-label="Pages" className="pager">
                <button type="button" disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>
                  Previous page
                </button>
                <span>
                  Page {cursors.length}
                  {data.images.totalCount != null &&
                    ` of ${Math.max(1, Math.ceil(data.images.totalCount / GALLERY_PAGE))}`}
                </span>
                <button
                  type="button"
                  disabled={!data.images.pageInfo.hasNextPage}
                  onClick={() => setCursors([...cursors, data.images.pageInfo.endCursor])}
                >
                  Next page
                </button>
              </nav>
            </div>
          </div>
        )}
      </Loading>
    </section>
  );
}

interface ClassRef {
  code: string;
  name: string;
}
interface Detail {
  id: string;
  sha256: string;
  version: number;
  width: number;
  height: number;
  format: string;
  acquiredAt: string | null;
  original: string;
  thumbnail: string;
  collection: { slug: string; name: string };
  patient: { code: string };
  lesion: { code: string };
  label: { label: string | null; decision: string; reason: string | null; policyId: string };
  demographic: { ageAtExam: number | null; sex: string | null; fitzpatrickType: string | null };
  anamnestic: { sunburnHistory: boolean | null; personalCaHistory: boolean | null };
  morphological: {
    anatomicalSite: string | null;
    lesionDiameterMm: number | null;
    dominantColors: string[];
    elevation: string | null;
    borderRegularity: string | null;
  };
  dermoscopic: { dermoscopicStructures: string[] };
  diagnostic: {
    clinicalDiagnosis: string;
    clinicalStatus: string;
    verificationStage: string;
    histopathologyResult: string | null;
    diagnosisClass: ClassRef | null;
    term: { path: string };
  };
  service: { examinerId: string | null; imageQualityScore: number | null; qualityAdvice: { verdicts: string[] } };
  initialAnnotation: {
    createdAt: string;
    examinerId: string | null;
    clinicalDiagnosis: string;
    diagnosisClass: ClassRef | null;
  } | null;
  reviews: { createdAt: string; reviewerId: string | null; diagnosisClass: ClassRef }[];
  consensus: { decidedAt: string; decidedBy: string | null; outcome: string; diagnosisClass: ClassRef | null } | null;
  histopathology: {
    reportedAt: string;
    reportedBy: string | null;
    result: string;
    diagnosisClass: ClassRef | null;
  } | null;
  labelChanges: {
    at: string;
    actor: string | null;
    reason: string;
    from: { code: string } | null;
    to: { code: string } | null;
  }[];
}

function Block({ title, rows }: { title: string; rows: [string, unknown][] }) {
  return (
    <section className="block" aria-label={title}>
      <h2>{title}</h2>
      <dl>
        {rows.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{format(v)}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function format(v: unknown): string {
  if (v == null || v === '') return '—';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) return v.length ? v.map((x) => humanize(String(x))).join(', ') : '—';
  if (typeof v === 'object')
    return String((v as { name?: string; code?: string }).name ?? (v as { code?: string }).code);
  if (typeof v === 'string' && /^[A-Z][A-Z_]+$/.test(v) && !/^[IVX]+$/.test(v)) return humanize(v);
  return String(v);
}

export function ImageDetail({ id }: { id: string }) {
  const state = useLoad(id, () => imageDetail<{ node: Detail | null }>(id));
  return (
    <Loading state={state}>
      {({ node }) => {
        if (!node) return <p role="alert">No image has the id {id}.</p>;
        const i = node;
        const d = i.diagnostic;
        return (
          <article aria-labelledby="image-title" className="detail">
            <h1 id="image-title">Image {node.sha256.slice(0, 12)}</h1>
            <p className="stage">
              Verification stage: <strong data-testid="stage">{d.verificationStage}</strong> · version {node.version}
            </p>
            <div className="detail-layout">
              <figure>
                <a href={node.original}>
                  <img src={node.thumbnail} alt={`Dermoscopy ${node.sha256.slice(0, 12)}`} width={320} />
                </a>
                <figcaption>
                  {i.width}×{i.height} {i.format} · patient {i.patient.code} · lesion {i.lesion.code} · collection{' '}
                  {i.collection.name}
                </figcaption>
              </figure>
              <div className="blocks">
                <Block
                  title="Demographic"
                  rows={[
                    ['Age at exam', i.demographic.ageAtExam],
                    ['Sex', i.demographic.sex],
                    ['Fitzpatrick type', i.demographic.fitzpatrickType],
                  ]}
                />
                <Block
                  title="Anamnestic"
                  rows={[
                    ['Sunburn history', i.anamnestic.sunburnHistory],
                    ['Personal cancer history', i.anamnestic.personalCaHistory],
                  ]}
                />
                <Block
                  title="Morphological"
                  rows={[
                    ['Anatomical site', i.morphological.anatomicalSite],
                    ['Diameter (mm)', i.morphological.lesionDiameterMm],
                    ['Dominant colours', i.morphological.dominantColors],
                    ['Elevation', i.morphological.elevation],
                    ['Border', i.morphological.borderRegularity],
                  ]}
                />
                <Block title="Dermoscopic" rows={[['Structures', i.dermoscopic.dermoscopicStructures]]} />
                <Block
                  title="Diagnostic"
                  rows={[
                    ['Clinical diagnosis', d.clinicalDiagnosis],
                    ['Class', d.diagnosisClass],
                    ['Term', d.term.path],
                    ['Clinical status', d.clinicalStatus],
                    ['Verification stage', d.verificationStage],
                    ['Histopathology', d.histopathologyResult],
                    ['Label (active policy)', i.label.label ?? i.label.decision],
                  ]}
                />
                <Block
                  title="Service"
                  rows={[
                    ['Examiner', i.service.examinerId],
                    ['Image quality score', i.service.imageQualityScore],
                    ['Quality advice', i.service.qualityAdvice.verdicts],
                    ['Acquired', when(i.acquiredAt)],
                  ]}
                />
              </div>
            </div>
            <Trail image={i} />
          </article>
        );
      }}
    </Loading>
  );
}

function Trail({ image }: { image: Detail }) {
  const rows: [string, string, string, string][] = [];
  const ia = image.initialAnnotation;
  if (ia)
    rows.push([
      when(ia.createdAt),
      'Initial annotation',
      format(ia.examinerId),
      format(ia.diagnosisClass ?? ia.clinicalDiagnosis),
    ]);
  for (const r of image.reviews)
    rows.push([when(r.createdAt), 'Review', format(r.reviewerId), format(r.diagnosisClass)]);
  const c = image.consensus;
  if (c)
    rows.push([when(c.decidedAt), `Consensus (${format(c.outcome)})`, format(c.decidedBy), format(c.diagnosisClass)]);
  const h = image.histopathology;
  if (h) rows.push([when(h.reportedAt), 'Histology', format(h.reportedBy), `${format(h.diagnosisClass)}: ${h.result}`]);
  for (const l of image.labelChanges)
    rows.push([
      when(l.at),
      'Label change',
      format(l.actor),
      `${format(l.from?.code)} → ${format(l.to?.code)} (${l.reason})`,
    ]);
  rows.sort((a, b) => a[0].localeCompare(b[0]));
  return (
    <section aria-labelledby="trail-title">
      <h2 id="trail-title">Trail</h2>
      <DataTable
        rows={rows}
        // the trail is read once, in order
        rowKey={(_, n) => n}
        columns={[
          { header: 'When (UTC)', cell: (r) => r[0] },
          { header: 'Step', cell: (r) => r[1] },
          { header: 'By', cell: (r) => r[2] },
          { header: 'Diagnosis', cell: (r) => r[3] },
        ]}
      />
    </section>
  );
}

export function DatasheetPage() {
  const state = useLoad('datasheet', () =>
    gql<{
      datasheet: {
        sections: {
          id: string;
          title: string;
          entries: { key: string; question: string; answer: string; fromData: boolean }[];
        }[];
      };
    }>(DATASHEET),
  );
  return (
    <section aria-labelledby="ds-title">
      <h1 id="ds-title">Datasheet</h1>
      <p>
        The datasheet of the whole dataset under the active policy. With its figures:{' '}
        <a href="/datasheet.html">the HTML page</a> (opens on its own: the server forbids framing) or{' '}
        <a href="/datasheet.md">Markdown</a>. Answers marked <em>from the data</em> are computed, the others written by
        staff.
      </p>
      <Loading state={state}>
        {(d) =>
          d.datasheet.sections.map((section) => (
            <section key={section.id} aria-labelledby={`ds-${section.id}`} className="ds-section">
              <h2 id={`ds-${section.id}`}>{section.title}</h2>
              <dl className="ds-entries">
                {section.entries.map((e) => (
                  <div key={e.key}>
                    <dt>{e.question}</dt>
                    <dd>
                      {e.answer}
                      {e.fromData && <span className="code"> (from the data)</span>}
                    </dd>
                  </div>
                ))}
              </dl>
            </section>
          ))
        }
      </Loading>
    </section>
  );
}

interface StatsData {
  stats: {
    images: number;
    patients: number;
    excluded: number;
    unmapped: number;
    policyId: string;
    policyVersion: string;
    labels: { label: string; count: number; share: number }[];
    statuses: { status: string; count: number; share: number }[];
    malignant: { count: number; histologyVerified: number; histologyShare: number };
    age: { n: number; min: number | null; median: number | null; mean: number | null; max: number | null };
  };
}

export function StatsTable({ stats, caption }: { stats: StatsData['stats']; caption: string }) {
  return (
    <DataTable
      className="stats"
      label={caption}
      caption={caption}
      rows={stats.labels}
      rowKey={(l) => l.label}
      rowProps={(l) => ({ 'data-label': l.label })}
      columns={[
        { header: 'Label', cell: (l) => l.label, rowHeader: true },
        { header: 'Images', cell: (l) => l.count },
        { header: 'Share', cell: (l) => pct(l.share) },
      ]}
      footer={(
        [
          ['Images', stats.images],
          ['Excluded by the policy', stats.excluded],
          ['Unmapped', stats.unmapped],
        ] as const
      ).map(([k, v]) => (
        <tr key={k}>
          <th scope="row">{k}</th>
          <td>{v}</td>
          <td />
        </tr>
      ))}
    />
  );
}

export function StatsPage() {
  const summary = useLoad('summary', () =>
    gql<{
      datasetSummary: {
        images: number;
        patients: number;
        diagnosticCategories: number;
        singleImagePatients: number;
        nearDuplicatePairs: number;
        outsideNine: number;
        classes: { diagnosisClass: string; status: string; count: number; share: number }[];
        stages: { stage: string; count: number }[];
        intake: Record<string, number>;
      };
      stats: { agreement: { fleiss: { kappa: number | null; n: number } } };
    }>(SUMMARY),
  );
  const stats = useLoad('stats', () => gql<StatsData>(STATS, {}));
  const classes = useLoad('classes', () => gql<{ diagnosisClasses: { code: string; name: string }[] }>(CLASSES));
  const nameOf = (code: string) => classes.data?.diagnosisClasses.find((c) => c.code === code)?.name ?? humanize(code);
  return (
    <section aria-labelledby="stats-title">
      <h1 id="stats-title">Statistics</h1>
      <Loading state={summary}>
        {({ datasetSummary: s, stats: st }) => (
          <>
            <dl className="figures">
              {(
                [
                  ['Images', s.images],
                  ['Patients', s.patients],
                  ['Diagnostic categories', s.diagnosticCategories],
                  ['Single-image patients', s.singleImagePatients],
                  ['Near-duplicate pairs', s.nearDuplicatePairs],
                  ['Outside the nine classes', s.outsideNine],
                  ['Intake attempts', s.intake.attempts],
                  ['Fleiss κ (reviewers)', st.agreement.fleiss.kappa?.toFixed(3) ?? '—'],
                ] as const
              ).map(([k, v]) => (
                <div key={k}>
                  <dt>{k}</dt>
                  <dd>{v}</dd>
                </div>
              ))}
            </dl>
            <div className="tables">
              <DataTable
                caption="Diagnosis classes (Table 4)"
                rows={s.classes}
                rowKey={(c) => c.diagnosisClass}
                columns={[
                  { header: 'Class', cell: (c) => nameOf(c.diagnosisClass), rowHeader: true },
                  { header: 'Status', cell: (c) => humanize(c.status) },
                  { header: 'Images', cell: (c) => c.count },
                  { header: 'Share', cell: (c) => pct(c.share) },
                ]}
              />
              <DataTable
                caption="Verification stages"
                rows={s.stages}
                rowKey={(c) => c.stage}
                columns={[
                  { header: 'Stage', cell: (c) => humanize(c.stage), rowHeader: true },
                  { header: 'Images', cell: (c) => c.count },
                ]}
              />
              <Loading state={stats}>
                {({ stats: x }) => <StatsTable stats={x} caption={`Labels under ${x.policyId} ${x.policyVersion}`} />}
              </Loading>
            </div>
          </>
        )}
      </Loading>
    </section>
  );
}
