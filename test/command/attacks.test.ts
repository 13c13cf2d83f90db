/**
 * The attack corpus of command tools, run on the native and bwrap backends, each case checked by its EFFECT:
 * nothing created, nothing outside the roots read, no secret seen, no process left, the host still answering.
 * Definitions are built directly (the shape the generator emits), so cases the spec checks would refuse
 * (a shell as the program, to play fork bombs and runaway children) still reach the runtime's own limits.
 */
import { chmodSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../runtime/command.js';
import { ToolFailure } from '../../runtime/errors.js';
import { definition, eventually, makeRoots, processesOf, recordingLogger, runAsFor } from './helpers.js';

const BACKENDS = ['native', 'bwrap'] as const;
let dirs: ReturnType<typeof makeRoots>;
const never = new AbortController().signal;

beforeAll(() => {
  dirs = makeRoots();
});
afterAll(() => {
  rmSync(dirs.base, { recursive: true, force: true });
});

/** Runs and returns the structured result whether the program succeeded or not; rethrows refusals. */
async function outcome(def: Parameters<typeof runCommand>[0], args: Record<string, unknown> = {}) {
  try {
    return await runCommand(def, args, { log: recordingLogger(), signal: never });
  } catch (error) {
    if (error instanceof ToolFailure) return error.structured as Awaited<ReturnType<typeof runCommand>>;
    throw error;
  }
}

describe.each(BACKENDS)('attacks on the %s backend', (backend) => {
  const uid = backend === 'native' ? 47301 : 47302;
  const policy = { backend, runAs: runAsFor(uid) } as const;

  it('shell metacharacters reach the program as literal text and create nothing', async () => {
    const marker = join(dirs.base, `pwned-${backend}`);
    const payloads = [
      `; touch ${marker}`,
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      `x\ntouch ${marker}`,
      `| touch ${marker}`,
      `&& touch ${marker} #`,
      `' ; touch ${marker} ; '`,
      `*`,
      `$HOME`,
    ];
    for (const payload of payloads) {
      const r = await outcome(definition('echo', ['{{x}}'], { policy }), { x: payload });
      expect(r.stdout).toBe(`${payload}\n`);
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('an argument from a parameter cannot become an option (sort --output / -o)', async () => {
    const target = join(dirs.base, `injected-${backend}`);
    const def = definition('sort', ['{{file}}'], { policy, stdin: ['b\na\n'] });
    for (const file of [`--output=${target}`, `-o${target}`, '-oProxyCommand=touch /tmp/x', '--help']) {
      await expect(outcome(def, { file })).rejects.toThrow(/may not start with "-"/);
    }
    // After a literal "--" the same text is a file name: sort fails to open it and writes nothing.
    const safe = definition('sort', ['--', '{{file}}'], { policy });
    const r = await outcome(safe, { file: `--output=${target}` });
    expect(r.exitCode).not.toBe(0);
    expect(existsSync(target)).toBe(false);
  });

  it('denied patterns and NUL bytes are refused before anything runs', async () => {
    const def = definition('echo', ['{{opt}}'], {
      policy: { ...policy, deniedArgs: ['^--output', 'ProxyCommand'] },
      optionParameters: ['opt'],
    });
    await expect(outcome(def, { opt: '--output=/x' })).rejects.toThrow(/not allowed/);
    await expect(outcome(def, { opt: 'a-oProxyCommand=b' })).rejects.toThrow(/not allowed/);
    expect((await outcome(def, { opt: '-n' })).stdout).toBe('');
    await expect(outcome(def, { opt: 'a\0b' })).rejects.toThrow(/NUL/);
  });

  it('path parameters stay inside their root: traversal, absolute paths and symlinks are refused', async () => {
    const def = definition('cat', ['--', '{{file}}'], {
      policy: { ...policy, roots: { data: { path: dirs.root, writable: false } } },
      paths: { file: 'data' },
    });
    for (const file of [
      '../outside/secret.txt',
      '/etc/passwd',
      'escape/passwd',
      'link.txt',
      'sub/../../outside/secret.txt',
    ]) {
      await expect(outcome(def, { file }), file).rejects.toThrow(
        /outside the allowed directory|does not exist/,
      );
    }
    expect((await outcome(def, { file: 'data.txt' })).stdout).toBe('inside data\n');
    expect((await outcome(def, { file: `${dirs.root}/sub/../data.txt` })).stdout).toBe('inside data\n');
  });

  it('only allow-listed programs run: /bin/sh, relative paths and PATH tricks are refused', async () => {
    const def = definition('{{prog}}', ['hi'], { policy: { ...policy, allowedPrograms: ['echo', 'cat'] } });
    for (const prog of ['/bin/sh', 'sh', '../../bin/sh', 'echo/../sh', '/usr/bin/echo', '', 'ECHO']) {
      await expect(outcome(def, { prog }), prog).rejects.toThrow(/not allowed/);
    }
    // A fake "echo" first on the server's PATH is never looked at: programs come from the policy's searchPath.
    const fakeBin = join(dirs.base, `fakebin-${backend}`);
    const marker = join(dirs.base, `fake-ran-${backend}`);
    mkdirSync(fakeBin, { recursive: true });
    writeFileSync(join(fakeBin, 'echo'), `#!/bin/sh\ntouch ${marker}\n`);
    chmodSync(join(fakeBin, 'echo'), 0o755);
    const saved = process.env.PATH;
    process.env.PATH = `${fakeBin}:${saved}`;
    try {
      expect((await outcome(def, { prog: 'echo' })).stdout).toBe('hi\n');
    } finally {
      process.env.PATH = saved;
    }
    expect(existsSync(marker)).toBe(false);
  });

  it("the server's environment stays out unless passed: a secret is not visible to env", async () => {
    process.env.MCP_CMD_TEST_SECRET = 'hunter2-secret';
    try {
      const hidden = await outcome(definition('printenv', [], { policy }));
      expect(hidden.stdout).not.toContain('hunter2-secret');
      expect(hidden.stdout).toContain('PATH=/usr/bin:/bin');
      const passed = await outcome(
        definition('printenv', [], { policy, env: { pass: ['MCP_CMD_TEST_SECRET'], set: { LC_ALL: 'C' } } }),
      );
      expect(passed.stdout).toContain('MCP_CMD_TEST_SECRET=hunter2-secret');
      expect(passed.stdout).toContain('LC_ALL=C');
    } finally {
      delete process.env.MCP_CMD_TEST_SECRET;
    }
  });

  it('a fork bomb hits the process limit, ends, leaves nothing behind, and the host still runs commands', async () => {
    const def = definition('/bin/sh', ['-c', 'b() { b | b & }; b'], {
      timeoutMs: 3_000,
      policy: {
        ...policy,
        limits: { cpuSeconds: 5, memoryBytes: 256 * 1024 * 1024, processes: 16, fileBytes: 1024 },
      },
    });
    const started = Date.now();
    await outcome(def);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await eventually(() => processesOf(uid).length === 0)).toBe(true);
    expect((await outcome(definition('echo', ['alive'], { policy }))).stdout).toBe('alive\n');
  });

  it('an output flood is cut at maxOutputBytes, stops the program, and keeps memory flat', async () => {
    const before = process.memoryUsage().rss;
    const started = Date.now();
    const r = await outcome(definition('yes', [], { policy, maxOutputBytes: 64 * 1024, timeoutMs: 30_000 }));
    expect(r.truncated).toBe(true);
    expect(r.stdout.length).toBe(64 * 1024);
    expect(r.timedOut).toBe(false);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
    expect(await eventually(() => processesOf(uid).length === 0)).toBe(true);
  });

  it('a timeout kills the whole process group: no sleeping children are left', async () => {
    const def = definition('/bin/sh', ['-c', 'sleep 60 & sleep 61 & sleep 62'], { policy, timeoutMs: 1_000 });
    const r = await outcome(def);
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBeNull();
    expect(await eventually(() => processesOf(uid).length === 0)).toBe(true);
  });

  it('a CPU burn is stopped by the CPU limit well before the timeout', async () => {
    const def = definition('/bin/sh', ['-c', 'while :; do :; done'], {
      timeoutMs: 60_000,
      policy: {
        ...policy,
        limits: { cpuSeconds: 1, memoryBytes: 256 * 1024 * 1024, processes: 16, fileBytes: 1024 },
      },
    });
    const r = await outcome(def);
    expect(r.timedOut).toBe(false);
    expect(['SIGXCPU', 'SIGKILL']).toContain(r.signal);
    expect(await eventually(() => processesOf(uid).length === 0)).toBe(true);
  });

  it('the memory limit stops a program allocating past it', async () => {
    // tail -c N keeps the last N bytes in memory: 80 MB against a 32 MiB address-space limit.
    const def = definition('/bin/sh', ['-c', 'head -c 100000000 /dev/zero | tail -c 80000000 | wc -c'], {
      timeoutMs: 30_000,
      policy: {
        ...policy,
        limits: { cpuSeconds: 20, memoryBytes: 32 * 1024 * 1024, processes: 16, fileBytes: 1024 },
      },
    });
    const limited = await outcome(def);
    expect(limited.stdout.trim()).not.toBe('80000000');
    const roomy = await outcome({
      ...def,
      policy: { ...def.policy, limits: { ...def.policy.limits, memoryBytes: 512 * 1024 * 1024 } },
    });
    expect(roomy.stdout.trim()).toBe('80000000'); // the positive control: the same run fits in 512 MiB
  });

  it('the file size limit stops a program writing a large file', async () => {
    const out = join(dirs.root, `big-${backend}`);
    const def = definition('tee', ['--', out], {
      policy: {
        ...policy,
        roots: { data: { path: dirs.root, writable: true } },
        limits: { cpuSeconds: 5, memoryBytes: 256 * 1024 * 1024, processes: 16, fileBytes: 4096 },
      },
      stdin: ['x'.repeat(64 * 1024)],
      maxOutputBytes: 1024 * 1024,
    });
    const r = await outcome(def);
    expect(r.exitCode === 0 && r.signal === null).toBe(false);
    expect(statSync(out).size).toBeLessThanOrEqual(4096);
  });
});

describe('bwrap confinement', () => {
  const policy = { backend: 'bwrap', runAs: runAsFor(47303) } as const;

  it('sees only the declared roots: the rest of the host does not exist', async () => {
    const def = definition('cat', ['--', '{{file}}'], { policy });
    // No path confinement declared here: the sandbox itself hides the host.
    const r = await outcome(def, { file: join(dirs.outside, 'secret.txt') });
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout).not.toContain('outside secret');
    const shadow = await outcome(def, { file: '/etc/shadow' });
    expect(shadow.exitCode).not.toBe(0);
  });

  it('a read-only root cannot be written; a writable one can', async () => {
    const file = join(dirs.root, 'written.txt');
    const ro = definition('touch', ['--', '{{f}}'], {
      policy: { ...policy, roots: { data: { path: dirs.root, writable: false } } },
      paths: { f: 'data' },
    });
    expect((await outcome(ro, { f: 'written.txt' })).exitCode).not.toBe(0);
    expect(existsSync(file)).toBe(false);
    const rw = { ...ro, policy: { ...ro.policy, roots: { data: { path: dirs.root, writable: true } } } };
    expect((await outcome(rw, { f: 'written.txt' })).exitCode).toBe(0);
    expect(existsSync(file)).toBe(true);
  });

  it('has no network unless the policy allows it', async () => {
    const r = await outcome(definition('cat', ['/proc/net/dev'], { policy }));
    expect(r.stdout).toContain('lo:');
    expect(r.stdout).not.toMatch(/eth0|ens|enp/);
  });

  it('with network allowed, sees the host interfaces and can resolve names', async () => {
    const r = await outcome(
      definition('cat', ['/proc/net/dev', '/etc/resolv.conf'], { policy: { ...policy, network: true } }),
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.includes(':')).length).toBeGreaterThan(2);
  });

  it('a child that starts its own session still dies with the run (PID namespace)', async () => {
    const def = definition('/bin/sh', ['-c', 'setsid sleep 60 & sleep 61'], { policy, timeoutMs: 1_000 });
    const r = await outcome(def);
    expect(r.timedOut).toBe(true);
    expect(await eventually(() => processesOf(47303).length === 0)).toBe(true);
  });
});
