// PAD-UFES-20 (Pacheco et al. 2020): metadata.csv, one row per smartphone image, with the columns
// patient_id, lesion_id, smoke, drink, …, age, pesticide, gender, skin_cancer_history, cancer_history,
// …, fitspatrick (sic), region, diameter_1, diameter_2, diagnostic, itch, grew, hurt, changed, bleed,
// elevation, img_id, biopsed. Yes/no answers are "True" / "False" / "UNK".

import type { RawRecord } from '../../domain/raw-record.ts';
import { CLASS_TERM } from '../../domain/terms.ts';
import { FITZPATRICK_TYPES } from '../../domain/vocabularies.ts';
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
import { AK_TERM } from './public-terms.ts';

const ID = 'pad-ufes-20';

/** The six `diagnostic` labels. */
export const PAD_UFES_20_LABELS: Readonly<Record<string, LabelMeaning>> = {
  NEV: meaning(CLASS_TERM.NEVUS, 'nevus'),
  MEL: meaning(CLASS_TERM.MELANOMA, 'melanoma'),
  BCC: meaning(CLASS_TERM.BASAL_CELL_CARCINOMA, 'basal cell carcinoma'),
  // PAD-UFES-20 counts Bowen's disease (SCC in situ) as SCC, as our melanoma counts melanoma in situ
  SCC: meaning(CLASS_TERM.SQUAMOUS_CELL_CARCINOMA, 'squamous cell carcinoma'),
  SEK: meaning(CLASS_TERM.SEBORRHEIC_KERATOSIS, 'seborrheic keratosis'),
  // "Actinic keratosis": ISIC's AK term, premalignant, outside the 9 (as HAM10000 akiec, ISIC 2019 AK)
  ACK: meaning(AK_TERM, 'actinic keratosis'),
};

/** `region` values our site vocabulary does not spell; the rest (FACE, BACK, HAND…) parse as they are. */
const REGIONS: Readonly<Record<string, string>> = {
  ARM: 'upper extremity',
  FOREARM: 'upper extremity',
  THIGH: 'lower extremity',
  // ISIC's site hierarchy files nose and lip under the face (Head and neck:Head:Face)
  NOSE: 'face',
  LIP: 'face',
};

const flag = (v: string | undefined): boolean | undefined =>
  v?.toLowerCase() === 'true' ? true : v?.toLowerCase() === 'false' ? false : undefined;

/** `fitspatrick` is published as 1.0…6.0. */
function phototype(v: string | undefined): string | undefined {
  const n = Number(v);
  return v && Number.isInteger(n) ? FITZPATRICK_TYPES[n - 1] : undefined;
}

/** The larger of the two published diameters (mm). */
function diameter(a: string | undefined, b: string | undefined): string | undefined {
  const sizes = [a, b].map(Number).filter((n) => Number.isFinite(n) && n > 0);
  return sizes.length > 0 ? String(Math.max(...sizes)) : undefined;
}

function verification(biopsied: boolean | undefined): Pick<RawRecord, 'verification_stage' | 'histopathology_result'> {
  return biopsied
    ? { verification_stage: 'histology', histopathology_result: 'histopathology (PAD-UFES-20 biopsed=True)' }
    : { verification_stage: 'initial' };
}

export const padUfes20 = defineImporter({
  id: ID,
  version: '1.1.0',
  description:
    'PAD-UFES-20 (Pacheco et al. 2020) metadata.csv: smartphone clinical images, not dermoscopy. ' +
    'patient_id = "pad-ufes-20:<patient_id>"; lesion_diameter_mm is the larger of diameter_1/diameter_2; ' +
    'elevation True → palpable, False → flat; biopsed True → histology, else initial. ACK is stored as ' +
    'actinic keratosis (premalignant, outside the 9). Lesion ids are scoped per patient.',
  inputs: [{ name: 'metadata', description: 'metadata.csv', required: true }],
  vocabulary: vocabularyOf(PAD_UFES_20_LABELS),
  collection: {
    slug: ID,
    name: 'PAD-UFES-20',
    source: 'https://doi.org/10.17632/zr7vgbcyr2.1',
    citation:
      'Pacheco AGC et al. PAD-UFES-20: A skin lesion dataset composed of patient data and clinical images ' +
      'collected from smartphones. Data in Brief 32, 106221 (2020). doi:10.1016/j.dib.2020.106221',
    license: 'CC BY 4.0',
    attribution:
      'PAD-UFES-20 by Andre G. C. Pacheco et al., Dermatological and Surgical Assistance Program (PAD), Federal ' +
      'University of Espírito Santo (UFES), Mendeley Data doi:10.17632/zr7vgbcyr2.1, licensed CC BY 4.0.',
    version: '1',
  },
  *rows(inputs): Iterable<ImportRow> {
    const rows = inputs.metadata ?? [];
    requireColumns(ID, 'metadata', rows, 'patient_id', 'img_id', 'diagnostic');
    for (const row of rows) {
      const image = cell(row, 'img_id');
      const patientId = cell(row, 'patient_id');
      const label = cell(row, 'diagnostic');
      if (!image || !patientId || !label) {
        const empty = [!image && 'img_id', !patientId && 'patient_id', !label && 'diagnostic'].filter(Boolean);
        yield { kind: 'invalid', fileName: image ?? '', reason: `${empty.join(', ')} empty` };
        continue;
      }
      const region = cell(row, 'region');
      const elevation = flag(cell(row, 'elevation'));
      yield labelledRow(
        own(PAD_UFES_20_LABELS, label.toUpperCase()),
        label,
        image,
        (diagnosis) =>
          compact({
            ...diagnosis,
            patient_id: `${ID}:${patientId}`,
            lesion_id: cell(row, 'lesion_id'),
            age_at_exam: cell(row, 'age'),
            sex: publicSex(cell(row, 'gender', 'sex')),
            fitzpatrick_type: phototype(cell(row, 'fitspatrick', 'fitzpatrick')),
            anatomical_site: publicSite(region && (own(REGIONS, region.toUpperCase()) ?? region)),
            lesion_diameter_mm: diameter(cell(row, 'diameter_1'), cell(row, 'diameter_2')),
            elevation: elevation === undefined ? undefined : elevation ? 'palpable' : 'flat',
            ...verification(flag(cell(row, 'biopsed'))),
          }),
        `"${label}" is not one of PAD-UFES-20's diagnostic labels (${Object.keys(PAD_UFES_20_LABELS).join(', ')})`,
      );
    }
  },
});
