import type { ModuleRef } from '@nestjs/core';

/** What the scheduler uses of @nestjs/schedule's SchedulerRegistry. */
export interface NestSchedulerRegistry {
  addInterval(name: string, intervalId: NodeJS.Timeout): void;
  getInterval(name: string): unknown;
  deleteInterval(name: string): void;
  doesExist(type: 'cron' | 'timeout' | 'interval', name: string): boolean;
}

/** The metadata key of @nestjs/schedule's `@Cron()`: read without loading the package. */
const CRON_METADATA = 'SCHEDULE_CRON_OPTIONS';

/** The options of a method's `@Cron()`, if it has one. */
export function cronDecoratorOf(method: object): { cronTime?: unknown; timeZone?: unknown } | undefined {
  return Reflect.getMetadata(CRON_METADATA, method) as { cronTime?: unknown; timeZone?: unknown } | undefined;
}

/**
 * The application's SchedulerRegistry when it imports ScheduleModule, else null. @nestjs/schedule
 * is an optional peer: without it installed, this is null too.
 */
export function findNestSchedulerRegistry(moduleRef: ModuleRef): NestSchedulerRegistry | null {
  let file: string;
  try {
    file = require.resolve('@nestjs/schedule');
  } catch {
    return null;
  }
  // An application with ScheduleModule has loaded the package (an ES module import of it too):
  // one without it does not pay for loading it here, nor for the cron library it loads.
  const token = (require.cache[file]?.exports as { SchedulerRegistry?: unknown } | undefined)?.SchedulerRegistry;
  if (!token) return null;
  try {
    return moduleRef.get(token as never, { strict: false }) as NestSchedulerRegistry;
  } catch {
    return null;
  }
}
