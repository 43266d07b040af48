/**
 * `TasksModule.forRoot({ telemetry })`. Telemetry is on whenever `@opentelemetry/api` is
 * installed, through the global tracer and meter providers an OpenTelemetry SDK registers (and
 * costs next to nothing while none is); `telemetry: false` turns it off.
 */
export interface TaskTelemetryOptions {
  /** Spans go here instead of the global tracer provider (an SDK's `TracerProvider`). */
  tracerProvider?: { getTracer(name: string, version?: string): unknown };
  /** Metrics go here instead of the global meter provider (an SDK's `MeterProvider`). */
  meterProvider?: { getMeter(name: string, version?: string): unknown };
  /** The queue depth gauge reads the database at most this often, in ms; default 5000. */
  queueDepthInterval?: number;
}
