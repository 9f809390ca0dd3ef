import type { Role } from '../db/generated/sqlite/enums.ts';

export type { Role };

/**
 * Roles are ordered: each includes the rights of the ones before it.
 * viewer reads the dataset; annotator also reads the intake log and annotates; reviewer also sees
 * examiner and reviewer codes and reviews; admin also manages settings and corrects labels.
 */
export const ROLES: readonly Role[] = ['VIEWER', 'ANNOTATOR', 'REVIEWER', 'ADMIN'];

export const roleAtLeast = (role: Role | null, min: Role): boolean =>
  role !== null && ROLES.indexOf(role) >= ROLES.indexOf(min);

export const parseRole = (raw: string): Role | undefined => ROLES.find((r) => r === raw.trim().toUpperCase());
