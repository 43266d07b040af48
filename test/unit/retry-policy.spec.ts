import { defaultBackoff, retryDelay } from '../../src/core/retry.policy';

describe('retry policy', () => {
  it('grows exponentially with jitter and a cap', () => {
    for (let attempt = 1; attempt <= 40; attempt++) {
      const ceiling = Math.min(3_600_000, 1000 * 2 ** (attempt - 1));
      const delay = defaultBackoff(attempt);
      expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delay).toBeLessThanOrEqual(ceiling);
    }
  });

  it('honours number and function backoffs', () => {
    expect(retryDelay(1, 250)).toEqual({ delayMs: 250 });
    expect(retryDelay(2, (attempt) => attempt * 1000)).toEqual({ delayMs: 2000 });
    expect(retryDelay(1, 0)).toEqual({ delayMs: 0 });
  });

  it.each([
    ['throws', () => { throw new TypeError('boom'); }, 'threw TypeError: boom'],
    ['returns NaN', () => NaN, 'returned NaN'],
    ['returns a negative number', () => -5, 'returned -5'],
    ['returns Infinity', () => Infinity, 'returned Infinity'],
    ['returns a string', () => '100' as unknown as number, 'returned "100"'],
    ['returns undefined', () => undefined as unknown as number, 'returned undefined'],
  ])('a backoff that %s falls back to the default and says why', (_, backoff, reason) => {
    const { delayMs, problem } = retryDelay(1, backoff);
    expect(delayMs).toBeGreaterThanOrEqual(500);
    expect(delayMs).toBeLessThanOrEqual(1000);
    expect(problem).toContain(reason);
    expect(problem).toContain('the default backoff');
  });
});
