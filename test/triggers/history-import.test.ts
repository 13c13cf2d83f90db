/**
 * The factory's import of a server's trigger history (deploy/trigger-history.ts) into the registry, on both
 * backends: every line once across appends, rotations and concurrent importers; torn and malformed lines are
 * not imported; a server cannot point the import at another file (symlinks) — checked by what lands in the
 * registry.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as runtimeTypes from '../../runtime/triggers/types.js';
import {
  importTriggerHistory,
  TRIGGER_HISTORY_FILE,
  TRIGGER_STATE_DIR_ENV,
} from '../../src/deploy/trigger-history.js';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { availableBackends, type BackendHandle } from '../registry/backends.js';

const SERVER = 'orders';

function line(i: number, outcome = 'succeeded', extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({
    trigger: i % 3,
    type: 'webhook',
    tool: 'record_order',
    key: `0:evt-${i}`,
    inputHash: createHash('sha256').update(String(i)).digest('hex'),
    attempt: 1,
    outcome,
    startedAt: new Date(Date.UTC(2026, 11, 6, 0, 0, i)).toISOString(),
    durationMs: 12.5,
    ...extra,
  })}\n`;
}

it('names the state folder and history file as the generated runtime does', () => {
  expect(TRIGGER_STATE_DIR_ENV).toBe(runtimeTypes.TRIGGER_STATE_DIR_ENV);
  expect(TRIGGER_HISTORY_FILE).toBe(runtimeTypes.TRIGGER_HISTORY_FILE);
});

describe.each(availableBackends())('trigger history import ($name)', (backend) => {
  let handle: BackendHandle;
  let registry: Registry;
  let dir: string;
  let root: string;

  beforeEach(async () => {
    handle = await backend.create();
    registry = await openRegistry(handle.options);
    root = mkdtempSync(join(tmpdir(), 'mcpf-trigger-history-'));
    dir = join(root, 'triggers');
    mkdirSync(dir);
  });
  afterEach(async () => {
    await registry.close();
    await handle.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  const file = () => join(dir, TRIGGER_HISTORY_FILE);
  const keys = async () => (await registry.triggers.list(SERVER, { limit: 1000 })).map((r) => r.key).sort();
  const expected = (n: number) => Array.from({ length: n }, (_, i) => `0:evt-${i}`).sort();

  it('imports appended lines once, across a rotation, and summarizes them', async () => {
    writeFileSync(file(), line(0) + line(1));
    expect((await importTriggerHistory(registry.triggers, SERVER, dir)).imported).toBe(2);
    expect((await importTriggerHistory(registry.triggers, SERVER, dir)).imported).toBe(0);
    appendFileSync(file(), line(2));
    // Rotated after line 3 was written and before it was read: the rest of the old file is read from `.1`.
    appendFileSync(file(), line(3));
    renameSync(file(), `${file()}.1`);
    writeFileSync(file(), line(4) + line(5, 'dead-lettered', { error: 'boom', attempt: 5 }));
    expect((await importTriggerHistory(registry.triggers, SERVER, dir)).imported).toBe(4);
    expect(await keys()).toEqual(expected(6));
    const summary = await registry.triggers.summary(SERVER);
    expect(summary.map((s) => s.trigger)).toEqual([0, 1, 2]);
    expect(summary.find((s) => s.trigger === 2)).toMatchObject({
      tool: 'record_order',
      lastOutcome: 'dead-lettered',
      counts: { succeeded: 1, 'dead-lettered': 1, failed: 0, duplicate: 0 },
    });
    const dead = await registry.triggers.list(SERVER, { outcome: 'dead-lettered' });
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ attempt: 5, error: 'boom' });
  });

  it('waits for a torn last line and skips malformed records', async () => {
    const whole = line(0);
    writeFileSync(file(), whole + line(1).slice(0, 20));
    expect((await importTriggerHistory(registry.triggers, SERVER, dir)).imported).toBe(1);
    appendFileSync(file(), `${line(1).slice(20)}`);
    const bad = [
      'not json\n',
      `${JSON.stringify({ trigger: -1, type: 'x' })}\n`,
      line(7, 'exploded'),
      line(8, 'succeeded', { inputHash: 'zz' }),
      line(9, 'succeeded', { key: 'k'.repeat(5000) }),
      line(10, 'succeeded', { startedAt: 'yesterday' }),
    ];
    appendFileSync(file(), bad.join(''));
    const report = await importTriggerHistory(registry.triggers, SERVER, dir);
    expect(report).toMatchObject({ imported: 1, rejected: bad.length });
    expect(await keys()).toEqual(expected(2));
  });

  it('reads at most its budget per import and continues where it stopped', async () => {
    writeFileSync(file(), Array.from({ length: 50 }, (_, i) => line(i)).join(''));
    const first = await importTriggerHistory(registry.triggers, SERVER, dir, 2000);
    expect(first.more).toBe(true);
    expect(first.imported).toBeGreaterThan(0);
    for (let i = 0; i < 50; i++)
      if (!(await importTriggerHistory(registry.triggers, SERVER, dir, 2000)).more) break;
    expect(await keys()).toEqual(expected(50));
  });

  it('two importers at once import each line once', async () => {
    const other = await openRegistry(handle.options);
    try {
      writeFileSync(file(), Array.from({ length: 40 }, (_, i) => line(i)).join(''));
      await Promise.all([
        importTriggerHistory(registry.triggers, SERVER, dir),
        importTriggerHistory(other.triggers, SERVER, dir),
      ]);
      await importTriggerHistory(other.triggers, SERVER, dir);
      expect(await keys()).toEqual(expected(40));
    } finally {
      await other.close();
    }
  });

  it('attack: a symlinked history file or folder is not read', async () => {
    const outside = join(root, 'outside.jsonl');
    writeFileSync(outside, line(0) + line(1));
    symlinkSync(outside, file());
    expect(await importTriggerHistory(registry.triggers, SERVER, dir)).toMatchObject({ imported: 0 });
    const elsewhere = join(root, 'elsewhere');
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, TRIGGER_HISTORY_FILE), line(2));
    const linkedDir = join(root, 'linked');
    symlinkSync(elsewhere, linkedDir);
    expect(await importTriggerHistory(registry.triggers, SERVER, linkedDir)).toMatchObject({ imported: 0 });
    expect(await keys()).toEqual([]);
  });

  it('attack: a FIFO in place of the history file is refused without blocking', async () => {
    execFileSync('mkfifo', [file()]);
    expect(await importTriggerHistory(registry.triggers, SERVER, dir)).toMatchObject({ imported: 0 });
  });
});
