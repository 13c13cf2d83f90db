/**
 * Trigger sources on their own: cron's missed-run policy (one catch-up run for the latest missed slot, none on a
 * first start or with `skip`), the file source's confinement (paths with `..`, absolute paths and symlinked
 * folders leaving the root are refused before anything is watched) and glob matching, and channel quoting.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../runtime/logger.js';
import { cronSource } from '../../runtime/triggers/cron.js';
import { quoteIdentifier } from '../../runtime/triggers/database.js';
import { confinedFolder, globToRegExp } from '../../runtime/triggers/file.js';
import type { TriggerEvent } from '../../runtime/triggers/types.js';

const log = createLogger('error');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mcpf-sources-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('cron missed-run policy', () => {
  // Once a day at 03:00: no regular slot fires during the test, so every event seen is a catch-up.
  const daily = '0 3 * * *';
  async function eventsAtStart(missed: 'skip' | 'run-once' | undefined, lastRun: number | undefined) {
    const seen: TriggerEvent[] = [];
    const source = cronSource({ schedule: daily, ...(missed ? { missed } : {}) }, () => lastRun, log);
    await source.start(async (event) => {
      seen.push(event);
      return 'succeeded';
    });
    await source.stop();
    return seen;
  }

  it('run-once: one run for the latest slot missed since the last recorded run', async () => {
    const seen = await eventsAtStart('run-once', Date.now() - 3 * 86_400_000);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.meta).toMatchObject({ missed: true });
    expect(new Date(seen[0]!.id).getTime()).toBeLessThanOrEqual(Date.now());
    expect(new Date(seen[0]!.id).getTime()).toBeGreaterThan(Date.now() - 86_400_001);
  });

  it('run-once: nothing when the last run is after the latest slot, or on a first start', async () => {
    expect(await eventsAtStart('run-once', Date.now())).toEqual([]);
    expect(await eventsAtStart('run-once', undefined)).toEqual([]);
  });

  it('skip (the default): nothing at start', async () => {
    expect(await eventsAtStart(undefined, Date.now() - 3 * 86_400_000)).toEqual([]);
    expect(await eventsAtStart('skip', Date.now() - 3 * 86_400_000)).toEqual([]);
  });
});

describe('file trigger confinement', () => {
  it.each(['../x', 'inbox/../../x', '/etc', join(tmpdir(), 'x')])('refuses %s', (path) => {
    mkdirSync(join(dir, 'root'));
    expect(() => confinedFolder(join(dir, 'root'), path)).toThrow(/file root|\.\./);
  });

  it('refuses a folder that is a symlink leaving the root, and creates nothing outside', () => {
    mkdirSync(join(dir, 'root'));
    mkdirSync(join(dir, 'outside'));
    symlinkSync(join(dir, 'outside'), join(dir, 'root', 'link'));
    expect(() => confinedFolder(join(dir, 'root'), 'link')).toThrow(/symlink/);
    expect(() => confinedFolder(join(dir, 'root'), 'link/deeper')).toThrow(/symlink/);
    expect(existsSync(join(dir, 'outside', 'deeper'))).toBe(false);
  });

  it('accepts a folder inside the root (created when missing)', () => {
    mkdirSync(join(dir, 'root'));
    expect(confinedFolder(join(dir, 'root'), 'in/box')).toBe(join(dir, 'root', 'in', 'box'));
  });

  it('globs: * within a name, ** across folders, ? one character, the rest literal', () => {
    const csv = globToRegExp('**/*.csv');
    expect(['a.csv', 'x/y/a.csv'].every((p) => csv.test(p))).toBe(true);
    expect(['a.csv.txt', 'a.CSV', 'acsv'].some((p) => csv.test(p))).toBe(false);
    const one = globToRegExp('data-?.json');
    expect(one.test('data-1.json')).toBe(true);
    expect(one.test('data-12.json') || one.test('sub/data-1.json') || one.test('data-1xjson')).toBe(false);
    expect(globToRegExp('*.txt').test('sub/a.txt')).toBe(false);
  });
});

describe('database channel quoting', () => {
  it('quotes identifiers, doubling quotes, and refuses NUL', () => {
    expect(quoteIdentifier('Orders')).toBe('"Orders"');
    expect(quoteIdentifier('a"; DROP TABLE x; --')).toBe('"a""; DROP TABLE x; --"');
    expect(() => quoteIdentifier('a\u0000b')).toThrow();
  });
});
