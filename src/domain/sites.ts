import type { AnatomicalSite } from './enums.ts';

/** ISIC's legacy `anatom_site_general` values (challenge files up to 2020). */
export type IsicSiteGeneral =
  | 'head/neck'
  | 'anterior torso'
  | 'posterior torso'
  | 'lateral torso'
  | 'upper extremity'
  | 'lower extremity'
  | 'palms/soles'
  | 'oral/genital';

export interface SiteInfo {
  readonly code: AnatomicalSite;
  readonly label: string;
  /** ISIC legacy anatom_site_general; null where the legacy list has no value (an unspecified trunk site). */
  readonly isicGeneral: IsicSiteGeneral | null;
  /** The node of ISIC's anatom_site hierarchy (ImageMarkup/isic-metadata) this site maps onto. */
  readonly isicPath: string;
}

export const SITES: Readonly<Record<AnatomicalSite, SiteInfo>> = {
  HEAD_NECK: { code: 'HEAD_NECK', label: 'head_neck', isicGeneral: 'head/neck', isicPath: 'Head and neck' },
  SCALP: { code: 'SCALP', label: 'scalp', isicGeneral: 'head/neck', isicPath: 'Head and neck:Head:Scalp' },
  FACE: { code: 'FACE', label: 'face', isicGeneral: 'head/neck', isicPath: 'Head and neck:Head:Face' },
  EAR: { code: 'EAR', label: 'ear', isicGeneral: 'head/neck', isicPath: 'Head and neck:Head:Ear' },
  NECK: { code: 'NECK', label: 'neck', isicGeneral: 'head/neck', isicPath: 'Head and neck:Neck' },
  TRUNK: { code: 'TRUNK', label: 'trunk', isicGeneral: null, isicPath: 'Trunk' },
  ANTERIOR_TORSO: {
    code: 'ANTERIOR_TORSO',
    label: 'anterior_torso',
    isicGeneral: 'anterior torso',
    isicPath: 'Trunk:Anterior trunk',
  },
  POSTERIOR_TORSO: {
    code: 'POSTERIOR_TORSO',
    label: 'posterior_torso',
    isicGeneral: 'posterior torso',
    isicPath: 'Trunk:Posterior trunk',
  },
  LATERAL_TORSO: {
    code: 'LATERAL_TORSO',
    label: 'lateral_torso',
    isicGeneral: 'lateral torso',
    isicPath: 'Trunk:Lateral trunk',
  },
  UPPER_EXTREMITY: {
    code: 'UPPER_EXTREMITY',
    label: 'upper_extremity',
    isicGeneral: 'upper extremity',
    isicPath: 'Upper extremity',
  },
  LOWER_EXTREMITY: {
    code: 'LOWER_EXTREMITY',
    label: 'lower_extremity',
    isicGeneral: 'lower extremity',
    isicPath: 'Lower extremity',
  },
  PALMS_SOLES: {
    code: 'PALMS_SOLES',
    label: 'palms_soles',
    isicGeneral: 'palms/soles',
    // ISIC's hierarchy has no single palms/soles node; the palm is the closer of its two leaves.
    isicPath: 'Upper extremity:Hand:Palm of hand',
  },
  ORAL_GENITAL: {
    code: 'ORAL_GENITAL',
    label: 'oral_genital',
    isicGeneral: 'oral/genital',
    isicPath: 'Anogenital region:Genital region',
  },
};

const normalise = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z]+/g, ' ')
    .trim();

/** Input spellings (ours, ISIC legacy, HAM10000 `localization`, Derm7pt `location`) onto a site. */
const SITE_SYNONYMS: ReadonlyArray<readonly [string, AnatomicalSite]> = [
  ['head neck', 'HEAD_NECK'],
  ['head', 'HEAD_NECK'],
  ['scalp', 'SCALP'],
  ['face', 'FACE'],
  ['ear', 'EAR'],
  ['neck', 'NECK'],
  ['anterior torso', 'ANTERIOR_TORSO'],
  ['chest', 'ANTERIOR_TORSO'],
  ['abdomen', 'ANTERIOR_TORSO'],
  ['trunk', 'TRUNK'],
  ['torso', 'TRUNK'],
  ['posterior torso', 'POSTERIOR_TORSO'],
  ['back', 'POSTERIOR_TORSO'],
  ['lateral torso', 'LATERAL_TORSO'],
  ['upper extremity', 'UPPER_EXTREMITY'],
  ['upper limbs', 'UPPER_EXTREMITY'],
  ['hand', 'UPPER_EXTREMITY'],
  ['lower extremity', 'LOWER_EXTREMITY'],
  ['lower limbs', 'LOWER_EXTREMITY'],
  ['buttocks', 'LOWER_EXTREMITY'],
  ['foot', 'LOWER_EXTREMITY'],
  ['palms soles', 'PALMS_SOLES'],
  ['acral', 'PALMS_SOLES'],
  ['oral genital', 'ORAL_GENITAL'],
  ['genital', 'ORAL_GENITAL'],
  ['genital areas', 'ORAL_GENITAL'],
];
const SITE_MAP = new Map<string, AnatomicalSite>(SITE_SYNONYMS.map(([k, v]) => [normalise(k), v]));
for (const s of Object.values(SITES)) SITE_MAP.set(normalise(s.label), s.code);

/** The site for an input spelling, or undefined when it is not one we know. */
export const parseSite = (raw: string): AnatomicalSite | undefined => SITE_MAP.get(normalise(raw));
