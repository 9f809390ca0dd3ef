import type { BorderRegularity, DermoscopicStructure } from './enums.ts';

/** Where a structure term comes from: the Derm7pt 7-point checklist, PH2, ISIC 2018 task 2, or classic pattern analysis. */
export type StructureSource = 'derm7pt' | 'ph2' | 'isic2018' | 'pattern-analysis';

export interface StructureInfo {
  readonly code: DermoscopicStructure;
  readonly label: string;
  readonly description: string;
  readonly sources: readonly StructureSource[];
}

const s = (
  code: DermoscopicStructure,
  label: string,
  description: string,
  sources: StructureSource[],
): StructureInfo => ({ code, label, description, sources });

/**
 * The dermoscopic structure vocabulary. Derm7pt's criteria keep their typical/atypical and
 * regular/irregular qualifiers (they carry the diagnostic weight); PH2 and ISIC 2018 use the
 * unqualified parents, which importers map onto the qualified term when the source says which.
 */
export const STRUCTURES: Readonly<Record<DermoscopicStructure, StructureInfo>> = {
  PIGMENT_NETWORK_TYPICAL: s(
    'PIGMENT_NETWORK_TYPICAL',
    'pigment_network_typical',
    'Regular, thin, evenly spaced network',
    ['derm7pt', 'ph2', 'isic2018'],
  ),
  PIGMENT_NETWORK_ATYPICAL: s(
    'PIGMENT_NETWORK_ATYPICAL',
    'pigment_network_atypical',
    'Irregular, thickened, unevenly spaced network',
    ['derm7pt', 'ph2', 'isic2018'],
  ),
  NEGATIVE_NETWORK: s('NEGATIVE_NETWORK', 'negative_network', 'Light lines around dark holes', ['isic2018']),
  DOTS_GLOBULES_REGULAR: s(
    'DOTS_GLOBULES_REGULAR',
    'dots_globules_regular',
    'Evenly sized and distributed dots or globules',
    ['derm7pt', 'ph2', 'isic2018'],
  ),
  DOTS_GLOBULES_IRREGULAR: s(
    'DOTS_GLOBULES_IRREGULAR',
    'dots_globules_irregular',
    'Unevenly sized or distributed dots or globules',
    ['derm7pt', 'ph2', 'isic2018'],
  ),
  STREAKS_REGULAR: s('STREAKS_REGULAR', 'streaks_regular', 'Symmetric radial streaming or pseudopods (starburst)', [
    'derm7pt',
    'ph2',
    'isic2018',
  ]),
  STREAKS_IRREGULAR: s('STREAKS_IRREGULAR', 'streaks_irregular', 'Focal, asymmetric streaks or pseudopods', [
    'derm7pt',
    'ph2',
    'isic2018',
  ]),
  BLOTCH_REGULAR: s('BLOTCH_REGULAR', 'blotch_regular', 'Central, symmetric structureless pigmentation', ['derm7pt']),
  BLOTCH_IRREGULAR: s('BLOTCH_IRREGULAR', 'blotch_irregular', 'Eccentric or asymmetric structureless pigmentation', [
    'derm7pt',
  ]),
  BLUE_WHITISH_VEIL: s(
    'BLUE_WHITISH_VEIL',
    'blue_whitish_veil',
    'Confluent blue pigmentation with a white ground-glass haze',
    ['derm7pt', 'ph2'],
  ),
  REGRESSION_STRUCTURES: s(
    'REGRESSION_STRUCTURES',
    'regression_structures',
    'White scar-like areas and/or blue peppering',
    ['derm7pt', 'ph2'],
  ),
  MILIA_LIKE_CYSTS: s(
    'MILIA_LIKE_CYSTS',
    'milia_like_cysts',
    'White or yellow round structures (seborrheic keratosis)',
    ['isic2018', 'pattern-analysis'],
  ),
  COMEDO_LIKE_OPENINGS: s(
    'COMEDO_LIKE_OPENINGS',
    'comedo_like_openings',
    'Keratin-plugged crypts (seborrheic keratosis)',
    ['pattern-analysis'],
  ),
  FISSURES_RIDGES: s('FISSURES_RIDGES', 'fissures_ridges', 'Cerebriform fissures and ridges (seborrheic keratosis)', [
    'pattern-analysis',
  ]),
  LACUNAE: s('LACUNAE', 'lacunae', 'Red-blue lagoons (hemangioma)', ['pattern-analysis']),
  CENTRAL_WHITE_PATCH: s(
    'CENTRAL_WHITE_PATCH',
    'central_white_patch',
    'Central white scar-like patch (dermatofibroma)',
    ['pattern-analysis'],
  ),
  LEAF_LIKE_AREAS: s('LEAF_LIKE_AREAS', 'leaf_like_areas', 'Brown-grey leaf-like extensions (basal cell carcinoma)', [
    'pattern-analysis',
  ]),
  SPOKE_WHEEL_AREAS: s(
    'SPOKE_WHEEL_AREAS',
    'spoke_wheel_areas',
    'Radial projections from a dark hub (basal cell carcinoma)',
    ['pattern-analysis'],
  ),
  BLUE_GRAY_OVOID_NESTS: s(
    'BLUE_GRAY_OVOID_NESTS',
    'blue_gray_ovoid_nests',
    'Large blue-grey ovoid nests (basal cell carcinoma)',
    ['pattern-analysis'],
  ),
  ULCERATION: s('ULCERATION', 'ulceration', 'Loss of epidermis, often with crust', ['pattern-analysis']),
  VESSELS_ARBORIZING: s(
    'VESSELS_ARBORIZING',
    'vessels_arborizing',
    'Branching, in-focus vessels (basal cell carcinoma)',
    ['derm7pt'],
  ),
  VESSELS_DOTTED: s('VESSELS_DOTTED', 'vessels_dotted', 'Pinpoint vessels', ['derm7pt']),
  VESSELS_COMMA: s('VESSELS_COMMA', 'vessels_comma', 'Short curved vessels (dermal nevus)', ['derm7pt']),
  VESSELS_HAIRPIN: s('VESSELS_HAIRPIN', 'vessels_hairpin', 'Looped vessels (keratinising tumours)', ['derm7pt']),
  VESSELS_GLOMERULAR: s(
    'VESSELS_GLOMERULAR',
    'vessels_glomerular',
    'Coiled vessels (squamous cell carcinoma in situ)',
    ['pattern-analysis'],
  ),
  VESSELS_LINEAR_IRREGULAR: s(
    'VESSELS_LINEAR_IRREGULAR',
    'vessels_linear_irregular',
    'Polymorphous linear vessels (melanoma)',
    ['derm7pt'],
  ),
};

/** Structures whose presence is a clinical sign of malignancy for a melanocytic lesion. */
export const MALIGNANCY_SIGNS: ReadonlySet<DermoscopicStructure> = new Set<DermoscopicStructure>([
  'PIGMENT_NETWORK_ATYPICAL',
  'STREAKS_IRREGULAR',
  'DOTS_GLOBULES_IRREGULAR',
  'BLOTCH_IRREGULAR',
  'BLUE_WHITISH_VEIL',
  'REGRESSION_STRUCTURES',
  'VESSELS_LINEAR_IRREGULAR',
]);

/** Clinical signs of malignancy on a record: an irregular border or a malignancy-sign structure. */
export const showsMalignancySigns = (
  border: BorderRegularity | undefined,
  structures: readonly DermoscopicStructure[],
): boolean => border === 'IRREGULAR' || structures.some((s) => MALIGNANCY_SIGNS.has(s));

const BY_LABEL = new Map<string, DermoscopicStructure>(
  Object.values(STRUCTURES).flatMap((i) => [
    [i.label, i.code],
    [i.code.toLowerCase(), i.code],
  ]),
);

export const parseStructure = (raw: string): DermoscopicStructure | undefined =>
  BY_LABEL.get(
    raw
      .trim()
      .toLowerCase()
      .replace(/[\s-]+/g, '_'),
  );
