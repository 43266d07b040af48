import {
  BadRequestException, Body, ConflictException, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query, UseFilters, UseGuards,
} from '@nestjs/common';
import { TaskService } from '../task.service';
import type { TaskSchedule } from '../schedules/task-schedule.interface';
import { TaskResultNotFoundError } from '../task.errors';
import { DashboardAccessGuard } from './dashboard-access.guard';
import { DashboardErrorsFilter } from './dashboard-errors.filter';
import { parseBulkFilter, parsePage, parseTaskFilter } from './dashboard-filter';
import { DashboardTaskList, DashboardTasksReader } from './dashboard-tasks.reader';
import type { DashboardTaskDetail, DashboardTaskSummary } from './dashboard-task.views';
import { summarize } from './dashboard-task.views';
import { DashboardStats, DashboardStatsReader } from './dashboard-stats.reader';
import type { TaskQueueInfo } from '../queues/task-queue.interface';
import type { TaskWorkerInfo } from '../workers/task-worker-info';

/**
 * The JSON API of the dashboard, under `{path}/api` (the path is set per `forRoot()`). Every
 * route passes DashboardAccessGuard; errors are JSON (DashboardErrorsFilter).
 */
@Controller()
@UseGuards(DashboardAccessGuard)
@UseFilters(DashboardErrorsFilter)
export class DashboardApiController {
  constructor(
    private readonly tasks: TaskService,
    private readonly reader: DashboardTasksReader,
    private readonly stats: DashboardStatsReader,
  ) {}

  @Get('tasks')
  listTasks(@Query() query: Record<string, unknown>): Promise<DashboardTaskList> {
    const { limit, cursor, ...filter } = query;
    return this.reader.list(parseTaskFilter(filter), parsePage({ limit, cursor }));
  }

  @Get('tasks/:id')
  getTask(@Param('id') id: string): Promise<DashboardTaskDetail> {
    return this.reader.detail(id);
  }

  /** A FAILED or CANCELLED task runs again (`TaskService.retry()`); body `{ dependents: true }` also brings back the dependents it cancelled. */
  @Post('tasks/:id/retry')
  @HttpCode(HttpStatus.OK)
  async retryTask(@Param('id') id: string, @Body() body?: { dependents?: unknown }): Promise<DashboardTaskSummary> {
    const dependents = body?.dependents;
    if (dependents !== undefined && typeof dependents !== 'boolean') throw new BadRequestException('dependents must be true or false.');
    return summarize(await this.tasks.retry(id, { dependents }));
  }

  /** `TaskService.retryMany()` over the filter of the body; `{ count }`. */
  @Post('tasks/retry')
  @HttpCode(HttpStatus.OK)
  async retryTasks(@Body() body: unknown): Promise<{ count: number }> {
    return { count: await this.tasks.retryMany(parseBulkFilter(body)) };
  }

  /** A READY task scheduled for later becomes due now (`TaskService.runNow()`); another status is a 409. */
  @Post('tasks/:id/run')
  @HttpCode(HttpStatus.OK)
  async runTaskNow(@Param('id') id: string): Promise<DashboardTaskSummary> {
    return summarize(await this.tasks.runNow(id));
  }

  /** `TaskService.runNowMany()` over the filter of the body (READY tasks only); `{ count }`. */
  @Post('tasks/run')
  @HttpCode(HttpStatus.OK)
  async runTasksNow(@Body() body: unknown): Promise<{ count: number }> {
    return { count: await this.tasks.runNowMany(parseBulkFilter(body)) };
  }

  /** `TaskService.cancelMany()` over the filter of the body; `{ count }`. */
  @Post('tasks/cancel')
  @HttpCode(HttpStatus.OK)
  async cancelTasks(@Body() body: unknown): Promise<{ count: number }> {
    return { count: await this.tasks.cancelMany(parseBulkFilter(body)) };
  }

  /** `TaskService.deleteMany()` over the filter of the body (finished tasks only); `{ count }`. */
  @Post('tasks/delete')
  @HttpCode(HttpStatus.OK)
  async deleteTasks(@Body() body: unknown): Promise<{ count: number }> {
    return { count: await this.tasks.deleteMany(parseBulkFilter(body)) };
  }

  /** READY or WAITING: cancelled at once; RUNNING: its signal fires and it ends CANCELLED. */
  @Post('tasks/:id/cancel')
  @HttpCode(HttpStatus.OK)
  async cancelTask(@Param('id') id: string): Promise<DashboardTaskSummary> {
    return summarize(await this.tasks.cancel(id));
  }

  /** Deletes a finished task; one still pending or running is a 409 (cancel it first). */
  @Delete('tasks/:id')
  async deleteTask(@Param('id') id: string): Promise<{ deleted: string }> {
    const result = await this.tasks.getResult(id);
    if (!result.isFinished) throw new ConflictException(`Task ${id} is ${result.status}: only finished tasks are deleted; cancel it first.`);
    if (!(await result.forget())) throw new TaskResultNotFoundError(id);
    return { deleted: id };
  }

  /** Every queue declared, paused or holding tasks: paused or not, its limits, its tasks per status. */
  @Get('queues')
  async listQueues(): Promise<{ queues: TaskQueueInfo[] }> {
    return { queues: await this.tasks.listQueues() };
  }

  /** No worker claims the queue's tasks until it is resumed (stored in the database). */
  @Post('queues/:name/pause')
  @HttpCode(HttpStatus.OK)
  async pauseQueue(@Param('name') name: string): Promise<{ name: string; paused: boolean }> {
    await this.tasks.pauseQueue(name);
    return { name, paused: true };
  }

  @Post('queues/:name/resume')
  @HttpCode(HttpStatus.OK)
  async resumeQueue(@Param('name') name: string): Promise<{ name: string; paused: boolean }> {
    await this.tasks.resumeQueue(name);
    return { name, paused: false };
  }

  /** The live workers, as each records itself in the database. */
  @Get('workers')
  async listWorkers(): Promise<{ workers: TaskWorkerInfo[] }> {
    return { workers: await this.tasks.listWorkers() };
  }

  @Get('schedules')
  async listSchedules(): Promise<{ schedules: TaskSchedule[] }> {
    return { schedules: await this.tasks.listSchedules() };
  }

  @Post('schedules/:id/pause')
  @HttpCode(HttpStatus.OK)
  pauseSchedule(@Param('id') id: string): Promise<TaskSchedule> {
    return this.tasks.pauseSchedule(id);
  }

  @Post('schedules/:id/resume')
  @HttpCode(HttpStatus.OK)
  resumeSchedule(@Param('id') id: string): Promise<TaskSchedule> {
    return this.tasks.resumeSchedule(id);
  }

  /** Enqueues one run of the schedule now. */
  @Post('schedules/:id/trigger')
  @HttpCode(HttpStatus.OK)
  async triggerSchedule(@Param('id') id: string): Promise<DashboardTaskSummary> {
    return summarize(await this.tasks.triggerSchedule(id));
  }

  @Get('stats')
  getStats(@Query('window') window?: string): Promise<DashboardStats> {
    return this.stats.stats(window);
  }
}
