import { once } from 'node:events';
import { z } from 'zod';
import { type ColumnGroup, columnsOf, columnValue, type ExportRecord } from '../../domain/export-record.ts';
import { type ClassMappingPolicy, defineExporter } from '../types.ts';

/**
 * One record as a JSON object: the export record's columns in their order, each block of the
 * information model (and the file's properties) nested under its name, the label with its policy.
 */
export function nestedRecord(
  r: ExportRecord,
  policy: Pick<ClassMappingPolicy, 'id' | 'version'>,
  inSplit: boolean,
): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  const groups = new Map<ColumnGroup, Record<string, unknown>>();
  // no URL columns: the same records are Croissant's metadata.jsonl, whose bytes are origin-free
  for (const c of columnsOf(inSplit, false)) {
    const value = columnValue(c, r);
    if (c.group === 'record') record[c.name] = value;
    else if (c.group === 'label') record.label = { policy: policy.id, policy_version: policy.version, value };
    else {
      let group = groups.get(c.group);
      if (!group) {
        group = {};
        groups.set(c.group, group);
        record[c.group] = group;
      }
      group[c.name] = value;
    }
  }
  return record;
}

/** One JSON record per line with the 16 fields nested in their six blocks. */
export const jsonl = defineExporter({
  id: 'jsonl',
  version: '4.0.0',
  description:
    'JSON Lines: one record per image, the six blocks nested, the policy label beside them (and its split part); age_at_exam and acquisition_date as the de-identification profile shows them; coded values as the API spells them (NEVUS, CONSENSUS); no URLs (the records are Croissant’s metadata.jsonl)',
  mediaType: 'application/x-ndjson',
  extension: 'jsonl',
  needsImages: false,
  options: z.object({}),
  async write(ctx, out) {
    for await (const r of ctx.rows()) {
      const line = `${JSON.stringify(nestedRecord(r, ctx.policy, ctx.split !== null))}\n`;
      if (!out.write(line)) await once(out, 'drain');
    }
    return [];
  },
});
