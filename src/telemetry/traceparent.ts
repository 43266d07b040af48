import type { SpanContext } from '@opentelemetry/api';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * A span context as a W3C `traceparent` (version 00), the text stored on a task's row. Written
 * here rather than through the global propagator: the row must carry the context whichever
 * propagators the application configured for its own transports.
 */
export function formatTraceparent(context: SpanContext): string {
  return `00-${context.traceId}-${context.spanId}-${(context.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** The remote span context of a stored `traceparent`; null for anything else. */
export function parseTraceparent(text: string | null | undefined): SpanContext | null {
  const match = typeof text === 'string' ? TRACEPARENT.exec(text) : null;
  if (!match || /^0+$/.test(match[1]) || /^0+$/.test(match[2])) return null;
  return { traceId: match[1], spanId: match[2], traceFlags: parseInt(match[3], 16), isRemote: true };
}
