/**
 * Crash loops with real processes: a server whose bundle exits at start is tried `maxStartFailures` times (3 in
 * these tests) with backoff, then marked failed and left alone — not restarted forever — until a management
 * action asks for a fresh attempt. A server that stops answering MCP is restarted.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FactoryError } from '../../src/core/errors/index.js';
import {
  createText,
  ensureBuilt,
  fastEnv,
  markedPids,
  newHome,
  pidOf,
  type TestHome,
  waitUntil,
} from './helpers.js';

let t: TestHome;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

beforeAll(() => {
  ensureBuilt();
  t = newHome(
    'crash',
    fastEnv('21200-21299', { MCP_FACTORY_HEALTH_INTERVAL_MS: '300', MCP_FACTORY_HEALTH_TIMEOUT_MS: '1000' }),
  );
});

afterAll(async () => {
  await t?.cleanup();
});

const starts = (name: string) =>
  readFileSync(t.cp.layout.logFile(name), 'utf8')
    .split('\n')
    .filter((l) => l.includes('"msg":"starting server"')).length;

describe('crash loops', () => {
  it('marks a server that crashes at start failed after 3 attempts and does not restart it', async () => {
    const created = await createText(t.cp, 'crash-at-start');
    writeFileSync(
      join(created.projectDir, 'dist', 'server.mjs'),
      'console.error("boom: cannot start"); process.exit(1);\n',
    );
    const t0 = Date.now();
    const error = await t.cp
      .deploy({ name: 'crash-at-start', target: 'local', actor: 'test' })
      .catch((e) => e);
    expect(error).toBeInstanceOf(FactoryError);
    expect((error as FactoryError).code).toBe('DEPLOY_FAILED');
    expect((error as FactoryError).message).toMatch(/failed to start 3 times in a row.*exited with code 1/);
    expect(String((error as FactoryError).details?.output)).toContain('boom: cannot start');
    // Well short of the deploy's own deadline: the third failure ends the wait (loose, for a loaded machine).
    expect(Date.now() - t0).toBeLessThan(40_000);

    const registry = await t.cp.registry();
    const [d] = await registry.listDeployments({ server: 'crash-at-start' });
    expect(d).toMatchObject({ status: 'failed', desired: 'running', processId: null });
    expect((await registry.getServer('crash-at-start')).status).toBe('failed');
    expect(starts('crash-at-start')).toBe(3);
    await sleep(2500); // several reconcile passes and what would be many backoff periods
    expect(starts('crash-at-start')).toBe(3);
    expect(markedPids(t.home, d!.id)).toEqual([]);
    const status = await t.cp.status('crash-at-start');
    expect(status.deployments[0]?.lastError).toMatch(/failed to start 3 times/);

    // A management action gives it a fresh set of attempts.
    await expect(t.cp.start('crash-at-start', { actor: 'test' })).rejects.toMatchObject({
      code: 'DEPLOY_FAILED',
    });
    expect(starts('crash-at-start')).toBe(6);
  });

  it('restarts a server that stops answering MCP (SIGSTOP: alive but hung)', async () => {
    await createText(t.cp, 'hangs');
    const d = await t.cp.deploy({ name: 'hangs', target: 'local', actor: 'test' });
    const pid = pidOf(d.processId);
    // The server's process group: a sandboxed server is bwrap (the managed pid) running node in its group.
    process.kill(-pid, 'SIGSTOP');
    try {
      const registry = await t.cp.registry();
      const fresh = await waitUntil(
        'a replacement process',
        async () => {
          const x = await registry.getDeployment(d.id);
          return x.status === 'running' && x.processId && pidOf(x.processId) !== pid ? x : undefined;
        },
        30_000,
      );
      expect(markedPids(t.home, d.id)).toEqual([pidOf(fresh.processId)]);
      expect(readFileSync(t.cp.layout.logFile('hangs'), 'utf8')).toMatch(
        /unhealthy: 3 health checks in a row failed/,
      );
    } finally {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
});
