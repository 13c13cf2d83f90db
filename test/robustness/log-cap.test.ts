/**
 * Issue 17.1: a server's log is capped as bytes are written. A real child floods stdout and stderr through the
 * path the supervisor gives a server (Processes.spawn → log writer → file); afterwards every file is within the
 * limit, exactly MCP_FACTORY_LOG_KEEP files exist, and the newest lines are intact.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { supervisorConfig } from '../../src/deploy/targets/local/config.js';
import type { HealthMonitor } from '../../src/deploy/targets/local/health-monitor.js';
import { startLogWriter } from '../../src/deploy/targets/local/log-writer.js';
import { appendSupervisorLine, rotateIfNeeded } from '../../src/deploy/targets/local/logs.js';
import { Processes } from '../../src/deploy/targets/local/processes.js';
import type { Expected, Slot, SupervisorContext } from '../../src/deploy/targets/local/state.js';
import { homeLayout } from '../../src/platform/home.js';
import type { DeploymentRecord } from '../../src/store/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'mcpf-logcap-'));
  dirs.push(d);
  return d;
}

/** The log's files: the current one and its rotated siblings. */
function logFiles(file: string): string[] {
  const dir = join(file, '..');
  const base = file.slice(dir.length + 1);
  return readdirSync(dir).filter((n) => n === base || n.startsWith(`${base}.`));
}

async function until(cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A "server" that floods 100,000 lines on stdout and stderr, then a last line, then exits. */
const FLOOD = `
for (let i = 0; i < 50000; i++) { process.stdout.write('out line ' + i + ' ' + 'x'.repeat(60) + '\\n'); process.stderr.write('err line ' + i + '\\n'); }
process.stdout.write('LAST LINE\\n');
`;

describe('server log cap', () => {
  it('holds the byte limit and the number of files while a server floods its output', async () => {
    const home = tempDir();
    const layout = homeLayout(home);
    const maxBytes = 256 * 1024;
    const keep = 3;
    const config = supervisorConfig({}, { logMaxBytes: maxBytes, logKeep: keep });
    // Where a real revision's bundle lives (the sandbox shows the server its project directory only).
    const hash = 'f'.repeat(64);
    const projectDir = layout.projectDir('flood', hash);
    const bundle = layout.bundle('flood', hash);
    mkdirSync(join(projectDir, 'dist'), { recursive: true });
    writeFileSync(bundle, FLOOD);
    for (const d of [layout.servers, join(layout.servers, 'flood'), projectDir, join(projectDir, 'dist')])
      chmodSync(d, 0o755);
    chmodSync(bundle, 0o644);
    const ctx: SupervisorContext = {
      layout,
      config,
      env: process.env,
      registry: () => {
        throw new Error('not used');
      },
      closing: () => false,
      wake: () => undefined,
      wakeAt: () => undefined,
      log: () => undefined,
    };
    const monitor = { schedule: () => undefined } as unknown as HealthMonitor;
    const processes = new Processes(ctx, monitor);
    const slot: Slot = {
      id: 1,
      name: 'flood',
      instance: undefined,
      stopping: new Map(),
      startFailures: 0,
      crashes: 0,
      restarts: 0,
      nextStartAt: 0,
      failed: false,
      pendingSeen: undefined,
    };
    const expected: Expected = {
      revision: 1,
      bundle,
      projectDir,
      port: 1,
      endpoint: 'http://127.0.0.1:1/mcp',
      env: { PATH: process.env.PATH ?? '' },
      configHash: 'x',
      headers: {},
    };
    const file = layout.logFile('flood');
    const inst = processes.spawn(slot, { id: 1, server: 'flood', revision: 1 } as DeploymentRecord, expected);
    await until(() => inst.exited).catch((e: Error) => {
      throw new Error(
        `${e.message}; log: ${existsSync(file) ? readFileSync(file, 'utf8').slice(0, 2000) : 'none'}`,
      );
    });
    await until(() => existsSync(file) && readFileSync(file, 'utf8').includes('LAST LINE'));
    await new Promise((r) => setTimeout(r, 200));

    const files = logFiles(file);
    expect(files.sort()).toEqual(['flood.log', 'flood.log.1', 'flood.log.2']);
    for (const f of files) expect(statSync(join(layout.logs, f)).size).toBeLessThanOrEqual(maxBytes);
    // Lines are whole: every line of every file is one the server wrote, or a supervisor line.
    for (const f of files) {
      for (const line of readFileSync(join(layout.logs, f), 'utf8').split('\n').filter(Boolean)) {
        expect(line).toMatch(/^(out line \d+ x{60}|err line \d+|LAST LINE|\{.*"source":"supervisor".*\})$/);
      }
    }
    // About 4 MB were written; only the newest ≤ keep × max bytes are on disk.
    const total = files.reduce((n, f) => n + statSync(join(layout.logs, f)).size, 0);
    expect(total).toBeLessThanOrEqual(keep * maxBytes);
    expect(total).toBeGreaterThan(maxBytes);
  }, 60_000);

  it('cuts a single line longer than the limit and keeps one file when keep is 1', async () => {
    const dir = tempDir();
    const file = join(dir, 's.log');
    const { writer, release } = startLogWriter(file, { maxBytes: 1000, keep: 1 });
    // Listened to from the start: the writer may end before the child's exit is seen.
    const writerDone = new Promise((r) => writer.once('exit', r));
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['-e', "process.stdout.write('y'.repeat(5500) + '\\nEND\\n')"], {
      stdio: ['ignore', writer.stdin ?? 'ignore', 'ignore'],
    });
    release();
    await new Promise((r) => child.once('exit', r));
    await writerDone;
    expect(logFiles(file)).toEqual(['s.log']);
    expect(statSync(file).size).toBeLessThanOrEqual(1000);
    expect(readFileSync(file, 'utf8')).toContain('END');
  });

  it('keeps a line whole when a read ends inside it just before a rotation', async () => {
    const dir = tempDir();
    const file = join(dir, 'p.log');
    const { writer } = startLogWriter(file, { maxBytes: 100, keep: 2 });
    const writerDone = new Promise((r) => writer.once('exit', r));
    const stdin = writer.stdin;
    if (!stdin) throw new Error('no stdin');
    // 90 bytes fill the file; the next read ends inside a line, whose tail arrives in a later read.
    stdin.write(`${'a'.repeat(89)}\n`);
    await new Promise((r) => setTimeout(r, 50));
    stdin.write('bbbbbbbb');
    await new Promise((r) => setTimeout(r, 50));
    stdin.write('bbbbbbbbbbbb\n');
    stdin.end();
    await writerDone;
    const lines = logFiles(file).flatMap((f) =>
      readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean),
    );
    expect(lines.sort()).toEqual(['a'.repeat(89), 'b'.repeat(20)]);
  });

  it('supervisor lines and the sweep keep the same count (current + keep-1 rotated)', () => {
    const dir = tempDir();
    const file = join(dir, 'a.log');
    // A leftover from a larger MCP_FACTORY_LOG_KEEP is pruned too.
    writeFileSync(`${file}.7`, 'old');
    for (let i = 0; i < 400; i++) appendSupervisorLine(file, `line ${i}`, {}, { maxBytes: 2000, keep: 4 });
    expect(logFiles(file).sort()).toEqual(['a.log', 'a.log.1', 'a.log.2', 'a.log.3']);
    for (const f of logFiles(file)) expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(2000);
    writeFileSync(file, 'z'.repeat(5000));
    expect(rotateIfNeeded(file, 2000, 4)).toBe(true);
    expect(logFiles(file)).toHaveLength(4);
  });
});
