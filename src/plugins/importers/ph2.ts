// PH2 (Mendonça et al. 2013): PH2_dataset.xlsx flattened to CSV, one row per image, with the
// columns image_name, histological_diagnosis, common_nevus, atypical_nevus, melanoma (an X marks the
// clinical diagnosis), asymmetry, pigment_network (AT atypical / T typical), dots_globules (A absent /
// AT atypical / T typical), streaks, regression_areas, blue_whitish_veil (A absent / P present) and
// the colours white, red, light_brown, dark_brown, blue_gray, black (an X marks a colour).
//
// PH2 ships its images as IMDxxx/IMDxxx_Dermoscopic_Image/IMDxxx.bmp. BMP is not an image format the
// pipeline decodes (sharp reads JPEG, PNG, WebP…, not BMP): convert each BMP beside itself (e.g. to
// IMDxxx.png); the importer looks for the shipped path with .png, .jpg, .jpeg or .tiff, and a row
// whose image is only there as .bmp is reported as a missing file naming the extensions tried.

import type { DermoscopicStructure } from '../../domain/enums.ts';
import { CLASS_TERM } from '../../domain/terms.ts';
import { defineImporter, type ImportRow } from '../types.ts';
import {
  cell,
  compact,
  type LabelMeaning,
  labelledRow,
  meaning,
  own,
  requireColumns,
  structureList,
  vocabularyOf,
} from './kit.ts';

const ID = 'ph2';

/** The three clinical diagnosis columns, by column name. */
export const PH2_LABELS: Readonly<Record<string, LabelMeaning>> = {
  common_nevus: meaning(CLASS_TERM.NEVUS, 'common nevus'),
  // our dysplastic nevus (ISIC: "Nevus, Atypical, Dysplastic, or Clark"); "atypical nevus" is its synonym
  atypical_nevus: meaning(CLASS_TERM.DYSPLASTIC_NEVUS, 'atypical nevus'),
  melanoma: meaning(CLASS_TERM.MELANOMA, 'melanoma'),
};
const LABEL_COLUMNS = Object.keys(PH2_LABELS);

/** PH2's histological diagnoses, by the class each confirms. */
const HISTOLOGY: Readonly<Record<string, keyof typeof PH2_LABELS>> = {
  melanoma: 'melanoma',
  'nodular melanoma': 'melanoma',
  // lentigo maligna is melanoma in situ
  'lentigo maligna': 'melanoma',
  'dysplastic nevus': 'atypical_nevus',
  'intradermal nevus': 'common_nevus',
  'blue nevus': 'common_nevus',
};

const PIGMENT_NETWORK: Readonly<Record<string, DermoscopicStructure>> = {
  at: 'PIGMENT_NETWORK_ATYPICAL',
  t: 'PIGMENT_NETWORK_TYPICAL',
};
const DOTS_GLOBULES: Readonly<Record<string, DermoscopicStructure>> = {
  at: 'DOTS_GLOBULES_IRREGULAR',
  t: 'DOTS_GLOBULES_REGULAR',
};
const REGRESSION: Readonly<Record<string, DermoscopicStructure>> = { p: 'REGRESSION_STRUCTURES' };
const VEIL: Readonly<Record<string, DermoscopicStructure>> = { p: 'BLUE_WHITISH_VEIL' };

/**
 * Each structure column with its table. PH2 says only whether streaks are present, not whether they
 * are regular or irregular, and our structures are only the qualified ones: streaks are left out,
 * never forced. Asymmetry (0, 1, 2 axes) has no field of ours and is left out too.
 */
export const PH2_STRUCTURES: ReadonlyArray<readonly [string, Readonly<Record<string, DermoscopicStructure>>]> = [
  ['pigment_network', PIGMENT_NETWORK],
  ['dots_globules', DOTS_GLOBULES],
  ['regression_areas', REGRESSION],
  ['blue_whitish_veil', VEIL],
];

/** The six colour columns and our colour words (domain/vocabularies.ts COLORS). */
export const PH2_COLORS = ['white', 'red', 'light_brown', 'dark_brown', 'blue_gray', 'black'] as const;

const marked = (row: Readonly<Record<string, string>>, column: string): boolean =>
  cell(row, column)?.toUpperCase() === 'X';

export const ph2 = defineImporter({
  id: ID,
  version: '1.1.0',
  description:
    'PH2 (Mendonça et al. 2013) PH2_dataset.xlsx flattened to CSV: common nevus → nevus, atypical nevus → ' +
    'dysplastic nevus, melanoma → melanoma; pigment network, dots/globules, regression and veil become ' +
    'dermoscopic structures, the six colours dominant colours; a histological diagnosis that confirms the ' +
    'class → histology. patient_id = "ph2:<image_name>". Images: IMDxxx/IMDxxx_Dermoscopic_Image/IMDxxx ' +
    'converted from BMP to PNG or JPEG.',
  inputs: [{ name: 'metadata', description: 'PH2_dataset.xlsx as CSV', required: true }],
  vocabulary: vocabularyOf(PH2_LABELS),
  collection: {
    slug: ID,
    name: 'PH2 dermoscopic image database',
    source: 'https://www.fc.up.pt/addi/ph2%20database.html',
    citation:
      'Mendonça T, Ferreira PM, Marques JS, Marçal ARS, Rozeira J. PH2 - A dermoscopic image database for ' +
      'research and benchmarking. 35th Annual International Conference of the IEEE EMBS, 5437–5440 (2013). ' +
      'doi:10.1109/EMBC.2013.6610779',
    license:
      'no formal licence published: research and benchmarking use, see https://www.fc.up.pt/addi/ph2%20database.html',
    attribution:
      'PH2 database by Teresa Mendonça et al., Universidade do Porto and Instituto Superior Técnico Lisboa, with the ' +
      'Dermatology Service of Hospital Pedro Hispano, Matosinhos; cite Mendonça et al. 2013.',
    version: null,
  },
  files: {
    extensions: ['.png', '.jpg', '.jpeg', '.tiff'],
    namedBy: 'image_name (IMDxxx/IMDxxx_Dermoscopic_Image/IMDxxx)',
  },
  *rows(inputs): Iterable<ImportRow> {
    const rows = inputs.metadata ?? [];
    requireColumns(ID, 'metadata', rows, 'image_name', ...LABEL_COLUMNS);
    for (const row of rows) {
      const image = cell(row, 'image_name');
      if (!image) {
        yield { kind: 'invalid', fileName: '', reason: 'image_name is empty' };
        continue;
      }
      const fileName = `${image}/${image}_Dermoscopic_Image/${image}`;
      const labels = LABEL_COLUMNS.filter((c) => marked(row, c));
      const [label] = labels;
      if (label === undefined || labels.length > 1) {
        const why = labels.length > 1 ? `marks ${labels.join(' and ')}` : 'marks none';
        yield {
          kind: 'invalid',
          fileName,
          reason: `${why} of ${LABEL_COLUMNS.join(', ')}: one X is the diagnosis`,
        };
        continue;
      }
      const histology = cell(row, 'histological_diagnosis');
      // A histological diagnosis verifies the class when it confirms it. Where it names another class
      // (three atypical nevi whose histology reads "Intradermal Nevus" or "Blue Nevus") the class stays
      // PH2's clinical one, unverified, with the report kept beside it: the class is not changed, and
      // a report that contradicts it does not verify it.
      const confirms = histology !== undefined && own(HISTOLOGY, histology.toLowerCase()) === label;
      yield labelledRow(
        PH2_LABELS[label],
        label,
        fileName,
        (diagnosis) =>
          compact({
            ...diagnosis,
            patient_id: `${ID}:${image}`,
            dominant_colors: PH2_COLORS.filter((c) => marked(row, c)).join(';'),
            dermoscopic_structures: structureList(
              PH2_STRUCTURES.map(([column, table]) => {
                const v = cell(row, column);
                return v === undefined ? undefined : own(table, v.toLowerCase());
              }),
            ),
            histopathology_result: histology,
            verification_stage: confirms ? 'histology' : 'initial',
          }),
        `"${label}" is not one of PH2's diagnosis columns`,
      );
    }
  },
});
