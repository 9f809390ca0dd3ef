import type { Role } from './roles.ts';

/**
 * Blind review, for every role: until an image's consensus, its independent reviews (class and
 * structures) are seen by their author and by admins only, so no opinion sways the next one. A
 * reviewer whose own review of the image is in also sees the others (theirs can no longer change,
 * and the three reviewers decide the consensus together). After the consensus everyone reading the
 * image sees them. Viewers and annotators author no reviews: they see them after the consensus.
 *
 * Which reviews a role sees, as a description the service turns into its database filter:
 * - `ALL`: every review (admins);
 * - `DECIDED`: the reviews of images with a consensus decision only (viewers, annotators);
 * - `AUTHOR_OR_CO_REVIEWER`: also, before the consensus, their own reviews and those of the
 *   images they reviewed (reviewers).
 */
export type ReviewVisibility = 'ALL' | 'DECIDED' | 'AUTHOR_OR_CO_REVIEWER';

export function reviewVisibility(role: Role | null): ReviewVisibility {
  switch (role) {
    case 'ADMIN':
      return 'ALL';
    case 'REVIEWER':
      return 'AUTHOR_OR_CO_REVIEWER';
    default:
      return 'DECIDED';
  }
}

/** What the rule looks at for one review and one caller. */
export interface ReviewFacts {
  /** The caller wrote this review. */
  author: boolean;
  /** The caller's own review of the same image is in. */
  coReviewer: boolean;
  /** The image has a consensus decision. */
  decided: boolean;
}

/** Whether a caller of this role sees one review: the rule `reviewVisibility` describes. */
export function seesReview(role: Role | null, facts: ReviewFacts): boolean {
  switch (reviewVisibility(role)) {
    case 'ALL':
      return true;
    case 'DECIDED':
      return facts.decided;
    case 'AUTHOR_OR_CO_REVIEWER':
      return facts.decided || facts.author || facts.coReviewer;
  }
}

/**
 * Blind regions: where a reviewer marked each structure (ExpertReview.regions) is stricter than the
 * review itself. Until the image's consensus only the review's author and admins see its regions; a
 * co-reviewer sees the other review's class and structures but not where they lie (a drawing is more
 * suggestive than a word, and the consensus meeting should see the regions all at once). After the
 * consensus, whoever sees the review sees its regions.
 */
export function seesRegions(role: Role | null, facts: Omit<ReviewFacts, 'coReviewer'>): boolean {
  if (role === 'ADMIN') return true;
  return facts.decided || (role === 'REVIEWER' && facts.author);
}
