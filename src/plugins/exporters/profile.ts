// The de-identification profile an export runs under. The runner hands it beside the contract's
// fields (ExportContext in ../types.ts has no `profile` yet); rows arrive already generalised, so an
// exporter needs it only to type a column (parquet) or to stamp its output.
import { DEFAULT_PROFILE, PROFILES, type Profile } from '../../domain/deidentify.ts';
import type { ExportContext } from '../types.ts';

export const profileOf = (ctx: ExportContext): Profile =>
  (ctx as ExportContext & { profile?: Profile }).profile ?? PROFILES[DEFAULT_PROFILE];
