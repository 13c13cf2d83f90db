/** The supervisor's restart policy: failed starts, crashes, backoff and giving up (restarts.ts). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HealthTracker } from '../../src/deploy/health.js';
import { DEFAULT_CONFIG } from '../../src/deploy/targets/local/config.js';
import { crashed, startFailed } from '../../src/deploy/targets/local/restarts.js';
import type { Instance, Slot, SupervisorContext } from '../../src/deploy/targets/local/state.js';
import { homeLayout } from '../../src/platform/home.js';
import type { DeploymentPatch } from '../../src/store/index.js';

const home = mkdtempSync(join(tmpdir(), 'mcpf-restarts-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

const config = {
  ...DEFAULT_CONFIG,
  maxStartFailures: 3,
  backoffBaseMs: 100,
  backoffMaxMs: 1000,
  stableAfterMs: 10_000,
};

function setup() {
  const wakes: number[] = [];
  const patches: DeploymentPatch[] = [];
  const ctx: SupervisorContext = {
    layout: homeLayout(home),
    config,
    env: {},
    registry: () => {
      throw new Error('restarts.ts writes through `write` only');
    },
    closing: () => false,
    wake: () => undefined,
    wakeAt: (at) => wakes.push(at),
    log: () => undefined,
  };
  const slot: Slot = {
    id: 7,
    name: 'srv',
    instance: undefined,
    stopping: new Map(),
    startFailures: 0,
    crashes: 0,
    restarts: 0,
    nextStartAt: 0,
    failed: false,
    pendingSeen: undefined,
  };
  const write = async (patch: DeploymentPatch) => {
    patches.push(patch);
    return true;
  };
  return { ctx, slot, write, wakes, patches };
}

function instance(fields: Partial<Instance>): Instance {
  return {
    pid: 1234,
    startTicks: 1,
    port: 17300,
    endpoint: 'http://127.0.0.1:17300/mcp',
    bundle: '/x/dist/server.mjs',
    configHash: 'h',
    headers: {},
    child: undefined,
    adopted: false,
    spawnedAt: Date.now(),
    exited: true,
    exitText: 'exited with code 1',
    healthy: false,
    everHealthy: false,
    tracker: new HealthTracker(),
    stopReason: undefined,
    killReason: undefined,
    timer: undefined,
    lastHealth: undefined,
    ...fields,
  };
}

describe('restart policy', () => {
  it('retries a failed start with a growing backoff, then marks the deployment failed', async () => {
    const { ctx, slot, write, wakes, patches } = setup();
    await startFailed(ctx, slot, 'boom', write);
    await startFailed(ctx, slot, 'boom', write);
    expect(patches.map((p) => p.status)).toEqual(['starting', 'starting']);
    expect(patches[0]!.lastError).toBe('boom; retrying in 100 ms (failed start 1 of 3)');
    expect(patches[1]!.lastError).toBe('boom; retrying in 200 ms (failed start 2 of 3)');
    expect(wakes).toHaveLength(2);
    expect(slot.restarts).toBe(2);
    await startFailed(ctx, slot, 'boom', write);
    expect(slot.failed).toBe(true);
    expect(patches[2]).toMatchObject({ status: 'failed', processId: null });
    expect(patches[2]!.lastError).toMatch(/^failed to start 3 times in a row \(last: boom\)/);
  });

  it('an exit before the server ever answered is a failed start', async () => {
    const { ctx, slot, write, patches } = setup();
    await crashed(ctx, slot, instance({ everHealthy: false, killReason: 'did not answer' }), write);
    expect(slot.startFailures).toBe(1);
    expect(slot.crashes).toBe(0);
    expect(patches[0]!.lastError).toMatch(/^did not answer; retrying in 100 ms/);
  });

  it('a crash after serving restarts with backoff; a stable run resets the crash count', async () => {
    const { ctx, slot, write, patches } = setup();
    slot.startFailures = 2;
    await crashed(ctx, slot, instance({ everHealthy: true }), write);
    await crashed(ctx, slot, instance({ everHealthy: true }), write);
    expect(slot.crashes).toBe(2);
    expect(slot.startFailures).toBe(0);
    expect(patches[1]!.lastError).toBe('exited with code 1; restarting in 200 ms (crash 2 in a row)');
    await crashed(ctx, slot, instance({ everHealthy: true, spawnedAt: Date.now() - 60_000 }), write);
    expect(slot.crashes).toBe(1);
    expect(slot.restarts).toBe(3);
    expect(slot.nextStartAt).toBeGreaterThan(Date.now());
  });
});
