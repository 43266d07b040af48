import { Presets, SingleBar } from 'cli-progress';

export interface ProgressReporter {
  update(done: number): void;
  /** The operation ended after `done` items (fewer than counted when some were left out or changed meanwhile). */
  finish(done: number): void;
  stop(): void;
}

/**
 * A progress bar on stderr, so that stdout keeps only the command's output (JSON with
 * `--json`). Off a terminal it prints a line every second and one at the end, for logs.
 */
export function progressBar(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  const bar = new SingleBar({
    format: `${label} [{bar}] {percentage}% | {value}/{total}`,
    stream,
    noTTYOutput: true,
    notTTYSchedule: 1_000,
    hideCursor: stream.isTTY ? true : null,
  }, Presets.shades_classic);
  bar.start(total, 0);
  let stopped = false;
  return {
    update: (done) => {
      // Tasks that entered the filter after the count: the total grows with them.
      if (done > bar.getTotal()) bar.setTotal(done);
      bar.update(done);
    },
    finish: (done) => {
      bar.setTotal(done);
      bar.update(done);
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
