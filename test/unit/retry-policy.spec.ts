import { defaultBackoff, nextAttemptAt } from '../../src/worker/retry.policy';

describe('retry policy', () => {
  it('grows exponentially with jitter and a cap', () => {
    for (let attempt = 1; attempt <= 40; attempt++) {
      const ceiling = Math.min(3_600_000, 1000 * 2 ** (attempt - 1));
      const delay = defaultBackoff(attempt);
      expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delay).toBeLessThanOrEqual(ceiling);
    }
  });

  it('returns null after the last attempt and honours number and function backoffs', () => {
    const now = 1_000_000;
    expect(nextAttemptAt(3, 3, undefined, now)).toBeNull();
    expect(nextAttemptAt(1, 3, 250, now)!.getTime()).toBe(now + 250);
    expect(nextAttemptAt(2, 3, (attempt) => attempt * 1000, now)!.getTime()).toBe(now + 2000);
    expect(nextAttemptAt(1, 3, () => -5, now)!.getTime()).toBe(now);
  });
});
