/**
 * The local target end to end, with real processes: deploy a generated server (API-key auth, so the supervisor's
 * MCP health checks and the control plane's calls need the secret) → healthy → call a tool (metrics) → stop →
 * start → kill -9 the server (restarted) → remove. The secret value must never reach the registry.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FactoryError } from '../../src/core/errors/index.js';
import { LOCAL_SECRET_SOURCE } from '../../src/deploy/index.js';
import { isRunning } from '../../src/deploy/targets/local/proc.js';
import { EXIT, runCli } from '../../src/surfaces/cli/main.js';
import {
  createText,
  ensureBuilt,
  fastEnv,
  markedPids,
  newHome,
  pidOf,
  supervisorPid,
  type TestHome,
  waitUntil,
} from './helpers.js';

const NAME = 'life-text';
const SECRET = 'k3y-Value-that-must-stay-out-of-the-registry';
const AUTH = { type: 'api_key' as const, header: 'X-API-Key', envVar: 'TEXT_API_KEY' };

let t: TestHome;

async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli([...argv, '--home', t.home], {
    stdout: (s) => {
      out += s;
    },
    stderr: (s) => {
      err += s;
    },
    isTTY: false,
  });
  return { code, out, err };
}

beforeAll(() => {
  ensureBuilt();
  t = newHome('life', fastEnv('21000-21099'));
});

afterAll(async () => {
  await t?.cleanup();
});

describe('local target lifecycle', () => {
  it('refuses to deploy without the environment the server needs, before starting anything', async () => {
    await createText(t.cp, NAME, { auth: AUTH });
    const error = await t.cp.deploy({ name: NAME, target: 'local', actor: 'test' }).catch((e) => e);
    expect(error).toBeInstanceOf(FactoryError);
    expect((error as FactoryError).code).toBe('DEPLOY_MISSING_ENV');
    expect((error as FactoryError).message).toContain('TEXT_API_KEY');
    expect(supervisorPid(t.home)).toBeUndefined();
  });

  it('deploys: the supervisor starts on demand, the server gets a port and becomes healthy', async () => {
    const d = await t.cp.deploy({
      name: NAME,
      target: 'local',
      env: { TEXT_API_KEY: SECRET },
      actor: 'test',
    });
    expect(d.status).toBe('running');
    expect(d.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:210\d\d\/mcp$/);
    expect(d.port).toBeGreaterThanOrEqual(21000);
    expect(d.processId).toMatch(/^\d+:\d+$/);
    expect(supervisorPid(t.home)).toBeDefined();
    expect(markedPids(t.home)).toEqual([pidOf(d.processId)]);

    const status = await t.cp.status(NAME);
    expect(status.server.status).toBe('running');
    const [dep] = status.deployments;
    expect(dep?.health?.health).toMatch(/healthy|degraded/);
    expect(dep?.health?.responseMs).toBeGreaterThan(0);
    expect(status.tools.map((x) => x.name)).toEqual(['word_stats', 'slugify', 'greet']);
  });

  it('keeps the secret out of the registry: only the name, as a reference; the value in a 0600 file', async () => {
    const registry = await t.cp.registry();
    const refs = await registry.listSecretRefs(NAME);
    expect(refs).toEqual([expect.objectContaining({ envVar: 'TEXT_API_KEY', source: LOCAL_SECRET_SOURCE })]);
    const envFile = t.cp.layout.envFile(NAME);
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(t.home, 'secrets')).mode & 0o777).toBe(0o700);
    expect(readFileSync(envFile, 'utf8')).toContain(SECRET);
    for (const file of readdirSync(t.home).filter((f) => f.startsWith('registry.db'))) {
      expect(readFileSync(join(t.home, file)).includes(SECRET), file).toBe(false);
    }
    const audit = await registry.listAudit({ limit: 1000 });
    expect(JSON.stringify(audit)).not.toContain(SECRET);
  });

  it('calls a tool over HTTP with the credential and records the call in the registry metrics', async () => {
    const result = await t.cp.callTool(NAME, 'greet', { name: 'Ada' });
    expect(result.isError).toBe(false);
    expect(result.text).toContain('Hello, Ada!');
    const failing = await t.cp.callTool(NAME, 'slugify', { title: '!!!' });
    expect(failing.isError).toBe(true);
    const stats = await (await t.cp.registry()).toolStats(NAME);
    expect(stats.total.calls).toBe(2);
    expect(stats.total.errors).toBe(1);
    await expect(t.cp.callTool(NAME, 'nope', {})).rejects.toMatchObject({ code: 'TOOL_NOT_FOUND' });
  });

  it('CLI: list, status, test (tool and --all) and logs against the deployed server', async () => {
    const list = await cli('list', '--format', 'json');
    expect(list.code, list.err).toBe(EXIT.OK);
    const listed = JSON.parse(list.out) as {
      servers: Array<{ name: string; deployments: Array<{ status: string }> }>;
    };
    expect(listed.servers.find((s) => s.name === NAME)?.deployments[0]?.status).toBe('running');
    const table = await cli('list');
    expect(table.out).toMatch(
      new RegExp(`^${NAME}\\s+running\\s+1\\s+1\\.0\\.0\\s+local\\s+running\\s+\\d+`, 'm'),
    );

    const status = await cli('status', NAME);
    expect(status.code, status.err).toBe(EXIT.OK);
    expect(status.out).toMatch(/health\s+(healthy|degraded)/);

    const call = await cli('test', NAME, 'slugify', '{"title":"Hello World"}');
    expect(call.code, call.err).toBe(EXIT.OK);
    expect(call.out.trim()).toBe('hello-world');
    const bad = await cli('test', NAME, 'slugify', '{"title":"!!!"}');
    expect(bad.code).toBe(EXIT.TOOL_FAILED);
    const all = await cli('test', NAME, '--all', '--format', 'json');
    expect(all.code, all.out).toBe(EXIT.OK);
    expect(JSON.parse(all.out)).toMatchObject({ failed: 0, passed: 7 });

    const logs = await cli('logs', NAME, '--tail', '200');
    expect(logs.code).toBe(EXIT.OK);
    expect(logs.out).toContain('"msg":"listening"');
    expect(logs.out).toContain('"msg":"starting server"');
    expect(logs.out).not.toContain(SECRET);

    const missing = await cli('test', 'no-such-server', 'greet', '{}');
    expect(missing.code).toBe(EXIT.INVALID_INPUT);
  });

  it('restarts a server killed with SIGKILL within the backoff: new pid, healthy again', async () => {
    const registry = await t.cp.registry();
    const [before] = await registry.listDeployments({ server: NAME });
    const oldPid = pidOf(before!.processId);
    process.kill(oldPid, 'SIGKILL');
    const t0 = Date.now();
    const after = await waitUntil('a new healthy process', async () => {
      const [d] = await registry.listDeployments({ server: NAME });
      return d?.status === 'running' && d.processId && pidOf(d.processId) !== oldPid ? d : undefined;
    });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(markedPids(t.home)).toEqual([pidOf(after.processId)]);
    expect(after.port).toBe(before!.port); // the endpoint stays stable across restarts
    const result = await t.cp.callTool(NAME, 'greet', { name: 'again' });
    expect(result.text).toContain('Hello, again!');
    const log = readFileSync(t.cp.layout.logFile(NAME), 'utf8');
    expect(log).toMatch(/"msg":"server exited".*"reason":"killed by SIGKILL"/);
  });

  it('stops (process gone, stays deployed) and starts again (new pid, healthy)', async () => {
    const registry = await t.cp.registry();
    const [before] = await registry.listDeployments({ server: NAME });
    const pid = pidOf(before!.processId);
    await t.cp.stop(NAME, { actor: 'test' });
    const [stopped] = await registry.listDeployments({ server: NAME });
    expect(stopped).toMatchObject({ status: 'stopped', desired: 'stopped', processId: null });
    expect(isRunning(pid)).toBe(false);
    expect(markedPids(t.home)).toEqual([]);
    await expect(t.cp.callTool(NAME, 'greet', { name: 'x' })).rejects.toMatchObject({
      code: 'DEPLOYMENT_NOT_RUNNING',
    });
    expect((await registry.getServer(NAME)).status).toBe('stopped');

    await t.cp.start(NAME, { actor: 'test' });
    const [started] = await registry.listDeployments({ server: NAME });
    expect(started).toMatchObject({ status: 'running', desired: 'running' });
    expect(pidOf(started!.processId)).not.toBe(pid);
    expect((await t.cp.callTool(NAME, 'greet', { name: 'back' })).text).toContain('Hello, back!');
  });

  it('redeploying a new revision or new environment replaces the process on the same port, never two at once', async () => {
    const registry = await t.cp.registry();
    const [before] = await registry.listDeployments({ server: NAME });
    const seen = new Set<number>();
    let most = 0;
    const watch = setInterval(() => {
      const pids = markedPids(t.home);
      most = Math.max(most, pids.length);
      for (const p of pids) seen.add(p);
    }, 20);
    try {
      const created = await createText(t.cp, NAME, { auth: AUTH, description: 'Revision two.' }, true);
      expect(created.revision).toBe(2);
      const v2 = await t.cp.deploy({ name: NAME, target: 'local', actor: 'test' });
      expect(v2).toMatchObject({ revision: 2, status: 'running', port: before!.port });
      expect(pidOf(v2.processId)).not.toBe(pidOf(before!.processId));
      expect(readFileSync(`/proc/${pidOf(v2.processId)}/cmdline`, 'utf8')).toContain(created.projectDir);

      // Same revision, new secret value: applied by a restart (the registry never sees the value).
      const v3 = await t.cp.deploy({
        name: NAME,
        target: 'local',
        env: { TEXT_API_KEY: `${SECRET}-2` },
        actor: 'test',
      });
      expect(pidOf(v3.processId)).not.toBe(pidOf(v2.processId));
      expect((await t.cp.callTool(NAME, 'greet', { name: 'rotated' })).text).toContain('rotated');
      // Deploying again with nothing changed keeps the process.
      const v4 = await t.cp.deploy({ name: NAME, target: 'local', actor: 'test' });
      expect(v4.processId).toBe(v3.processId);
    } finally {
      clearInterval(watch);
    }
    expect(most).toBe(1);
    expect(seen.size).toBeGreaterThanOrEqual(3);
  });

  it('removes: process stopped, registry tombstone, stored values deleted', async () => {
    await t.cp.remove(NAME, { actor: 'test' });
    const registry = await t.cp.registry();
    expect((await registry.getServer(NAME)).status).toBe('removed');
    const [d] = await registry.listDeployments({ server: NAME });
    expect(d).toMatchObject({ desired: 'stopped', status: 'stopped' });
    expect(markedPids(t.home)).toEqual([]);
    expect(() => statSync(t.cp.layout.envFile(NAME))).toThrow();
    const actions = (await registry.listAudit({ target: NAME, limit: 1000 })).map((a) => a.action);
    expect(actions).toEqual(
      expect.arrayContaining(['server.create', 'deployment.upsert', 'secrets.set', 'server.remove']),
    );
  });
});
