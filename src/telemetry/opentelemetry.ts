import type * as OpenTelemetryApi from '@opentelemetry/api';

/** The `@opentelemetry/api` module, as this package uses it. */
export type OpenTelemetry = typeof OpenTelemetryApi;

let loaded: OpenTelemetry | null | undefined;

/**
 * `@opentelemetry/api` if the application has it installed, else null. It is an optional peer:
 * loaded on first use, never at import, so the package works without it.
 */
export function loadOpenTelemetry(): OpenTelemetry | null {
  if (loaded === undefined) {
    try {
      loaded = require('@opentelemetry/api') as OpenTelemetry;
    } catch {
      loaded = null;
    }
  }
  return loaded;
}
