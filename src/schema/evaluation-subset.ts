import { builder } from '../builder.ts';
import type { EvaluationSubset } from '../resolvers/evaluation-subset.ts';
import { ImageFilter, SplitSelectionInput } from './image.ts';

/** The subset an evaluation, a structure agreement or an interpretability read is made on. */
export const EvaluationSubsetInput = builder.inputRef<EvaluationSubset>('EvaluationSubsetInput').implement({
  description:
    'Which images: exactly one of a filter, a stored split (or one of its parts), a collection (by slug) or a ' +
    'release (its images, with the labels it froze; a split made on a release is read as of it too). None or ' +
    'several is BAD_USER_INPUT, and so is an unknown split, part, collection or release.',
  fields: (t) => ({
    filter: t.field({ type: ImageFilter, description: 'The images of a filter, as `images` selects them' }),
    split: t.field({ type: SplitSelectionInput, description: 'A stored split, or one of its parts or folds' }),
    collection: t.string({ description: 'A collection’s slug (1–200 characters)' }),
    release: t.string({
      description:
        'A stored release’s id (as `release(id:)` takes it: a String, not a global id): its images, as of it',
    }),
  }),
});
