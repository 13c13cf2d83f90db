/**
 * The host agent (`mcp-factory host-agent`) on a free loopback port, called by the runtime's agent backend and
 * by forged raw requests. Every attack is checked by its effect: the marker file it would create does not
 * exist, the agent's audit shows nothing run, and the agent still answers. Its policy is the authority: a
 * program, argument or path the agent does not allow is refused even when the server's own definition allows
 * it, and limits above its maxima are capped (proven by the timeout and the CPU limit taking effect).
 */
import { chmodSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../runtime/command.js';
import '../../runtime/command-agent.js';
import { ToolError, ToolFailure } from '../../runtime/errors.js';
import { FactoryError } from '../../src/core/errors/index.js';
import { agentPolicy } from '../../src/platform/host-agent/index.js';
import { startHostAgent } from '../../src/surfaces/cli/host-agent-command.js';
import { runCli } from '../../src/surfaces/cli/main.js';
import {
  AS_ROOT,
  forgedHeaders,
  healthy,
  KEY,
  KEY_ID,
  post,
  type RunningAgent,
  runRequest,
  startTestAgent,
} from './agent-fixture.js';
import { definition, eventually, makeRoots, processesOf, recordingLogger, runAsFor } from './helpers.js';

const uid = 64_311;
const never = new AbortController().signal;
let roots: ReturnType<typeof makeRoots>;
let agent: RunningAgent;
const marker = (name: string) => join(roots.root, name);

beforeAll(async () => {
  roots = makeRoots();
  agent = await startTestAgent(roots.base, {
    backend: 'native',
    allowedPrograms: ['printf', 'cat', 'touch', 'sleep', 'awk'],
    searchPath: ['/usr/bin', '/bin'],
    deniedArgs: ['forbidden'],
    roots: { work: { path: roots.root, writable: true } },
    runAs: runAsFor(uid),
    maxLimits: { cpuSeconds: 1, memoryBytes: 1024 * 1024 * 1024, processes: 16, fileBytes: 1024 * 1024 },
    maxTimeoutMs: 20_000,
    maxBodyBytes: 4096,
  });
  process.env.TEST_AGENT_URL = agent.url;
  process.env.TEST_AGENT_KEY_ID = KEY_ID;
  process.env.TEST_AGENT_KEY = KEY;
});

afterAll(async () => {
  await agent?.close();
  rmSync(roots.base, { recursive: true, force: true });
});

/** A definition on the agent backend; the server side allows whatever the test names. */
function viaAgent(program: string, args: string[], timeoutMs = 10_000, urlEnv = 'TEST_AGENT_URL') {
  return definition(program, args, {
    timeoutMs,
    policy: {
      backend: 'agent',
      agent: { urlEnv, keyIdEnv: 'TEST_AGENT_KEY_ID', keyEnv: 'TEST_AGENT_KEY' },
      limits: { cpuSeconds: 60, memoryBytes: 1024 * 1024 * 1024, processes: 16, fileBytes: 1024 * 1024 },
    },
  });
}

async function outcome(def: ReturnType<typeof viaAgent>, args: Record<string, unknown> = {}) {
  try {
    return await runCommand(def, args, { log: recordingLogger(), signal: never });
  } catch (error) {
    if (error instanceof ToolFailure)
      return error.structured as unknown as Awaited<ReturnType<typeof runCommand>>;
    throw error;
  }
}

describe.skipIf(!AS_ROOT)('the host agent', () => {
  it('runs a command for a signed caller and audits it', async () => {
    const r = await runCommand(
      viaAgent('printf', ['%s|', '{{a}}', '$(id)']),
      { a: "it's ; `id`" },
      {
        log: recordingLogger(),
        signal: never,
      },
    );
    expect(r.stdout).toBe("it's ; `id`|$(id)|");
    const line = agent.ran().at(-1)!;
    expect(line).toMatchObject({
      keyId: KEY_ID,
      argv: ['/usr/bin/printf', '%s|', "it's ; `id`", '$(id)'],
      exitCode: 0,
    });
    expect(line.bytesOut).toBe(r.stdout.length);
    expect(typeof line.durationMs).toBe('number');
  });

  it("refuses what its own policy does not allow, though the server's definition does", async () => {
    const before = agent.ran().length;
    const refused = async (def: ReturnType<typeof viaAgent>) => {
      await expect(runCommand(def, {}, { log: recordingLogger(), signal: never })).rejects.toThrow(ToolError);
    };
    // A program not on the agent's allow-list (the server allows it).
    await refused(viaAgent('chmod', ['777', marker('by-chmod')]));
    await expect(
      runCommand(viaAgent('mkdir', [marker('by-mkdir')]), {}, { log: recordingLogger(), signal: never }),
    ).rejects.toThrow(/host agent refused the command: program "mkdir" is not allowed/);
    // An argument matching the agent's denied patterns.
    await refused(viaAgent('touch', [marker('forbidden-marker')]));
    // Paths outside the agent's roots: absolute, "..", and symlinks escaping the root.
    await refused(viaAgent('touch', [join(roots.outside, 'marker-abs')]));
    await refused(viaAgent('touch', ['../outside/marker-dotdot']));
    await refused(viaAgent('touch', ['escape/marker-symlink']));
    await refused(viaAgent('cat', ['escape/hostname']));
    await refused(viaAgent('cat', ['link.txt']));
    // A dangling symlink in the root whose target is outside: creating "it" would create the target.
    symlinkSync(join(roots.outside, 'through-dangling'), marker('dangling'));
    await refused(viaAgent('touch', ['dangling']));
    expect(existsSync(join(roots.outside, 'through-dangling'))).toBe(false);
    await refused(viaAgent('awk', ['-f', '/etc/passwd']));
    await refused(viaAgent('awk', ['--file=/etc/passwd']));
    expect(existsSync(marker('by-mkdir'))).toBe(false);
    expect(existsSync(marker('forbidden-marker'))).toBe(false);
    expect(existsSync(join(roots.outside, 'marker-abs'))).toBe(false);
    expect(existsSync(join(roots.outside, 'marker-dotdot'))).toBe(false);
    expect(agent.ran().length).toBe(before);
    expect(agent.audit.at(-1)?.refused).toMatch(/outside the agent's roots/);
    expect(await healthy(agent.url)).toBe(true);
    // The same program on a path inside the root runs.
    await runCommand(viaAgent('touch', [marker('allowed')]), {}, { log: recordingLogger(), signal: never });
    expect(existsSync(marker('allowed'))).toBe(true);
  });

  it('caps the timeout and the CPU limit at its maxima', async () => {
    // A second agent whose maximum timeout is 1.5 s: the caller's 30 s is cut to it.
    const dir = mkdtempSync(join(tmpdir(), 'mcpf-agent-strict-'));
    const strict = await startTestAgent(dir, {
      backend: 'native',
      allowedPrograms: ['sleep'],
      roots: { work: { path: roots.root } },
      runAs: runAsFor(uid),
      maxTimeoutMs: 1_500,
    });
    process.env.TEST_AGENT_STRICT_URL = strict.url;
    try {
      const started = performance.now();
      const slept = await outcome(viaAgent('sleep', ['30'], 30_000, 'TEST_AGENT_STRICT_URL'));
      expect(slept.timedOut).toBe(true);
      expect(performance.now() - started).toBeLessThan(15_000);
    } finally {
      await strict.close();
      rmSync(dir, { recursive: true, force: true });
    }
    // The caller asks for 60 CPU seconds; the agent's maximum is 1.
    const burned = await outcome(viaAgent('awk', ['BEGIN { while (1) {} }'], 30_000));
    expect(burned.timedOut).toBe(false);
    expect(['SIGXCPU', 'SIGKILL']).toContain(burned.signal);
    expect(await eventually(() => processesOf(uid).length === 0)).toBe(true);
  });

  it('runs on its bwrap backend when its policy says so: only its roots exist for the program', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcpf-agent-bwrap-'));
    const boxed = await startTestAgent(dir, {
      backend: 'bwrap',
      allowedPrograms: ['cat', 'ls'],
      roots: { work: { path: roots.root } },
      runAs: runAsFor(uid),
    });
    process.env.TEST_AGENT_BWRAP_URL = boxed.url;
    try {
      const read = await outcome(viaAgent('cat', ['data.txt'], 10_000, 'TEST_AGENT_BWRAP_URL'));
      expect(read).toMatchObject({ exitCode: 0, stdout: 'inside data\n' });
      // `ls /` names a path outside the roots: refused by the agent before the sandbox is even started.
      await expect(
        runCommand(
          viaAgent('ls', ['/'], 10_000, 'TEST_AGENT_BWRAP_URL'),
          {},
          { log: recordingLogger(), signal: never },
        ),
      ).rejects.toThrow(/outside the agent's roots/);
      const listed = await outcome(viaAgent('ls', [], 10_000, 'TEST_AGENT_BWRAP_URL'));
      expect(listed.stdout).toContain('data.txt');
    } finally {
      await boxed.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('kills the run when the caller goes away', async () => {
    // The run would last 19 s (the agent allows 20): the caller leaves at once, and the kill is recorded.
    const body = JSON.stringify(runRequest(['sleep', '19'], { timeoutMs: 20_000 }));
    const caller = new AbortController();
    const pending = post(agent.url, body, forgedHeaders(body), caller.signal).catch(() => 'aborted');
    expect(await eventually(() => processesOf(uid).length > 0, 10_000)).toBe(true);
    const left = performance.now();
    caller.abort();
    expect(await pending).toBe('aborted');
    expect(await eventually(() => processesOf(uid).length === 0, 15_000)).toBe(true);
    expect(performance.now() - left).toBeLessThan(15_000);
    expect(await eventually(() => agent.audit.some((l) => l.callerGone === true), 10_000)).toBe(true);
  });
});

describe.skipIf(!AS_ROOT)('attacks on the host agent', () => {
  let n = 0;
  /** A request that would create a fresh marker; returns its path. */
  const touching = () => {
    const path = marker(`attack-${++n}`);
    return { path, body: JSON.stringify(runRequest(['touch', path])) };
  };
  const expectNothingRan = async (path: string, ranBefore: number) => {
    expect(existsSync(path)).toBe(false);
    expect(agent.ran().length).toBe(ranBefore);
    expect(await healthy(agent.url)).toBe(true);
  };

  it('refuses requests that are not signed with the key, or not as sent', async () => {
    const forgeries = [
      { key: 'another-key-of-the-same-length-0123456789' },
      { keyId: 'unknown-key' },
      { drop: 'signature' as const },
      { drop: 'nonce' as const },
      { drop: 'timestamp' as const },
      { signature: (real: string) => `${real.slice(0, -1)}${real.endsWith('0') ? '1' : '0'}` },
      { signature: () => 'not-hex' },
      { signedBody: JSON.stringify(runRequest(['printf', 'harmless'])) },
      { timestamp: String(Math.floor(Date.now() / 1000) - 120) },
      { timestamp: String(Math.floor(Date.now() / 1000) + 120) },
      { nonce: '../../etc' },
    ];
    for (const forgery of forgeries) {
      const ranBefore = agent.ran().length;
      const { path, body } = touching();
      const r = await post(agent.url, body, forgedHeaders(body, forgery));
      expect(r.status, JSON.stringify(forgery)).toBe(401);
      await expectNothingRan(path, ranBefore);
    }
  });

  it('refuses a replayed request (same nonce)', async () => {
    const { path, body } = touching();
    const headers = forgedHeaders(body);
    expect((await post(agent.url, body, headers)).status).toBe(200);
    expect(existsSync(path)).toBe(true);
    rmSync(path);
    const ranBefore = agent.ran().length;
    expect((await post(agent.url, body, headers)).status).toBe(401);
    await expectNothingRan(path, ranBefore);
    expect(agent.audit.at(-1)?.refused).toBe('replayed nonce');
  });

  it('refuses an oversized body before reading it all', async () => {
    const ranBefore = agent.ran().length;
    const path = marker('attack-oversized');
    const body = JSON.stringify(runRequest(['touch', path], { stdin: 'x'.repeat(64 * 1024) }));
    const r = await post(agent.url, body, forgedHeaders(body));
    expect(r.status).toBe(413);
    await expectNothingRan(path, ranBefore);
  });

  it("refuses a signed request that sets a loader variable, and never uses the caller's PATH", async () => {
    for (const env of [{ LD_PRELOAD: join(roots.root, 'evil.so') }, { BASH_ENV: join(roots.root, 'x') }]) {
      const ranBefore = agent.ran().length;
      const { path } = touching();
      const body = JSON.stringify(runRequest(['touch', path], { env }));
      const r = await post(agent.url, body, forgedHeaders(body));
      expect(r.status).toBe(403);
      await expectNothingRan(path, ranBefore);
    }
    // A PATH naming the root (where a caller might have planted a program) is replaced by the agent's own.
    const body = JSON.stringify(runRequest(['printf', 'ok'], { env: { PATH: roots.root } }));
    const r = await post(agent.url, body, forgedHeaders(body));
    expect(r.body).toMatchObject({ exitCode: 0, stdout: 'ok' });
    expect(agent.ran().at(-1)?.argv?.[0]).toBe('/usr/bin/printf');
  });
});

describe('starting the host agent', () => {
  it('refuses a key file other users can read, and listens on nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcpf-agent-start-'));
    try {
      const policyFile = join(dir, 'policy.yaml');
      const keyFile = join(dir, 'keys');
      writeFileSync(
        policyFile,
        `allowedPrograms: [printf]\nroots:\n  work: { path: ${JSON.stringify(dir)} }\n`,
      );
      writeFileSync(keyFile, `${KEY_ID} ${KEY}\n`);
      chmodSync(keyFile, 0o644);
      const start = startHostAgent({ policyFile, keyFile });
      await expect(start).rejects.toThrow(FactoryError);
      await expect(start).rejects.toMatchObject({ code: 'HOST_AGENT_KEY_EXPOSED' });
      // The same through the command line: a non-zero exit and the code on stderr.
      const err: string[] = [];
      const io = { stdout: () => undefined, stderr: (t: string) => void err.push(t), isTTY: false };
      const argv = ['host-agent', '--policy', policyFile, '--key-file', keyFile, '--port', '1'];
      expect(await runCli(argv, io)).not.toBe(0);
      expect(err.join('')).toMatch(/has mode 644: other users could read the key/);
      chmodSync(keyFile, 0o600);
      const { served } = await startHostAgent({ policyFile, keyFile });
      expect(await healthy(served.url)).toBe(true);
      await served.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a policy that allows a shell or has no root', () => {
    expect(() => agentPolicy({ allowedPrograms: ['bash'], roots: { t: { path: '/tmp' } } })).toThrow(
      /shell or launcher/,
    );
    expect(() => agentPolicy({ allowedPrograms: ['printf'], roots: {} })).toThrow(/at least one root/);
  });
});
