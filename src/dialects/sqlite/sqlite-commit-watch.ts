import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

/**
 * How long the watch rests after a report. A busy process commits thousands of times a second,
 * and each commit is several writes: a watch left open would cost the worker a callback for every
 * one of them, which measured as a tenth of its throughput.
 */
export const COMMIT_WATCH_REST_MS = 5;

/**
 * Reports commits to a SQLite file by any process, as they happen. SQLite has no notifications,
 * but the processes that share a file share one machine, and every commit writes the WAL (or,
 * without WAL, the database file), which the kernel reports to a file watch. A transaction that
 * changes nothing writes nothing, so an idle worker's empty claims never wake another.
 *
 * The first write reports at once; the watch then closes for COMMIT_WATCH_REST_MS and reports
 * again when it reopens, for what was written meanwhile (the rest of that commit, others). The
 * directory is watched rather than the files: the WAL file comes and goes. Returns the stop
 * function, or null where the platform cannot watch (the worker's poll still finds every task).
 */
export function watchCommits(file: string, onCommit: () => void): (() => void) | null {
  const path = resolve(file);
  const names = new Set([basename(path), `${basename(path)}-wal`]);
  let watcher: FSWatcher | undefined;
  let resting: NodeJS.Timeout | undefined;
  let stopped = false;

  const open = (): boolean => {
    try {
      watcher = watch(dirname(path), { persistent: false }, (_event, name) => {
        if (name !== null && !names.has(String(name))) return;
        watcher?.close();
        watcher = undefined;
        resting = setTimeout(reopen, COMMIT_WATCH_REST_MS);
        onCommit();
      });
    } catch {
      return false;
    }
    // A watch that fails later (the directory removed) ends quietly, as one that never started.
    watcher.on('error', () => watcher?.close());
    return true;
  };
  const reopen = () => {
    resting = undefined;
    if (stopped || !open()) return;
    onCommit();
  };

  if (!open()) return null;
  return () => {
    stopped = true;
    clearTimeout(resting);
    watcher?.close();
  };
}
