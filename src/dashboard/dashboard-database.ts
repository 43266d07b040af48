import { Inject, Injectable } from '@nestjs/common';
import type { DataSource, Repository } from 'typeorm';
import { TASK_BACKEND } from '../tasks.constants';
import type { TaskBackend } from '../backends/task-backend.interface';
import { DatabaseBackend } from '../backends/database.backend';
import { TaskResult } from '../entities/task-result.entity';
import { InvalidTaskError } from '../task.errors';
import { DashboardStatements, dashboardStatements } from './dashboard.statements';

/** The database TasksModule stores tasks in, as the dashboard's readers use it. */
@Injectable()
export class DashboardDatabase {
  private statementsOf?: DashboardStatements;

  constructor(@Inject(TASK_BACKEND) private readonly backend: TaskBackend) {}

  get dataSource(): DataSource {
    if (!(this.backend instanceof DatabaseBackend)) {
      throw new InvalidTaskError(`The tasks dashboard reads the task_results table; the '${this.backend.name}' backend stores no tasks there.`);
    }
    return this.backend.connection;
  }

  get results(): Repository<TaskResult> {
    return this.dataSource.getRepository(TaskResult);
  }

  get statements(): DashboardStatements {
    return (this.statementsOf ??= dashboardStatements(this.dataSource));
  }
}
