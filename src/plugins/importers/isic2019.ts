// ISIC 2019 challenge training data: ISIC_2019_Training_GroundTruth.csv (image plus one-hot
// MEL,NV,BCC,AK,BKL,DF,VASC,SCC,UNK) and ISIC_2019_Training_Metadata.csv
// (image,age_approx,anatom_site_general,lesion_id and a fifth column called `sex` in some copies,
// `gender` in others).

import { CLASS_TERM, UNKNOWN_TERM } from '../../domain/terms.ts';
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

const ID = 'isic2019';

/** The nine ground-truth columns, in the published order, with the challenge's long names and terms. */
export const ISIC2019_LABELS: Readonly<Record<string, LabelMeaning>> = {
  MEL: meaning(CLASS_TERM.MELANOMA, 'melanoma'),
  NV: meaning(CLASS_TERM.NEVUS, 'melanocytic nevus'),
  BCC: meaning(CLASS_TERM.BASAL_CELL_CARCINOMA, 'basal cell carcinoma'),
  // "Actinic keratosis": ISIC's AK term, premalignant, outside the 9 (as HAM10000's akiec, ham10000.ts)
  AK: meaning(AK_TERM, 'actinic keratosis'),
  // "Benign keratosis (solar lentigo / seborrheic keratosis / lichen planus-like keratosis)": the ISIC
  // node that holds all three, benign, no class; not our seborrheic keratosis (as HAM10000's bkl)
  BKL: meaning(BENIGN_EPIDERMAL, 'benign keratosis'),
  DF: meaning(CLASS_TERM.DERMATOFIBROMA, 'dermatofibroma'),
  // "Vascular lesion": mostly angiomas, with angiokeratomas, pyogenic granulomas and hemorrhage (the
  // HAM10000 part). Mapped to HEMANGIOMA for the reasons given in ham10000.ts; both stay in step.
  VASC: meaning(CLASS_TERM.HEMANGIOMA, 'hemangioma'),
  SCC: meaning(CLASS_TERM.SQUAMOUS_CELL_CARCINOMA, 'squamous cell carcinoma'),
  // "None of the others": the challenge gives no diagnosis and no verdict: our Unknown term
  UNK: meaning(UNKNOWN_TERM, 'none of the others (ISIC 2019 UNK)'),
};

const LABELS = Object.keys(ISIC2019_LABELS);

export const isic2019 = defineImporter({
  id: ID,
  version: '1.1.0',
  description:
    'ISIC 2019 challenge training ground truth (one-hot MEL…UNK) with its metadata table (sex or gender ' +
    'column accepted). The collection publishes no patient id: the lesion_id stands for the patient, or the ' +
    'image id where the row has no lesion_id (patient_id = "isic2019:<lesion_id or image>"). No verification ' +
    'stage is published: records enter at the initial stage. Every label is stored: AK as actinic keratosis ' +
    '(premalignant), BKL as benign epidermal proliferation, UNK as Unknown, all three outside the 9.',
  inputs: [
    { name: 'groundTruth', description: 'ISIC_2019_Training_GroundTruth.csv', required: true },
    { name: 'metadata', description: 'ISIC_2019_Training_Metadata.csv', required: false },
  ],
  vocabulary: vocabularyOf(ISIC2019_LABELS),
  collection: {
    slug: ID,
    name: 'ISIC 2019 challenge training data',
    source: 'https://challenge.isic-archive.com/data/#2019',
    citation:
      'Tschandl P, Rosendahl C, Kittler H. The HAM10000 dataset. Sci Data 5, 180161 (2018). ' +
      'doi:10.1038/sdata.2018.161; Codella NCF et al. Skin Lesion Analysis Toward Melanoma Detection: A Challenge ' +
      'at the 2017 ISBI, Hosted by the ISIC. arXiv:1710.05006 (2017); Hernández-Pérez C et al. BCN20000: ' +
      'Dermoscopic Lesions in the Wild. arXiv:1908.02288 (2019)',
    license: 'CC BY-NC 4.0',
    attribution:
      'ISIC 2019 challenge training data (International Skin Imaging Collaboration), licensed CC BY-NC 4.0, made of ' +
      'BCN_20000 (Department of Dermatology, Hospital Clínic de Barcelona), HAM10000 (ViDIR Group, Department of ' +
      'Dermatology, Medical University of Vienna) and MSK (Memorial Sloan Kettering Cancer Center, via the ' +
      'ISIC 2017 challenge); the challenge asks users to cite all three sources.',
    version: '2019 training',
  },
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
            ...diagnosis,
            patient_id: `${ID}:${lesionId ?? image}`,
            lesion_id: lesionId,
            age_at_exam: m && cell(m, 'age_approx'),
            sex: m && publicSex(cell(m, 'sex', 'gender')),
            anatomical_site: m && publicSite(cell(m, 'anatom_site_general')),
            verification_stage: 'initial',
          }),
        `"${label}" is not an ISIC 2019 label`,
      );
    }
  },
});
