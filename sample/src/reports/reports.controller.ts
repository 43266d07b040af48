import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { TaskResultStatus, TaskService } from 'nestjs-tasks';
import { ReportTasks } from './report.tasks';
import { ReportRequest, ReportRequestPipe } from './report-request';

export interface AcceptedTask {
  id: string;
  status: TaskResultStatus;
  /** Where to follow the task: `GET /tasks/:id`. */
  url: string;
}

@Controller('reports')
export class ReportsController {
  constructor(private readonly tasks: TaskService) {}

  /** Enqueues a report and answers at once; a worker builds it. */
  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  async create(@Body(ReportRequestPipe) request: ReportRequest): Promise<AcceptedTask> {
    // Typed from ReportTasks.generate: the arguments must match its parameters.
    const result = await this.tasks.enqueue(ReportTasks, 'generate', [request]);
    return { id: result.id, status: result.status, url: `/tasks/${result.id}` };
  }
}
