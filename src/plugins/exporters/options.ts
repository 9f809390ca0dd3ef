// An exporter's options as the `exporters` query lists them, read from its zod schema: the listing
// and the check startExport makes cannot disagree.
import { z } from 'zod';
import type { ExportOptionsSchema } from '../types.ts';

export interface ExportOptionInfo {
  name: string;
  /** The JSON type of its value: string, boolean or number. */
  type: string;
  description: string;
  default?: unknown;
}

/** The options of a schema, in its order, with their type, description and default. */
export function optionList(schema: ExportOptionsSchema): ExportOptionInfo[] {
  const json = z.toJSONSchema(schema) as {
    properties?: Record<string, { type?: string; description?: string; default?: unknown }>;
  };
  return Object.entries(json.properties ?? {}).map(([name, p]) => ({
    name,
    type: String(p.type),
    description: p.description ?? '',
    ...(p.default === undefined ? {} : { default: p.default }),
  }));
}

/** The options of a schema set to their defaults. */
export const defaultOptions = (schema: ExportOptionsSchema): Record<string, unknown> =>
  schema.parse({}) as Record<string, unknown>;
