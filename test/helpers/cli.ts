/** For tests that run the CLI as child processes: a few seconds each on a busy 2-core machine. */
export const CLI_TIMEOUT = 180_000;
