import { BadRequestException, Injectable } from '@nestjs/common';
import { TaskResultStatus } from '../task-result-status.enum';
import { DashboardDatabase } from './dashboard-database';
import { DashboardTasksReader } from './dashboard-tasks.reader';

export interface DashboardPercentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface DashboardStats {
  /** Minutes the throughput and percentiles cover, ending now (the database's clock). */
  windowMinutes: number;
  bucketSeconds: number;
  /** Tasks per queue and status, all of them. */
  counts: { queueName: string; status: string; count: number }[];
  /** Tasks finished per bucket, oldest bucket first; `secondsAgo` is when the bucket starts. */
  throughput: { secondsAgo: number; succeeded: number; failed: number }[];
  /** Per task, over its tasks finished in the window (the latest `PERCENTILE_SAMPLE` of them). */
  tasks: { taskName: string; finished: number; queueTimeMs: DashboardPercentiles; runTimeMs: DashboardPercentiles }[];
}

const BUCKETS = 60;
const DEFAULT_WINDOW_MINUTES = 60;
const MAX_WINDOW_MINUTES = 7 * 24 * 60;
/** Percentiles are computed here over at most this many of the latest finished tasks, so a busy table costs one bounded read. */
export const PERCENTILE_SAMPLE = 5000;

/** Counts, throughput over time buckets, and queue/run-time percentiles per task. */
@Injectable()
export class DashboardStatsReader {
  constructor(private readonly database: DashboardDatabase, private readonly tasks: DashboardTasksReader) {}

  async stats(windowText?: unknown): Promise<DashboardStats> {
    const windowMinutes = parseWindow(windowText);
    const windowSeconds = windowMinutes * 60;
    const bucketSeconds = windowSeconds / BUCKETS;
    const [counts, throughput, tasks] = await Promise.all([
      this.tasks.counts(),
      this.throughput(windowSeconds, bucketSeconds),
      this.percentiles(windowSeconds),
    ]);
    return { windowMinutes, bucketSeconds, counts, throughput, tasks };
  }

  private async throughput(windowSeconds: number, bucketSeconds: number): Promise<DashboardStats['throughput']> {
    const { statements } = this.database;
    const rows = await this.database.dataSource.createQueryBuilder()
      .select(statements.bucket('r.finished_at'), 'bucket').addSelect('r.status', 'status').addSelect('COUNT(*)', 'count')
      .from('task_results', 'r')
      .where('r.status IN (:...finished)', { finished: [TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED] })
      .andWhere(`r.finished_at >= ${statements.windowStart}`, { windowSeconds })
      .setParameter('bucketSeconds', bucketSeconds)
      .groupBy('bucket').addGroupBy('r.status')
      .getRawMany<{ bucket: string | number; status: string; count: string | number }>();
    const buckets = Array.from({ length: BUCKETS }, (_, index) => ({
      secondsAgo: (BUCKETS - index) * bucketSeconds, succeeded: 0, failed: 0,
    }));
    for (const row of rows) {
      const index = BUCKETS - 1 - Math.min(BUCKETS - 1, Math.max(0, Number(row.bucket)));
      if (row.status === TaskResultStatus.SUCCESSFUL) buckets[index].succeeded += Number(row.count);
      else buckets[index].failed += Number(row.count);
    }
    return buckets;
  }

  private async percentiles(windowSeconds: number): Promise<DashboardStats['tasks']> {
    const { statements } = this.database;
    const rows = await this.database.dataSource.createQueryBuilder()
      .select('r.task_name', 'taskName')
      .addSelect(statements.millisBetween('r.enqueued_at', 'r.started_at'), 'queueMs')
      .addSelect(statements.millisBetween('r.last_attempted_at', 'r.finished_at'), 'runMs')
      .from('task_results', 'r')
      .where('r.status IN (:...finished)', { finished: [TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED] })
      .andWhere(`r.finished_at >= ${statements.windowStart}`, { windowSeconds })
      .andWhere('r.started_at IS NOT NULL').andWhere('r.last_attempted_at IS NOT NULL')
      .orderBy('r.finished_at', 'DESC').limit(PERCENTILE_SAMPLE)
      .getRawMany<{ taskName: string; queueMs: string | number; runMs: string | number }>();
    const byTask = new Map<string, { queue: number[]; run: number[] }>();
    for (const row of rows) {
      const entry = byTask.get(row.taskName) ?? { queue: [], run: [] };
      entry.queue.push(Math.max(0, Number(row.queueMs)));
      entry.run.push(Math.max(0, Number(row.runMs)));
      byTask.set(row.taskName, entry);
    }
    return [...byTask.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([taskName, entry]) => ({
      taskName, finished: entry.run.length, queueTimeMs: percentiles(entry.queue), runTimeMs: percentiles(entry.run),
    }));
  }
}

/** Nearest-rank percentiles, in whole milliseconds. */
export function percentiles(values: number[]): DashboardPercentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => Math.round(sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0);
  return { p50: rank(50), p90: rank(90), p99: rank(99), max: Math.round(sorted[sorted.length - 1] ?? 0) };
}

function parseWindow(value: unknown): number {
  if (value === undefined || value === '') return DEFAULT_WINDOW_MINUTES;
  const minutes = typeof value === 'string' ? Number(value) : NaN;
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_WINDOW_MINUTES) {
    throw new BadRequestException(`window must be a whole number of minutes from 1 to ${MAX_WINDOW_MINUTES}, got ${JSON.stringify(value)}.`);
  }
  return minutes;
}
