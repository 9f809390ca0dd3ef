// Review: my queue and the blind review form, consensus with the reviews side by side, histology
// entry. Every write carries the version the page read: a change made meanwhile comes back as
// CONFLICT and is shown, never swallowed.
import { type FormEvent, type ReactNode, useState } from 'react';
import {
  ATTACH_HISTOLOGY,
  CLASSES,
  CONSENSUS_QUEUE,
  displayNames,
  gql,
  gqlEither,
  HISTOLOGY_QUEUE,
  imageDetail,
  QUEUE_PAGE,
  RECORD_CONSENSUS,
  REVIEW_QUEUE,
  SUBMIT_REVIEW,
} from './api.ts';
import { Link, Loading, Problem, useLoad, when } from './ui.tsx';
import { humanize, STRUCTURES } from './vocab.ts';

interface QueueNode {
  id: string;
  version: number;
  sha256: string;
  thumbnail: string;
  diagnostic: { verificationStage: string };
}
type QueueData = Record<
  string,
  { totalCount?: number; edges: { node: QueueNode }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } }
>;

const QUEUES = {
  review: {
    doc: REVIEW_QUEUE,
    field: 'reviewQueue',
    title: 'My review queue',
    empty: 'Nothing waits for your review.',
  },
  consensus: {
    doc: CONSENSUS_QUEUE,
    field: 'consensusQueue',
    title: 'Consensus queue',
    empty: 'No image waits for a consensus.',
  },
  histology: {
    doc: HISTOLOGY_QUEUE,
    field: 'pendingHistology',
    title: 'Pending histology',
    empty: 'No malignant image waits for histology.',
  },
} as const;

export function Queue({ kind }: { kind: keyof typeof QUEUES }) {
  const q = QUEUES[kind];
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const after = cursors[cursors.length - 1] ?? null;
  const state = useLoad(`${kind}:${after}`, () =>
    gqlEither<QueueData>(q.doc.newer, q.doc.older, { first: QUEUE_PAGE, after }),
  );
  return (
    <section aria-labelledby="queue-title">
      <h1 id="queue-title">{q.title}</h1>
      <Loading state={state}>
        {(data) => {
          const conn = data[q.field];
          if (!conn) return null;
          return (
            <>
              {conn.totalCount != null && conn.totalCount > 0 && (
                <p data-testid="queue-total">{conn.totalCount} waiting.</p>
              )}
              {conn.edges.length === 0 && <p>{q.empty}</p>}
              <ul className="cards" aria-label={q.title}>
                {conn.edges.map(({ node }) => (
                  <li key={node.id} className="card">
                    <Link to={`/${kind}/${encodeURIComponent(node.id)}`}>
                      <img
                        src={node.thumbnail}
                        alt={`Dermoscopy ${node.sha256.slice(0, 10)}`}
                        width={160}
                        loading="lazy"
                      />
                      <span className="card-title">Image {node.sha256.slice(0, 10)}</span>
                      <span className="card-meta">{humanize(node.diagnostic.verificationStage)}</span>
                    </Link>
                  </li>
                ))}
              </ul>
              <nav aria-label="Pages" className="pager">
                <button type="button" disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>
                  Previous page
                </button>
                <button
                  type="button"
                  disabled={!conn.pageInfo.hasNextPage}
                  onClick={() => setCursors([...cursors, conn.pageInfo.endCursor])}
                >
                  Next page
                </button>
              </nav>
            </>
          );
        }}
      </Loading>
    </section>
  );
}

interface ClassInfo {
  code: string;
  name: string;
}
interface ReviewImage {
  id: string;
  sha256: string;
  version: number;
  thumbnail: string;
  original: string;
  diagnostic: { verificationStage: string; clinicalDiagnosis: string; diagnosisClass: ClassInfo | null };
  initialAnnotation: { clinicalDiagnosis: string; diagnosisClass: ClassInfo | null; structures: string[] } | null;
  reviews: { createdAt: string; reviewerId: string | null; diagnosisClass: ClassInfo; structures: string[] }[];
  consensus: { outcome: string; diagnosisClass: ClassInfo | null } | null;
  histopathology: { result: string } | null;
}

function useImage(id: string) {
  return useLoad(`image:${id}`, () =>
    Promise.all([imageDetail<{ node: ReviewImage | null }>(id), gql<{ diagnosisClasses: ClassInfo[] }>(CLASSES)]).then(
      ([a, b]) => ({ image: a.node, classes: b.diagnosisClasses }),
    ),
  );
}

function ClassSelect({
  classes,
  value,
  onChange,
  id,
}: {
  classes: ClassInfo[];
  value: string;
  onChange: (v: string) => void;
  id: string;
}) {
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.target.value)} required>
      <option value="">Choose a class…</option>
      {classes.map((c) => (
        <option key={c.code} value={c.code}>
          {c.name}
        </option>
      ))}
    </select>
  );
}

function StructureChoice({ value, onChange }: { value: string[]; onChange: (v: string[]) => void }) {
  const names = useLoad('vocabulary:DermoscopicStructure', () => displayNames('DermoscopicStructure'));
  return (
    <fieldset className="structures">
      <legend>Dermoscopic structures</legend>
      {STRUCTURES.map((s) => (
        <label key={s}>
          <input
            type="checkbox"
            name="structure"
            value={s}
            checked={value.includes(s)}
            onChange={(e) => onChange(e.target.checked ? [...value, s] : value.filter((x) => x !== s))}
          />{' '}
          {names.data?.get(s) ?? humanize(s)}
        </label>
      ))}
    </fieldset>
  );
}

function ImageHeader({ image }: { image: ReviewImage }) {
  return (
    <figure className="review-figure">
      <a href={image.original}>
        <img src={image.thumbnail} alt={`Dermoscopy ${image.sha256.slice(0, 12)} under review`} width={320} />
      </a>
      <figcaption>
        Image {image.sha256.slice(0, 12)} · stage {humanize(image.diagnostic.verificationStage)} · version{' '}
        <span data-testid="version">{image.version}</span> ·{' '}
        <Link to={`/images/${encodeURIComponent(image.id)}`}>details</Link>
      </figcaption>
    </figure>
  );
}

/** A write with the version read: done, refused (shown), or in flight. */
function useWrite() {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const run = async (write: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await write();
      setDone(true);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, done, run };
}

/** What an image's write page gives its form: the image read, the classes, the write and its submit. */
interface ImageWriteContext {
  image: ReviewImage;
  classes: ClassInfo[];
  write: ReturnType<typeof useWrite>;
  reload: () => void;
  /** Sends `doc` with the image and the version read, then `variables`; reloads the image after. */
  submitWith: (doc: string, variables: Record<string, unknown>) => (e: FormEvent) => void;
}

/** A page that reads one image and writes to it: its heading, loading, a missing image, the submit. */
function ImageWritePage({
  id,
  slug,
  title,
  children,
}: {
  id: string;
  slug: string;
  title: string;
  children: (context: ImageWriteContext) => ReactNode;
}) {
  const state = useImage(id);
  const write = useWrite();
  return (
    <section aria-labelledby={`${slug}-title`}>
      <h1 id={`${slug}-title`}>{title}</h1>
      <Loading state={state}>
        {({ image, classes }) => {
          if (!image) return <p role="alert">No image has the id {id}.</p>;
          const submitWith = (doc: string, variables: Record<string, unknown>) => (e: FormEvent) => {
            e.preventDefault();
            void write.run(async () => {
              await gql(doc, { image: image.id, expectedVersion: image.version, ...variables });
              state.reload();
            });
          };
          return children({ image, classes, write, reload: state.reload, submitWith });
        }}
      </Loading>
    </section>
  );
}

export function ReviewForm({ id }: { id: string }) {
  const [cls, setCls] = useState('');
  const [structures, setStructures] = useState<string[]>([]);
  return (
    <ImageWritePage id={id} slug="review" title="Blind review">
      {({ image, classes, write, reload, submitWith }) => {
        const submit = submitWith(SUBMIT_REVIEW, { diagnosisClass: cls, structures });
        return (
          <div className="review-layout">
            <ImageHeader image={image} />
            <div>
              <section aria-labelledby="others-title" className="others">
                <h2 id="others-title">Reviews visible to you</h2>
                {image.reviews.length === 0 ? (
                  <p data-testid="no-reviews">None. Review blind: the others' reviews show once yours is in.</p>
                ) : (
                  <ul data-testid="visible-reviews">
                    {image.reviews.map((r) => (
                      <li key={`${r.reviewerId}-${r.createdAt}`}>
                        {r.reviewerId ?? 'a reviewer'}: {r.diagnosisClass.name} (
                        {r.structures.map(humanize).join(', ') || 'no structures'})
                      </li>
                    ))}
                  </ul>
                )}
              </section>
              {write.done ? (
                <p role="status">
                  Your review is in. <Link to="/review">Back to the queue</Link>
                </p>
              ) : (
                <form onSubmit={submit} aria-label="Your review">
                  <label htmlFor="review-class">Diagnosis class</label>
                  <ClassSelect id="review-class" classes={classes} value={cls} onChange={setCls} />
                  <StructureChoice value={structures} onChange={setStructures} />
                  <Problem error={write.error} />
                  {write.error != null && (
                    <button type="button" onClick={reload}>
                      Reload the image
                    </button>
                  )}
                  <button type="submit" disabled={write.busy || !cls}>
                    Submit review
                  </button>
                </form>
              )}
            </div>
          </div>
        );
      }}
    </ImageWritePage>
  );
}

/** One row of the side-by-side table: the initial annotation's cell, then each review's. */
function CompareRow({
  initial,
  reviews,
  cell,
}: {
  initial: ReactNode;
  reviews: ReviewImage['reviews'];
  cell: (review: ReviewImage['reviews'][number]) => ReactNode;
}) {
  return (
    <tr>
      <td>{initial}</td>
      {reviews.map((r) => (
        <td key={`${r.reviewerId}-${r.createdAt}`}>{cell(r)}</td>
      ))}
    </tr>
  );
}

export function ConsensusForm({ id }: { id: string }) {
  const [cls, setCls] = useState('');
  const [structures, setStructures] = useState<string[]>([]);
  const [note, setNote] = useState('');
  return (
    <ImageWritePage id={id} slug="consensus" title="Consensus">
      {({ image, classes, write, submitWith }) => {
        const submit = submitWith(RECORD_CONSENSUS, { diagnosisClass: cls, structures, note: note || null });
        return (
          <>
            <ImageHeader image={image} />
            <table className="side-by-side" aria-label="The reviews side by side">
              <thead>
                <tr>
                  <th scope="col">Initial annotation</th>
                  {image.reviews.map((r, n) => (
                    <th scope="col" key={`${r.reviewerId}-${r.createdAt}`}>
                      Review {n + 1} {r.reviewerId ? `(${r.reviewerId})` : ''}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                <CompareRow
                  initial={
                    image.initialAnnotation?.diagnosisClass?.name ?? image.initialAnnotation?.clinicalDiagnosis ?? '—'
                  }
                  reviews={image.reviews}
                  cell={(r) => r.diagnosisClass.name}
                />
                <CompareRow
                  initial={image.initialAnnotation?.structures.map(humanize).join(', ') || '—'}
                  reviews={image.reviews}
                  cell={(r) => r.structures.map(humanize).join(', ') || '—'}
                />
                <CompareRow initial={when(null)} reviews={image.reviews} cell={(r) => when(r.createdAt)} />
              </tbody>
            </table>
            {image.consensus || write.done ? (
              <p role="status">
                Consensus recorded: {image.consensus?.diagnosisClass?.name ?? ''} ({humanize(image.consensus?.outcome)}
                ). <Link to="/consensus">Back to the queue</Link>
              </p>
            ) : (
              <form onSubmit={submit} aria-label="The consensus">
                <label htmlFor="consensus-class">Agreed diagnosis class</label>
                <ClassSelect id="consensus-class" classes={classes} value={cls} onChange={setCls} />
                <StructureChoice value={structures} onChange={setStructures} />
                <label htmlFor="consensus-note">Note</label>
                <textarea id="consensus-note" value={note} onChange={(e) => setNote(e.target.value)} maxLength={2000} />
                <Problem error={write.error} />
                <button type="submit" disabled={write.busy || !cls}>
                  Record consensus
                </button>
              </form>
            )}
          </>
        );
      }}
    </ImageWritePage>
  );
}

export function HistologyForm({ id }: { id: string }) {
  const [cls, setCls] = useState('');
  const [result, setResult] = useState('');
  const [reason, setReason] = useState('');
  return (
    <ImageWritePage id={id} slug="histology" title="Histology">
      {({ image, classes, write, submitWith }) => {
        const submit = submitWith(ATTACH_HISTOLOGY, { diagnosisClass: cls, result, reason: reason || null });
        return (
          <>
            <ImageHeader image={image} />
            <p>
              Consensus: {image.consensus?.diagnosisClass?.name ?? '—'} ({humanize(image.consensus?.outcome)})
            </p>
            {image.histopathology || write.done ? (
              <p role="status">
                Histology recorded: {image.histopathology?.result}.{' '}
                <Link to={`/images/${encodeURIComponent(image.id)}`}>See the image</Link>
              </p>
            ) : (
              <form onSubmit={submit} aria-label="The histopathology report">
                <label htmlFor="histology-class">Histological diagnosis class</label>
                <ClassSelect id="histology-class" classes={classes} value={cls} onChange={setCls} />
                <label htmlFor="histology-result">Report</label>
                <textarea
                  id="histology-result"
                  required
                  value={result}
                  onChange={(e) => setResult(e.target.value)}
                  maxLength={2000}
                />
                <label htmlFor="histology-reason">Reason, when it differs from the consensus</label>
                <input
                  id="histology-reason"
                  value={reason}
                  onChange={(e) => setReason(e.target.value)}
                  maxLength={500}
                />
                <Problem error={write.error} />
                <button type="submit" disabled={write.busy || !cls || !result}>
                  Record histology
                </button>
              </form>
            )}
          </>
        );
      }}
    </ImageWritePage>
  );
}
