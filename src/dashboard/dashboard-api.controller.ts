import { ConflictException, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query, UseFilters, UseGuards } from '@nestjs/common';
import { TaskService } from '../task.service';
import type { TaskSchedule } from '../schedules/task-schedule.interface';
import { TaskResultNotFoundError } from '../task.errors';
import { DashboardAccessGuard } from './dashboard-access.guard';
import { DashboardErrorsFilter } from './dashboard-errors.filter';
import { parsePage, parseTaskFilter } from './dashboard-filter';
import { DashboardTaskList, DashboardTasksReader } from './dashboard-tasks.reader';
import type { DashboardTaskDetail, DashboardTaskSummary } from './dashboard-task.views';
import { summarize } from './dashboard-task.views';
import { DashboardStats, DashboardStatsReader } from './dashboard-stats.reader';
import { DashboardQueue, DashboardQueuesReader } from './dashboard-queues.reader';

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
    private readonly queues: DashboardQueuesReader,
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

  @Get('queues')
  async listQueues(): Promise<{ queues: DashboardQueue[] }> {
    return { queues: await this.queues.list() };
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
