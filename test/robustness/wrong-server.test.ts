/**
 * Issue 17.3: a health check that reaches another server on the deployment's port is not a healthy deployment.
 * Two real servers: the second is given the first's port; its deploy fails clearly, it never reports healthy,
 * and the first keeps answering. Every target's checks verify serverInfo (name and version).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FactoryError } from '../../src/core/errors/index.js';
import { probeDeployments, sampleReport } from '../../src/deploy/health.js';
import { DockerEngine, importLocalNodeImage } from '../../src/deploy/targets/docker/engine.js';
import { probeMcp } from '../../src/platform/mcp-client/probe.js';
import type { DeploymentRecord } from '../../src/store/index.js';
import { REQUIRE_SERVICES } from '../helpers/services.js';
import { createText, ensureBuilt, fastEnv, newHome, type TestHome } from '../supervisor/helpers.js';

const dockerEnabled = process.env.MCP_FACTORY_TEST_DOCKER === '1';
const BASE = 'mcp-factory-node:test';

describe('a port held by another server', () => {
  let t: TestHome;
  let first: DeploymentRecord;

  beforeAll(async () => {
    ensureBuilt();
    if (dockerEnabled) {
      // Read when the control plane creates its docker target: set before the home is made.
      process.env.MCP_FACTORY_NODE_IMAGE = BASE;
      process.env.MCP_FACTORY_DOCKER_NETWORK = 'host';
    }
    t = newHome('wrong', fastEnv('22000-22099', { MCP_FACTORY_MAX_START_FAILURES: '2' }));
    await createText(t.cp, 'first-srv');
    await createText(t.cp, 'second-srv');
    first = await t.cp.deploy({ name: 'first-srv', target: 'local', actor: 'test' });
    expect(first.status).toBe('running');
  }, 120_000);

  afterAll(async () => {
    await t?.cleanup();
  });

  it('probes verify serverInfo: the other server, or another version, is a failed check', async () => {
    const endpoint = first.endpoint!;
    const right = await probeMcp(endpoint, {
      timeoutMs: 3000,
      expect: { name: 'first-srv', version: '1.0.0' },
    });
    expect(right.ok).toBe(true);
    const wrongName = await probeMcp(endpoint, { timeoutMs: 3000, expect: { name: 'second-srv' } });
    expect(wrongName).toMatchObject({ ok: false, wrongServer: true });
    expect(wrongName.error).toMatch(/another server answers here: "first-srv"/);
    const wrongVersion = await probeMcp(endpoint, {
      timeoutMs: 3000,
      expect: { name: 'first-srv', version: '9.9.9' },
    });
    expect(wrongVersion.ok).toBe(false);

    // The on-demand check of every target (status without a monitor) goes through probeDeployments.
    const impostor = { ...first, id: 999, server: 'second-srv' } as DeploymentRecord;
    const reports = await probeDeployments([impostor], {
      spec: async () => ({ version: '1.0.0' }),
      env: () => ({}),
      classify: (s) => sampleReport(s),
    });
    expect(reports.get(999)?.health).toBe('unhealthy');
    expect(reports.get(999)?.detail).toMatch(/another server/);
  });

  it("local target: the second server given the first one's port fails to deploy and is never healthy", {
    timeout: 120_000,
  }, async () => {
    const error = await t.cp
      .deploy({ name: 'second-srv', target: 'local', port: first.port!, actor: 'test' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FactoryError);
    expect((error as FactoryError).code).toBe('DEPLOY_FAILED');
    expect((error as FactoryError).message).toMatch(/port \d+ is in use|another server/);
    const status = await t.cp.status('second-srv');
    const d = status.deployments.find((x) => x.target === 'local');
    expect(d?.status).not.toBe('running');
    expect(d?.health?.health ?? 'unknown').not.toMatch(/healthy|degraded/);
    const registry = await t.cp.registry();
    const audit = await registry.listAudit({ limit: 500 });
    // Never recorded as running, not even for a moment.
    expect(
      audit.some((a) => a.server === 'second-srv' && JSON.stringify(a).includes('"status":"running"')),
    ).toBe(false);
    expect((await t.cp.callTool('first-srv', 'slugify', { title: 'Still Me' })).text).toBe('still-me');
  });

  it.skipIf(!dockerEnabled && !REQUIRE_SERVICES)(
    'docker target: refuses a port another server holds instead of reporting the other server healthy',
    { timeout: 240_000 },
    async () => {
      expect(dockerEnabled, 'MCP_FACTORY_TEST_DOCKER=1 must be set when services are required').toBe(true);
      const engine = new DockerEngine({ baseImage: BASE });
      await importLocalNodeImage(engine.docker, BASE);
      try {
        const error = await t.cp
          .deploy({ name: 'second-srv', target: 'docker', port: first.port!, actor: 'test' })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(FactoryError);
        expect((error as FactoryError).message).toMatch(/already in use/);
        const registry = await t.cp.registry();
        const d = (await registry.listDeployments({ server: 'second-srv' })).find(
          (x) => x.target === 'docker',
        );
        expect(d?.status).toBe('failed');
        expect(d?.lastError).toMatch(/port \d+ is already in use/);
        expect((await engine.list()).filter((c) => c.server === 'second-srv')).toHaveLength(0);
        expect((await t.cp.callTool('first-srv', 'slugify', { title: 'Still Me' })).text).toBe('still-me');
      } finally {
        await engine.remove('second-srv').catch(() => undefined);
        await engine.removeImages('second-srv').catch(() => undefined);
      }
    },
  );
});
