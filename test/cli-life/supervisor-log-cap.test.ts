/**
 * The supervisor's own output goes through the capped log writer: a supervisor that prints far more than the
 * limit leaves a log no larger than the limit (plus rotated files), not one that grows until the next
 * reconcile pass. The "supervisor" here is a stand-in command that floods stdout and stderr, then exits.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { FactoryError } from '../../src/core/errors/index.js';
import { SupervisorLink } from '../../src/deploy/targets/local/link.js';
import { homeLayout } from '../../src/platform/home.js';

const home = mkdtempSync(join(tmpdir(), 'mcpf-suplog-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

it('caps the supervisor log as it is written', async () => {
  const layout = homeLayout(home);
  // fs.writeSync on fds 1 and 2 keeps the two streams' lines in order (process.stdout on a pipe may flush later).
  const flood = `const fs = require('node:fs'); for (let i = 0; i < 4000; i++) fs.writeSync(i % 2 ? 1 : 2, JSON.stringify({ i, msg: 'x'.repeat(60) }) + '\\n');`;
  const saved = { max: process.env.MCP_FACTORY_LOG_MAX_BYTES, keep: process.env.MCP_FACTORY_LOG_KEEP };
  process.env.MCP_FACTORY_LOG_MAX_BYTES = '20000';
  process.env.MCP_FACTORY_LOG_KEEP = '3';
  try {
    // A script file, not `-e`: the link appends `--home DIR` to the command.
    const script = join(home, 'flood.cjs');
    writeFileSync(script, flood);
    const link = new SupervisorLink(layout, { command: [process.execPath, script] });
    const error = await link.ensure().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FactoryError);
    expect((error as FactoryError).code).toBe('SUPERVISOR_UNAVAILABLE');
  } finally {
    for (const [k, v] of [
      ['MCP_FACTORY_LOG_MAX_BYTES', saved.max],
      ['MCP_FACTORY_LOG_KEEP', saved.keep],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  // The writer is detached: give it a moment to drain the pipe.
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && !readFileSync(layout.supervisorLog, 'utf8').includes('"i":3999')) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const log = layout.supervisorLog;
  expect(statSync(log).size).toBeLessThanOrEqual(20_000);
  expect(readFileSync(log, 'utf8')).toContain('"i":3999');
  const dir = join(log, '..');
  const rotated = readdirSync(dir).filter((n) => n.startsWith('supervisor.log.'));
  expect(rotated.length).toBeGreaterThan(0);
  expect(rotated.length).toBeLessThanOrEqual(2);
  for (const name of rotated) expect(statSync(join(dir, name)).size).toBeLessThanOrEqual(20_000);
  // Whole lines only: every line of every file parses.
  for (const name of ['supervisor.log', ...rotated]) {
    const text = readFileSync(join(dir, name), 'utf8');
    for (const line of text.split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
  }
  expect(existsSync(log)).toBe(true);
}, 60_000);
