// Croissant 1.1 + RAI 1.0 metadata (JSON-LD) for a subset under a policy, and the metadata.jsonl it
// lists. The subset is resolved once (resolveSubset), then the export runner describes it and the
// document is built from that description (plugins/exporters/croissant-document.ts), as the
// croissant exporter builds it for an export.
import type { Writable } from 'node:stream';
import type { DatasetConfig } from '../config.ts';
import { generaliseFilter } from '../domain/deidentify.ts';
import type { Role } from '../domain/roles.ts';
import { croissantDocument } from '../plugins/exporters/croissant-document.ts';
import { blobStore } from '../storage/open.ts';
import { describeSubset, metadataExporter, type RunInput, resolveProfile, writeExport } from './exports.ts';
import { type RequestScope, requestScope, resolveSubset, type SubsetRequest } from './subset.ts';

export {
  CROISSANT_CONTEXT,
  METADATA_PATH,
  metadataUrl,
  missingRequired,
  REQUIRED,
} from '../plugins/exporters/croissant-document.ts';

/**
 * What a Croissant document describes: a filtered subset under a policy, or a stored split (or part),
 * its records de-identified under a profile (default safe-harbor; limited: admins only).
 */
export type CroissantRequest = SubsetRequest & { profile?: string | null };

/**
 * The export run that writes a subset's metadata.jsonl (the jsonl exporter, without examiner codes),
 * checked before anything is written: an unknown policy, profile or split, or a bad filter, is
 * BAD_USER_INPUT; the limited profile for anyone but an admin (`role`) is FORBIDDEN. The filter's
 * age and date bounds are generalised as the profile generalises the values. The subset is resolved
 * on `scope`: a GraphQL request's context, or one requestScope() for a route.
 */
export async function metadataRun(
  scope: RequestScope,
  request: CroissantRequest,
  dataDir: string,
  role: Role | null = null,
): Promise<RunInput> {
  const profile = resolveProfile(request.profile, role);
  const subset = await resolveSubset(scope, {
    filter: generaliseFilter(request.filter, profile),
    policy: request.policy,
    split: request.split,
    release: request.release,
  });
  return {
    exporter: metadataExporter(),
    subset,
    // a stored split: its images (or a part's), under its policy, each record with its part
    split: request.split ? subset.split : null,
    options: {},
    withExaminer: false,
    store: blobStore(dataDir),
    profile,
  };
}

/** Writes a subset's metadata.jsonl to `out`; returns its record count. */
export async function writeMetadata(run: RunInput, out: Writable): Promise<number> {
  return (await writeExport(run, out)).rowCount;
}

/** The Croissant document of a subset (the `croissant` query). */
export async function croissant(
  request: CroissantRequest,
  opts: {
    origin: string;
    dataDir: string;
    name?: string;
    dataset?: DatasetConfig;
    role?: Role | null;
    /** The request's scope (a GraphQL context is one); default: a scope of its own. */
    scope?: RequestScope;
  },
) {
  const run = await metadataRun(opts.scope ?? requestScope(), request, opts.dataDir, opts.role ?? null);
  const described = await describeSubset({ ...run, origin: opts.origin, dataset: opts.dataset });
  return croissantDocument(described, { profile: run.profile, origin: opts.origin, name: opts.name ?? 'dermaset' });
}
