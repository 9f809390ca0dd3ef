// The export record is derived from the information model: each of the 16 fields is one column with
// the model's name, block, type and de-identification, and the formats read their columns from it.
import { describe, expect, it } from 'vitest';
import {
  columnsOf,
  columnType,
  EXPORT_COLUMNS,
  type ExportRecord,
  exportColumn,
  jsonPathOf,
} from '../src/domain/export-record.ts';
import { FIELDS } from '../src/domain/information-model.ts';
import { ISIC_COLUMNS } from '../src/plugins/exporters/isic.ts';
import { nestedRecord } from '../src/plugins/exporters/jsonl.ts';
import { optionList } from '../src/plugins/exporters/options.ts';
import { parquetColumns } from '../src/plugins/exporters/parquet.ts';
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
      {
        name: 'attribution',
        type: 'string',
        default: 'not stated',
        description: 'The attribution column for images of collections that state none (the own collection until set)',
      },
      {
        name: 'license',
        type: 'string',
        default: 'not stated',
        description:
          'The copyright_license column (an ISIC licence code such as CC-BY-NC) for images of collections that state none',
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
        {
          name: 'metadata',
          type: 'string',
          default: 'parquet',
          description:
            'metadata.parquet (typed: lists, DATE, INT32, BOOLEAN; the same types in every part, as datasets needs) or ' +
            'metadata.csv (text; datasets infers each part’s types from its own file and refuses parts that differ)',
        },
      ],
      jsonl: [],
      parquet: [],
      croissant: [],
    });
  });
});

// The layouts of the formats, written out here once more: the columns derived from the export
// record must keep them. 3.0.0 (the open world): the 2.0.0 layouts (when each format restated the
// fields) with diagnosis_term after diagnosis_class and collection after acquisition_date;
// clinical_status has five values; ISIC rows end with diagnosis_term, clinical_status, collection.
// 4.0.0 (one casing, issue 16): coded values as the API spells them (NEVUS, CONSENSUS, FEMALE), the
// file's image_url and thumbnail_url; parquet in record order with lists and a DATE; ISIC unchanged.
const RECORD: ExportRecord = {
  image_name: 'ab',
  file_name: 'ab.jpg',
  sha256: 'ab',
  storage_key: 'a/b/ab.jpg',
  patient_id: 'P1',
  lesion_id: 'L1',
  age_at_exam: '45',
  age_approx: 45,
  sex: 'FEMALE',
  fitzpatrick_type: 'II',
  sunburn_history: true,
  personal_ca_history: false,
  anatomical_site: 'BACK',
  lesion_diameter_mm: 4.5,
  dominant_colors: ['BLACK', 'DARK_BROWN'],
  elevation: 'FLAT',
  border_regularity: 'REGULAR',
  dermoscopic_structures: ['DOTS'],
  clinical_diagnosis: 'nevus',
  diagnosis_class: 'NEVUS',
  origin: 'MELANOCYTIC',
  clinical_status: 'BENIGN',
  diagnosis_term: 'Benign:Benign melanocytic proliferations:Nevus',
  isic_path: 'Benign:Benign melanocytic proliferations:Nevus',
  collection: 'own',
  histopathology_result: null,
  verification_stage: 'CONSENSUS',
  examiner_id: null,
  image_quality_score: 4,
  acquisition_date: '2024',
  acquisition_day: new Date(Date.UTC(2024, 0, 1)),
  image_url: 'http://test/images/ab/original',
  thumbnail_url: 'http://test/images/ab/thumbnail',
  width: 96,
  height: 72,
  format: 'jpeg',
  label: 'nevus',
  split: 'test',
};

describe('formats keep their layouts', () => {
  it('jsonl, parquet and imagefolder are at 4.0.0, the ISIC formats at 3.0.0, croissant at 5.0.0', () => {
    for (const id of ['jsonl', 'parquet', 'imagefolder']) expect(registry.exporter(id)?.version, id).toBe('4.0.0');
    for (const id of ['isic-csv', 'isic-zip']) {
      expect(registry.exporter(id)?.version, id).toBe('3.0.0');
    }
    expect(registry.exporter('croissant')?.version).toBe('5.0.0');
  });

  it('isic: ISIC’s metadata columns, the policy, then ours', () => {
    expect([...ISIC_COLUMNS]).toEqual([
      'isic_id',
      'attribution',
      'copyright_license',
      'patient_id',
      'lesion_id',
      'age_approx',
      'sex',
      'anatom_site_general',
      'clin_size_long_diam_mm',
      'fitzpatrick_skin_type',
      'benign_malignant',
      'diagnosis',
      'policy',
      'diagnosis_1',
      'diagnosis_2',
      'diagnosis_3',
      'diagnosis_4',
      'diagnosis_5',
      'diagnosis_confirm_type',
      'image_type',
      'diagnosis_term',
      'clinical_status',
      'collection',
    ]);
  });

  it('jsonl: the same keys, nesting and order', () => {
    const r = RECORD;
    const policy = { id: 'nine-class', version: '1.0.0' };
    const was = (inSplit: boolean) => ({
      image: r.file_name,
      sha256: r.sha256,
      patient_id: r.patient_id,
      lesion_id: r.lesion_id,
      label: { policy: policy.id, policy_version: policy.version, value: r.label },
      demographic: { age_at_exam: r.age_at_exam, sex: r.sex, fitzpatrick_type: r.fitzpatrick_type },
      anamnestic: { sunburn_history: r.sunburn_history, personal_ca_history: r.personal_ca_history },
      morphological: {
        anatomical_site: r.anatomical_site,
        lesion_diameter_mm: r.lesion_diameter_mm,
        dominant_colors: r.dominant_colors,
        elevation: r.elevation,
        border_regularity: r.border_regularity,
      },
      dermoscopic: { dermoscopic_structures: r.dermoscopic_structures },
      diagnostic: {
        clinical_diagnosis: r.clinical_diagnosis,
        diagnosis_class: r.diagnosis_class,
        diagnosis_term: r.diagnosis_term,
        origin: r.origin,
        clinical_status: r.clinical_status,
        histopathology_result: r.histopathology_result,
        verification_stage: r.verification_stage,
      },
      service: { examiner_id: r.examiner_id, image_quality_score: r.image_quality_score },
      acquisition_date: r.acquisition_date,
      collection: r.collection,
      file: { width: r.width, height: r.height, format: r.format },
      ...(inSplit ? { split: r.split } : {}),
    });
    for (const inSplit of [false, true])
      expect(JSON.stringify(nestedRecord(r, policy, inSplit))).toBe(JSON.stringify(was(inSplit)));
  });

  it('parquet: the record’s columns in its order, lists, a DATE, INT32, BOOLEAN and DOUBLE', () => {
    const was = (age: 'INT32' | 'STRING', inSplit: boolean) => [
      ...['image', 'sha256', 'patient_id', 'lesion_id', 'label'].map((name) => ({ name, type: 'STRING' })),
      { name: 'age_at_exam', type: age },
      { name: 'sex', type: 'STRING' },
      { name: 'fitzpatrick_type', type: 'STRING' },
      { name: 'sunburn_history', type: 'BOOLEAN' },
      { name: 'personal_ca_history', type: 'BOOLEAN' },
      { name: 'anatomical_site', type: 'STRING' },
      { name: 'lesion_diameter_mm', type: 'DOUBLE' },
      { name: 'dominant_colors', type: 'LIST' },
      { name: 'elevation', type: 'STRING' },
      { name: 'border_regularity', type: 'STRING' },
      { name: 'dermoscopic_structures', type: 'LIST' },
      ...[
        'clinical_diagnosis',
        'diagnosis_class',
        'diagnosis_term',
        'origin',
        'clinical_status',
        'histopathology_result',
        'verification_stage',
        'examiner_id',
      ].map((name) => ({ name, type: 'STRING' })),
      { name: 'image_quality_score', type: 'INT32' },
      { name: 'acquisition_date', type: 'DATE' },
      { name: 'collection', type: 'STRING' },
      { name: 'width', type: 'INT32' },
      { name: 'height', type: 'INT32' },
      ...['format', 'image_url', 'thumbnail_url'].map((name) => ({ name, type: 'STRING' })),
      ...(inSplit ? [{ name: 'split', type: 'STRING' }] : []),
    ];
    for (const inSplit of [false, true]) {
      const cols = (p: 'limited' | 'safe-harbor' | 'research') =>
        parquetColumns(p, inSplit).map((c) => ({ name: c.name, type: c.type }));
      expect(cols('limited')).toEqual(was('INT32', inSplit));
      expect(cols('safe-harbor')).toEqual(was('STRING', inSplit));
      expect(cols('research')).toEqual(was('STRING', inSplit));
    }
  });
});
