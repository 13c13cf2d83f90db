/**
 * Shared fixtures of the command tests: a definition builder (the shape the generator emits), a silent
 * logger that records audit lines, a confined root directory with a file and an escaping symlink, and the
 * backends this machine can run.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandDefinition, TemplatePart } from '../../runtime/command-argv.js';
import type { Logger } from '../../runtime/logger.js';

/** A uid of its own per test file: RLIMIT_NPROC counts every process of the uid, and leftovers are findable. */
export function runAsFor(uid: number): { uid: number; gid: number } {
  return { uid, gid: uid };
}

/** `{{name}}` → a part; anything else literal. */
export function arg(template: string): TemplatePart[] {
  const m = /^(.*?)\{\{(\w+)\}\}(.*)$/.exec(template);
  if (!m) return [template];
  return [m[1]!, { param: m[2]! }, m[3]!].filter((p) => p !== '');
}

export function definition(
  program: string,
  args: string[],
  overrides: Partial<Omit<CommandDefinition, 'policy'>> & {
    policy?: Partial<CommandDefinition['policy']>;
  } = {},
): CommandDefinition {
  const { policy, ...rest } = overrides;
  return {
    tool: 'test_tool',
    program: arg(program),
    args: args.map(arg),
    env: { pass: [], set: {} },
    timeoutMs: 10_000,
    maxOutputBytes: 64 * 1024,
    paths: {},
    optionParameters: [],
    secretParameters: [],
    ...rest,
    policy: {
      backend: 'native',
      allowedPrograms: [program],
      searchPath: ['/usr/bin', '/bin'],
      deniedArgs: [],
      roots: {},
      network: false,
      limits: { cpuSeconds: 5, memoryBytes: 256 * 1024 * 1024, processes: 16, fileBytes: 1024 * 1024 },
      ...policy,
    },
  };
}

export interface RecordingLogger extends Logger {
  lines: Array<{ level: string; msg: string; fields: Record<string, unknown> }>;
}

export function recordingLogger(): RecordingLogger {
  const lines: RecordingLogger['lines'] = [];
  const make = (base: Record<string, unknown>): Logger => ({
    debug: (msg, f) => lines.push({ level: 'debug', msg, fields: { ...base, ...f } }),
    info: (msg, f) => lines.push({ level: 'info', msg, fields: { ...base, ...f } }),
    warn: (msg, f) => lines.push({ level: 'warn', msg, fields: { ...base, ...f } }),
    error: (msg, f) => lines.push({ level: 'error', msg, fields: { ...base, ...f } }),
    child: (fields) => make({ ...base, ...fields }),
  });
  return Object.assign(make({}), { lines });
}

/** root/ (world-readable) with data.txt, sub/ and `escape` → /etc; `outside/` beside it with secret.txt. */
export function makeRoots(): { base: string; root: string; outside: string } {
  const base = mkdtempSync(join(tmpdir(), 'mcpf-cmd-'));
  chmodSync(base, 0o755);
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  mkdirSync(join(root, 'sub'), { recursive: true, mode: 0o755 });
  mkdirSync(outside, { mode: 0o755 });
  chmodSync(root, 0o777);
  writeFileSync(join(root, 'data.txt'), 'inside data\n', { mode: 0o644 });
  writeFileSync(join(outside, 'secret.txt'), 'outside secret\n', { mode: 0o644 });
  symlinkSync('/etc', join(root, 'escape'));
  symlinkSync(join(outside, 'secret.txt'), join(root, 'link.txt'));
  return { base, root, outside };
}

/** Processes of a uid still alive (ps), for orphan checks. */
export function processesOf(uid: number): string[] {
  const r = spawnSync('ps', ['-o', 'pid=,comm=', '-u', String(uid)], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.trim() !== '');
}

/** Polls until `check` holds or the deadline passes (loaded machines: no fixed sleeps). */
export async function eventually(check: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

export const DOCKER = process.env.MCP_FACTORY_TEST_DOCKER === '1';
