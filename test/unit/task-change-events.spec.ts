import { TaskResultStatus } from '../../src';
import type { TaskError } from '../../src';
import { eventOfRunningAttempt, eventsOfOutcome, eventsOfRescue } from '../../src/events/task-change.events';

const error = (attempt: number, name = 'Error', message = `boom ${attempt}`): TaskError =>
  ({ name, message, traceback: '', attempt, failedAt: '2026-01-01T00:00:00.000Z' });
const lost = (attempt: number) => error(attempt, 'WorkerLostError', 'Worker w stopped renewing its lease');

describe('which events a committed change made, from the row read back', () => {
  it('a success, a final failure, a retry, a cancellation', () => {
    expect(eventsOfOutcome({ status: TaskResultStatus.SUCCESSFUL, workerIds: ['w'], errors: [] }, { kind: 'succeeded', attempt: 1 })?.events)
      .toEqual(['succeeded', 'finished']);
    expect(eventsOfOutcome({ status: TaskResultStatus.FAILED, workerIds: ['w'], errors: [error(1)] },
      { kind: 'failed', attempt: 1, error: error(1), retry: false })?.events).toEqual(['failed', 'finished']);
    expect(eventsOfOutcome({ status: TaskResultStatus.READY, workerIds: ['w'], errors: [error(1)] },
      { kind: 'failed', attempt: 1, error: error(1), retry: true })?.events).toEqual(['retrying']);
    // Cancellation requested while it ran: the success is written as CANCELLED.
    expect(eventsOfOutcome({ status: TaskResultStatus.CANCELLED, workerIds: ['w'], errors: [] }, { kind: 'succeeded', attempt: 1 })?.events)
      .toEqual(['cancelled', 'finished']);
  });

  it('a retry claimed again before the read: the row as the failure left it', () => {
    const change = eventsOfOutcome(
      { status: TaskResultStatus.RUNNING, workerIds: ['w', 'v'], errors: [error(1)], claimedBy: 'v', leaseExpiresAt: new Date() },
      { kind: 'failed', attempt: 1, error: error(1), retry: true });
    expect(change?.events).toEqual(['retrying']);
    expect(change?.row).toMatchObject({ status: TaskResultStatus.READY, workerIds: ['w'], errors: [error(1)], claimedBy: null, leaseExpiresAt: null });
  });

  it('a write fenced off because the lease was rescued announces nothing', () => {
    const rescued = { status: TaskResultStatus.READY, workerIds: ['w'], errors: [lost(1)] };
    expect(eventsOfOutcome(rescued, { kind: 'succeeded', attempt: 1 })).toBeNull();
    expect(eventsOfOutcome(rescued, { kind: 'failed', attempt: 1, error: error(1), retry: true })).toBeNull();
    expect(eventsOfOutcome({ ...rescued, status: TaskResultStatus.CANCELLED }, { kind: 'cancelled', attempt: 1 })).toBeNull();
    expect(eventsOfOutcome(null, { kind: 'succeeded', attempt: 1 })).toBeNull();
  });

  it('a release announces nothing, unless a cancellation turned it into CANCELLED', () => {
    expect(eventsOfOutcome({ status: TaskResultStatus.READY, workerIds: [], errors: [] }, { kind: 'released', attempt: 1 })).toBeNull();
    expect(eventsOfOutcome({ status: TaskResultStatus.CANCELLED, workerIds: [], errors: [] }, { kind: 'released', attempt: 1 })?.events)
      .toEqual(['cancelled', 'finished']);
  });

  it('a rescue: rescued, then retrying, failed or cancelled', () => {
    expect(eventsOfRescue({ status: TaskResultStatus.READY, workerIds: ['w'], errors: [lost(1)] })?.events).toEqual(['rescued', 'retrying']);
    expect(eventsOfRescue({ status: TaskResultStatus.FAILED, workerIds: ['w'], errors: [lost(1)] })?.events)
      .toEqual(['rescued', 'failed', 'finished']);
    expect(eventsOfRescue({ status: TaskResultStatus.CANCELLED, workerIds: ['w'], errors: [lost(1)] })?.events)
      .toEqual(['rescued', 'cancelled', 'finished']);
    const claimedAgain = eventsOfRescue({ status: TaskResultStatus.SUCCESSFUL, workerIds: ['w', 'v'], errors: [lost(1)], storedReturnValue: 1 });
    expect(claimedAgain?.events).toEqual(['rescued', 'retrying']);
    expect(claimedAgain?.row).toMatchObject({ status: TaskResultStatus.READY, workerIds: ['w'], storedReturnValue: null });
  });

  it('started and progress of an attempt already over: the row as it was while it ran', () => {
    const over = { status: TaskResultStatus.SUCCESSFUL, workerIds: ['w'], errors: [], storedReturnValue: 3, finishedAt: new Date(), progress: null };
    const change = eventOfRunningAttempt(over, 'progress', 1, 'w', { current: 1, total: null, message: null });
    expect(change?.row).toMatchObject({ status: TaskResultStatus.RUNNING, claimedBy: 'w', finishedAt: null, storedReturnValue: null,
      progress: { current: 1, total: null, message: null } });
    // Another worker's attempt, or a lease lost: nothing.
    expect(eventOfRunningAttempt(over, 'started', 1, 'other')).toBeNull();
    expect(eventOfRunningAttempt({ status: TaskResultStatus.READY, workerIds: ['w'], errors: [lost(1)] }, 'started', 1, 'w')).toBeNull();
  });
});
