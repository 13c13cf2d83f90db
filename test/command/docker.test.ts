/**
 * The docker backend of command tools against the real engine: a container per call from an image built
 * locally (busybox on scratch: nothing is pulled). A subset of the attack corpus, checked by effect: literal
 * metacharacters, no server secret in the container, no network, the pids limit holding a fork bomb, an
 * output flood cut, a timeout that removes the container. Gated like the other docker tests
 * (MCP_FACTORY_TEST_DOCKER=1, set by .ci/run).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../runtime/command.js';
import type { CommandDefinition } from '../../runtime/command-argv.js';
import { ToolFailure } from '../../runtime/errors.js';
import { REQUIRE_SERVICES } from '../helpers/services.js';
import { definition, eventually, makeRoots, recordingLogger } from './helpers.js';

const enabled = process.env.MCP_FACTORY_TEST_DOCKER === '1';
const IMAGE = 'mcp-factory-command-busybox:test';
const never = new AbortController().signal;

function docker(def: CommandDefinition): CommandDefinition {
  return { ...def, policy: { ...def.policy, backend: 'docker', docker: { image: IMAGE } } };
}

async function outcome(def: CommandDefinition, args: Record<string, unknown> = {}) {
  try {
    return await runCommand(def, args, { log: recordingLogger(), signal: never });
  } catch (error) {
    if (error instanceof ToolFailure) return error.structured as Awaited<ReturnType<typeof runCommand>>;
    throw error;
  }
}

/** Containers this test file started (their names carry the runtime's prefix) that still exist. */
function leftoverContainers(): string[] {
  const r = spawnSync('docker', ['ps', '-aq', '--filter', 'name=mcp-command-'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean);
}

describe.skipIf(!enabled && !REQUIRE_SERVICES)('command tools on the docker backend', () => {
  let dirs: ReturnType<typeof makeRoots>;

  beforeAll(() => {
    expect(enabled, 'MCP_FACTORY_TEST_DOCKER=1 must be set when services are required').toBe(true);
    const context = mkdtempSync(join(tmpdir(), 'mcpf-cmd-image-'));
    try {
      copyFileSync('/bin/busybox', join(context, 'busybox'));
      writeFileSync(
        join(context, 'Dockerfile'),
        'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\nENV PATH=/bin\n',
      );
      execFileSync('docker', ['build', '-q', '-t', IMAGE, context], { stdio: 'pipe' });
    } finally {
      rmSync(context, { recursive: true, force: true });
    }
    dirs = makeRoots();
  }, 120_000);

  afterAll(() => {
    if (dirs) rmSync(dirs.base, { recursive: true, force: true });
    spawnSync('docker', ['rmi', '-f', IMAGE], { stdio: 'ignore' });
  });

  it('passes metacharacters literally and mounts roots read-only', async () => {
    const marker = join(dirs.root, 'pwned-docker');
    for (const x of [`; touch ${marker}`, `$(touch ${marker})`, `\`touch ${marker}\``]) {
      const r = await outcome(docker(definition('echo', ['{{x}}'])), { x });
      expect(r.stdout).toBe(`${x}\n`);
    }
    const touch = docker(
      definition('touch', ['--', '{{f}}'], {
        paths: { f: 'data' },
        policy: { roots: { data: { path: dirs.root, writable: false } } },
      }),
    );
    expect((await outcome(touch, { f: 'pwned-docker' })).exitCode).not.toBe(0);
    expect(existsSync(marker)).toBe(false);
  }, 60_000);

  it("keeps the server's environment out and has no network", async () => {
    process.env.MCP_CMD_DOCKER_SECRET = 'docker-hunter2';
    try {
      const r = await outcome(docker(definition('env', [], { env: { pass: [], set: { A: 'b' } } })));
      expect(r.stdout).toContain('A=b');
      expect(r.stdout).not.toContain('docker-hunter2');
    } finally {
      delete process.env.MCP_CMD_DOCKER_SECRET;
    }
    const net = await outcome(docker(definition('cat', ['/proc/net/dev'])));
    expect(net.stdout).toContain('lo:');
    expect(net.stdout).not.toContain('eth0');
  }, 60_000);

  it('holds a fork bomb to the pids limit and cuts an output flood', async () => {
    const bomb = docker(definition('/bin/sh', ['-c', 'b() { b | b & }; b; sleep 2'], { timeoutMs: 8_000 }));
    const started = Date.now();
    await outcome(bomb);
    expect(Date.now() - started).toBeLessThan(30_000);
    const flood = await outcome(
      docker(definition('yes', [], { maxOutputBytes: 32 * 1024, timeoutMs: 30_000 })),
    );
    expect(flood.truncated).toBe(true);
    expect(flood.stdout.length).toBe(32 * 1024);
    expect(await eventually(() => leftoverContainers().length === 0, 20_000)).toBe(true);
  }, 90_000);

  it('a timeout removes the container', async () => {
    const r = await outcome(docker(definition('sleep', ['60'], { timeoutMs: 1_500 })));
    expect(r.timedOut).toBe(true);
    expect(await eventually(() => leftoverContainers().length === 0, 20_000)).toBe(true);
  }, 60_000);
});
