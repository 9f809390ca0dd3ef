// The closed vocabularies with their display names (domain/display-names.ts), for Query.vocabularies.
import { VOCABULARIES, type Vocabulary } from '../domain/display-names.ts';
import { badInput } from './errors.ts';

/** Every vocabulary, or the one named (by its enum name); an unknown name is BAD_USER_INPUT naming them. */
export function vocabularies(name?: string | null): readonly Vocabulary[] {
  if (name == null) return VOCABULARIES;
  const v = VOCABULARIES.find((x) => x.name === name);
  if (!v) {
    throw badInput(
      `name: no vocabulary ${JSON.stringify(name.slice(0, 100))}; the vocabularies: ${VOCABULARIES.map((x) => x.name).join(', ')}`,
      'name',
    );
  }
  return [v];
}
