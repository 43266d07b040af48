import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { DataPoint, Histogram, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { DataSource } from 'typeorm';
import { Task, TaskResultStatus, TasksModuleRootOptions, TaskService } from '../../src';
import { createTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { killWorkers, spawnWorker } from '../support/worker-process';
import { ProcessTasks } from '../fixtures/worker-app';

/** Collects on demand, as a Prometheus scrape would. */
class TestMetricReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const flakyRuns = new Map<string, number>();

@Injectable()
class TracedTasks {
  constructor(private readonly tasks: TaskService) {}

  /** Returns the ids of the span current inside the task. */
  @Task()
  async current(): Promise<{ traceId: string; spanId: string } | null> {
    const span = trace.getActiveSpan();
    return span ? { traceId: span.spanContext().traceId, spanId: span.spanContext().spanId } : null;
  }

  @Task({ maxAttempts: 2, backoff: 0 })
  async flaky(): Promise<string> {
    const { id } = this.tasks.context().taskResult;
    const runs = (flakyRuns.get(id) ?? 0) + 1;
    flakyRuns.set(id, runs);
    if (runs === 1) throw new RangeError('first attempt fails');
    return 'second';
  }

  @Task()
  async broken(): Promise<never> {
    throw new TypeError('always fails');
  }
}

const NAMES = {
  current: 'TracedTasks.current',
  flaky: 'TracedTasks.flaky',
  broken: 'TracedTasks.broken',
};

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

async function storedTraceContext(t: TestApp, id: string): Promise<string | null> {
  const row = await t.app.get(DataSource).createQueryBuilder()
    .select('trace_context', 'trace_context').from('task_results', 't').where('id = :id', { id }).getRawOne<{ trace_context: string | null }>();
  return row!.trace_context;
}

describe('telemetry with an OpenTelemetry SDK', () => {
  let db: TestDatabase;
  let t: TestApp;
  let spans: InMemorySpanExporter;
  let reader: TestMetricReader;
  let tracerProvider: BasicTracerProvider;
  let running: Promise<unknown>;

  beforeAll(async () => {
    db = await createTestDatabase();
    spans = new InMemorySpanExporter();
    tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
    reader = new TestMetricReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    t = await createTestApp(db, [TracedTasks, ProcessTasks], { telemetry: { tracerProvider, meterProvider, queueDepthInterval: 0 } });
    running = t.worker.run({ pollInterval: 20 });
  });
  afterAll(async () => {
    await killWorkers();
    await t.worker.stop();
    await running;
    await t.close();
    await db.cleanup();
  });
  beforeEach(() => spans.reset());

  const finished = (name: string) => spans.getFinishedSpans().filter((span) => span.name === name);
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

  it('an attempt\'s span is a child of the enqueue span, itself a child of the caller\'s, and is current inside the task', async () => {
    const caller = tracerProvider.getTracer('test').startSpan('request');
    const task = await context.with(trace.setSpan(context.active(), caller), () => t.tasks.enqueue(TracedTasks, 'current', []));
    caller.end();
    const inside = await task.wait();

    const [send] = finished('send default');
    expect(send.kind).toBe(SpanKind.PRODUCER);
    expect(send.spanContext().traceId).toBe(caller.spanContext().traceId);
    expect(parentOf(send)).toBe(caller.spanContext().spanId);
    expect(send.attributes).toMatchObject({
      'messaging.system': 'nestjs_tasks', 'messaging.operation.name': 'send', 'messaging.destination.name': 'default',
      'messaging.message.id': task.id, 'nestjs_tasks.task.name': NAMES.current,
    });
    expect(await storedTraceContext(t, task.id)).toBe(`00-${send.spanContext().traceId}-${send.spanContext().spanId}-01`);

    const [process] = await waitForSpans(() => finished('process default'), 1);
    expect(process.kind).toBe(SpanKind.CONSUMER);
    expect(process.spanContext().traceId).toBe(caller.spanContext().traceId);
    expect(parentOf(process)).toBe(send.spanContext().spanId);
    expect(process.attributes).toMatchObject({
      'messaging.operation.name': 'process', 'messaging.destination.name': 'default', 'messaging.message.id': task.id,
      'nestjs_tasks.task.name': NAMES.current, 'nestjs_tasks.task.attempt': 1, 'nestjs_tasks.task.max_attempts': 1,
      'nestjs_tasks.attempt.outcome': 'succeeded',
    });
    expect(process.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(inside).toEqual({ traceId: process.spanContext().traceId, spanId: process.spanContext().spanId });
  });

  it('an enqueue with a key is traced as any other: its span, and the context its attempt continues', async () => {
    const task = await t.tasks.enqueue(TracedTasks, 'current', [], { key: 'traced' });
    const [send] = finished('send default');
    expect(send.attributes).toMatchObject({ 'messaging.message.id': task.id, 'nestjs_tasks.task.name': NAMES.current });
    expect(await storedTraceContext(t, task.id)).toBe(`00-${send.spanContext().traceId}-${send.spanContext().spanId}-01`);
    expect(await task.wait()).toMatchObject({ traceId: send.spanContext().traceId });
  });

  it('a retried task\'s second attempt is in the same trace, and the failed attempt records its error', async () => {
    const task = await t.tasks.enqueue(TracedTasks, 'flaky', []);
    expect(await task.wait()).toBe('second');
    const [send] = finished('send default');
    const attempts = (await waitForSpans(() => finished('process default'), 2))
      .sort((a, b) => Number(a.attributes['nestjs_tasks.task.attempt']) - Number(b.attributes['nestjs_tasks.task.attempt']));
    expect(attempts.map((span) => span.attributes['nestjs_tasks.task.attempt'])).toEqual([1, 2]);
    for (const attempt of attempts) {
      expect(attempt.spanContext().traceId).toBe(send.spanContext().traceId);
      expect(parentOf(attempt)).toBe(send.spanContext().spanId);
    }
    expect(attempts[0].status).toEqual({ code: SpanStatusCode.ERROR, message: 'RangeError: first attempt fails' });
    expect(attempts[0].attributes).toMatchObject({ 'error.type': 'RangeError', 'nestjs_tasks.attempt.outcome': 'retrying' });
    expect(attempts[0].events).toEqual([expect.objectContaining({
      name: 'exception',
      attributes: expect.objectContaining({ 'exception.type': 'RangeError', 'exception.message': 'first attempt fails' }),
    })]);
    expect(attempts[1].attributes['nestjs_tasks.attempt.outcome']).toBe('succeeded');
  });

  it('a worker in another process continues the enqueuer\'s trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nestjs-tasks-spans-'));
    try {
      const spanFile = join(dir, 'spans.jsonl');
      const results = await t.tasks.enqueueMany(ProcessTasks, 'record', [['a'], ['b']], { queueName: 'remote' });
      const [send] = finished('send remote');
      expect(send.attributes['messaging.batch.message_count']).toBe(2);
      const worker = spawnWorker(db, ['--batch', '--queue', 'remote'], { TASKS_TEST_SPANS: spanFile }, 'test/fixtures/telemetry-worker-app.ts');
      expect(await worker.exited).toBe(0);
      const exported = existsSync(spanFile)
        ? readFileSync(spanFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { traceId: string; parentSpanId: string; kind: number; attributes: Record<string, unknown> })
        : [];
      expect(exported).toHaveLength(2);
      expect(exported.map((span) => span.attributes['messaging.message.id']).sort()).toEqual(results.map((result) => result.id).sort());
      for (const span of exported) {
        expect(span).toMatchObject({ traceId: send.spanContext().traceId, parentSpanId: send.spanContext().spanId, kind: SpanKind.CONSUMER });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('counts tasks enqueued and finished, times queue and run, and reads the queue depth', async () => {
    const ok = await t.tasks.enqueue(TracedTasks, 'current', []);
    const broken = await t.tasks.enqueue(TracedTasks, 'broken', []);
    await ok.wait();
    await expect(broken.wait()).rejects.toThrow('always fails');
    await t.tasks.enqueueMany(TracedTasks, 'current', [[], []], { queueName: 'parked', delay: 60_000 });
    await waitForSpans(() => finished('process default'), 2);

    const { resourceMetrics, errors } = await reader.collect();
    expect(errors).toEqual([]);
    const metrics = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
    const points = (name: string) => metrics.find((metric) => metric.descriptor.name === name)?.dataPoints ?? [];
    const value = (name: string, attributes: Record<string, unknown>) =>
      points(name).find((point) => Object.entries(attributes).every(([key, expected]) => point.attributes[key] === expected))?.value;

    const current = { 'nestjs_tasks.task.name': NAMES.current };
    expect(value('nestjs_tasks.tasks.enqueued', { ...current, 'messaging.destination.name': 'parked' })).toBe(2);
    expect(value('nestjs_tasks.tasks.enqueued', { 'nestjs_tasks.task.name': NAMES.broken, 'messaging.destination.name': 'default' })).toBe(1);
    expect(value('nestjs_tasks.tasks.finished', { ...current, 'nestjs_tasks.task.status': TaskResultStatus.SUCCESSFUL })).toBeGreaterThanOrEqual(2);
    expect(value('nestjs_tasks.tasks.finished', { 'nestjs_tasks.task.name': NAMES.broken, 'nestjs_tasks.task.status': TaskResultStatus.FAILED })).toBe(1);
    // The flaky task's first attempt retried: counted once, as SUCCESSFUL.
    expect(value('nestjs_tasks.tasks.finished', { 'nestjs_tasks.task.name': NAMES.flaky, 'nestjs_tasks.task.status': TaskResultStatus.SUCCESSFUL })).toBe(1);
    expect(value('nestjs_tasks.tasks.finished', { 'nestjs_tasks.task.name': NAMES.flaky, 'nestjs_tasks.task.status': TaskResultStatus.FAILED })).toBeUndefined();

    const runTime = value('nestjs_tasks.task.run_time', { 'nestjs_tasks.task.name': NAMES.broken, 'nestjs_tasks.attempt.outcome': 'failed' }) as Histogram;
    expect(runTime.count).toBe(1);
    expect(runTime.sum).toBeGreaterThanOrEqual(0);
    const retried = value('nestjs_tasks.task.run_time', { 'nestjs_tasks.task.name': NAMES.flaky, 'nestjs_tasks.attempt.outcome': 'retrying' }) as Histogram;
    expect(retried.count).toBe(1);
    const queueTime = value('nestjs_tasks.task.queue_time', { ...current, 'messaging.destination.name': 'default' }) as Histogram;
    expect(queueTime.count).toBeGreaterThanOrEqual(2);
    expect(queueTime.min).toBeGreaterThanOrEqual(0);
    // A task waits its delay by the database's clock: nothing near a minute was measured.
    expect(queueTime.max).toBeLessThan(30);

    expect(value('nestjs_tasks.queue.depth', { 'messaging.destination.name': 'parked', 'nestjs_tasks.task.status': 'READY' })).toBe(2);
    expect((points('nestjs_tasks.queue.depth') as DataPoint<number>[]).every((point) => point.value > 0)).toBe(true);
  });
});

describe('telemetry without an SDK', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.cleanup());

  const cases: [string, TasksModuleRootOptions][] = [['with @opentelemetry/api and no SDK registered', {}], ['turned off', { telemetry: false }]];
  it.each(cases)('enqueue, retry and run work %s, and store no trace context', async (_, options) => {
    const t = await createTestApp(db, [TracedTasks], options);
    const running = t.worker.run({ pollInterval: 20 });
    try {
      const task = await t.tasks.enqueue(TracedTasks, 'flaky', []);
      expect(await task.wait()).toBe('second');
      expect(await t.tasks.enqueue(TracedTasks, 'current', []).then((result) => result.wait())).toBeNull();
      expect(await storedTraceContext(t, task.id)).toBeNull();
    } finally {
      await t.worker.stop();
      await running;
      await t.close();
    }
  });

  it('a worker without @opentelemetry/api installed runs the tasks of an enqueuer that traced them', async () => {
    const spans = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
    const t = await createTestApp(db, [ProcessTasks], { telemetry: { tracerProvider } });
    try {
      const results = await t.tasks.enqueueMany(ProcessTasks, 'record', [['a'], ['b']], { queueName: 'untraced' });
      expect(await storedTraceContext(t, results[0].id)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      const worker = spawnWorker(db, ['--batch', '--queue', 'untraced'], {}, 'test/fixtures/no-opentelemetry-worker-app.ts');
      expect(await worker.exited).toBe(0);
      expect(worker.output()).toContain('@opentelemetry/api loaded: false');
      for (const result of results) {
        await result.refresh();
        expect(result.status).toBe(TaskResultStatus.SUCCESSFUL);
      }
    } finally {
      await killWorkers();
      await t.close();
    }
  });

  it('rejects a telemetry option that is not a boolean or an object', async () => {
    await expect(createTestApp(null, [TracedTasks], { backend: 'dummy', telemetry: 'yes' as never })).rejects.toThrow('telemetry must be true, false or an object');
  });
});

describe('telemetry on the immediate backend', () => {
  it('the attempt, run inside enqueue, is a child of the enqueue span', async () => {
    const spans = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
    const t = await createTestApp(null, [TracedTasks], { backend: 'immediate', telemetry: { tracerProvider } });
    try {
      await t.tasks.enqueue(TracedTasks, 'flaky', []);
      const send = spans.getFinishedSpans().find((span) => span.name === 'send default')!;
      const attempts = spans.getFinishedSpans().filter((span) => span.name === 'process default');
      expect(attempts).toHaveLength(2);
      for (const attempt of attempts) expect(attempt.parentSpanContext?.spanId).toBe(send.spanContext().spanId);
    } finally {
      await t.close();
    }
  });
});

/** The worker ends an attempt's span after it wrote the outcome that wait() saw, a moment later. */
async function waitForSpans(get: () => ReadableSpan[], count: number, timeout = 5_000): Promise<ReadableSpan[]> {
  const deadline = Date.now() + timeout;
  while (get().length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(get()).toHaveLength(count);
  return get();
}
