// What is wrong with a caller's input, as a pure rule sees it. Domain functions never throw for a
// caller's mistake: they return a Refusal, and the service that called them words it as a typed
// GraphQL error (resolvers/errors.ts accepted()), naming the argument.

export interface Refusal {
  readonly refused: string;
  /** The argument at fault, as the API names it (input.folds, part). */
  readonly argument: string;
}

export const refusal = (refused: string, argument: string): Refusal => ({ refused, argument });

export const isRefusal = (x: unknown): x is Refusal =>
  typeof x === 'object' && x !== null && 'refused' in x && 'argument' in x;
