// Derm7pt (Kawahara et al. 2019): release_v0/meta/meta.csv, one row per case, with the columns
// case_num, diagnosis, seven_point_score, pigment_network, streaks, pigmentation,
// regression_structures, dots_and_globules, blue_whitish_veil, vascular_structures,
// level_of_diagnostic_difficulty, elevation, location, sex, management, clinic, derm, case_id, notes.
// Each case has a clinical and a dermoscopic image (paths relative to release_v0/images); we import
// the dermoscopic one (`derm`).

import type { DermoscopicStructure } from '../../domain/enums.ts';
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
  structureList,
  vocabularyOf,
} from './kit.ts';
import { FLAT_MELANOTIC, LENTIGO_NOS } from './public-terms.ts';

const ID = 'derm7pt';

const NEVUS = CLASS_TERM.NEVUS;
const MELANOMA = 'Malignant:Malignant melanocytic proliferations (Melanoma)';

/**
 * The twenty `diagnosis` labels with their terms. The diagnosis text recorded is one our classes
 * normalise (domain/classes.ts), so the class never depends on a new synonym; where ISIC names a
 * finer term under the class (blue nevus, melanoma in situ…) the record carries it.
 */
export const DERM7PT_LABELS: Readonly<Record<string, LabelMeaning>> = {
  'basal cell carcinoma': meaning(CLASS_TERM.BASAL_CELL_CARCINOMA, 'basal cell carcinoma'),
  // Derm7pt splits its melanomas by Breslow thickness; every one is our melanoma
  melanoma: meaning(CLASS_TERM.MELANOMA, 'melanoma'),
  'melanoma (in situ)': meaning(`${MELANOMA}:Melanoma in situ`, 'melanoma in situ'),
  'melanoma (less than 0.76 mm)': meaning(`${MELANOMA}:Melanoma Invasive`, 'invasive melanoma'),
  'melanoma (0.76 to 1.5 mm)': meaning(`${MELANOMA}:Melanoma Invasive`, 'invasive melanoma'),
  'melanoma (more than 1.5 mm)': meaning(`${MELANOMA}:Melanoma Invasive`, 'invasive melanoma'),
  // ISIC's hierarchy files "Melanoma metastasis" beside "Melanoma in situ" and "Melanoma Invasive"
  // under Malignant melanocytic proliferations (Melanoma): same origin, same status, same node.
  'melanoma metastasis': meaning(`${MELANOMA}:Melanoma metastasis`, 'melanoma'),
  // "Clark nevus" is our synonym of dysplastic nevus (ISIC: "Nevus, Atypical, Dysplastic, or Clark")
  'clark nevus': meaning(`${CLASS_TERM.DYSPLASTIC_NEVUS}:Nevus, Clark`, 'clark nevus'),
  // the other nevi are children of ISIC's Nevus node (Blue nevus; Nevus, NOS, Dermal; Nevus,
  // Congenital; Nevus, Combined; Nevus, Recurrent or persistent; Nevus, Reed; Nevus, Spitz): our nevus
  'blue nevus': meaning(`${NEVUS}:Blue nevus`, 'blue nevus'),
  'dermal nevus': meaning(`${NEVUS}:Nevus, NOS, Dermal`, 'intradermal nevus'),
  'congenital nevus': meaning(`${NEVUS}:Nevus, Congenital`, 'congenital nevus'),
  'combined nevus': meaning(`${NEVUS}:Nevus, Combined`, 'melanocytic nevus'),
  'recurrent nevus': meaning(`${NEVUS}:Nevus, Recurrent or persistent`, 'melanocytic nevus'),
  // Reed and Spitz nevi are two sibling terms under Nevus: the Nevus node, which holds both
  'reed or spitz nevus': meaning(NEVUS, 'melanocytic nevus'),
  'seborrheic keratosis': meaning(CLASS_TERM.SEBORRHEIC_KERATOSIS, 'seborrheic keratosis'),
  dermatofibroma: meaning(CLASS_TERM.DERMATOFIBROMA, 'dermatofibroma'),
  // as HAM10000's vasc (see ham10000.ts): benign vascular lesions, angiomas the bulk of them, same
  // origin and status as our hemangioma; a stricter reading would make it unmapped (bump the version)
  'vascular lesion': meaning(CLASS_TERM.HEMANGIOMA, 'hemangioma'),
  // a lentigo the table does not qualify (simplex or solar): ISIC's Lentigo NOS, benign, outside the 9
  lentigo: meaning(LENTIGO_NOS, 'lentigo'),
  // a flat melanotic pigmentation, no melanocytic nevus (Derm7pt does not say mucosal): ISIC's node, benign
  melanosis: meaning(FLAT_MELANOTIC, 'melanosis'),
  // Derm7pt groups unrelated diagnoses here and names none of them: Unknown, status unknown
  miscellaneous: meaning(UNKNOWN_TERM, 'miscellaneous'),
};

// The 7-point criteria onto our structures (domain/structures.ts, source derm7pt). Values without a
// structure of ours are left out, never forced: vascular "within regression" (vessels inside
// regression areas; the regression itself is its own column) and "wreath" (crown vessels).
const PIGMENT_NETWORK: Readonly<Record<string, DermoscopicStructure>> = {
  typical: 'PIGMENT_NETWORK_TYPICAL',
  atypical: 'PIGMENT_NETWORK_ATYPICAL',
};
const STREAKS: Readonly<Record<string, DermoscopicStructure>> = {
  regular: 'STREAKS_REGULAR',
  irregular: 'STREAKS_IRREGULAR',
};
/** Derm7pt's `pigmentation` is the checklist's blotches, diffuse or localised. */
const PIGMENTATION: Readonly<Record<string, DermoscopicStructure>> = {
  'diffuse regular': 'BLOTCH_REGULAR',
  'localized regular': 'BLOTCH_REGULAR',
  'diffuse irregular': 'BLOTCH_IRREGULAR',
  'localized irregular': 'BLOTCH_IRREGULAR',
};
/** White areas, blue areas (peppering) or both: our regression structures. */
const REGRESSION: Readonly<Record<string, DermoscopicStructure>> = {
  'blue areas': 'REGRESSION_STRUCTURES',
  'white areas': 'REGRESSION_STRUCTURES',
  combinations: 'REGRESSION_STRUCTURES',
};
const DOTS_GLOBULES: Readonly<Record<string, DermoscopicStructure>> = {
  regular: 'DOTS_GLOBULES_REGULAR',
  irregular: 'DOTS_GLOBULES_IRREGULAR',
};
const VEIL: Readonly<Record<string, DermoscopicStructure>> = { present: 'BLUE_WHITISH_VEIL' };
const VESSELS: Readonly<Record<string, DermoscopicStructure>> = {
  arborizing: 'VESSELS_ARBORIZING',
  dotted: 'VESSELS_DOTTED',
  comma: 'VESSELS_COMMA',
  hairpin: 'VESSELS_HAIRPIN',
  'linear irregular': 'VESSELS_LINEAR_IRREGULAR',
};

/** Each criterion column with its table. */
export const DERM7PT_CRITERIA: ReadonlyArray<readonly [string, Readonly<Record<string, DermoscopicStructure>>]> = [
  ['pigment_network', PIGMENT_NETWORK],
  ['streaks', STREAKS],
  ['pigmentation', PIGMENTATION],
  ['regression_structures', REGRESSION],
  ['dots_and_globules', DOTS_GLOBULES],
  ['blue_whitish_veil', VEIL],
  ['vascular_structures', VESSELS],
];

const structures = (row: Readonly<Record<string, string>>): string | undefined =>
  structureList(
    DERM7PT_CRITERIA.map(([column, table]) => {
      const v = cell(row, column);
      return v === undefined ? undefined : own(table, v.toLowerCase());
    }),
  );

/** `flat`, `palpable`, `nodular`: our elevation words as they are. */
const ELEVATIONS = new Set(['flat', 'palpable', 'nodular']);

export const derm7pt = defineImporter({
  id: ID,
  version: '1.1.0',
  description:
    'Derm7pt (Kawahara et al. 2019) meta/meta.csv: one record per case from its dermoscopic image (derm). ' +
    'patient_id = "derm7pt:<case_num>" (Derm7pt publishes none); the 7-point criteria become dermoscopic ' +
    'structures; elevation, location and sex are kept; stage initial (no per-case histology mark). ' +
    'lentigo (Lentigo NOS) and melanosis (flat melanotic pigmentation) are stored as benign, miscellaneous as ' +
    'Unknown, all three outside the 9.',
  inputs: [{ name: 'metadata', description: 'meta/meta.csv', required: true }],
  vocabulary: vocabularyOf(DERM7PT_LABELS),
  collection: {
    slug: ID,
    name: 'Derm7pt (seven-point checklist dermoscopy dataset)',
    source: 'https://derm.cs.sfu.ca',
    citation:
      'Kawahara J, Daneshvar S, Argenziano G, Hamarneh G. Seven-Point Checklist and Skin Lesion Classification ' +
      'Using Multitask Multimodal Neural Nets. IEEE J Biomed Health Inform 23(2), 538–546 (2019). ' +
      'doi:10.1109/JBHI.2018.2824327',
    license: 'no formal licence published: research use, see https://derm.cs.sfu.ca',
    attribution:
      'Derm7pt by Jeremy Kawahara, Sara Daneshvar, Giuseppe Argenziano and Ghassan Hamarneh (Simon Fraser ' +
      'University; images from the Interactive Atlas of Dermoscopy), obtained from https://derm.cs.sfu.ca for ' +
      'research use.',
    version: 'release_v0',
  },
  *rows(inputs): Iterable<ImportRow> {
    const rows = inputs.metadata ?? [];
    requireColumns(ID, 'metadata', rows, 'case_num', 'diagnosis', 'derm');
    for (const row of rows) {
      const caseNum = cell(row, 'case_num');
      const derm = cell(row, 'derm');
      const label = cell(row, 'diagnosis');
      if (!caseNum || !derm || !label) {
        const empty = [!caseNum && 'case_num', !derm && 'derm', !label && 'diagnosis'].filter(Boolean);
        yield { kind: 'invalid', fileName: derm ?? '', reason: `${empty.join(', ')} empty` };
        continue;
      }
      const elevation = cell(row, 'elevation')?.toLowerCase();
      yield labelledRow(
        own(DERM7PT_LABELS, label.toLowerCase()),
        label,
        derm,
        (diagnosis) =>
          compact({
            ...diagnosis,
            patient_id: `${ID}:${caseNum}`,
            sex: publicSex(cell(row, 'sex')),
            // "head neck", "back", "chest", "abdomen", "upper limbs", "lower limbs", "buttocks", "acral",
            // "genital areas" are all spellings domain/sites.ts knows; anything else is left out
            anatomical_site: publicSite(cell(row, 'location')),
            elevation: elevation && ELEVATIONS.has(elevation) ? elevation : undefined,
            dermoscopic_structures: structures(row),
            // Stage initial: the table marks no case as histopathologically confirmed. `management`
            // (excision / clinical follow up / no further examination) is the clinical decision, a
            // prediction target in Kawahara et al., not a statement that the listed diagnosis is the
            // histopathology report's, so it does not raise the stage.
            verification_stage: 'initial',
          }),
        `"${label}" is not one of Derm7pt's diagnosis labels`,
      );
    }
  },
});
