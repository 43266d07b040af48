import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Task, TaskService } from 'nestjs-tasks';
import type { ReportRequest } from './report-request';

export interface ReportSummary {
  name: string;
  rows: number;
  total: number;
  average: number;
  min: number;
  max: number;
  /** ISO 8601: a return value must survive JSON, so no Date. */
  generatedAt: string;
  workerId: string;
  attempt: number;
}

/** The queue report tasks go to; workers of the sample take it along with `default`. */
export const REPORTS_QUEUE = 'reports';

const STEPS = 5;
/** How fast the pretend report reads rows: 1 000 rows take 4 s, enough to watch the progress. */
const ROWS_PER_SECOND = 250;

@Injectable()
export class ReportTasks {
  constructor(private readonly tasks: TaskService) {}

  /**
   * Builds a report over `rows` generated rows, in a few steps. It records its progress after
   * each step and stops between steps when its signal fires (cancel, timeout or shutdown).
   */
  @Task({ name: 'reports.generate', queueName: REPORTS_QUEUE, maxAttempts: 3, timeout: 5 * 60_000 })
  async generate(request: ReportRequest): Promise<ReportSummary> {
    const context = this.tasks.context();
    const { name, rows } = request;
    let total = 0;
    let min = Infinity;
    let max = -Infinity;
    let done = 0;
    await context.setProgress(0, rows, 'Starting');
    for (let step = 1; step <= STEPS; step++) {
      const until = Math.round((rows * step) / STEPS);
      // Rejects with an AbortError as soon as the signal fires.
      await sleep(((until - done) / ROWS_PER_SECOND) * 1000, undefined, { signal: context.signal });
      for (; done < until; done++) {
        const amount = amountOfRow(done);
        total += amount;
        min = Math.min(min, amount);
        max = Math.max(max, amount);
      }
      await context.setProgress(done, rows, `Processed ${done} of ${rows} rows`);
    }
    return {
      name,
      rows,
      total: round(total),
      average: round(total / rows),
      min,
      max,
      generatedAt: new Date().toISOString(),
      workerId: context.workerId,
      attempt: context.attempt,
    };
  }
}

/** A deterministic pretend amount for row `index`, 0.00..99.99. */
function amountOfRow(index: number): number {
  return ((index * 7919) % 10_000) / 100;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
