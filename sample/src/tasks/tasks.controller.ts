import { Controller, Get, HttpCode, HttpStatus, NotFoundException, Param, Post } from '@nestjs/common';
import { TaskResult, TaskResultNotFoundError, TaskService } from 'nestjs-tasks';
import { TaskResultView, toTaskResultView } from './task-result.view';

/** Any task of the application, by id. */
@Controller('tasks')
export class TasksController {
  constructor(private readonly tasks: TaskService) {}

  @Get(':id')
  async get(@Param('id') id: string): Promise<TaskResultView> {
    return toTaskResultView(await notFoundAs404(this.tasks.getResult(id)));
  }

  /** A READY task is CANCELLED at once; a RUNNING one is asked to stop and ends CANCELLED when it does. */
  @Post(':id/cancel')
  @HttpCode(HttpStatus.OK)
  async cancel(@Param('id') id: string): Promise<TaskResultView> {
    return toTaskResultView(await notFoundAs404(this.tasks.cancel(id)));
  }
}

/** An unknown or malformed id is a 404, like any missing resource. */
async function notFoundAs404(pending: Promise<TaskResult>): Promise<TaskResult> {
  try {
    return await pending;
  } catch (error) {
    if (error instanceof TaskResultNotFoundError) throw new NotFoundException(error.message);
    throw error;
  }
}
