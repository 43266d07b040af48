import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import type { ClaimedTask, NewTaskRow } from '../dialects/task-dialect.interface';
import { toDate } from '../dialects/shared/task-row.mapper';
import type { TaskResultStatus } from '../task-result-status.enum';
import { ATTR } from './telemetry.attributes';
import type { AttemptOutcome } from './attempt-outcome';

/** Seconds, the unit OpenTelemetry recommends for durations; buckets from 5 ms to 5 min. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** The counters and histograms of tasks; the queue depth gauge is QueueDepthGauge's. */
export class TaskMetrics {
  private readonly enqueued: Counter;
  private readonly finished: Counter;
  private readonly queueTime: Histogram;
  private readonly runTime: Histogram;

  constructor(meter: Meter) {
    this.enqueued = meter.createCounter('nestjs_tasks.tasks.enqueued', { description: 'Tasks enqueued.', unit: '{task}' });
    this.finished = meter.createCounter('nestjs_tasks.tasks.finished', {
      description: 'Tasks that reached a final status (SUCCESSFUL, FAILED, CANCELLED) in an attempt.', unit: '{task}',
    });
    const advice = { explicitBucketBoundaries: DURATION_BUCKETS };
    this.queueTime = meter.createHistogram('nestjs_tasks.task.queue_time', {
      description: 'From when an attempt was due to when a worker claimed it, by the database clock.', unit: 's', advice,
    });
    this.runTime = meter.createHistogram('nestjs_tasks.task.run_time', { description: 'How long an attempt ran.', unit: 's', advice });
  }

  recordEnqueued(rows: NewTaskRow[]): void {
    for (const row of rows) this.enqueued.add(1, { [ATTR.TASK_NAME]: row.taskName, [ATTR.QUEUE]: row.queueName });
  }

  /** Both times are the database's (the row's run_after and the claim's now); nothing to record without them. */
  recordClaimed(task: ClaimedTask): void {
    const due = toDate(task.runAfter);
    const claimed = toDate(task.claimedAt);
    if (!due || !claimed) return;
    this.queueTime.record(Math.max(0, claimed.getTime() - due.getTime()) / 1000, { [ATTR.TASK_NAME]: task.taskName, [ATTR.QUEUE]: task.queueName });
  }

  recordAttempt(task: ClaimedTask, seconds: number, outcome: AttemptOutcome, finalStatus: TaskResultStatus | null): void {
    const attributes: Attributes = { [ATTR.TASK_NAME]: task.taskName, [ATTR.QUEUE]: task.queueName };
    this.runTime.record(seconds, { ...attributes, [ATTR.OUTCOME]: outcome });
    if (finalStatus) this.finished.add(1, { ...attributes, [ATTR.STATUS]: finalStatus });
  }
}
