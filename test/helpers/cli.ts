// Running the CLI as a user does, as a child process against a test database.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestEnv } from './database.ts';

/** For tests that run the CLI as child processes: a few seconds each on a busy 2-core machine. */
export const CLI_TIMEOUT = 180_000;

export const ROOT = join(import.meta.dirname, '..', '..');

/** Lines that only a stack trace prints: a command's mistake is one line, never one of these. */
export const STACK = /^\s+at |node:internal|\.ts:\d+/m;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment of a command run against the test database (not the parent's DATA_DIR). */
export const cliEnv = (env: TestEnv, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  DATABASE_URL: env.url,
  DATA_DIR: env.dataDir,
  DERMASET_PSEUDONYM_KEY: env.config.pseudonymKey ?? '',
  ...extra,
});

/**
 * Runs a command in a folder against the test database; resolves with the exit code and both
 * streams, never rejects.
 */
export async function run(
  env: TestEnv,
  command: string,
  args: string[],
  opts: { cwd?: string; extra?: Record<string, string> } = {},
): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(command, args, {
      cwd: opts.cwd ?? ROOT,
      env: cliEnv(env, opts.extra),
      timeout: CLI_TIMEOUT,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

/** `dermaset <args>` through the package's bin, as `npx dermaset` runs it. */
export const dermaset = (env: TestEnv, args: string[], extra?: Record<string, string>) =>
  run(env, process.execPath, [join(ROOT, 'bin', 'dermaset.mjs'), ...args], extra ? { extra } : {});
