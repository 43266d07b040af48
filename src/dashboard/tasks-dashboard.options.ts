import type { CanActivate, Type } from '@nestjs/common';

/** A guard of the dashboard: a class (resolved from the application's providers, else created) or an instance. */
export type DashboardGuard = Type<CanActivate> | CanActivate;

/** Options of `TasksDashboardModule.forRoot()`. */
export interface TasksDashboardOptions {
  /** Where the page is served, relative to the global prefix; its JSON API is under `{path}/api`. Default `/tasks`. */
  path?: string;
  /**
   * Nest guards run on every route of the page and its API, all of which must pass. With guards
   * the dashboard answers any client the guards accept and allows actions (unless `readOnly`).
   * Without guards it is read-only and answers loopback requests only.
   */
  guards?: DashboardGuard[];
  /** Refuse every action (retry, cancel, delete, pause, resume, run now), guards or not. */
  readOnly?: boolean;
  /**
   * Allows actions without guards. The dashboard still answers loopback requests only (no
   * `Forwarded` / `X-Forwarded-For`): anyone who can open a connection from this machine can act.
   */
  unsafeAllowUnauthenticated?: boolean;
}

/** The options as the dashboard uses them, checked and completed. */
export interface ResolvedDashboardOptions {
  path: string;
  guards: DashboardGuard[];
  /** Whether actions are refused. */
  readOnly: boolean;
  /** Whether requests must come from a loopback address without proxy headers (no guards). */
  loopbackOnly: boolean;
}

export const TASKS_DASHBOARD_OPTIONS = Symbol('TASKS_DASHBOARD_OPTIONS');
