// Small shared pieces: the router (paths under /app, history API), loading a query, refusals shown.
import { type MouseEvent, type ReactNode, useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import { ApiError } from './api.ts';

export const BASE = '/app';

const listeners = new Set<() => void>();
const notify = () => {
  for (const l of listeners) l();
};
window.addEventListener('popstate', notify);

/** The path under /app ("/", "/images/…") and the query string. */
export function useLocation(): { path: string; search: URLSearchParams } {
  const href = useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => window.location.pathname + window.location.search,
  );
  const url = new URL(href, window.location.origin);
  const path = url.pathname.startsWith(BASE) ? url.pathname.slice(BASE.length) || '/' : '/';
  return { path, search: url.searchParams };
}

export function navigate(to: string): void {
  window.history.pushState(null, '', BASE + to);
  window.scrollTo(0, 0);
  notify();
}

export function Link({ to, children, className }: { to: string; children: ReactNode; className?: string }) {
  const { path } = useLocation();
  const current = path === to || (to !== '/' && path.startsWith(`${to}/`));
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return (
    <a href={BASE + to} onClick={onClick} className={className} aria-current={current ? 'page' : undefined}>
      {children}
    </a>
  );
}

export interface Loaded<T> {
  data: T | null;
  error: Error | null;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` when its key changes (and on reload); the last answer wins. */
export function useLoad<T>(key: string, load: () => Promise<T>): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: Error | null; loading: boolean }>({
    data: null,
    error: null,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the key names what load reads
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    load().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error: Error) => live && setState({ data: null, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [key, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** A refusal, shown as it came: its code and message (a CONFLICT asks to reload). */
export function Problem({ error }: { error: unknown }) {
  if (!error) return null;
  const code = error instanceof ApiError ? error.code : 'ERROR';
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div role="alert" className={`problem problem-${code.toLowerCase()}`} data-code={code}>
      <strong>{code === 'CONFLICT' ? 'Someone changed this image meanwhile.' : 'The server refused:'}</strong> {message}{' '}
      <span className="code">({code})</span>
    </div>
  );
}

export function Loading<T>({ state, children }: { state: Loaded<T>; children: (data: T) => ReactNode }) {
  if (state.error) return <Problem error={state.error} />;
  if (state.data === null) return <p aria-busy="true">Loading…</p>;
  return <>{children(state.data)}</>;
}

export const pct = (share: number | null | undefined) => (share == null ? '—' : `${(share * 100).toFixed(1)} %`);
export const when = (iso: string | null | undefined) =>
  iso ? new Date(iso).toISOString().slice(0, 16).replace('T', ' ') : '—';

/** One column of a DataTable: its header, its cell for a row, and whether that cell heads the row. */
export interface Column<Row> {
  header: ReactNode;
  cell: (row: Row) => ReactNode;
  /** The cell is a <th scope="row"> rather than a <td>. */
  rowHeader?: boolean;
}

/** A table of rows: caption, column headers (<th scope="col">), a row per item, an optional footer. */
export function DataTable<Row>({
  caption,
  columns,
  rows,
  rowKey,
  rowProps,
  className,
  label,
  footer,
}: {
  caption?: ReactNode;
  columns: Column<Row>[];
  rows: readonly Row[];
  rowKey: (row: Row, index: number) => string | number;
  /** Extra attributes of a row's <tr> (data-*). */
  rowProps?: (row: Row) => Record<`data-${string}`, string | number>;
  className?: string;
  /** The table's aria-label, when it has one. */
  label?: string;
  footer?: ReactNode;
}) {
  return (
    <table className={className} aria-label={label}>
      {caption != null && <caption>{caption}</caption>}
      <thead>
        <tr>
          {columns.map((c, k) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: fixed columns
            <th scope="col" key={k}>
              {c.header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row, n) => (
          <tr key={rowKey(row, n)} {...rowProps?.(row)}>
            {columns.map((c, k) =>
              c.rowHeader ? (
                // biome-ignore lint/suspicious/noArrayIndexKey: fixed columns
                <th scope="row" key={k}>
                  {c.cell(row)}
                </th>
              ) : (
                // biome-ignore lint/suspicious/noArrayIndexKey: fixed columns
                <td key={k}>{c.cell(row)}</td>
              ),
            )}
          </tr>
        ))}
      </tbody>
      {footer != null && <tfoot>{footer}</tfoot>}
    </table>
  );
}
