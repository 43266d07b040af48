import { Controller, Get, Header, Inject, Req, UseFilters, UseGuards } from '@nestjs/common';
import { DashboardAccessGuard } from './dashboard-access.guard';
import { DashboardErrorsFilter } from './dashboard-errors.filter';
import { DashboardRequest, requestPath } from './dashboard-request';
import { DASHBOARD_CSP, dashboardPage, relativeBase } from './dashboard-page';
import { DashboardAssets } from './dashboard-assets';
import { ResolvedDashboardOptions, TASKS_DASHBOARD_OPTIONS } from './tasks-dashboard.options';

export const DASHBOARD_ASSETS = Symbol('DASHBOARD_ASSETS');

/** The page and its script and style, at `{path}` (the path is set per `forRoot()`). */
@Controller()
@UseGuards(DashboardAccessGuard)
@UseFilters(DashboardErrorsFilter)
export class DashboardPageController {
  constructor(
    @Inject(DASHBOARD_ASSETS) private readonly assets: DashboardAssets,
    @Inject(TASKS_DASHBOARD_OPTIONS) private readonly options: ResolvedDashboardOptions,
  ) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', DASHBOARD_CSP)
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Referrer-Policy', 'no-referrer')
  @Header('Cache-Control', 'no-store')
  page(@Req() request: DashboardRequest): string {
    return dashboardPage(relativeBase(requestPath(request)), this.assets.version, this.options.readOnly);
  }

  @Get('assets/dashboard.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Cache-Control', 'public, max-age=31536000, immutable')
  script(): string {
    return this.assets.script;
  }

  @Get('assets/dashboard.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Cache-Control', 'public, max-age=31536000, immutable')
  style(): string {
    return this.assets.style;
  }
}
