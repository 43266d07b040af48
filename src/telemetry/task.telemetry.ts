import type { Context, Meter, Span, Tracer } from '@opentelemetry/api';
import type { ClaimedTask, NewTaskRow } from '../dialects/task-dialect.interface';
import type { AttemptHook } from '../execution/attempt-hook';
import type { AttemptResult } from '../execution/task-attempt';
import type { WorkerStore } from '../interfaces/worker-store.interface';
import { packageVersion } from '../package-version';
import { InvalidTaskError } from '../task.errors';
import { loadOpenTelemetry } from './opentelemetry';
import { TaskTracing } from './task.tracing';
import { TaskMetrics } from './task.metrics';
import { QueueDepthGauge } from './queue-depth.gauge';
import { attemptOutcome } from './attempt-outcome';
import type { TaskTelemetryOptions } from './task-telemetry-options';
import type { EnqueueTelemetry } from './enqueue-telemetry';

const INSTRUMENTATION_NAME = 'nestjs-tasks';
const DEFAULT_QUEUE_DEPTH_INTERVAL = 5_000;

/** Traces and metrics of enqueues and attempts (see TaskTracing, TaskMetrics, QueueDepthGauge). */
export class TaskTelemetry implements AttemptHook, EnqueueTelemetry {
  private readonly gauge?: QueueDepthGauge;

  private readonly metrics: TaskMetrics | null;

  /** `meter` null: no meter provider was registered, so no metric is measured at all. */
  constructor(private readonly tracing: TaskTracing, meter: Meter | null, store: (() => WorkerStore | null) | null, queueDepthInterval: number) {
    this.metrics = meter ? new TaskMetrics(meter) : null;
    if (meter && store) this.gauge = new QueueDepthGauge(meter, store, queueDepthInterval);
  }

  async enqueue<T>(rows: NewTaskRow[], store: () => Promise<T>): Promise<T> {
    const stored = await this.tracing.enqueue(rows, store);
    this.metrics?.recordEnqueued(rows);
    return stored;
  }

  around(task: ClaimedTask, attempt: () => Promise<AttemptResult>): Promise<AttemptResult> {
    const { span, context } = this.tracing.startAttempt(task);
    // Without an SDK (no-op span, no meter) the attempt runs as if there were no telemetry: not
    // even an async function of its own around it.
    if (!context && !this.metrics) {
      span.end();
      return attempt();
    }
    return this.measured(task, attempt, span, context);
  }

  private async measured(task: ClaimedTask, attempt: () => Promise<AttemptResult>, span: Span, context: Context | null): Promise<AttemptResult> {
    this.metrics?.recordClaimed(task);
    const started = performance.now();
    const result = await (context ? loadOpenTelemetry()!.context.with(context, attempt) : attempt());
    const { outcome, finalStatus } = attemptOutcome(task, result);
    this.metrics?.recordAttempt(task, (performance.now() - started) / 1000, outcome, finalStatus);
    if (context) this.tracing.endAttempt(span, result, outcome);
    else span.end();
    return result;
  }

  onApplicationShutdown(): void {
    this.gauge?.stop();
  }
}

/** The module's TaskTelemetry: null when turned off or when @opentelemetry/api is not installed. */
export function createTaskTelemetry(
  options: boolean | TaskTelemetryOptions | undefined, store: (() => WorkerStore | null) | null,
): TaskTelemetry | null {
  if (options === false) return null;
  if (options !== undefined && options !== true && (typeof options !== 'object' || options === null)) {
    throw new InvalidTaskError('TasksModule option telemetry must be true, false or an object.');
  }
  const settings: TaskTelemetryOptions = typeof options === 'object' ? options : {};
  const interval = settings.queueDepthInterval ?? DEFAULT_QUEUE_DEPTH_INTERVAL;
  if (typeof interval !== 'number' || !(interval >= 0)) {
    throw new InvalidTaskError(`TasksModule option telemetry.queueDepthInterval must be a number of ms >= 0, got ${String(interval)}.`);
  }
  const api = loadOpenTelemetry();
  if (!api) return null;
  const version = packageVersion();
  // The providers' own types come from the application's copy of the API: only their shape is checked here.
  const tracer = (settings.tracerProvider ?? api.trace).getTracer(INSTRUMENTATION_NAME, version) as Tracer;
  const meter = (settings.meterProvider ?? api.metrics).getMeter(INSTRUMENTATION_NAME, version) as Meter;
  // The API hands out a no-op meter while no SDK is registered (and, unlike tracers, never
  // upgrades it later): then there is nothing to measure.
  const noopMeter = meter.constructor === api.createNoopMeter().constructor;
  return new TaskTelemetry(new TaskTracing(api, tracer), noopMeter ? null : meter, store, interval);
}
