// Admin: the policy switch with its preview, exports, splits, tokens, releases and collections.
import { type FormEvent, useEffect, useState } from 'react';
import {
  CREATE_RELEASE,
  CREATE_SPLIT,
  CREATE_TOKEN,
  EXPORTS,
  gql,
  gqlEither,
  isSchemaMismatch,
  POLICIES,
  RELEASES,
  REVOKE_TOKEN,
  SET_POLICY,
  SPLITS,
  START_EXPORT,
  STATS,
  TOKEN_LABEL_MAX,
  TOKENS,
} from './api.ts';
import { StatsTable } from './browse.tsx';
import { DataTable, Loading, Problem, useLoad, when } from './ui.tsx';

interface Policy {
  id: string;
  version: string;
  description: string;
  labels: string[];
  minVerificationStage: string | null;
}
type Stats = Parameters<typeof StatsTable>[0]['stats'];

/** Per label, its count now → with the other policy, for the labels whose counts differ (then excluded and unmapped). */
export function labelChanges(now: Stats, other: Stats): string[] {
  const before = new Map(now.labels.map((l) => [l.label, l.count]));
  const after = new Map(other.labels.map((l) => [l.label, l.count]));
  const changes: string[] = [];
  for (const label of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(label);
    const b = after.get(label);
    if (a !== b) changes.push(`${label}: ${a ?? '—'} → ${b ?? '—'}`);
  }
  if (now.excluded !== other.excluded) changes.push(`excluded: ${now.excluded} → ${other.excluded}`);
  if (now.unmapped !== other.unmapped) changes.push(`unmapped: ${now.unmapped} → ${other.unmapped}`);
  return changes.length ? changes : ['no count changes'];
}

export function PolicyPage() {
  const policies = useLoad('policies', () =>
    gql<{
      activePolicy: { id: string; version: string };
      policies: Policy[];
      policyHistory: { at: string; actor: string | null; from: string; to: string }[];
    }>(POLICIES),
  );
  const [candidate, setCandidate] = useState('');
  const active = policies.data?.activePolicy.id ?? '';
  const preview = useLoad(`preview:${active}:${candidate}`, async () => {
    if (!active) return null;
    const [now, other] = await Promise.all([
      gql<{ stats: Stats }>(STATS, { policy: active }),
      candidate && candidate !== active ? gql<{ stats: Stats }>(STATS, { policy: candidate }) : Promise.resolve(null),
    ]);
    return { now: now.stats, other: other?.stats ?? null };
  });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await gql(SET_POLICY, { id: candidate });
      setCandidate('');
      policies.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="policy-title">
      <h1 id="policy-title">Class-mapping policy</h1>
      <Loading state={policies}>
        {(p) => (
          <>
            <p>
              Active: <strong data-testid="active-policy">{p.activePolicy.id}</strong> (version {p.activePolicy.version}
              ).
            </p>
            <fieldset>
              <legend>Preview another policy</legend>
              {p.policies.map((x) => (
                <label key={x.id} className="policy-option">
                  <input
                    type="radio"
                    name="policy"
                    value={x.id}
                    checked={(candidate || p.activePolicy.id) === x.id}
                    onChange={() => setCandidate(x.id)}
                  />{' '}
                  <strong>{x.id}</strong> {x.version}: {x.description}
                </label>
              ))}
            </fieldset>
            <Loading state={preview}>
              {(v) =>
                v && (
                  <div className="side-by-side-tables">
                    <StatsTable stats={v.now} caption={`Now: ${v.now.policyId}`} />
                    {v.other && <StatsTable stats={v.other} caption={`With ${v.other.policyId}`} />}
                  </div>
                )
              }
            </Loading>
            {preview.data?.other && (
              <section aria-labelledby="changes-title">
                <h2 id="changes-title">What changes with {preview.data.other.policyId}</h2>
                <ul data-testid="preview-changes">
                  {labelChanges(preview.data.now, preview.data.other).map((c) => (
                    <li key={c}>{c}</li>
                  ))}
                </ul>
              </section>
            )}
            <Problem error={error} />
            <button type="button" disabled={!candidate || candidate === p.activePolicy.id || busy} onClick={confirm}>
              Make {candidate || 'it'} the active policy
            </button>
            <h2>Recent changes</h2>
            <ul>
              {p.policyHistory.map((h) => (
                <li key={h.at}>
                  {when(h.at)}: {h.from} → {h.to} by {h.actor ?? 'someone'}
                </li>
              ))}
            </ul>
          </>
        )}
      </Loading>
    </section>
  );
}

interface ExportRow {
  id: string;
  format: string;
  status: string;
  createdAt: string;
  finishedAt: string | null;
  rowCount: number | null;
  byteSize: number | null;
  error: string | null;
  downloadUrl: string | null;
  /** Newer servers: rows written of rows to write. */
  progress?: { rowsDone: number; rowsTotal: number | null; fraction: number | null } | null;
}

export function ExportsPage() {
  const state = useLoad('exports', () =>
    gqlEither<{ exporters: { id: string; description: string }[]; exports: ExportRow[] }>(EXPORTS.newer, EXPORTS.older),
  );
  const running = state.data?.exports.some((e) => e.status === 'RUNNING') ?? false;
  // while an export runs, the list is read again every 2 s for its progress
  useEffect(() => {
    if (!running) return;
    const t = setInterval(state.reload, 2000);
    return () => clearInterval(t);
  }, [running, state.reload]);
  const [format, setFormat] = useState('');
  const [error, setError] = useState<unknown>(null);
  const start = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await gql(START_EXPORT, { format });
      state.reload();
    } catch (x) {
      setError(x);
    }
  };
  return (
    <section aria-labelledby="exports-title">
      <h1 id="exports-title">Exports</h1>
      <Loading state={state}>
        {(d) => (
          <>
            <form onSubmit={start} aria-label="Start an export" className="inline-form">
              <label htmlFor="export-format">Format</label>
              <select id="export-format" value={format} onChange={(e) => setFormat(e.target.value)} required>
                <option value="">Choose…</option>
                {d.exporters.map((x) => (
                  <option key={x.id} value={x.id}>
                    {x.id}: {x.description}
                  </option>
                ))}
              </select>
              <button type="submit" disabled={!format}>
                Start export
              </button>
            </form>
            <Problem error={error} />
            <DataTable
              caption="Exports, newest first (at most 100)"
              rows={d.exports}
              rowKey={(x) => x.id}
              columns={[
                { header: 'Started', cell: (x) => when(x.createdAt) },
                { header: 'Format', cell: (x) => x.format },
                {
                  header: 'Status',
                  cell: (x) => (
                    <>
                      {x.status}
                      {x.error ? `: ${x.error}` : ''}
                    </>
                  ),
                },
                {
                  header: 'Progress',
                  cell: (x) =>
                    x.progress?.rowsTotal ? (
                      <progress value={x.progress.rowsDone} max={x.progress.rowsTotal}>
                        {x.progress.rowsDone} of {x.progress.rowsTotal}
                      </progress>
                    ) : x.rowCount != null ? (
                      `${x.rowCount} rows`
                    ) : (
                      '—'
                    ),
                },
                {
                  header: 'Download',
                  cell: (x) =>
                    x.downloadUrl ? (
                      <a href={x.downloadUrl}>Download{x.byteSize ? ` (${Math.ceil(x.byteSize / 1024)} KiB)` : ''}</a>
                    ) : (
                      '—'
                    ),
                },
              ]}
            />
          </>
        )}
      </Loading>
    </section>
  );
}

interface SplitRow {
  id: string;
  name: string | null;
  createdAt: string;
  seed: number;
  imageCount: number;
  patientCount: number;
  policyId: string;
  parts: { name: string; images: number; patients: number }[];
  certificate: { clean: boolean };
}

/** canCreate: the role may create splits (every signed-in role: createSplit needs a token, any role). */
export function SplitsPage({ canCreate }: { canCreate: boolean }) {
  const state = useLoad('splits', () => gql<{ splits: SplitRow[] }>(SPLITS));
  const [name, setName] = useState('');
  const [seed, setSeed] = useState('1');
  const [fractions, setFractions] = useState({ train: '0.7', validation: '0.15', test: '0.15' });
  const [oversized, setOversized] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await gql(CREATE_SPLIT, {
        input: {
          name: name || null,
          seed: Number(seed),
          fractions: {
            train: Number(fractions.train),
            validation: Number(fractions.validation),
            test: Number(fractions.test),
          },
          allowOversizedUnits: oversized,
        },
      });
      state.reload();
    } catch (x) {
      setError(x);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="splits-title">
      <h1 id="splits-title">Splits</h1>
      {canCreate && (
        <form onSubmit={create} aria-label="Create a split" className="inline-form">
          <label htmlFor="split-name">Name</label>
          <input id="split-name" value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
          <label htmlFor="split-seed">Seed</label>
          <input id="split-seed" type="number" value={seed} onChange={(e) => setSeed(e.target.value)} />
          {(['train', 'validation', 'test'] as const).map((part) => (
            <span key={part} className="inline-form">
              <label htmlFor={`split-${part}`}>{part}</label>
              <input
                id={`split-${part}`}
                type="number"
                step="0.01"
                min="0"
                max="1"
                className="narrow"
                value={fractions[part]}
                onChange={(e) => setFractions({ ...fractions, [part]: e.target.value })}
              />
            </span>
          ))}
          <label>
            <input type="checkbox" checked={oversized} onChange={(e) => setOversized(e.target.checked)} /> accept an
            oversized unit
          </label>
          <button type="submit" disabled={busy}>
            Create a train/validation/test split
          </button>
        </form>
      )}
      <Problem error={error} />
      <Loading state={state}>
        {(d) => (
          <DataTable
            caption="Splits, newest first (at most 50)"
            rows={d.splits}
            rowKey={(s) => s.id}
            columns={[
              { header: 'Name', cell: (s) => s.name ?? s.id },
              { header: 'Created', cell: (s) => when(s.createdAt) },
              { header: 'Policy', cell: (s) => s.policyId },
              { header: 'Images', cell: (s) => s.imageCount },
              {
                header: 'Parts (images / patients)',
                cell: (s) => s.parts.map((p) => `${p.name} ${p.images}/${p.patients}`).join(', '),
              },
              { header: 'Leak-free', cell: (s) => (s.certificate.clean ? 'yes' : 'no') },
              {
                header: 'Manifest',
                cell: (s) => <a href={`/splits/${encodeURIComponent(s.id)}/manifest.csv`}>CSV</a>,
              },
            ]}
          />
        )}
      </Loading>
    </section>
  );
}

interface TokenRow {
  id: number;
  label: string;
  role: string;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

const TOKEN_ROLES = ['VIEWER', 'ANNOTATOR', 'REVIEWER', 'ADMIN'] as const;

/** The secret of a token just made: shown this once, with a button that copies it. */
function NewSecret({ secret, label, onDone }: { secret: string; label: string; onDone: () => void }) {
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('yes');
    } catch {
      setCopied('no');
    }
  };
  return (
    <div role="status" className="ok" aria-label="New token">
      <p>
        The token for <strong>{label}</strong>, shown only now (the server keeps only its hash):
      </p>
      <p>
        <code data-testid="new-secret">{secret}</code>{' '}
        <button type="button" onClick={copy}>
          Copy
        </button>{' '}
        {copied === 'yes' ? 'Copied.' : copied === 'no' ? 'The browser refused: select it and copy it by hand.' : ''}
      </p>
      <button type="button" onClick={onDone}>
        I have kept it
      </button>
    </div>
  );
}

export function TokensPage() {
  const state = useLoad('tokens', () => gql<{ tokens: TokenRow[] }>(TOKENS));
  const [label, setLabel] = useState('');
  const [role, setRole] = useState<(typeof TOKEN_ROLES)[number]>('VIEWER');
  const [created, setCreated] = useState<{ secret: string; label: string } | null>(null);
  const [confirming, setConfirming] = useState<TokenRow | null>(null);
  // the records the mutations answered with, by id: the list shows them over what it read
  const [answered, setAnswered] = useState<ReadonlyMap<number, TokenRow>>(new Map());
  const remember = (t: TokenRow) => setAnswered((m) => new Map(m).set(t.id, t));
  const rowsOf = (read: TokenRow[]) => {
    const byId = new Map(read.map((t) => [t.id, t]));
    for (const [id, t] of answered) byId.set(id, t);
    return [...byId.values()].sort((a, b) => a.id - b.id);
  };
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  if (state.error && isSchemaMismatch(state.error))
    return (
      <section aria-labelledby="tokens-title">
        <h1 id="tokens-title">Tokens</h1>
        <p>
          This server manages tokens with its command line:{' '}
          <code>npx dermaset token create --name NAME --role ROLE</code>.
        </p>
      </section>
    );
  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const r = await gql<{ createToken: { secret: string; token: TokenRow } }>(CREATE_TOKEN, {
        input: { label: label.trim(), role },
      });
      setCreated({ secret: r.createToken.secret, label: r.createToken.token.label });
      remember(r.createToken.token);
      setLabel('');
    } catch (x) {
      setError(x);
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (t: TokenRow) => {
    setError(null);
    setBusy(true);
    try {
      const r = await gql<{ revokeToken: TokenRow }>(REVOKE_TOKEN, { id: t.id });
      remember(r.revokeToken);
      setConfirming(null);
    } catch (x) {
      setError(x);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="tokens-title">
      <h1 id="tokens-title">Tokens</h1>
      <form onSubmit={create} aria-label="Create a token" className="inline-form">
        <label htmlFor="token-label">Label</label>
        <input
          id="token-label"
          required
          value={label}
          onChange={(e) => setLabel(e.target.value)}
          maxLength={TOKEN_LABEL_MAX}
          placeholder="gallery frontend"
        />
        <label htmlFor="token-role">Role</label>
        <select id="token-role" value={role} onChange={(e) => setRole(e.target.value as (typeof TOKEN_ROLES)[number])}>
          {TOKEN_ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <button type="submit" disabled={busy || !label.trim()}>
          Create token
        </button>
      </form>
      {created && <NewSecret secret={created.secret} label={created.label} onDone={() => setCreated(null)} />}
      <Problem error={error} />
      {confirming && (
        <div role="alertdialog" aria-label="Confirm revocation" className="problem">
          <p>
            Revoke token {confirming.id} ({confirming.label}, {confirming.role})? Every request, session and signed URL
            of it stops at once; this cannot be undone.
          </p>
          <button type="button" disabled={busy} onClick={() => revoke(confirming)}>
            Revoke it
          </button>{' '}
          <button type="button" onClick={() => setConfirming(null)}>
            Keep it
          </button>
        </div>
      )}
      <Loading state={state}>
        {(d) => (
          <DataTable
            caption="Tokens, oldest first"
            rows={rowsOf(d.tokens)}
            rowKey={(t) => t.id}
            rowProps={(t) => ({ 'data-token-id': t.id })}
            columns={[
              { header: 'Id', cell: (t) => t.id },
              { header: 'Label', cell: (t) => t.label },
              { header: 'Role', cell: (t) => t.role },
              { header: 'Starts with', cell: (t) => <code>{t.prefix}…</code> },
              { header: 'Created', cell: (t) => when(t.createdAt) },
              {
                header: 'State',
                cell: (t) =>
                  t.revokedAt ? (
                    `revoked ${when(t.revokedAt)}`
                  ) : (
                    <button type="button" onClick={() => setConfirming(t)} aria-label={`Revoke ${t.label}`}>
                      Revoke
                    </button>
                  ),
              },
            ]}
          />
        )}
      </Loading>
    </section>
  );
}

/** canCreate: the role may create releases (admins). */
export function ReleasesPage({ canCreate }: { canCreate: boolean }) {
  const state = useLoad('releases', () =>
    gql<{
      releases: {
        id: string;
        name: string;
        version: string;
        createdAt: string;
        imageCount: number;
        contentHash: string;
      }[];
      collections: { slug: string; name: string; kind: string; license: string; imageCount: number }[];
    }>(RELEASES),
  );
  const [name, setName] = useState('');
  const [version, setVersion] = useState('');
  const [error, setError] = useState<unknown>(null);
  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await gql(CREATE_RELEASE, { input: { name, version } });
      state.reload();
    } catch (x) {
      setError(x);
    }
  };
  return (
    <section aria-labelledby="releases-title">
      <h1 id="releases-title">Releases and collections</h1>
      {canCreate && (
        <form onSubmit={create} aria-label="Create a release" className="inline-form">
          <label htmlFor="release-name">Name</label>
          <input id="release-name" required value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
          <label htmlFor="release-version">Version</label>
          <input
            id="release-version"
            required
            value={version}
            onChange={(e) => setVersion(e.target.value)}
            placeholder="1.0.0"
          />
          <button type="submit">Create release</button>
        </form>
      )}
      <Problem error={error} />
      <Loading state={state}>
        {(d) => (
          <>
            <DataTable
              caption="Releases (at most 50)"
              rows={d.releases}
              rowKey={(r) => r.id}
              columns={[
                { header: 'Name', cell: (r) => r.name },
                { header: 'Version', cell: (r) => r.version },
                { header: 'Created', cell: (r) => when(r.createdAt) },
                { header: 'Images', cell: (r) => r.imageCount },
                { header: 'Content hash', cell: (r) => <code>{r.contentHash.slice(0, 16)}</code> },
              ]}
            />
            <DataTable
              caption="Collections"
              rows={d.collections}
              rowKey={(c) => c.slug}
              columns={[
                { header: 'Name', cell: (c) => c.name },
                { header: 'Kind', cell: (c) => c.kind },
                { header: 'Licence', cell: (c) => c.license },
                { header: 'Images', cell: (c) => c.imageCount },
              ]}
            />
          </>
        )}
      </Loading>
    </section>
  );
}
