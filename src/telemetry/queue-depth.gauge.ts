import type { Meter, ObservableGauge, ObservableResult } from '@opentelemetry/api';
import type { WorkerStore } from '../interfaces/worker-store.interface';
import type { QueueDepthRow } from '../dialects/shared/queue-depth';
import { ATTR } from './telemetry.attributes';

/**
 * `nestjs_tasks.queue.depth`: tasks not finished per queue and status, read from the database
 * when a metric reader collects, at most once per `intervalMs` whatever the number of readers.
 */
export class QueueDepthGauge {
  private readonly gauge: ObservableGauge;
  private rows: QueueDepthRow[] = [];
  private readAt = -Infinity;
  private reading?: Promise<void>;
  private readonly observe = (result: ObservableResult) => this.collect(result);

  constructor(meter: Meter, private readonly store: () => WorkerStore | null, private readonly intervalMs: number) {
    this.gauge = meter.createObservableGauge('nestjs_tasks.queue.depth', {
      description: 'Tasks not finished, per queue and status (READY, RUNNING, WAITING).', unit: '{task}',
    });
    this.gauge.addCallback(this.observe);
  }

  stop(): void {
    this.gauge.removeCallback(this.observe);
  }

  private async collect(result: ObservableResult): Promise<void> {
    if (performance.now() - this.readAt >= this.intervalMs) await (this.reading ??= this.read());
    for (const row of this.rows) result.observe(row.count, { [ATTR.QUEUE]: row.queue, [ATTR.STATUS]: row.status });
  }

  private async read(): Promise<void> {
    try {
      const store = this.store();
      this.rows = store ? await store.dialect.queueDepth() : [];
    } catch {
      // Not started yet, or the database is unreachable: no depth is better than a stale one.
      this.rows = [];
    } finally {
      this.readAt = performance.now();
      this.reading = undefined;
    }
  }
}
