/** The supervisor's building blocks, without servers: secret store, logs, health, ports, channel, /proc. */
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HealthTracker } from '../../src/deploy/health.js';
import { callChannel, ensureToken, listenChannel } from '../../src/deploy/targets/local/channel.js';
import { backoffMs, DEFAULT_CONFIG, supervisorConfig } from '../../src/deploy/targets/local/config.js';
import { readLog, rotateIfNeeded, tailLines } from '../../src/deploy/targets/local/logs.js';
import { choosePort, portIsFree } from '../../src/deploy/targets/local/ports.js';
import {
  findMarkedProcesses,
  formatProcessId,
  isRunning,
  MARKER_DEPLOYMENT,
  MARKER_HOME,
  parseProcessId,
  readStat,
  terminate,
} from '../../src/deploy/targets/local/proc.js';
import { homeLayout } from '../../src/platform/home.js';
import { authHeaders, probeMcp } from '../../src/platform/mcp-client/index.js';
import { checkEnvName, inheritedEnv, readEnvFile, writeEnvFile } from '../../src/platform/secrets.js';
import { parseEnvPairs } from '../../src/surfaces/cli/deploy-commands.js';

const dir = mkdtempSync(join(tmpdir(), 'mcpf-units-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('local secret store', () => {
  it('round-trips values with newlines and quotes in a 0600 file inside a 0700 directory', () => {
    const file = join(dir, 'secrets', 'a.env');
    const env = { TOKEN: 'x"y\nz=1', EMPTY: '', URL: 'postgres://u:p@h/db' };
    writeEnvFile(file, env);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'secrets')).mode & 0o777).toBe(0o700);
    expect(readEnvFile(file)).toEqual(env);
    writeEnvFile(file, { TOKEN: 'new' });
    expect(readEnvFile(file)).toEqual({ TOKEN: 'new' });
    expect(readEnvFile(join(dir, 'missing.env'))).toEqual({});
  });

  it('refuses names that are not variables or that the supervisor owns', () => {
    expect(() => checkEnvName('lower')).toThrow(/not an environment variable/);
    for (const name of ['PORT', 'HOST', 'MCP_TRANSPORT', 'MCP_FACTORY_DEPLOYMENT_ID']) {
      expect(() => checkEnvName(name)).toThrow(/set by the supervisor/);
    }
    expect(checkEnvName('API_TOKEN')).toBe('API_TOKEN');
  });

  it('servers inherit only operational variables from the supervisor, never its credentials', () => {
    const env = inheritedEnv({
      PATH: '/bin',
      HOME: '/h',
      LC_ALL: 'C',
      AWS_SECRET_ACCESS_KEY: 'x',
      GITHUB_TOKEN: 'y',
    });
    expect(env).toEqual({ PATH: '/bin', HOME: '/h', LC_ALL: 'C' });
  });

  it('CLI --env: NAME=VALUE, and NAME alone copies the caller environment', () => {
    process.env.MCPF_UNIT_VALUE = 'from-env';
    expect(parseEnvPairs(['A=1=2', 'MCPF_UNIT_VALUE'])).toEqual({ A: '1=2', MCPF_UNIT_VALUE: 'from-env' });
    expect(() => parseEnvPairs(['MCPF_UNIT_UNSET_VARIABLE'])).toThrow(/not set in your environment/);
  });
});

describe('log files', () => {
  it('rotates by size with copy-truncate and keeps K files, the current one included', () => {
    const file = join(dir, 'logs', 'r.log');
    mkdirSync(join(dir, 'logs'), { recursive: true });
    for (let round = 1; round <= 4; round++) {
      writeFileSync(file, `${`round ${round}\n`.repeat(200)}`);
      expect(rotateIfNeeded(file, 1000, 3)).toBe(true);
      expect(statSync(file).size).toBe(0);
    }
    expect(readFileSync(`${file}.1`, 'utf8')).toContain('round 4');
    expect(readFileSync(`${file}.2`, 'utf8')).toContain('round 3');
    expect(existsSync(`${file}.3`)).toBe(false);
    appendFileSync(file, 'small\n');
    expect(rotateIfNeeded(file, 1000, 3)).toBe(false);
  });

  it('tails across rotated files and follows appends and truncation', async () => {
    const file = join(dir, 'logs', 't.log');
    writeFileSync(`${file}.1`, 'old 1\nold 2\n');
    writeFileSync(file, 'new 1\nnew 2\n');
    expect(tailLines(file, 3)).toEqual(['old 2', 'new 1', 'new 2']);
    expect(tailLines(file, 1)).toEqual(['new 2']);
    const big = join(dir, 'logs', 'big.log');
    writeFileSync(big, Array.from({ length: 50_000 }, (_, i) => `line ${i}`).join('\n'));
    expect(tailLines(big, 2)).toEqual(['line 49998', 'line 49999']);

    const controller = new AbortController();
    const seen: string[] = [];
    const reading = (async () => {
      for await (const line of readLog(file, {
        tail: 1,
        follow: true,
        signal: controller.signal,
        pollMs: 20,
      })) {
        seen.push(line);
        if (seen.length === 3) controller.abort();
      }
    })();
    await new Promise((r) => setTimeout(r, 60));
    appendFileSync(file, 'new 3\nnew ');
    await new Promise((r) => setTimeout(r, 60));
    writeFileSync(file, 'après rotation ✓\n'); // shrinks: read from the start of the new file
    await Promise.race([reading, new Promise((r) => setTimeout(r, 5000))]);
    controller.abort();
    expect(seen).toEqual(['new 2', 'new 3', 'après rotation ✓']);
  });
});

describe('health', () => {
  const sample = (ok: boolean, ms = 5) => ({ ok, ms, at: Date.now(), ...(ok ? {} : { error: 'refused' }) });

  it('classifies healthy, degraded (slow or intermittent) and unhealthy', () => {
    const tracker = new HealthTracker(5, 100);
    expect(tracker.report().health).toBe('unknown');
    tracker.record(sample(true));
    expect(tracker.report()).toMatchObject({ health: 'healthy', responseMs: 5 });
    tracker.record(sample(true, 250));
    expect(tracker.report()).toMatchObject({ health: 'degraded', detail: expect.stringMatching(/slow/) });
    tracker.record(sample(false));
    expect(tracker.report()).toMatchObject({ health: 'unhealthy', detail: 'refused' });
    expect(tracker.consecutiveFailures).toBe(1);
    tracker.record(sample(true));
    expect(tracker.report()).toMatchObject({
      health: 'degraded',
      detail: expect.stringMatching(/intermittent: 1 of the last 4/),
    });
    for (let i = 0; i < 5; i++) tracker.record(sample(true));
    expect(tracker.report().health).toBe('healthy');
  });

  it('a refused connection is unhealthy, with the reason, within the timeout', async () => {
    const port = await freePort();
    const t0 = Date.now();
    const result = await probeMcp(`http://127.0.0.1:${port}/mcp`, { timeoutMs: 2000 });
    expect(result.ok).toBe(false);
    expect(result.error).toBeTruthy();
    expect(Date.now() - t0).toBeLessThan(2500);
  });

  it('a server that accepts but never answers is unhealthy after the timeout', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const { port } = silent.address() as { port: number };
    try {
      const result = await probeMcp(`http://127.0.0.1:${port}/mcp`, { timeoutMs: 300 });
      expect(result).toMatchObject({ ok: false, error: 'no answer within 300 ms' });
    } finally {
      silent.close();
    }
  });

  it('sends the credential the spec asks for', () => {
    expect(authHeaders({ auth: { type: 'api_key', header: 'X-Key', envVar: 'K' } }, { K: 'v' })).toEqual({
      'X-Key': 'v',
    });
    expect(authHeaders({ auth: { type: 'bearer', envVar: 'T' } }, { T: 't' })).toEqual({
      authorization: 'Bearer t',
    });
    expect(authHeaders({}, {})).toEqual({});
  });
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('ports', () => {
  it('chooses deterministically from the range, skipping recorded and busy ports', async () => {
    const base = 21400;
    const range: [number, number] = [base, base + 9];
    const first = await choosePort({ deploymentId: 1, seed: 0, range, taken: new Set() });
    expect(first).toBe(base);
    expect(await choosePort({ deploymentId: 3, seed: 0, range, taken: new Set() })).toBe(base + 2);
    expect(await choosePort({ deploymentId: 1, seed: 0, range, taken: new Set([base, base + 1]) })).toBe(
      base + 2,
    );
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(base, '127.0.0.1', () => r()));
    try {
      expect(await portIsFree(base)).toBe(false);
      expect(await choosePort({ deploymentId: 1, seed: 0, range, taken: new Set() })).toBe(base + 1);
      expect(await choosePort({ deploymentId: 10, seed: 0, range, taken: new Set() })).toBe(base + 9);
    } finally {
      busy.close();
    }
    const all = new Set(Array.from({ length: 10 }, (_, i) => base + i));
    expect(await choosePort({ deploymentId: 1, seed: 0, range, taken: all })).toBeUndefined();
  });
});

describe('control channel', () => {
  it('answers only with the token; the address is a single-instance lock', async () => {
    const layout = homeLayout(join(dir, 'home-channel'));
    const token = ensureToken(layout.tokenFile);
    expect(ensureToken(layout.tokenFile)).toBe(token);
    expect(statSync(layout.tokenFile).mode & 0o777).toBe(0o600);
    const server = await listenChannel(layout.socketAddress, token, async (r) => ({ op: r.op }));
    try {
      expect(await callChannel(layout.socketAddress, { token, op: 'ping' })).toEqual({ op: 'ping' });
      await expect(callChannel(layout.socketAddress, { token: 'wrong', op: 'ping' })).rejects.toThrow(
        /bad token/,
      );
      await expect(listenChannel(layout.socketAddress, token, async () => 1)).rejects.toMatchObject({
        code: 'SUPERVISOR_RUNNING',
      });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
    await expect(callChannel(layout.socketAddress, { token, op: 'ping' }, 1000)).rejects.toMatchObject({
      code: 'SUPERVISOR_UNAVAILABLE',
    });
    // Released with the process: a new listener takes it at once.
    const again = await listenChannel(layout.socketAddress, token, async () => 2);
    await new Promise<void>((r) => again.close(() => r()));
  });
});

describe('/proc identity', () => {
  it('reads pid, state and start time; process ids round-trip', () => {
    const stat = readStat(process.pid)!;
    expect(stat.pid).toBe(process.pid);
    expect(stat.startTicks).toBeGreaterThan(0);
    expect(isRunning(process.pid, stat.startTicks)).toBe(true);
    expect(isRunning(process.pid, stat.startTicks + 1)).toBe(false); // same pid, another process
    expect(parseProcessId(formatProcessId(42, 99))).toEqual({ pid: 42, startTicks: 99 });
    expect(parseProcessId('17')).toEqual({ pid: 17 });
    expect(parseProcessId('abc')).toBeUndefined();
  });

  it('finds only processes with both the bundle path under the home and the home marker; terminates verified pids', async () => {
    const layout = homeLayout(join(dir, 'home-proc'));
    const bundle = join(layout.servers, 'x', '0123456789abcdef', 'dist', 'server.mjs');
    mkdirSync(join(bundle, '..'), { recursive: true });
    writeFileSync(bundle, 'process.on("SIGTERM", () => process.exit(0)); setInterval(() => {}, 1000);\n');
    const marked = spawn(process.execPath, [bundle, '--port', '1234'], {
      env: { ...process.env, [MARKER_HOME]: layout.home, [MARKER_DEPLOYMENT]: '7' },
      stdio: 'ignore',
    });
    const unmarked = spawn(process.execPath, [bundle], { env: { ...process.env }, stdio: 'ignore' });
    const otherHome = spawn(process.execPath, [bundle], {
      env: { ...process.env, [MARKER_HOME]: '/elsewhere', [MARKER_DEPLOYMENT]: '7' },
      stdio: 'ignore',
    });
    try {
      let found = findMarkedProcesses(layout.home);
      for (let i = 0; i < 50 && found.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        found = findMarkedProcesses(layout.home);
      }
      expect(found).toEqual([
        expect.objectContaining({ pid: marked.pid, deploymentId: 7, port: 1234, bundle }),
      ]);
      const ticks = found[0]!.startTicks;
      expect(await terminate(marked.pid!, ticks + 1, 100)).toBe('not-running'); // wrong identity: no signal
      expect(isRunning(marked.pid!)).toBe(true);
      expect(await terminate(marked.pid!, ticks, 2000)).toBe('terminated');
    } finally {
      for (const c of [marked, unmarked, otherHome]) c.kill('SIGKILL');
    }
  });
});

describe('configuration', () => {
  it('defaults, environment overrides and backoff', () => {
    expect(supervisorConfig({})).toEqual(DEFAULT_CONFIG);
    const c = supervisorConfig({
      MCP_FACTORY_PORT_RANGE: '30000-30010',
      MCP_FACTORY_MAX_START_FAILURES: '2',
      MCP_FACTORY_BACKOFF_BASE_MS: 'x',
    });
    expect(c.portRange).toEqual([30000, 30010]);
    expect(c.maxStartFailures).toBe(2);
    expect(c.backoffBaseMs).toBe(DEFAULT_CONFIG.backoffBaseMs);
    expect([1, 2, 3, 10].map((n) => backoffMs(DEFAULT_CONFIG, n))).toEqual([500, 1000, 2000, 30_000]);
  });
});
