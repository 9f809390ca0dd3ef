// Upload: an annotator acquires an image with its record (createInitialAnnotation, multipart).
import { type FormEvent, useState } from 'react';
import { gqlUpload, UPLOAD } from './api.ts';
import { Link, Problem } from './ui.tsx';
import { RECORD_FIELDS } from './vocab.ts';

interface Result {
  createInitialAnnotation: {
    outcome: string;
    intake: { id: string; outcome: string; reason: string | null; errorCode: string | null };
    image: { id: string; sha256: string } | null;
    qualityAdvice: { verdicts: string[] };
  };
}

export function UploadPage() {
  const [file, setFile] = useState<File | null>(null);
  const [record, setRecord] = useState<Record<string, string>>({});
  const [result, setResult] = useState<Result['createInitialAnnotation'] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      // empty fields are left out: the record holds what the examiner wrote
      const filled = Object.fromEntries(Object.entries(record).filter(([, v]) => v.trim() !== ''));
      const r = await gqlUpload<Result>(UPLOAD, { record: filled }, file);
      setResult(r.createInitialAnnotation);
    } catch (x) {
      setError(x);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="upload-title">
      <h1 id="upload-title">Acquire an image</h1>
      <form onSubmit={submit} aria-label="Acquisition" className="record-form">
        <label htmlFor="upload-file">Dermoscopic image (JPEG or PNG)</label>
        <input
          id="upload-file"
          type="file"
          accept="image/jpeg,image/png,image/webp,image/tiff"
          required
          onChange={(e) => setFile(e.target.files?.[0] ?? null)}
        />
        {RECORD_FIELDS.map((f) => (
          <div key={f.name} className="field">
            <label htmlFor={`record-${f.name}`}>
              {f.label}
              {f.required ? ' (required)' : ''}
            </label>
            <input
              id={`record-${f.name}`}
              name={f.name}
              placeholder={f.hint}
              required={f.required}
              value={record[f.name] ?? ''}
              onChange={(e) => setRecord({ ...record, [f.name]: e.target.value })}
              maxLength={500}
            />
          </div>
        ))}
        <Problem error={error} />
        <button type="submit" disabled={busy || !file}>
          Upload
        </button>
      </form>
      {result && (
        <div role="status" className={result.image ? 'ok' : 'problem'}>
          <p>
            Outcome: <strong data-testid="outcome">{result.outcome}</strong>
            {result.intake.reason ? `: ${result.intake.reason}` : ''}
          </p>
          {result.image && (
            <p>
              Stored as image {result.image.sha256.slice(0, 12)}.{' '}
              <Link to={`/images/${encodeURIComponent(result.image.id)}`}>Open it</Link>
            </p>
          )}
          <p>Quality advice: {result.qualityAdvice.verdicts.join(', ') || 'none'}</p>
        </div>
      )}
    </section>
  );
}
