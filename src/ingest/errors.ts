/** Why an acquisition attempt was refused. Each code names one problem a user can fix. */
export type IngestErrorCode =
  | 'INVALID_RECORD'
  | 'CONFLICTING_PATIENT_FACTS'
  | 'FILE_TOO_LARGE'
  | 'NOT_AN_IMAGE'
  | 'UNSUPPORTED_FORMAT'
  | 'TRUNCATED_IMAGE'
  | 'CORRUPT_IMAGE'
  | 'IMAGE_TOO_LARGE'
  | 'RESOLUTION_TOO_LOW';

export interface FieldIssue {
  field: string;
  message: string;
}

export class IngestError extends Error {
  override name = 'IngestError';
  constructor(
    readonly code: IngestErrorCode,
    message: string,
    readonly issues: readonly FieldIssue[] = [],
  ) {
    super(message);
  }
}
