import { FinishInterest, INTEREST_KEEP_MS, INTEREST_REPEAT_MS } from '../../src/dialects/postgres/pg-finish-interest';

describe('finish interest (PostgreSQL finish notifications)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('announces while waiters come and go, then stops listening after a quiet repeat', () => {
    const announced: string[] = [];
    const listening: boolean[] = [];
    const interest = new FinishInterest((id) => announced.push(id), (on) => listening.push(on));
    const end = interest.waiting();
    expect(announced).toEqual([interest.id]);
    expect(listening).toEqual([true]);
    // wait() waits in steps: a waiter that ends and the next one that starts do not announce again.
    end();
    interest.waiting()();
    expect(announced).toHaveLength(1);
    jest.advanceTimersByTime(INTEREST_REPEAT_MS);
    expect(announced).toHaveLength(2);
    expect(interest.isWaiting()).toBe(true);
    // A repeat with no waiter since the last one ends the interest.
    jest.advanceTimersByTime(INTEREST_REPEAT_MS);
    expect(announced).toHaveLength(2);
    expect(listening).toEqual([true, false]);
    expect(interest.isWaiting()).toBe(false);
    interest.waiting();
    expect(announced).toHaveLength(3);
    expect(listening).toEqual([true, false, true]);
    interest.stop();
  });

  it('repeats while one long waiter waits', () => {
    const announced: string[] = [];
    const interest = new FinishInterest((id) => announced.push(id), () => undefined);
    const end = interest.waiting();
    jest.advanceTimersByTime(3 * INTEREST_REPEAT_MS);
    expect(announced).toHaveLength(4);
    end();
    interest.stop();
  });

  it("wants finishes for a while after another process's interest, never for its own", () => {
    const interest = new FinishInterest(() => undefined, () => undefined);
    expect(interest.othersWait()).toBe(false);
    interest.heard(interest.id);
    expect(interest.othersWait()).toBe(false);
    interest.heard('another process');
    expect(interest.othersWait()).toBe(true);
    jest.advanceTimersByTime(INTEREST_KEEP_MS - 1);
    expect(interest.othersWait()).toBe(true);
    jest.advanceTimersByTime(2);
    expect(interest.othersWait()).toBe(false);
  });
});
