import type { Context, Span, Tracer } from '@opentelemetry/api';
import type { ClaimedTask, NewTaskRow } from '../dialects/task-dialect.interface';
import type { AttemptResult } from '../execution/task-attempt';
import type { OpenTelemetry } from './opentelemetry';
import { formatTraceparent, parseTraceparent } from './traceparent';
import { ATTR, MESSAGING_SYSTEM } from './telemetry.attributes';
import type { AttemptOutcome } from './attempt-outcome';

/**
 * The spans of tasks: a PRODUCER span around each enqueue, whose context every enqueued row
 * stores, and a CONSUMER span around each attempt, child of the stored context: the attempts of
 * a task, its retries and in any process, continue the enqueuer's trace.
 */
export class TaskTracing {
  constructor(private readonly api: OpenTelemetry, private readonly tracer: Tracer) {}

  /** Runs `store` inside a `send` span; the rows get its context before they are stored. */
  async enqueue<T>(rows: NewTaskRow[], store: () => Promise<T>): Promise<T> {
    const { api } = this;
    const queues = [...new Set(rows.map((row) => row.queueName))];
    const span = this.tracer.startSpan(queues.length === 1 ? `send ${queues[0]}` : 'send', {
      kind: api.SpanKind.PRODUCER,
      attributes: {
        [ATTR.SYSTEM]: MESSAGING_SYSTEM,
        [ATTR.OPERATION_NAME]: 'send',
        [ATTR.OPERATION_TYPE]: 'send',
        ...(queues.length === 1 ? { [ATTR.QUEUE]: queues[0] } : {}),
        ...(rows.length === 1 ? { [ATTR.MESSAGE_ID]: rows[0].id, [ATTR.TASK_NAME]: rows[0].taskName } : { [ATTR.BATCH_COUNT]: rows.length }),
      },
    });
    const spanContext = span.spanContext();
    // Without an SDK the span is a no-op with an invalid context: nothing to store, nothing to enter.
    if (!api.isSpanContextValid(spanContext)) {
      span.end();
      return store();
    }
    const traceparent = formatTraceparent(spanContext);
    for (const row of rows) row.traceContext = traceparent;
    try {
      return await api.context.with(api.trace.setSpan(api.context.active(), span), store);
    } catch (error) {
      recordError(api, span, error);
      throw error;
    } finally {
      span.end();
    }
  }

  /**
   * A `process` span for one attempt, child of the enqueuer's stored context (else of the active
   * one), and the context to run the attempt in; null context: a no-op span (no SDK), not entered.
   */
  startAttempt(task: ClaimedTask): { span: Span; context: Context | null } {
    const { api } = this;
    const stored = parseTraceparent(task.traceContext);
    const parent = stored ? api.trace.setSpanContext(api.ROOT_CONTEXT, stored) : api.context.active();
    const span = this.tracer.startSpan(`process ${task.queueName}`, {
      kind: api.SpanKind.CONSUMER,
      attributes: {
        [ATTR.SYSTEM]: MESSAGING_SYSTEM,
        [ATTR.OPERATION_NAME]: 'process',
        [ATTR.OPERATION_TYPE]: 'process',
        [ATTR.QUEUE]: task.queueName,
        [ATTR.MESSAGE_ID]: task.id,
        [ATTR.TASK_NAME]: task.taskName,
        [ATTR.ATTEMPT]: task.attempt,
        [ATTR.MAX_ATTEMPTS]: task.maxAttempts,
      },
    }, parent);
    return { span, context: api.isSpanContextValid(span.spanContext()) ? api.trace.setSpan(parent, span) : null };
  }

  endAttempt(span: Span, result: AttemptResult, outcome: AttemptOutcome): void {
    span.setAttribute(ATTR.OUTCOME, outcome);
    if (result.kind === 'failed') {
      const { name, message, traceback } = result.error;
      span.recordException({ name, message, stack: traceback || undefined });
      span.setAttribute(ATTR.ERROR_TYPE, name);
      span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: `${name}: ${message}` });
    }
    span.end();
  }
}

function recordError(api: OpenTelemetry, span: Span, error: unknown): void {
  const described = error instanceof Error ? error : new Error(String(error));
  span.recordException(described);
  span.setAttribute(ATTR.ERROR_TYPE, described.name);
  span.setStatus({ code: api.SpanStatusCode.ERROR, message: described.message });
}
