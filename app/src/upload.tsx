// Upload: an annotator acquires an image with its record (createInitialAnnotation, multipart).
import { type FormEvent, useState } from 'react';
import { gqlUpload, UPLOAD } from './api.ts';
import { Link, Problem } from './ui.tsx';
import { humanize, RECORD_FIELDS, type RecordField, typedRecord } from './vocab.ts';

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
  const [record, setRecord] = useState<Record<string, string | string[]>>({});
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
      // the typed record (AcquisitionRecordInput): empty fields are left out
      const r = await gqlUpload<Result>(UPLOAD, { input: typedRecord(record) }, file);
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
            <FieldInput field={f} value={record[f.name]} onChange={(v) => setRecord({ ...record, [f.name]: v })} />
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

/** One field of the record as its type asks: a text, a date, a number, a choice or several. */
function FieldInput({
  field: f,
  value,
  onChange,
}: {
  field: RecordField;
  value: string | string[] | undefined;
  onChange: (v: string | string[]) => void;
}) {
  const id = `record-${f.name}`;
  if (f.kind === 'many')
    return (
      <select
        id={id}
        name={f.name}
        multiple
        size={Math.min(6, f.values?.length ?? 1)}
        value={Array.isArray(value) ? value : []}
        onChange={(e) => onChange([...e.target.selectedOptions].map((o) => o.value))}
      >
        {f.values?.map((v) => (
          <option key={v} value={v}>
            {humanize(v)}
          </option>
        ))}
      </select>
    );
  const text = typeof value === 'string' ? value : '';
  if (f.kind === 'one' || f.kind === 'yesno') {
    const options = f.kind === 'yesno' ? ['yes', 'no'] : (f.values ?? []);
    return (
      <select id={id} name={f.name} required={f.required} value={text} onChange={(e) => onChange(e.target.value)}>
        <option value="">{f.required ? 'Choose…' : 'Not recorded'}</option>
        {options.map((v) => (
          <option key={v} value={v}>
            {/^[IV]+$|^\d$/.test(v) ? v : humanize(v)}
          </option>
        ))}
      </select>
    );
  }
  return (
    <input
      id={id}
      name={f.name}
      type={f.kind === 'date' ? 'date' : f.kind === 'int' || f.kind === 'float' ? 'number' : 'text'}
      step={f.kind === 'float' ? '0.1' : undefined}
      min={f.min}
      max={f.max}
      placeholder={f.hint}
      required={f.required}
      value={text}
      onChange={(e) => onChange(e.target.value)}
      maxLength={f.maxLength ?? 500}
    />
  );
}
