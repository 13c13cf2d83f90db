/**
 * The ssh backend against a real OpenSSH server on 127.0.0.1 (a free port, a temporary host key and
 * authorized key; needs /usr/sbin/sshd — openssh-server, installed by .ci/run). Checked by effect: arguments
 * arrive as literal words (nothing the remote shell would run is run), an unpinned host key is refused
 * before anything runs, the remote environment is only the allowed one, timeouts kill the remote process
 * group, output floods are cut.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../runtime/command.js';
import type { CommandDefinition } from '../../runtime/command-argv.js';
import { remoteCommand, shellQuote } from '../../runtime/command-ssh.js';
import { ToolFailure } from '../../runtime/errors.js';
import { createServerProject } from '../../src/build/create.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { connectStdio } from '../helpers/mcp.js';
import { REQUIRE_SERVICES } from '../helpers/services.js';
import { definition, eventually, recordingLogger } from './helpers.js';

const SSHD = '/usr/sbin/sshd';
const available = existsSync(SSHD) && process.getuid?.() === 0;
const never = new AbortController().signal;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

describe('remote shell quoting', () => {
  it('single-quotes every argument so the remote shell sees literal words', () => {
    expect(shellQuote(`it's; $(id) \`id\` "x"`)).toBe(`'it'\\''s; $(id) \`id\` "x"'`);
    const line = remoteCommand(['/bin/echo', 'a b', "'; touch /tmp/x; '"], {
      env: { PATH: '/usr/bin:/bin' },
      timeoutMs: 5_000,
      maxOutputBytes: 100,
      limits: { cpuSeconds: 2, memoryBytes: 1024 * 1024 * 1024, processes: 8, fileBytes: 4096 },
      roots: [],
      network: false,
    });
    expect(line).toContain(
      `exec timeout -s KILL 5 env -i 'PATH=/usr/bin:/bin' '/bin/echo' 'a b' ''\\''; touch /tmp/x; '\\'''`,
    );
    expect(line.startsWith('ulimit -t 2 -f 8 -v 1048576 || exit 126; ')).toBe(true);
  });
});

describe.skipIf(!available && !REQUIRE_SERVICES)('command tools on the ssh backend', () => {
  let dir: string;
  let sshd: ChildProcess | undefined;
  let port: number;
  let fingerprint: string;
  let otherFingerprint: string;

  beforeAll(async () => {
    expect(available, 'sshd (openssh-server) must be installed and the tests run as root').toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'mcpf-cmd-ssh-'));
    const keygen = (file: string) =>
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, file)], { stdio: 'pipe' });
    keygen('host_key');
    keygen('client_key');
    keygen('other_host_key');
    const fp = (file: string) =>
      execFileSync('ssh-keygen', ['-lf', join(dir, file)], { encoding: 'utf8' }).split(' ')[1]!;
    fingerprint = fp('host_key.pub');
    otherFingerprint = fp('other_host_key.pub');
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')), { mode: 0o600 });
    port = await freePort();
    writeFileSync(
      join(dir, 'sshd_config'),
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${join(dir, 'host_key')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'LogLevel ERROR',
        '',
      ].join('\n'),
    );
    spawnSync('mkdir', ['-p', '/run/sshd']);
    sshd = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: 'ignore' });
    const up = await eventually(() => {
      const probe = spawnSync('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`]);
      return probe.status === 0;
    }, 15_000);
    expect(up, 'sshd did not start').toBe(true);
    process.env.MCP_CMD_SSH_KEY = readFileSync(join(dir, 'client_key'), 'utf8');
  }, 60_000);

  afterAll(() => {
    if (sshd?.pid) process.kill(sshd.pid, 'SIGTERM');
    delete process.env.MCP_CMD_SSH_KEY;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const remote = (def: CommandDefinition, hostKey = fingerprint): CommandDefinition => ({
    ...def,
    policy: {
      ...def.policy,
      backend: 'ssh',
      ssh: { host: '127.0.0.1', port, user: 'root', hostKey, privateKeyEnv: 'MCP_CMD_SSH_KEY' },
    },
  });

  async function outcome(def: CommandDefinition, args: Record<string, unknown> = {}) {
    try {
      return await runCommand(def, args, { log: recordingLogger(), signal: never });
    } catch (error) {
      if (error instanceof ToolFailure) return error.structured as Awaited<ReturnType<typeof runCommand>>;
      throw error;
    }
  }

  it('runs the argv with every argument literal: nothing the remote shell would expand runs', async () => {
    const marker = join(dir, 'pwned');
    const payloads = [
      `; touch ${marker}`,
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      `'; touch ${marker}; '`,
      `x\ntouch ${marker}`,
      `a b  c`,
      `$HOME *`,
    ];
    // One connection for the whole corpus (ssh2's handshake is slow on a loaded machine): printf prints each
    // argument on its own line, so every payload must come back as exactly one argument.
    const names = payloads.map((_, i) => `p${i}`);
    const def = definition('/usr/bin/printf', ['%s|\\n', ...names.map((n) => `{{${n}}}`)]);
    const r = await outcome(remote(def), Object.fromEntries(names.map((n, i) => [n, payloads[i]])));
    expect(r.stdout).toBe(payloads.map((x) => `${x}|\n`).join(''));
    expect(existsSync(marker)).toBe(false);
    await expect(
      outcome(remote(definition('/bin/echo', ['{{x}}'])), { x: '-oProxyCommand=touch /tmp/x' }),
    ).rejects.toThrow(/may not start with "-"/);
  }, 60_000);

  it('refuses a host whose key is not the pinned one, before running anything', async () => {
    const marker = join(dir, 'ran-on-unknown-host');
    const r = await outcome(remote(definition('/usr/bin/touch', [marker]), otherFingerprint));
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/host key/);
    expect(existsSync(marker)).toBe(false);
    // The right key runs it (the positive control of the same call).
    expect((await outcome(remote(definition('/usr/bin/touch', [marker])))).exitCode).toBe(0);
    expect(existsSync(marker)).toBe(true);
  }, 60_000);

  it('gives the remote program only the allowed environment', async () => {
    const r = await outcome(
      remote(definition('/usr/bin/printenv', [], { env: { pass: [], set: { ONLY: 'this' } } })),
    );
    const names = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('=')[0])
      .sort();
    expect(names).toEqual(['ONLY', 'PATH']);
  }, 60_000);

  it('a timeout kills the remote process group; an output flood is cut', async () => {
    const r = await outcome(
      remote(definition('/bin/sh', ['-c', 'sleep 3737 & sleep 3738'], { timeoutMs: 1_500 })),
    );
    expect(r.timedOut).toBe(true);
    expect(await eventually(() => spawnSync('pgrep', ['-f', 'sleep 373[78]']).status !== 0, 15_000)).toBe(
      true,
    );
    const flood = await outcome(
      remote(definition('/usr/bin/yes', [], { maxOutputBytes: 16 * 1024, timeoutMs: 20_000 })),
    );
    expect(flood.truncated).toBe(true);
    expect(flood.stdout.length).toBe(16 * 1024);
    expect(await eventually(() => spawnSync('pgrep', ['-x', 'yes']).status !== 0, 15_000)).toBe(true);
  }, 60_000);

  it('a generated server bundles ssh2 and runs an ssh tool over MCP', async () => {
    const spec = (hostKey: string) =>
      validateSpec({
        name: 'ssh-command-server',
        tools: [
          {
            name: 'remote_echo',
            description: 'Echoes on the remote host.',
            parameters: { text: { type: 'string', required: true } },
            command: {
              program: '/bin/echo',
              args: ['{{text}}'],
              policy: {
                backend: 'ssh',
                ssh: { host: '127.0.0.1', port, user: 'root', hostKey, privateKeyEnv: 'REMOTE_SSH_KEY' },
              },
            },
          },
        ],
      });
    const result = spec(fingerprint);
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const created = await createServerProject({
      spec: result.spec!,
      specDir: dir,
      outDir: join(dir, 'server'),
    });
    const env = { REMOTE_SSH_KEY: readFileSync(join(dir, 'client_key'), 'utf8') };
    const client = await connectStdio(created.bundle.file, '2026-07-28', env);
    try {
      const r = await client.callTool({ name: 'remote_echo', arguments: { text: "it's $(id) ;" } });
      expect(r.structuredContent, JSON.stringify(r.content)).toMatchObject({
        exitCode: 0,
        stdout: "it's $(id) ;\n",
      });
    } finally {
      await client.close();
    }
  }, 180_000);
});
