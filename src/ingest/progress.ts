// Progress of a long ingest run (an import, the demo seed) on stderr, for the CLI and the first start.
import cliProgress from 'cli-progress';

/** A progress bar on stderr when it is a terminal; plain periodic lines otherwise (CI logs). */
export function progressBar(label: string) {
  const tty = process.stderr.isTTY;
  const bar = new cliProgress.SingleBar(
    {
      format: `${label.padEnd(12)} [{bar}] {percentage}% | {value}/{total} | {eta_formatted} left`,
      stream: process.stderr,
      noTTYOutput: !tty,
      notTTYSchedule: 10_000,
      hideCursor: tty,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done: number, total: number) {
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.setTotal(total);
      bar.update(done);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** A bar per phase of a multi-phase job (a stopped bar no longer draws, so each phase gets its own). */
export function phaseProgress() {
  let phase = '';
  let bar = progressBar('');
  return {
    update(p: { phase: string; done: number; total: number }) {
      if (p.phase !== phase) {
        bar.stop();
        bar = progressBar(p.phase);
        phase = p.phase;
      }
      bar.update(p.done, p.total);
    },
    stop: () => bar.stop(),
  };
}
