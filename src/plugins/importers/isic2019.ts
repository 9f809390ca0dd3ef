// ISIC 2019 challenge training data: ISIC_2019_Training_GroundTruth.csv (image plus one-hot
// MEL,NV,BCC,AK,BKL,DF,VASC,SCC,UNK) and ISIC_2019_Training_Metadata.csv
// (image,age_approx,anatom_site_general,lesion_id and a fifth column called `sex` in some copies,
// `gender` in others).

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

const ID = 'isic2019';

/** The nine ground-truth columns, in the published order, with the challenge's long names. */
export const ISIC2019_LABELS: Readonly<Record<string, LabelMeaning>> = {
  MEL: { class: 'MELANOMA', diagnosis: 'melanoma' },
  NV: { class: 'NEVUS', diagnosis: 'melanocytic nevus' },
  BCC: { class: 'BASAL_CELL_CARCINOMA', diagnosis: 'basal cell carcinoma' },
  AK: {
    class: null,
    reason: 'actinic keratosis: a precancerous keratinocytic lesion with no class among our 9',
  },
  BKL: {
    class: null,
    reason:
      'benign keratosis: seborrheic keratosis together with solar lentigo and lichen-planus-like keratosis, ' +
      'broader than our seborrheic keratosis',
  },
  DF: { class: 'DERMATOFIBROMA', diagnosis: 'dermatofibroma' },
  // "Vascular lesion": mostly angiomas, with angiokeratomas, pyogenic granulomas and hemorrhage (the
  // HAM10000 part). Mapped to HEMANGIOMA for the reasons given in ham10000.ts; both stay in step.
  VASC: { class: 'HEMANGIOMA', diagnosis: 'hemangioma' },
  SCC: { class: 'SQUAMOUS_CELL_CARCINOMA', diagnosis: 'squamous cell carcinoma' },
  UNK: { class: null, reason: 'none of the others: the challenge gives no diagnosis' },
};

const LABELS = Object.keys(ISIC2019_LABELS);

export const isic2019 = defineImporter({
  id: ID,
  version: '1.0.0',
  description:
    'ISIC 2019 challenge training ground truth (one-hot MEL…UNK) with its metadata table (sex or gender ' +
    'column accepted). The collection publishes no patient id: the lesion_id stands for the patient, or the ' +
    'image id where the row has no lesion_id (patient_id = "isic2019:<lesion_id or image>"). No verification ' +
    'stage is published: records enter at the initial stage. AK, BKL and UNK are reported as unmapped.',
  inputs: [
    { name: 'groundTruth', description: 'ISIC_2019_Training_GroundTruth.csv', required: true },
    { name: 'metadata', description: 'ISIC_2019_Training_Metadata.csv', required: false },
  ],
  vocabulary: vocabularyOf(ISIC2019_LABELS),
  *rows(inputs): Iterable<ImportRow> {
    const truth = inputs.groundTruth ?? [];
    const metadata = inputs.metadata;
    requireColumns(ID, 'groundTruth', truth, 'image', ...LABELS.filter((l) => l !== 'UNK').map((l) => l.toLowerCase()));
    const meta = new Map<string, Readonly<Record<string, string>>>();
    if (metadata) {
      requireColumns(ID, 'metadata', metadata, 'image', 'age_approx', 'anatom_site_general', ['sex', 'gender']);
      for (const m of metadata) {
        const image = cell(m, 'image');
        if (image) meta.set(image, m);
      }
    }
    for (const row of truth) {
      const image = cell(row, 'image');
      if (!image) {
        yield { kind: 'invalid', fileName: '', reason: 'image is empty' };
        continue;
      }
      const hot = LABELS.filter((l) => Number(cell(row, l.toLowerCase()) ?? '0') === 1);
      const binary = LABELS.every((l) => {
        const v = Number(cell(row, l.toLowerCase()) ?? '0');
        return v === 0 || v === 1;
      });
      const label = hot[0];
      if (!binary || hot.length !== 1 || !label) {
        yield {
          kind: 'invalid',
          fileName: image,
          reason: `the ground truth must mark exactly one of ${LABELS.join(', ')} with 1 (found ${hot.join(', ') || 'none'})`,
        };
        continue;
      }
      const m = meta.get(image);
      if (metadata && !m) {
        yield { kind: 'invalid', fileName: image, reason: 'the image is not in the metadata table' };
        continue;
      }
      const lesionId = m && cell(m, 'lesion_id');
      yield labelledRow(
        own(ISIC2019_LABELS, label),
        label,
        image,
        (diagnosis) =>
          compact({
            patient_id: `${ID}:${lesionId ?? image}`,
            lesion_id: lesionId,
            age_at_exam: m && cell(m, 'age_approx'),
            sex: m && publicSex(cell(m, 'sex', 'gender')),
            anatomical_site: m && publicSite(cell(m, 'anatom_site_general')),
            clinical_diagnosis: diagnosis,
            verification_stage: 'initial',
          }),
        `"${label}" is not an ISIC 2019 label`,
      );
    }
  },
});
