import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, OnModuleInit, Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ResolvedDashboardOptions, TASKS_DASHBOARD_OPTIONS } from './tasks-dashboard.options';
import { DashboardRequest, isForwarded, isLoopback, isStateChanging, remoteAddress } from './dashboard-request';

/** The header every state-changing request must carry: a cross-site form or image cannot send it. */
export const DASHBOARD_HEADER = 'x-tasks-dashboard';

/**
 * Every route of the dashboard passes here: the loopback rule without guards, then the
 * application's guards, then, for actions, read-only mode and the anti-CSRF header.
 */
@Injectable()
export class DashboardAccessGuard implements CanActivate, OnModuleInit {
  private guards: CanActivate[] = [];

  constructor(
    @Inject(TASKS_DASHBOARD_OPTIONS) private readonly options: ResolvedDashboardOptions,
    private readonly moduleRef: ModuleRef,
  ) {}

  async onModuleInit(): Promise<void> {
    const guards: CanActivate[] = [];
    for (const guard of this.options.guards) guards.push(typeof guard === 'function' ? await this.instantiate(guard) : guard);
    this.guards = guards;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<DashboardRequest>();
    if (this.options.loopbackOnly) {
      if (isForwarded(request)) {
        throw new ForbiddenException('The tasks dashboard without guards answers direct loopback requests only; this one came through a proxy.');
      }
      if (!isLoopback(remoteAddress(request))) {
        throw new ForbiddenException('The tasks dashboard without guards answers loopback requests only.');
      }
    }
    for (const guard of this.guards) {
      const allowed = await settle(guard.canActivate(context));
      if (!allowed) throw new ForbiddenException('Forbidden by a guard of the tasks dashboard.');
    }
    if (isStateChanging(request)) {
      if (this.options.readOnly) {
        throw new ForbiddenException('The tasks dashboard is read-only: actions need guards (or unsafeAllowUnauthenticated) and readOnly off.');
      }
      if (request.headers[DASHBOARD_HEADER] !== '1') {
        throw new ForbiddenException('Actions of the tasks dashboard must carry the header X-Tasks-Dashboard: 1.');
      }
    }
    return true;
  }

  private async instantiate(type: Type<CanActivate>): Promise<CanActivate> {
    try {
      return this.moduleRef.get(type, { strict: false });
    } catch {
      // Not a provider of the application: created with its constructor's dependencies injected.
      return this.moduleRef.create(type);
    }
  }
}

type Verdict = ReturnType<CanActivate['canActivate']>;

/** A guard's answer, which may be an Observable: its last value, as Nest takes it. */
function settle(verdict: Verdict): Promise<boolean> {
  if (typeof verdict === 'object' && verdict !== null && 'subscribe' in verdict && typeof verdict.subscribe === 'function') {
    return new Promise((resolve, reject) => {
      let last = false;
      verdict.subscribe({ next: (value) => (last = value), error: reject, complete: () => resolve(last) });
    });
  }
  return Promise.resolve(verdict as boolean | Promise<boolean>);
}
