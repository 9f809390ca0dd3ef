/**
 * A start that cannot go on, with a message that says what to do (printed as one line by the CLI).
 * Its own module, so that the CLI can tell it apart without loading the server.
 */
export class StartError extends Error {
  override name = 'StartError';
}
