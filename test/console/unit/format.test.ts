import { describe, expect, it } from 'vitest';
import {
  errorRate,
  formatCount,
  formatDuration,
  formatMs,
  formatPercent,
  formatRelative,
  matchesFilter,
} from '../../../console/src/app/format.ts';
import { appendCapped, filterLines, levelOf } from '../../../console/src/app/log-buffer.ts';
import { visibleSections } from '../../../console/src/app/nav.ts';
import { auditQuery, withinTime } from '../../../console/src/pages/audit/filters.ts';

describe('console formatting', () => {
  it('says how long ago, coarsely', () => {
    const now = Date.parse('2026-01-10T12:00:00Z');
    expect(formatRelative(now - 2_000, now)).toBe('just now');
    expect(formatRelative(now - 42_000, now)).toBe('42 s ago');
    expect(formatRelative(now - 3 * 60_000, now)).toBe('3 min ago');
    expect(formatRelative(now - 5 * 3600_000, now)).toBe('5 h ago');
    expect(formatRelative(now - 3 * 86_400_000, now)).toBe('3 d ago');
    expect(formatRelative(now + 2 * 3600_000, now)).toBe('in 2 h');
  });

  it('formats durations, latencies, counts and ratios, with a dash for unknowns', () => {
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(125)).toBe('2m 5s');
    expect(formatDuration(3 * 3600 + 720)).toBe('3h 12m');
    expect(formatDuration(2 * 86_400 + 3600)).toBe('2d 1h');
    expect(formatDuration(undefined)).toBe('—');
    expect(formatDuration(-1)).toBe('—');
    expect(formatMs(0.4242)).toBe('0.42 ms');
    expect(formatMs(12.4)).toBe('12 ms');
    expect(formatMs(1300)).toBe('1.3 s');
    expect(formatMs(null)).toBe('—');
    expect(formatCount(12345)).toBe('12,345');
    expect(formatCount(Number.NaN)).toBe('—');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(0.004)).toBe('0.4%');
    expect(formatPercent(0.123)).toBe('12%');
    expect(formatPercent(undefined)).toBe('—');
  });

  it('has no error rate without calls', () => {
    expect(errorRate(0, 0)).toBeUndefined();
    expect(errorRate(undefined, 1)).toBeUndefined();
    expect(errorRate(10, 1)).toBe(0.1);
  });

  it('matches every word of a filter in any field, case-insensitively', () => {
    expect(matchesFilter('', ['x'])).toBe(true);
    expect(matchesFilter('INV run', ['inventory', 'running'])).toBe(true);
    expect(matchesFilter('inv stopped', ['inventory', 'running'])).toBe(false);
    expect(matchesFilter('docker', ['a', null, undefined, 'docker'])).toBe(true);
  });
});

describe('console log buffer', () => {
  it('keeps only the newest lines, with increasing sequence numbers', () => {
    let buffer = appendCapped([], ['a', 'b', 'c'], 4);
    buffer = appendCapped(buffer, ['d', 'e', 'f'], 4);
    expect(buffer.map((l) => l.text)).toEqual(['c', 'd', 'e', 'f']);
    expect(buffer.map((l) => l.seq)).toEqual([2, 3, 4, 5]);
    expect(
      appendCapped(
        buffer,
        Array.from({ length: 10 }, (_, i) => `n${i}`),
        4,
      ).map((l) => l.text),
    ).toEqual(['n6', 'n7', 'n8', 'n9']);
    expect(appendCapped(buffer, [], 4)).toBe(buffer);
  });

  it('filters by text or /regex/, and reports a bad expression instead of throwing', () => {
    const lines = appendCapped([], ['GET /a 200', 'POST /b 500', 'get /c 404']);
    expect(filterLines(lines, 'get').lines.map((l) => l.text)).toEqual(['GET /a 200', 'get /c 404']);
    expect(filterLines(lines, '/ [45]\\d\\d$/').lines.map((l) => l.text)).toEqual([
      'POST /b 500',
      'get /c 404',
    ]);
    const bad = filterLines(lines, '/(/');
    expect(bad.lines).toEqual([]);
    expect(bad.invalid).toBeTruthy();
    expect(filterLines(lines, '  ').lines).toHaveLength(3);
  });

  it('tells error and warning lines of structured logs apart', () => {
    expect(levelOf('{"time":"t","level":"error","msg":"x"}')).toBe('error');
    expect(levelOf('{"level": "warn","msg":"x"}')).toBe('warn');
    expect(levelOf('{"level":"info","msg":"level error"}')).toBeUndefined();
    expect(levelOf('plain error line')).toBeUndefined();
  });
});

describe('console navigation and audit filters', () => {
  it('shows only the sections the permissions allow', () => {
    const viewer = new Set(['servers.read', 'account.self', 'tools.search']);
    expect(visibleSections((p) => viewer.has(p)).map((s) => s.label)).toEqual([
      'Servers',
      'Search',
      'Tokens',
    ]);
    expect(visibleSections(() => false)).toEqual([]);
  });

  it('sends only set filters, encoded, and filters the time window locally', () => {
    expect(auditQuery({ actor: 'a&b=c', target: 'inv' }, 100, 42)).toBe(
      'actor=a%26b%3Dc&target=inv&limit=100&before=42',
    );
    expect(auditQuery({}, 50)).toBe('limit=50');
    const window = { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' };
    expect(withinTime({ at: '2026-01-01T12:00:00Z' }, window)).toBe(true);
    expect(withinTime({ at: '2025-12-31T23:59:59Z' }, window)).toBe(false);
    expect(withinTime({ at: '2026-01-02T00:00:01Z' }, window)).toBe(false);
    expect(withinTime({ at: '2020-01-01T00:00:00Z' }, {})).toBe(true);
  });
});
