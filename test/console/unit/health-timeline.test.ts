import { describe, expect, it } from 'vitest';
import type { StoredHealthCheck } from '../../../console/src/api/types.ts';
import { healthTimeline } from '../../../console/src/pages/servers/summary.ts';

const T0 = Date.parse('2026-12-07T00:00:00.000Z');
const check = (minute: number, health: StoredHealthCheck['health']): StoredHealthCheck => ({
  deployment: 1,
  target: 'local',
  checkedAt: new Date(T0 + minute * 60_000).toISOString(),
  health,
  responseMs: null,
  detail: null,
});

describe('healthTimeline', () => {
  it('has no data before the first check, then carries each state until the next', () => {
    const slots = healthTimeline([check(3, 'healthy'), check(6, 'unhealthy')], T0, T0 + 10 * 60_000, 10);
    expect(slots.map((s) => s.health)).toEqual([
      null,
      null,
      null,
      'healthy',
      'healthy',
      'healthy',
      'unhealthy',
      'unhealthy',
      'unhealthy',
      'unhealthy',
    ]);
    expect(slots.map((s) => s.checks)).toEqual([0, 0, 0, 1, 0, 0, 1, 0, 0, 0]);
    expect(slots.at(-1)?.to).toBe(T0 + 10 * 60_000);
  });

  it('shows the worst state of a slot, and starts from the state before the window', () => {
    const checks = [check(-30, 'degraded'), check(4.2, 'unhealthy'), check(4.5, 'healthy')];
    const slots = healthTimeline(checks, T0, T0 + 8 * 60_000, 4);
    expect(slots.map((s) => s.health)).toEqual(['degraded', 'degraded', 'unhealthy', 'healthy']);
  });

  it('answers empty slots for no checks', () => {
    expect(healthTimeline([], T0, T0 + 60_000, 4).every((s) => s.health === null)).toBe(true);
  });
});
