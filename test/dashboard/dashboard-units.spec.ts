import { isLoopback } from '../../src/dashboard/dashboard-request';
import { relativeBase } from '../../src/dashboard/dashboard-page';
import { percentiles } from '../../src/dashboard/dashboard-stats.reader';
import { resolveDashboardOptions } from '../../src/dashboard/dashboard-options.resolve';

describe('dashboard helpers', () => {
  it('isLoopback: 127.0.0.0/8 and ::1, also IPv4-mapped; nothing else', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) expect(isLoopback(address)).toBe(true);
    for (const address of ['10.0.0.1', '192.0.2.2', '::ffff:10.0.0.1', 'fd00::2', '1127.0.0.1', '127.0.0.1.evil', '', undefined]) {
      expect(isLoopback(address)).toBe(false);
    }
  });

  it('relativeBase: links relative to the page, with or without a trailing slash', () => {
    expect(relativeBase('/tasks')).toBe('./tasks');
    expect(relativeBase('/admin/ops/tasks')).toBe('./tasks');
    expect(relativeBase('/tasks/')).toBe('.');
    expect(relativeBase('/')).toBe('.');
  });

  it('percentiles: nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, index) => 100 - index);
    expect(percentiles(values)).toEqual({ p50: 50, p90: 90, p99: 99, max: 100 });
    expect(percentiles([7])).toEqual({ p50: 7, p90: 7, p99: 7, max: 7 });
  });

  it('options: without guards read-only and loopback-only; unsafeAllowUnauthenticated lifts read-only only', () => {
    expect(resolveDashboardOptions()).toEqual({ path: '/tasks', guards: [], readOnly: true, loopbackOnly: true });
    expect(resolveDashboardOptions({ path: 'ops/', unsafeAllowUnauthenticated: true })).toEqual({ path: '/ops', guards: [], readOnly: false, loopbackOnly: true });
    const guard = { canActivate: () => true };
    expect(resolveDashboardOptions({ guards: [guard] })).toEqual({ path: '/tasks', guards: [guard], readOnly: false, loopbackOnly: false });
    expect(resolveDashboardOptions({ guards: [guard], readOnly: true }).readOnly).toBe(true);
  });
});
