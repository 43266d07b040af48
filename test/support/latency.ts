import { spawnWorker, WorkerProcess, WORKER_START_MS } from './worker-process';
import type { TestDatabase } from './test-database';

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** `p50 … ms, p95 … ms, p99 … ms, max … ms` of ascending `values`. */
export function latencySummary(values: number[]): string {
  return `p50 ${percentile(values, 50).toFixed(1)} ms, p95 ${percentile(values, 95).toFixed(1)} ms, ` +
    `p99 ${percentile(values, 99).toFixed(1)} ms, max ${values[values.length - 1].toFixed(1)} ms`;
}

/** A worker of another process that polls only every second, started and past its first claims and lease reaping. */
export async function startIdleWorker(db: TestDatabase): Promise<WorkerProcess> {
  const worker = spawnWorker(db, ['--concurrency', '10', '--interval', '1000', '--worker-id', 'idle-worker']);
  await worker.waitForOutput('Worker idle-worker started', WORKER_START_MS);
  await new Promise((resolve) => setTimeout(resolve, 500));
  return worker;
}
