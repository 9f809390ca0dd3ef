// The closest allowed values to a mistyped one (edit distance), for refusals that say what was
// probably meant: "did you mean upper_extremity?" for "uper extremity", "anatomical_site" for
// "anatomicalSite". Pure, no I/O.

/** Levenshtein distance between two strings (insertions, deletions, substitutions, each 1). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** How values are compared: case, spaces, hyphens, slashes and underscores do not count. */
export const comparable = (s: string) => s.toLowerCase().replace(/[\s_/-]+/g, '');

/**
 * The allowed values closest to `given`: of those within a third of the longer one's length (at
 * least 2 edits), or containing the given text or contained in it, the nearest (ties: at most
 * `max`, alphabetical). Empty when nothing is close.
 */
export function closest(given: string, allowed: readonly string[], max = 3): string[] {
  const g = comparable(given);
  if (g === '') return [];
  const scored: { value: string; d: number }[] = [];
  for (const value of allowed) {
    const v = comparable(value);
    // a value holding the given text, or held in it, is as close as one typo away
    const holds = g.length >= 3 && v.length >= 3 && (v.includes(g) || g.includes(v));
    const d = holds ? Math.min(1, editDistance(g, v)) : editDistance(g, v);
    const within = Math.max(2, Math.floor(Math.max(g.length, v.length) / 3));
    if (d <= within) scored.push({ value, d });
  }
  scored.sort((a, b) => a.d - b.d || a.value.localeCompare(b.value));
  // only the nearest: "uper extremity" means upper_extremity, not lower_extremity as well
  const best = scored[0]?.d ?? 0;
  return scored
    .filter((s) => s.d === best)
    .slice(0, max)
    .map((s) => s.value);
}

/** Up to this many allowed values are listed in full; longer vocabularies show the closest ones. */
export const LISTED_IN_FULL = 16;

/** A closed vocabulary as a refusal names it. */
export interface Vocabulary {
  /** Its values in the notation of the input refused. */
  readonly values: readonly string[];
  /** Its name, when it has one ("PH2's colours"). */
  readonly name?: string;
  /** Where a vocabulary too long to list is listed in full. */
  readonly listed?: string;
}

/**
 * A vocabulary refusal without the value given: "is not one of: a, b, c; did you mean b?" (a long
 * vocabulary: its name, size and where it is listed, and the closest values).
 */
export function notAllowed(given: string, vocabulary: Vocabulary): string {
  const near = closest(given, vocabulary.values);
  const named = vocabulary.name ? `${vocabulary.name}: ` : '';
  const list =
    vocabulary.values.length <= LISTED_IN_FULL
      ? `${named}${vocabulary.values.join(', ')}`
      : `${vocabulary.name ?? 'the vocabulary'} (${vocabulary.values.length} values${vocabulary.listed ? `, ${vocabulary.listed}` : ''})`;
  return `is not one of: ${list}${near.length > 0 ? `; did you mean ${near.join(' or ')}?` : ''}`;
}
