// HAM10000 (Tschandl et al. 2018): HAM10000_metadata.csv, one row per image, with the columns
// lesion_id,image_id,dx,dx_type,age,sex,localization.

import type { RawRecord } from '../../domain/raw-record.ts';
import { CLASS_TERM } from '../../domain/terms.ts';
import { defineImporter, type ImportRow } from '../types.ts';
import {
  cell,
  compact,
  type LabelMeaning,
  labelledRow,
  meaning,
  own,
  publicSex,
  publicSite,
  requireColumns,
  vocabularyOf,
} from './kit.ts';
import { AK_TERM, BENIGN_EPIDERMAL } from './public-terms.ts';

const ID = 'ham10000';

/** The seven `dx` labels of HAM10000, with the paper's meaning of each and its term. */
export const HAM10000_LABELS: Readonly<Record<string, LabelMeaning>> = {
  nv: meaning(CLASS_TERM.NEVUS, 'melanocytic nevus'),
  mel: meaning(CLASS_TERM.MELANOMA, 'melanoma'),
  bcc: meaning(CLASS_TERM.BASAL_CELL_CARCINOMA, 'basal cell carcinoma'),
  df: meaning(CLASS_TERM.DERMATOFIBROMA, 'dermatofibroma'),
  // "Vascular skin lesions … range from cherry angiomas to angiokeratomas and pyogenic granulomas;
  // hemorrhage is also included" (Tschandl et al.). Mapped to HEMANGIOMA because angiomas are the
  // bulk of the class, every member is a benign non-melanocytic vascular lesion (same origin and
  // status, so no screening policy changes), and our HEMANGIOMA sits in ISIC's benign vascular node.
  // A stricter reading (hemorrhage is no hemangioma) would give the vascular node: bump the version then.
  vasc: meaning(CLASS_TERM.HEMANGIOMA, 'hemangioma'),
  // "Actinic keratoses and intraepithelial carcinoma / Bowen's disease": ISIC 2019 relabelled these
  // same images AK (its SCC column holds other sources' carcinomas), and actinic keratoses are the
  // bulk of them. ISIC's AK term, premalignant, outside the 9: a screening policy counts it by status.
  // The SCC in situ among them cannot be told apart from the label; the term says what most are.
  akiec: meaning(AK_TERM, "actinic keratosis / intraepithelial carcinoma (Bowen's disease)"),
  // "Benign keratosis-like lesions": seborrheic keratoses, solar lentigines and lichen-planus-like
  // keratoses together. Not our seborrheic keratosis (it would put lentigines and LPLK into that
  // class): ISIC's node that holds all three, Benign epidermal proliferations, with no class; benign.
  bkl: meaning(BENIGN_EPIDERMAL, 'benign keratosis-like lesion'),
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
  version: '1.1.0',
  description:
    'HAM10000 (Tschandl et al. 2018) HAM10000_metadata.csv. The collection publishes no patient id: each ' +
    'lesion_id stands for its patient (patient_id = "ham10000:<lesion_id>"). dx_type histo → histology, ' +
    'consensus → consensus, follow_up/confocal → initial; every dx is stored: akiec as actinic keratosis ' +
    '(premalignant) and bkl as benign epidermal proliferation, both outside the 9.',
  inputs: [{ name: 'metadata', description: 'HAM10000_metadata.csv', required: true }],
  vocabulary: vocabularyOf(HAM10000_LABELS),
  collection: {
    slug: ID,
    name: 'HAM10000',
    source: 'https://doi.org/10.7910/DVN/DBW86T',
    citation:
      'Tschandl P, Rosendahl C, Kittler H. The HAM10000 dataset, a large collection of multi-source dermatoscopic ' +
      'images of common pigmented skin lesions. Sci Data 5, 180161 (2018). doi:10.1038/sdata.2018.161',
    license: 'CC BY-NC 4.0',
    attribution:
      'HAM10000 by Philipp Tschandl, Cliff Rosendahl and Harald Kittler (ViDIR Group, Department of Dermatology, ' +
      'Medical University of Vienna; Cliff Rosendahl, Queensland), Harvard Dataverse doi:10.7910/DVN/DBW86T, ' +
      'licensed CC BY-NC 4.0: non-commercial use, with attribution.',
    version: null,
  },
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
            ...diagnosis,
            patient_id: `${ID}:${lesionId ?? imageId}`,
            lesion_id: lesionId,
            age_at_exam: cell(row, 'age'),
            sex: publicSex(cell(row, 'sex')),
            anatomical_site: publicSite(cell(row, 'localization')),
            ...verification(cell(row, 'dx_type')),
          }),
        `"${dx}" is not one of HAM10000's dx labels (${Object.keys(HAM10000_LABELS).join(', ')})`,
      );
    }
  },
});
