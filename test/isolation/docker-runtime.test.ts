/**
 * The docker target's optional gVisor runtime (`--runtime runsc`): a runtime the engine does not know is refused
 * before anything runs (DEPLOY_RUNTIME_UNAVAILABLE, nothing recorded or started); with runsc registered, the
 * server runs under gVisor's user-space kernel and the escape attempts of a code tool are contained — no host
 * file (the factory home, its secrets) in the container, nothing written outside, the host's /proc not visible.
 * Gated like the other docker tests (MCP_FACTORY_TEST_DOCKER=1); the runsc part also needs runsc registered with
 * the engine (apt-get install runsc; "runtimes" in /etc/docker/daemon.json; SIGHUP dockerd).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerSpec } from '../../src/core/spec/index.js';
import { DockerEngine, importLocalNodeImage } from '../../src/deploy/targets/docker/engine.js';
import { REQUIRE_SERVICES } from '../helpers/services.js';
import {
  createText,
  ensureBuilt,
  fastEnv,
  newHome,
  type TestHome,
  textToolsSpec,
} from '../supervisor/helpers.js';

const enabled = process.env.MCP_FACTORY_TEST_DOCKER === '1';
const BASE = 'mcp-factory-node:test';
const SECRET = `host-secret-${randomBytes(8).toString('hex')}`;

describe.skipIf(!enabled && !REQUIRE_SERVICES)('docker target: container runtime (gVisor)', () => {
  let t: TestHome;
  const engine = new DockerEngine({ baseImage: BASE });
  let runsc = false;

  beforeAll(async () => {
    ensureBuilt();
    process.env.MCP_FACTORY_NODE_IMAGE = BASE;
    process.env.MCP_FACTORY_DOCKER_NETWORK = 'host';
    await importLocalNodeImage(engine.docker, BASE);
    runsc = (await engine.runtimes()).includes('runsc');
    if (!runsc) process.stderr.write('\n[skip] runsc is not registered with the Docker engine\n');
    // A gVisor sandbox starting Node on a fully loaded CI machine took over the 60 s a container gets by default:
    // the deadline is the start timeout (max with 60 s), so it is raised here, for the supervisor and this process.
    process.env.MCP_FACTORY_START_TIMEOUT_MS = '180000';
    t = newHome('runtime', fastEnv('21600-21699', { MCP_FACTORY_START_TIMEOUT_MS: '180000' }), 200_000);
  }, 120_000);

  afterAll(async () => {
    for (const name of ['rt-bogus', 'rt-gvisor']) {
      await engine.remove(name).catch(() => undefined);
      await engine.removeImages(name).catch(() => undefined);
    }
    await t?.cleanup();
  });

  it('refuses a runtime the engine does not have, before anything is recorded or started', async () => {
    await createText(t.cp, 'rt-bogus');
    const error = await t.cp
      .deploy({ name: 'rt-bogus', target: 'docker', runtime: 'no-such-runtime', actor: 'test' })
      .catch((e) => e);
    expect(error.code).toBe('DEPLOY_RUNTIME_UNAVAILABLE');
    expect(String(error.message)).toMatch(/registered: .*runc/);
    expect((await t.cp.status('rt-bogus')).deployments).toEqual([]);
    await expect(engine.inspect('rt-bogus')).rejects.toThrow();
    const local = await t.cp
      .deploy({ name: 'rt-bogus', target: 'local', runtime: 'runsc', actor: 'test' })
      .catch((e) => e);
    expect(local.code).toBe('INVALID_ARGUMENTS');
  });

  it('runs the server under gVisor and contains a code tool that reaches for the host', {
    timeout: 300_000,
  }, async (ctx) => {
    if (!runsc && REQUIRE_SERVICES)
      throw new Error('runsc is not registered with the Docker engine (required in CI)');
    if (!runsc) return ctx.skip();
    mkdirSync(join(t.home, 'secrets'), { recursive: true, mode: 0o700 });
    writeFileSync(join(t.home, 'secrets', 'other.env'), `TOKEN=${JSON.stringify(SECRET)}\n`, { mode: 0o600 });
    const attempt = `const out = {}; const attempt = (k, f) => { try { out[k] = f(); } catch (e) { out[k] = 'ERR ' + (e.code ?? e.message); } };`;
    const spec: ServerSpec = {
      ...textToolsSpec('rt-gvisor'),
      tools: [
        {
          name: 'probe',
          description: 'reach for the host',
          parameters: {},
          code: {
            source: `const fs = await import('node:fs'); ${attempt}
attempt('kernel', () => fs.readFileSync('/proc/version', 'utf8'));
attempt('secret', () => fs.readFileSync(${JSON.stringify(join(t.home, 'secrets', 'other.env'))}, 'utf8'));
attempt('write', () => { fs.writeFileSync(${JSON.stringify(join(t.home, 'pwned'))}, 'x'); return 'WROTE'; });
attempt('root', () => { fs.writeFileSync('/pwned', 'x'); return 'WROTE'; });
return JSON.stringify(out);`,
            hostAccess: { modules: ['fs'], reason: 'escape corpus: the container runtime must contain this' },
          },
        },
      ] as unknown as ServerSpec['tools'],
    };
    await t.cp.create({ spec, specDir: t.home, runTests: false, typecheck: false, actor: 'test' });
    const d = await t.cp.deploy({ name: 'rt-gvisor', target: 'docker', runtime: 'runsc', actor: 'test' });
    expect(d.status).toBe('running');
    const info = await engine.docker.getContainer(d.processId!).inspect();
    expect(info.HostConfig.Runtime).toBe('runsc');
    const r = await t.cp.callTool('rt-gvisor', 'probe', {});
    expect(r.text).not.toContain(SECRET);
    const seen = JSON.parse(r.text) as Record<string, string>;
    expect(seen.kernel).toMatch(/gVisor|4\.4\.0/); // gVisor's kernel, not the host's
    expect(seen.secret).toMatch(/^ERR /);
    expect(seen.write).toMatch(/^ERR /);
    expect(seen.root).toMatch(/^ERR /); // read-only root file system
    expect(existsSync(join(t.home, 'pwned'))).toBe(false);
  });
});
