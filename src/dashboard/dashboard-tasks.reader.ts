import { Injectable } from '@nestjs/common';
import { In, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { TaskResult } from '../entities/task-result.entity';
import { TaskResultNotFoundError } from '../task.errors';
import { DashboardDatabase } from './dashboard-database';
import type { DashboardPage, DashboardTaskFilter } from './dashboard-filter';
import type { DashboardStatements } from './dashboard.statements';
import { DashboardTaskDetail, DashboardTaskSummary, detail, summarize } from './dashboard-task.views';

export interface DashboardTaskList {
  tasks: DashboardTaskSummary[];
  /** Give it as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** At most this many dependencies or dependents are shown with a task. */
const MAX_RELATED = 200;

/** Reads tasks for the dashboard: a filtered list, newest first, paged by id (keyset), and one task whole. */
@Injectable()
export class DashboardTasksReader {
  constructor(private readonly database: DashboardDatabase) {}

  async list(filter: DashboardTaskFilter, page: DashboardPage): Promise<DashboardTaskList> {
    const query = applyTaskFilter(this.database.results.createQueryBuilder('r'), filter, this.database.statements);
    // UUIDv7 ids sort by creation time: the primary key is the keyset.
    if (page.cursor !== undefined) query.andWhere('r.id < :cursor', { cursor: page.cursor });
    const rows = await query.orderBy('r.id', 'DESC').take(page.limit + 1).getMany();
    const tasks = rows.slice(0, page.limit);
    return { tasks: tasks.map(summarize), nextCursor: rows.length > page.limit ? tasks[tasks.length - 1].id : null };
  }

  async detail(id: string): Promise<DashboardTaskDetail> {
    const result = await this.database.results.findOneBy({ id });
    if (!result) throw new TaskResultNotFoundError(id);
    const [dependencies, dependents] = await Promise.all([
      this.related(await result.dependencyIds()),
      this.related(await result.dependentIds()),
    ]);
    return detail(result, dependencies, dependents);
  }

  /** Counts of tasks per queue and status. */
  async counts(): Promise<{ queueName: string; status: string; count: number }[]> {
    const rows = await this.database.results.createQueryBuilder('r')
      .select('r.queueName', 'queueName').addSelect('r.status', 'status').addSelect('COUNT(*)', 'count')
      .groupBy('r.queueName').addGroupBy('r.status')
      .getRawMany<{ queueName: string; status: string; count: string | number }>();
    return rows.map((row) => ({ queueName: row.queueName, status: row.status, count: Number(row.count) }));
  }

  private async related(ids: string[]): Promise<TaskResult[]> {
    if (ids.length === 0) return [];
    const rows = await this.database.results.findBy({ id: In(ids.slice(0, MAX_RELATED)) });
    const order = new Map(ids.map((id, index) => [id, index]));
    return rows.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  }
}

/** Narrows `query` (over alias `r`) to the tasks `filter` matches. */
export function applyTaskFilter<T extends ObjectLiteral>(query: SelectQueryBuilder<T>, filter: DashboardTaskFilter, statements: DashboardStatements): SelectQueryBuilder<T> {
  if (filter.statuses) query.andWhere('r.status IN (:...statuses)', { statuses: filter.statuses });
  if (filter.queueName !== undefined) query.andWhere('r.queueName = :queueName', { queueName: filter.queueName });
  if (filter.taskName !== undefined) query.andWhere('r.taskName = :taskName', { taskName: filter.taskName });
  if (filter.groupId !== undefined) query.andWhere('r.groupId = :groupId', { groupId: filter.groupId });
  if (filter.enqueuedAfter) query.andWhere('r.enqueuedAt >= :enqueuedAfter', { enqueuedAfter: statements.time(filter.enqueuedAfter) });
  if (filter.enqueuedBefore) query.andWhere('r.enqueuedAt < :enqueuedBefore', { enqueuedBefore: statements.time(filter.enqueuedBefore) });
  if (filter.finishedBefore) query.andWhere('r.finishedAt < :finishedBefore', { finishedBefore: statements.time(filter.finishedBefore) });
  if (filter.text !== undefined) {
    const like = `%${filter.text.replace(/[!%_]/g, (c) => `!${c}`)}%`;
    const columns = ['r.args', 'r.kwargs', 'r.metadata'].map((column) => `${statements.jsonText(column)} LIKE :text ESCAPE '!'`);
    query.andWhere(`(${columns.join(' OR ')})`, { text: like });
  }
  return query;
}
