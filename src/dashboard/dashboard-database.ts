import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { DataSource, Repository } from 'typeorm';
import { TASK_BACKEND } from '../tasks.constants';
import type { TaskBackend } from '../backends/task-backend.interface';
import { DatabaseBackend } from '../backends/database.backend';
import { TaskResult } from '../entities/task-result.entity';
import { InvalidTaskError } from '../task.errors';
import { DashboardStatements, dashboardStatements } from './dashboard.statements';

/** The database TasksModule stores tasks in, as the dashboard's readers use it. */
@Injectable()
export class DashboardDatabase implements OnApplicationBootstrap {
  private statementsOf?: DashboardStatements;

  constructor(@Inject(TASK_BACKEND) private readonly backend: TaskBackend) {}

  /** At start-up rather than at the first request: the dashboard has nothing to show without the table. */
  onApplicationBootstrap(): void {
    this.database();
  }

  get dataSource(): DataSource {
    return this.database().connection;
  }

  private database(): DatabaseBackend {
    if (!(this.backend instanceof DatabaseBackend)) {
      throw new InvalidTaskError(`TasksDashboardModule reads the task_results table; the '${this.backend.name}' backend of TasksModule stores no tasks there.`);
    }
    return this.backend;
  }

  get results(): Repository<TaskResult> {
    return this.dataSource.getRepository(TaskResult);
  }

  get statements(): DashboardStatements {
    return (this.statementsOf ??= dashboardStatements(this.dataSource));
  }
}
