/**
 * Work a worker does beside running tasks, started when it starts and stopped when it stops:
 * lease renewal, rescue of expired leases, pruning; scheduling and staging of waiting tasks join
 * them as further services.
 */
export interface MaintenanceService {
  start(): void;
  stop(): void;
  /** Resolves once work begun before stop() has ended (a statement in flight), where it matters. */
  stopped?(): Promise<void>;
}

/** Starts `services` together; the returned function stops them all. */
export function startAll(services: readonly MaintenanceService[]): () => void {
  services.forEach((service) => service.start());
  return () => services.forEach((service) => service.stop());
}
