import { v7 as uuidv7 } from 'uuid';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** UUIDv7: time-ordered, so new rows land at the end of the primary key index. */
export function newTaskId(): string {
  return uuidv7();
}

/** What could be a task id: anything else is not looked up at all. */
export function isTaskId(id: unknown): id is string {
  return typeof id === 'string' && UUID.test(id);
}
