/**
 * Horizontal scale: two `mcp-factory gateway` processes share one registry in PostgreSQL and one Redis, behind a
 * round-robin HTTP load balancer. A 2026-07-28 client (stateless, so any request may land on either instance)
 * sees one catalog; the result cache and the rate limits are shared (a hit on one instance after a miss on the
 * other, one caller budget across both); every call of both instances is in the one audit trail; a deployment
 * stopped in the registry leaves both catalogs. Needs MCP_FACTORY_TEST_PG_URL and MCP_FACTORY_TEST_REDIS_URL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/conformance/server.js';
import { TokenStore } from '../../src/identity/tokens.js';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { REQUIRE_SERVICES, redisGate } from '../helpers/services.js';
import { type BackendHandle, createPgDatabase, pgGate } from '../registry/backends.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'upstream.mjs');
const CLI = resolve('bin/mcp-factory.mjs');
const pg = pgGate;
const redis = redisGate();
const enabled = !!pg.url && !!redis.url;

interface Instance {
  child: ChildProcess;
  url: string;
  served: string[];
}

describe.skipIf(!enabled && !REQUIRE_SERVICES)('two gateway instances (PostgreSQL + Redis)', () => {
  const children: ChildProcess[] = [];
  const instances: Instance[] = [];
  let database: BackendHandle;
  let registry: Registry;
  let work: string;
  let token: string;
  let balancer: Server;
  let balancerUrl: string;
  let callLog: string;
  let deploymentId: number;
  const prefix = `mcpf-two-${process.pid}-${Date.now()}:`;

  async function upstream(name: string): Promise<string> {
    const port = await freePort();
    const child = spawn(process.execPath, [FIXTURE, name, 'http', String(port)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, CALL_LOG: callLog },
    });
    children.push(child);
    await new Promise((r) => child.stdout!.once('data', r));
    return `http://127.0.0.1:${port}/mcp`;
  }

  async function startGateway(config: string): Promise<Instance> {
    const child = spawn(
      process.execPath,
      [
        CLI,
        'gateway',
        '--config',
        config,
        '--port',
        '0',
        '--home',
        work,
        '--registry',
        database.options.url!,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.push(child);
    const url = await new Promise<string>((ok, fail) => {
      let err = '';
      const timer = setTimeout(() => fail(new Error(`gateway did not start: ${err}`)), 30_000);
      child.stderr!.on('data', (chunk: Buffer) => {
        err += chunk;
        const m = /listening on (http:\/\/[^\s]+)\/mcp/.exec(err);
        if (m) {
          clearTimeout(timer);
          ok(m[1]!);
        }
      });
      child.once('exit', (code) => fail(new Error(`gateway exited with ${code}: ${err}`)));
    });
    return { child, url, served: [] };
  }

  /** Round-robin over the instances, request by request, recording which instance served each MCP POST. */
  function startBalancer(): Promise<string> {
    let next = 0;
    balancer = createServer((req, res) => {
      const target = instances[next++ % instances.length]!;
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        if (/"tools\/call"/.test(body.toString())) target.served.push(body.toString());
        const out = httpRequest(
          `${target.url}${req.url}`,
          { method: req.method, headers: req.headers },
          (up) => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
          },
        );
        out.on('error', () => res.writeHead(502).end());
        out.end(body);
      });
    });
    return new Promise((ok) =>
      balancer.listen(0, '127.0.0.1', () =>
        ok(`http://127.0.0.1:${(balancer.address() as { port: number }).port}`),
      ),
    );
  }

  async function client(): Promise<Client> {
    const c = new Client(
      { name: 'lb-client', version: '1' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await c.connect(
      new StreamableHTTPClientTransport(new URL(`${balancerUrl}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    return c;
  }

  const upstreamCalls = (tool: string) =>
    readFileSync(callLog, 'utf8')
      .split('\n')
      .filter((l) => l === `alpha ${tool}`).length;

  beforeAll(async () => {
    expect(enabled, 'MCP_FACTORY_TEST_PG_URL and MCP_FACTORY_TEST_REDIS_URL must be set').toBe(true);
    work = mkdtempSync(join(tmpdir(), 'mcpf-gw-two-'));
    callLog = join(work, 'calls.log');
    writeFileSync(callLog, '');
    database = await createPgDatabase(pg.url!);
    registry = await openRegistry({ home: work, url: database.options.url! });
    const spec = { name: 'alpha', version: '1.0.0', tools: [] };
    await registry.createServerVersion({
      name: 'alpha',
      version: '1.0.0',
      spec,
      artifactHash: createHash('sha256').update('alpha').digest('hex'),
      tools: [],
      actor: 'test',
    });
    const endpoint = await upstream('alpha');
    const deployment = await registry.upsertDeployment({
      server: 'alpha',
      target: 'local',
      endpoint,
      actor: 'test',
    });
    deploymentId = deployment.id;
    await registry.updateDeployment(deploymentId, { status: 'running', endpoint }, { actor: 'test' });
    token = TokenStore.open({ home: work }).create({ name: 'agent' }).token;
    const config = join(work, 'gateway.yaml');
    writeFileSync(
      config,
      JSON.stringify({
        metaTools: 'never',
        redis: { url: redis.url, prefix },
        limits: { perCaller: { perMinute: 1, burst: 8 } },
        serverRules: { alpha: { cache: { ttlMs: 60_000 } } },
      }),
    );
    instances.push(await startGateway(config), await startGateway(config));
    balancerUrl = await startBalancer();
  }, 90_000);

  afterAll(async () => {
    balancer?.close();
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await registry?.close();
    await database?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('serves one catalog from the shared registry, from either instance', async () => {
    for (const instance of instances) {
      const res = await fetch(`${instance.url}/api/v1/tools`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
      const names = ((await res.json()) as { tools: Array<{ name: string }> }).tools
        .map((t) => t.name)
        .sort();
      expect(names).toEqual(expect.arrayContaining(['alpha__add', 'alpha__echo']));
    }
    const c = await client();
    const listed = (await c.listTools()).tools.map((t) => t.name);
    expect(listed).toEqual(expect.arrayContaining(['alpha__add', 'alpha__echo']));
    await c.close();
  });

  it('shares the result cache and one rate-limit budget per caller across both instances', async () => {
    const c = await client();
    for (const instance of instances) instance.served.length = 0;
    const before = upstreamCalls('echo');
    // Four identical read-only calls, alternating instances: one upstream call, three cache hits.
    for (let i = 0; i < 4; i++) {
      const r = await c.callTool({ name: 'alpha__echo', arguments: { message: 'shared' } });
      expect(r.isError).toBeFalsy();
    }
    expect(
      instances.every((x) => x.served.length >= 1),
      'both instances served calls',
    ).toBe(true);
    expect(upstreamCalls('echo') - before).toBe(1);

    // The caller's burst is 8 (one refill a minute) and the four echo calls used four of it, wherever they
    // landed: of six more calls, four pass and two are refused, whichever instance each lands on.
    const outcomes: boolean[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await c.callTool({ name: 'alpha__add', arguments: { a: i, b: 1 } });
      outcomes.push(!r.isError);
    }
    expect(outcomes.filter(Boolean)).toHaveLength(4);
    expect(upstreamCalls('add')).toBe(4);
    await c.close();
  });

  it('audits the calls of both instances in the one registry', async () => {
    // The recorder batches off the call path; give it a moment to flush. Eight calls ran (four echo, cache hits
    // included, and four add); the two refused by the rate limit are counted in metrics, not audited.
    let entries: Awaited<ReturnType<Registry['listAudit']>> = [];
    for (let i = 0; i < 40 && entries.length < 8; i++) {
      entries = await registry.listAudit({ action: 'gateway.call', limit: 500 });
      if (entries.length < 8) await new Promise((r) => setTimeout(r, 250));
    }
    expect(entries).toHaveLength(8);
    expect(new Set(entries.map((e) => e.actor))).toEqual(new Set(['agent']));
  });

  it('a deployment stopped in the registry leaves both catalogs', async () => {
    await registry.updateDeployment(deploymentId, { status: 'stopped' }, { actor: 'test' });
    for (const instance of instances) {
      let names: string[] = ['alpha__echo'];
      for (let i = 0; i < 60 && names.includes('alpha__echo'); i++) {
        await new Promise((r) => setTimeout(r, 250));
        const res = await fetch(`${instance.url}/api/v1/tools`, {
          headers: { authorization: `Bearer ${token}` },
        });
        names = ((await res.json()) as { tools: Array<{ name: string }> }).tools.map((t) => t.name);
      }
      expect(names).not.toContain('alpha__echo');
    }
  });
});
