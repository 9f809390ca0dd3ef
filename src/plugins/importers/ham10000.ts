// HAM10000 (Tschandl et al. 2018): HAM10000_metadata.csv, one row per image, with the columns
// lesion_id,image_id,dx,dx_type,age,sex,localization.

import type { RawRecord } from '../../domain/raw-record.ts';
import { defineImporter, type ImportRow } from '../types.ts';
import {
  cell,
  compact,
  type LabelMeaning,
  labelledRow,
  own,
  publicSex,
  publicSite,
  requireColumns,
  vocabularyOf,
} from './kit.ts';

const ID = 'ham10000';

/** The seven `dx` labels of HAM10000, with the paper's meaning of each. */
export const HAM10000_LABELS: Readonly<Record<string, LabelMeaning>> = {
  nv: { class: 'NEVUS', diagnosis: 'melanocytic nevus' },
  mel: { class: 'MELANOMA', diagnosis: 'melanoma' },
  bcc: { class: 'BASAL_CELL_CARCINOMA', diagnosis: 'basal cell carcinoma' },
  df: { class: 'DERMATOFIBROMA', diagnosis: 'dermatofibroma' },
  // "Vascular skin lesions … range from cherry angiomas to angiokeratomas and pyogenic granulomas;
  // hemorrhage is also included" (Tschandl et al.). Mapped to HEMANGIOMA because angiomas are the
  // bulk of the class, every member is a benign non-melanocytic vascular lesion (same origin and
  // status, so no screening policy changes), and our HEMANGIOMA sits in ISIC's benign vascular node.
  // A stricter reading (hemorrhage is no hemangioma) would make it unmapped: bump the version then.
  vasc: { class: 'HEMANGIOMA', diagnosis: 'hemangioma' },
  akiec: {
    class: null,
    reason:
      "actinic keratosis / intraepithelial carcinoma (Bowen's disease): a precancerous or in-situ keratinocytic " +
      'lesion with no class among our 9',
  },
  bkl: {
    class: null,
    reason:
      'benign keratosis-like lesion: seborrheic keratosis together with solar lentigo and lichen-planus-like ' +
      'keratosis, broader than our seborrheic keratosis',
  },
};

/** `dx_type`: how the diagnosis was reached. Only histopathology and expert consensus raise the stage. */
function verification(dxType: string | undefined): Pick<RawRecord, 'verification_stage' | 'histopathology_result'> {
  switch (dxType?.toLowerCase()) {
    case 'histo':
      return {
        verification_stage: 'histology',
        histopathology_result: 'histopathology (HAM10000 dx_type=histo)',
      };
    case 'consensus':
      return { verification_stage: 'consensus' };
    default:
      // follow_up (no change over serial imaging) and confocal confirm less than our consensus does
      return { verification_stage: 'initial' };
  }
}

export const ham10000 = defineImporter({
  id: ID,
  version: '1.0.0',
  description:
    'HAM10000 (Tschandl et al. 2018) HAM10000_metadata.csv. The collection publishes no patient id: each ' +
    'lesion_id stands for its patient (patient_id = "ham10000:<lesion_id>"). dx_type histo → histology, ' +
    'consensus → consensus, follow_up/confocal → initial; akiec and bkl are reported as unmapped.',
  inputs: [{ name: 'metadata', description: 'HAM10000_metadata.csv', required: true }],
  vocabulary: vocabularyOf(HAM10000_LABELS),
  *rows(inputs): Iterable<ImportRow> {
    const rows = inputs.metadata ?? [];
    requireColumns(ID, 'metadata', rows, 'image_id', 'dx');
    for (const row of rows) {
      const imageId = cell(row, 'image_id');
      const dx = cell(row, 'dx');
      if (!imageId) {
        yield { kind: 'invalid', fileName: '', reason: 'image_id is empty' };
        continue;
      }
      if (!dx) {
        yield { kind: 'invalid', fileName: imageId, reason: 'dx is empty' };
        continue;
      }
      const lesionId = cell(row, 'lesion_id');
      yield labelledRow(
        own(HAM10000_LABELS, dx) ?? own(HAM10000_LABELS, dx.toLowerCase()),
        dx,
        imageId,
        (diagnosis) =>
          compact({
            patient_id: `${ID}:${lesionId ?? imageId}`,
            lesion_id: lesionId,
            age_at_exam: cell(row, 'age'),
            sex: publicSex(cell(row, 'sex')),
            anatomical_site: publicSite(cell(row, 'localization')),
            clinical_diagnosis: diagnosis,
            ...verification(cell(row, 'dx_type')),
          }),
        `"${dx}" is not one of HAM10000's dx labels (${Object.keys(HAM10000_LABELS).join(', ')})`,
      );
    }
  },
});
