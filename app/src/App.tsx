// The console's frame: sign-in (a token that becomes the server's HttpOnly session cookie), the
// navigation by role, and the pages.
import { type FormEvent, useEffect, useState } from 'react';
import { ExportsPage, PolicyPage, ReleasesPage, SplitsPage, TokensPage } from './admin.tsx';
import { atLeast, getSession, onSignedOut, type Session, signIn, signOut } from './api.ts';
import { DatasheetPage, Gallery, ImageDetail, StatsPage } from './browse.tsx';
import { ConsensusForm, HistologyForm, Queue, ReviewForm } from './review.tsx';
import { Link, navigate, Problem, useLocation } from './ui.tsx';
import { UploadPage } from './upload.tsx';

function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await signIn(token.trim());
      setToken('');
      onSignedIn(session);
    } catch (x) {
      setError(x);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin">
      <h1>dermaset console</h1>
      <form onSubmit={submit} aria-label="Sign in">
        <label htmlFor="token">API token</label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          required
          value={token}
          onChange={(e) => setToken(e.target.value)}
          maxLength={512}
        />
        <p className="hint">
          The token is sent once and becomes a session cookie that scripts cannot read. Tokens come from an admin (
          <code>npx dermaset token create</code>).
        </p>
        <Problem error={error} />
        <button type="submit" disabled={busy || !token.trim()}>
          Sign in
        </button>
      </form>
    </main>
  );
}

function Page({ session }: { session: Session }) {
  const { path } = useLocation();
  const [, section, id] = path.split('/').map((p) => decodeURIComponent(p));
  const reviewer = atLeast(session, 'REVIEWER');
  const admin = atLeast(session, 'ADMIN');
  const forbidden = <p role="alert">This page is for a higher role than {session.role}.</p>;
  switch (section) {
    case '':
    case undefined:
      return <Gallery />;
    case 'images':
      return id ? <ImageDetail id={id} /> : <Gallery />;
    case 'datasheet':
      return <DatasheetPage />;
    case 'stats':
      return <StatsPage />;
    case 'upload':
      return atLeast(session, 'ANNOTATOR') ? <UploadPage /> : forbidden;
    case 'review':
      return !reviewer ? forbidden : id ? <ReviewForm id={id} /> : <Queue kind="review" />;
    case 'consensus':
      return !reviewer ? forbidden : id ? <ConsensusForm id={id} /> : <Queue kind="consensus" />;
    case 'histology':
      return !reviewer ? forbidden : id ? <HistologyForm id={id} /> : <Queue kind="histology" />;
    case 'policy':
      return admin ? <PolicyPage /> : forbidden;
    case 'exports':
      return reviewer ? <ExportsPage /> : forbidden;
    case 'splits':
      return <SplitsPage canCreate={atLeast(session, 'VIEWER')} />;
    case 'tokens':
      return admin ? <TokensPage /> : forbidden;
    case 'releases':
      return <ReleasesPage canCreate={admin} />;
    default:
      return <p role="alert">There is no page {path} in the console.</p>;
  }
}

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [ended, setEnded] = useState(false);
  useEffect(() => {
    getSession().then(setSession, (e) => {
      setError(e);
      setSession(null);
    });
    // a request the server no longer knows the caller of (the token revoked, the session over)
    return onSignedOut(() => {
      setSession((s) => {
        if (s) setEnded(true);
        return null;
      });
    });
  }, []);
  if (session === undefined) return <p aria-busy="true">Loading…</p>;
  if (session === null)
    return (
      <>
        <Problem error={error} />
        {ended && (
          <p role="status" data-testid="signed-out">
            You are signed out: the server no longer accepts this session (it ended, or its token was revoked).
          </p>
        )}
        <SignIn
          onSignedIn={(s) => {
            setEnded(false);
            setSession(s);
          }}
        />
      </>
    );
  const out = async () => {
    await signOut();
    setSession(null);
    navigate('/');
  };
  return (
    <>
      <header className="top">
        <span className="brand">dermaset</span>
        <nav aria-label="Console">
          <ul>
            <li>
              <Link to="/">Gallery</Link>
            </li>
            <li>
              <Link to="/stats">Statistics</Link>
            </li>
            <li>
              <Link to="/datasheet">Datasheet</Link>
            </li>
            {atLeast(session, 'ANNOTATOR') && (
              <li>
                <Link to="/upload">Upload</Link>
              </li>
            )}
            {atLeast(session, 'REVIEWER') && (
              <>
                <li>
                  <Link to="/review">Review</Link>
                </li>
                <li>
                  <Link to="/consensus">Consensus</Link>
                </li>
                <li>
                  <Link to="/histology">Histology</Link>
                </li>
                <li>
                  <Link to="/exports">Exports</Link>
                </li>
              </>
            )}
            <li>
              <Link to="/splits">Splits</Link>
            </li>
            <li>
              <Link to="/releases">Releases</Link>
            </li>
            {atLeast(session, 'ADMIN') && (
              <>
                <li>
                  <Link to="/policy">Policy</Link>
                </li>
                <li>
                  <Link to="/tokens">Tokens</Link>
                </li>
              </>
            )}
          </ul>
        </nav>
        <span className="who">
          <span data-testid="role">{session.role}</span> {session.code ?? ''}{' '}
          <button type="button" onClick={out}>
            Sign out
          </button>
        </span>
      </header>
      <main>
        <Page session={session} />
      </main>
    </>
  );
}
