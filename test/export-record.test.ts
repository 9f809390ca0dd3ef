// The export record is derived from the information model: each of the 16 fields is one column with
// the model's name, block, type and de-identification, and the formats read their columns from it.
import { describe, expect, it } from 'vitest';
import { columnsOf, columnType, EXPORT_COLUMNS, exportColumn, jsonPathOf } from '../src/domain/export-record.ts';
import { FIELDS } from '../src/domain/information-model.ts';
import { optionList } from '../src/plugins/exporters/options.ts';
import { registry } from '../src/plugins/index.ts';

describe('the export record', () => {
  it('has each field of the information model once, as the model declares it', () => {
    for (const f of FIELDS) {
      const columns = EXPORT_COLUMNS.filter((c) => c.field === f);
      expect(columns, f.name).toHaveLength(1);
      const [c] = columns;
      expect(c).toMatchObject({ name: f.name, from: f.name, group: f.block, type: f.type, deidentify: f.deidentify });
    }
    expect(new Set(EXPORT_COLUMNS.map((c) => c.name)).size).toBe(EXPORT_COLUMNS.length);
  });

  it('types an age by the profile: a whole number only where it is exact', () => {
    const age = exportColumn('age_at_exam');
    expect(columnType(age, 'limited')).toBe('integer');
    expect(columnType(age, 'safe-harbor')).toBe('string');
    expect(columnType(age, 'research')).toBe('string');
    expect(columnType(exportColumn('image_quality_score'), 'safe-harbor')).toBe('integer');
  });

  it('nests columns by block for jsonl, the label under label.value', () => {
    expect(jsonPathOf(exportColumn('label'))).toBe('$.label.value');
    expect(jsonPathOf(exportColumn('age_at_exam'))).toBe('$.demographic.age_at_exam');
    expect(jsonPathOf(exportColumn('sha256'))).toBe('$.sha256');
    expect(jsonPathOf(exportColumn('width'))).toBe('$.file.width');
  });

  it('writes the split part only in exports of a split', () => {
    expect(columnsOf(false).map((c) => c.name)).not.toContain('split');
    expect(columnsOf(true).map((c) => c.name)).toContain('split');
  });
});

describe('exporter options', () => {
  it('are listed from each exporter’s zod schema, as before', () => {
    const listed = Object.fromEntries([...registry.exporters.values()].map((e) => [e.id, optionList(e.options)]));
    const isic = [
      { name: 'attribution', type: 'string', default: 'not stated', description: 'The attribution column' },
      {
        name: 'license',
        type: 'string',
        default: 'not stated',
        description: 'The copyright_license column (an ISIC licence code such as CC-BY-NC)',
      },
    ];
    expect(listed).toEqual({
      'isic-csv': isic,
      'isic-zip': isic,
      imagefolder: [
        {
          name: 'split',
          type: 'string',
          default: 'train',
          description: 'The split folder every image goes to (an export of a stored split uses each image’s part)',
        },
      ],
      jsonl: [],
      parquet: [],
      croissant: [],
    });
  });
});
