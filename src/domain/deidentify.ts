// De-identification profiles: how much of a patient's age and of a date an export, a download or a
// read shows. One function per kind of value, used by every exporter, the split manifest, Croissant,
// stats and the GraphQL reads, so that no output generalises on its own terms.
//
// safe-harbor (the default) follows HIPAA's Safe Harbor method for the two quasi-identifiers the
// information model holds: ages of 90 and over become one category ("90+"), dates keep the year.
// research coarsens ages to 5-year bins and dates to the month, for analyses that need the shape;
// limited is exact values, for admins only (a limited data set under a data use agreement).
import type { Role } from './roles.ts';
import { roleAtLeast } from './roles.ts';
import { AGE_RANGE } from './vocabularies.ts';

export const PROFILE_IDS = ['safe-harbor', 'research', 'limited'] as const;
export type ProfileId = (typeof PROFILE_IDS)[number];

/** The profile every export, manifest and viewer read uses when none is named. */
export const DEFAULT_PROFILE: ProfileId = 'safe-harbor';

/** Ages at or above this are one category, "90+", in every profile but limited. */
export const AGE_TOP_CODE = 90;
/** Width of research's age bins, in years ("40-44"). */
export const AGE_BIN_YEARS = 5;

export interface Profile {
  id: ProfileId;
  /** Version of the profile's rules: stamped beside its id, bumped when the same value is shown otherwise. */
  version: string;
  description: string;
  /** The least role that may ask for it. */
  minRole: Role;
  age: string;
  date: string;
}

export const PROFILES: Readonly<Record<ProfileId, Profile>> = {
  'safe-harbor': {
    id: 'safe-harbor',
    version: '1.0.0',
    description: 'HIPAA Safe Harbor for ages and dates: ages of 90 and over as "90+", dates reduced to the year',
    minRole: 'VIEWER',
    age: `exact years below ${AGE_TOP_CODE}, "${AGE_TOP_CODE}+" from ${AGE_TOP_CODE}`,
    date: 'the year (YYYY)',
  },
  research: {
    id: 'research',
    version: '1.0.0',
    description: `Ages in ${AGE_BIN_YEARS}-year bins ("40-44", "${AGE_TOP_CODE}+"), dates reduced to the month`,
    minRole: 'VIEWER',
    age: `${AGE_BIN_YEARS}-year bins ("40-44"), "${AGE_TOP_CODE}+" from ${AGE_TOP_CODE}`,
    date: 'the month (YYYY-MM)',
  },
  limited: {
    id: 'limited',
    version: '1.0.0',
    description: 'Exact ages and dates (a limited data set): admins only',
    minRole: 'ADMIN',
    age: 'exact years',
    date: 'the exact date (YYYY-MM-DD)',
  },
};

/** A profile by its id (own entries only: "constructor" is no profile). */
export function parseProfile(raw: string): ProfileId | undefined {
  return Object.hasOwn(PROFILES, raw) ? (raw as ProfileId) : undefined;
}

/** Whether a role may ask for a profile (limited: admins only). */
export const profileAllowed = (profile: ProfileId, role: Role | null): boolean =>
  roleAtLeast(role, PROFILES[profile].minRole);

/**
 * The profile GraphQL reads apply for a role: exact values for annotators and above (they handle the
 * records), safe-harbor for viewers and anonymous readers.
 */
export const readProfile = (role: Role | null): ProfileId =>
  roleAtLeast(role, 'ANNOTATOR') ? 'limited' : 'safe-harbor';

/** The stamp an output carries: `id@version`. */
export const profileStamp = (profile: ProfileId) => `${profile}@${PROFILES[profile].version}`;

const validAge = (age: unknown): age is number => typeof age === 'number' && Number.isInteger(age) && age >= 0;

/**
 * An age as a profile shows it in an export or a download: the exact number under limited; text
 * otherwise ("45" and "90+" under safe-harbor, "40-44" and "90+" under research), so a column has one
 * type per profile. null when there is no valid age.
 */
export function ageValue(age: number | null | undefined, profile: ProfileId): number | string | null {
  if (!validAge(age)) return null;
  if (profile === 'limited') return age;
  if (age >= AGE_TOP_CODE) return `${AGE_TOP_CODE}+`;
  if (profile === 'safe-harbor') return String(age);
  const from = Math.floor(age / AGE_BIN_YEARS) * AGE_BIN_YEARS;
  return `${from}-${from + AGE_BIN_YEARS - 1}`;
}

/**
 * An age as a number a profile allows: exact under limited; top-coded at 90 under safe-harbor (90
 * stands for "90 or older"); the bin's lower bound under research. For numeric fields (GraphQL's
 * Int, ISIC's age_approx) and for statistics, which are computed over these values.
 */
export function ageNumber(age: number | null | undefined, profile: ProfileId): number | null {
  if (!validAge(age)) return null;
  if (profile === 'limited') return age;
  const top = Math.min(age, AGE_TOP_CODE);
  if (profile === 'safe-harbor' || top === AGE_TOP_CODE) return top;
  return Math.floor(top / AGE_BIN_YEARS) * AGE_BIN_YEARS;
}

/**
 * ISIC's age_approx, through the profile: the profile's age (research: its bin's lower bound) rounded
 * to the nearest 5 and capped at 85, as the ISIC format has it. The ISIC format never holds exact
 * ages, so under limited it rounds the safe-harbor age.
 */
export const ISIC_AGE_CAP = 85;
export function isicAgeApprox(age: number | null | undefined, profile: ProfileId): number | null {
  const a = ageNumber(age, profile === 'limited' ? 'safe-harbor' : profile);
  return a === null ? null : Math.min(ISIC_AGE_CAP, Math.round(a / 5) * 5);
}

/** A date as a profile shows it: "2024" (safe-harbor), "2024-05" (research), "2024-05-17" (limited). */
export function dateValue(date: Date | null | undefined, profile: ProfileId): string | null {
  if (!date || Number.isNaN(date.getTime())) return null;
  const iso = date.toISOString();
  return profile === 'limited' ? iso.slice(0, 10) : profile === 'research' ? iso.slice(0, 7) : iso.slice(0, 4);
}

/**
 * A date-time as a profile allows it, for DateTime fields: the first instant (UTC) of its year
 * (safe-harbor) or month (research); exact under limited.
 */
export function dateTimeValue(date: Date | null | undefined, profile: ProfileId): Date | null {
  if (!date || Number.isNaN(date.getTime())) return null;
  if (profile === 'limited') return date;
  return new Date(Date.UTC(date.getUTCFullYear(), profile === 'research' ? date.getUTCMonth() : 0, 1));
}

/** The end (exclusive) of the year or month a date falls in, under a generalising profile. */
function periodEnd(date: Date, profile: ProfileId): Date {
  const start = dateTimeValue(date, profile) as Date;
  return profile === 'research'
    ? new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1))
    : new Date(Date.UTC(start.getUTCFullYear() + 1, 0, 1));
}

/** Both bounds (those given) pass `ok`, and min is not above max. */
function validRange<T extends number | Date>(r: Range<T>, ok: (v: T) => boolean): boolean {
  const given = [r.min, r.max].filter((v): v is T => v !== null && v !== undefined);
  if (!given.every(ok)) return false;
  return given.length < 2 || (r.min as T) <= (r.max as T);
}

interface Range<T> {
  min?: T | null;
  max?: T | null;
}
/** The parts of an image filter this module generalises; the rest passes through untouched. */
export interface GeneralisableFilter {
  AND?: GeneralisableFilter[] | null;
  OR?: GeneralisableFilter[] | null;
  NOT?: GeneralisableFilter | null;
  ageAtExam?: Range<number> | null;
  acquiredAt?: Range<Date> | null;
}

/**
 * A filter whose age and date bounds select no finer than the profile shows, so that a count cannot
 * reveal what a value hides (`ageAtExam: {min: 104, max: 104}` would single out a 104-year-old):
 * age bounds at or above 90 mean "90+" (a minimum becomes 90, a maximum is dropped); research widens
 * age bounds to whole bins; date bounds widen to whole years (safe-harbor) or months (research).
 * Unchanged under limited.
 */
export function generaliseFilter<F extends GeneralisableFilter>(filter: F, profile: ProfileId): F;
export function generaliseFilter<F extends GeneralisableFilter>(
  filter: F | null | undefined,
  profile: ProfileId,
): F | null | undefined;
export function generaliseFilter<F extends GeneralisableFilter>(
  filter: F | null | undefined,
  profile: ProfileId,
): F | null | undefined {
  if (!filter || profile === 'limited') return filter;
  const out: F = { ...filter };
  if (filter.AND) out.AND = filter.AND.map((f) => generaliseFilter(f, profile));
  if (filter.OR) out.OR = filter.OR.map((f) => generaliseFilter(f, profile));
  if (filter.NOT) out.NOT = generaliseFilter(filter.NOT, profile);
  // a range validation refuses (min above max, outside 0–120, an invalid date) is left as given, so
  // that the caller still gets its BAD_USER_INPUT
  const age = filter.ageAtExam;
  if (age && validRange(age, (v) => Number.isInteger(v) && v >= AGE_RANGE.min && v <= AGE_RANGE.max)) {
    const bin = profile === 'research' ? AGE_BIN_YEARS : 1;
    const min = typeof age.min === 'number' ? Math.min(age.min, AGE_TOP_CODE) : age.min;
    const max = typeof age.max === 'number' && age.max >= AGE_TOP_CODE ? null : age.max;
    out.ageAtExam = {
      ...age,
      min: typeof min === 'number' && min >= 0 ? Math.floor(min / bin) * bin : min,
      max:
        typeof max === 'number' && max >= 0 ? Math.min(Math.floor(max / bin) * bin + bin - 1, AGE_TOP_CODE - 1) : max,
    };
  }
  const date = filter.acquiredAt;
  if (date && validRange(date, (v) => v instanceof Date && !Number.isNaN(v.getTime()))) {
    const { min, max } = date;
    out.acquiredAt = {
      ...date,
      min: min instanceof Date && !Number.isNaN(min.getTime()) ? dateTimeValue(min, profile) : min,
      max: max instanceof Date && !Number.isNaN(max.getTime()) ? new Date(periodEnd(max, profile).getTime() - 1) : max,
    };
  }
  return out;
}
