// A user's mistake on the command line (an unknown format, policy, split or part, JSON that does
// not parse, a filter the API would refuse) is one line on stderr and exit code 2, as `import` and
// `token` answer; anything else is a fault and keeps its stack.
import { GraphQLError } from 'graphql';

/** A mistake in a command's arguments, found by the CLI itself. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The codes the services refuse a caller's input with: the same mistakes over the API. */
const USER_CODES = new Set(['BAD_USER_INPUT', 'NOT_FOUND', 'FORBIDDEN']);

/** The one line a user mistake is reported as, or undefined for a fault. */
export function mistakeOf(e: unknown): string | undefined {
  if (e instanceof UsageError) return e.message;
  if (e instanceof GraphQLError && USER_CODES.has(String(e.extensions.code ?? ''))) {
    const argument = e.extensions.argument;
    const message = e.message.split('\n')[0] ?? e.message;
    // the API's argument names (input.seed, filter.split) say which option was wrong
    return typeof argument === 'string' && argument !== '' && !message.includes(argument)
      ? `${message} (${argument})`
      : message;
  }
  return undefined;
}

/**
 * Runs a command's work; a user mistake becomes `dermaset <command>: <message>` on stderr and exit
 * code 2 (the process exits through the caller, after the database is closed).
 */
export async function reportingMistakes(command: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (e) {
    const line = mistakeOf(e);
    if (line === undefined) throw e;
    process.stderr.write(`dermaset ${command}: ${line.replace(/\s*\n\s*/g, ' ')}\n`);
    process.exitCode = 2;
  }
}

/** A JSON option's value, or a UsageError naming the option and where the text stops parsing. */
export function parseJsonOption(option: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${option} is not JSON: ${(e as Error).message}`);
  }
}
