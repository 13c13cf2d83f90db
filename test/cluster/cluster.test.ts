/**
 * The factory as a cluster (docs/cluster.md), as real processes from dist/: two nodes (two homes), each with an
 * API instance (`mcp-factory serve`) and a supervisor, over one fresh PostgreSQL database. Deploys through
 * either API land on the chosen node and run there only (a node that did not create a revision unpacks it from
 * the registry); concurrent deploys of one server from both instances serialise into one deployment and one
 * process; a rate limit holds over both instances; logs of another node's server answer 421 with its address;
 * with one API instance killed the other still serves and deploys; a killed supervisor's node is reported dead
 * with its servers stranded, then the live node takes them over (failover) and the dead node, back, stops its
 * stale copies.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlPlane, type LocalControlPlane } from '../../src/deploy/index.js';
import { findMarkedProcesses, listPids, readStat } from '../../src/deploy/targets/local/proc.js';
import { TokenStore } from '../../src/identity/tokens.js';
import { freePort } from '../../src/platform/ports.js';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { runProcess } from '../helpers/run.js';
import { REQUIRE_SERVICES } from '../helpers/services.js';
import { type BackendHandle, createPgDatabase, pgGate } from '../registry/backends.js';
import { createText, killHome, waitUntil } from '../supervisor/helpers.js';
import { bundleCluster, type ClusterBundles } from './bundle.js';

interface Node {
  name: string;
  home: string;
  url: string;
  env: NodeJS.ProcessEnv;
  api: ChildProcess | undefined;
  supervisor: ChildProcess | undefined;
  cp: LocalControlPlane;
}

/** Spawn a long-running process; resolves once its stderr matches `ready`. */
async function start(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready: ${err}`)), 30_000);
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      if (ready.test(err)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}: ${err}`));
    });
  });
  child.removeAllListeners('exit');
  return child;
}

/** SIGKILL a process and its descendants (children first are found before the parent dies). */
function killTree(pid: number): void {
  const children = listPids().filter((c) => readStat(c)?.ppid === pid);
  for (const c of children) killTree(c);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

function kill(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe.skipIf(!pgGate.url && !REQUIRE_SERVICES)(
  'two API instances and two supervisors on one PostgreSQL',
  () => {
    let db: BackendHandle;
    let bundles: ClusterBundles;
    let registry: Registry;
    let token: string;
    let limited: string;
    /** Node a's port range starts here, b's 10 above. */
    let ports: number;
    const nodes: Node[] = [];

    const call = async (node: Node, method: string, path: string, body?: unknown, bearer = token) => {
      const res = await fetch(`${node.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${bearer}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, text, body: text ? JSON.parse(text) : undefined };
    };
    const placements = async () => registry.cluster.placements();
    const deploymentOf = async (server: string) => {
      const [d] = await registry.listDeployments({ server, target: 'local' });
      if (!d) throw new Error(`no deployment of ${server}`);
      return d;
    };
    /** The home whose marked processes run the deployment, over both homes. */
    const runningIn = (deploymentId: number) =>
      nodes.flatMap((n) =>
        findMarkedProcesses(n.home)
          .filter((p) => p.deploymentId === deploymentId)
          .map(() => n.name),
      );

    beforeAll(async () => {
      if (!pgGate.url) throw new Error(pgGate.missing);
      bundles = await bundleCluster();
      db = await createPgDatabase(pgGate.url);
      const url = db.options.url!;
      registry = await openRegistry({ url });
      ports = 41_000 + (process.pid % 400) * 20;
      const tokenHome = mkdtempSync(join(tmpdir(), 'mcpf-cluster-tokens-'));
      const tokens = TokenStore.open({ home: tokenHome });
      token = tokens.create({ name: 'ops' }).token;
      limited = tokens.create({ name: 'limited', requestsPerMinute: 6 }).token;
      for (const [i, name] of ['a', 'b'].entries()) {
        const home = mkdtempSync(join(tmpdir(), `mcpf-cluster-${name}-`));
        // A token file from before the registry held tokens, in each home: every instance imports it once
        // (identity/tokens-registry.ts; a token already there is left as it is) and then shares the registry's.
        copyFileSync(join(tokenHome, 'api-tokens.json'), join(home, 'api-tokens.json'));
        const port = await freePort();
        const apiUrl = `http://127.0.0.1:${port}`;
        const env: NodeJS.ProcessEnv = {
          ...process.env,
          MCP_FACTORY_REGISTRY_URL: url,
          MCP_FACTORY_NODE: name,
          MCP_FACTORY_NODE_URL: apiUrl,
          MCP_FACTORY_NODE_DEAD_AFTER_MS: '2000',
          // Off at first, so the stranded report below is not raced by a takeover; a's supervisor is restarted
          // with it on.
          MCP_FACTORY_NODE_FAILOVER_AFTER_MS: '0',
          MCP_FACTORY_PORT_RANGE: `${ports + i * 10}-${ports + i * 10 + 9}`,
          MCP_FACTORY_RECONCILE_INTERVAL_MS: '300',
          MCP_FACTORY_MONITOR_INTERVAL_MS: '200',
          MCP_FACTORY_HEALTH_INTERVAL_MS: '1000',
          MCP_FACTORY_START_TIMEOUT_MS: '20000',
        };
        const node: Node = {
          name,
          home,
          url: apiUrl,
          env,
          api: undefined,
          supervisor: undefined,
          // Only to create revisions quickly in this node's home (no type-check, no generated tests); in a cluster
          // a create also stores the revision's project in the registry, for the other node.
          cp: createControlPlane({
            home,
            registryUrl: url,
            cluster: { node: name, nodeUrl: apiUrl, deadAfterMs: 2000 },
            autoStartSupervisor: false,
          }),
        };
        nodes.push(node);
      }
      rmSync(tokenHome, { recursive: true, force: true });
      await Promise.all(
        nodes.map(async (n) => {
          n.supervisor = await start([bundles.daemon, '--home', n.home], n.env, /supervisor started/);
          n.api = await start(
            [bundles.cli, 'serve', '--home', n.home, '--port', new URL(n.url).port],
            n.env,
            /listening on http/,
          );
        }),
      );
    }, 120_000);

    afterAll(async () => {
      // Every instance first (no control plane may start anything again), then each home's servers, which
      // outlive their killed supervisor: their sandbox and what runs inside it, found by the home's markers.
      for (const n of nodes) await kill(n.api);
      for (const n of nodes) await kill(n.supervisor);
      for (const n of nodes) {
        await waitUntil(
          `servers of ${n.home} gone`,
          () => {
            for (const p of findMarkedProcesses(n.home)) killTree(p.pid);
            return findMarkedProcesses(n.home).length === 0 || undefined;
          },
          15_000,
          200,
        ).catch((error) => console.error(error));
        await killHome(n.home);
        await n.cp.close().catch(() => undefined);
        rmSync(n.home, { recursive: true, force: true });
      }
      await registry?.close();
      await db?.cleanup();
      bundles?.remove();
    }, 60_000);

    it('places deploys from both instances on nodes, serialises concurrent ones, and survives an instance', async () => {
      const [a, b] = nodes as [Node, Node];
      await Promise.all([
        createText(a.cp, 'one-mcp').then(() => createText(a.cp, 'two-mcp')),
        createText(b.cp, 'three-mcp').then(() => createText(b.cp, 'four-mcp')),
      ]);

      // Through A: on the least loaded node (a tie: A's own); through A with node b: B unpacks A's revision.
      const one = await call(a, 'POST', '/mcp/deploy/one-mcp', { target: 'local' });
      expect(one.status, one.text).toBe(200);
      const two = await call(a, 'POST', '/mcp/deploy/two-mcp', { target: 'local', node: 'b' });
      expect(two.status, two.text).toBe(200);
      expect(two.body).toMatchObject({ status: 'running' });
      const placed = await placements();
      expect(placed.get(one.body.id)).toBe('a');
      expect(placed.get(two.body.id)).toBe('b');
      expect(runningIn(one.body.id)).toEqual(['a']);
      expect(runningIn(two.body.id)).toEqual(['b']);

      // Attacks on placement, checked by their effect: nothing recorded, no secret written anywhere.
      const before = await placements();
      const bad = await call(a, 'POST', '/mcp/deploy/four-mcp', { target: 'local', node: '../../etc' });
      expect(bad.status, bad.text).toBe(400);
      const ghost = await call(a, 'POST', '/mcp/deploy/four-mcp', { target: 'local', node: 'ghost' });
      expect(ghost.body?.error, ghost.text).toBe('DEPLOY_TARGET_UNAVAILABLE');
      const secret = await call(b, 'POST', '/mcp/deploy/one-mcp', {
        target: 'local',
        node: 'a',
        env: { TOKEN: 'x' },
      });
      expect(secret.status, secret.text).toBe(400);
      expect(await registry.listDeployments({ server: 'four-mcp' })).toEqual([]);
      expect(await placements()).toEqual(before);
      for (const n of nodes) expect(existsSync(join(n.home, 'secrets', 'one-mcp.env'))).toBe(false);

      // The same server deployed from both instances at once: one deployment, one placement, one process.
      const both = await Promise.all([
        call(a, 'POST', '/mcp/deploy/three-mcp', { target: 'local' }),
        call(b, 'POST', '/mcp/deploy/three-mcp', { target: 'local' }),
      ]);
      for (const r of both) expect(r.status, r.text).toBe(200);
      expect(both[0].body.id).toBe(both[1].body.id);
      expect((await registry.listDeployments({ server: 'three-mcp' })).length).toBe(1);
      const threeNode = (await placements()).get(both[0].body.id);
      await waitUntil('one process of three-mcp', () => runningIn(both[0].body.id).length === 1 || undefined);
      expect(runningIn(both[0].body.id)).toEqual([threeNode]);

      // Logs live in the owning node's home: the other instance points there (421), the owner answers.
      const remote = await call(a, 'GET', '/mcp/servers/two-mcp/logs');
      expect(remote.status, remote.text).toBe(421);
      expect(remote.body).toMatchObject({ error: 'CLUSTER_REMOTE_NODE' });
      expect(remote.text).toContain(b.url);
      const local = await call(b, 'GET', '/mcp/servers/two-mcp/logs');
      expect(local.status, local.text).toBe(200);
      // A tool call through A reaches the server on B.
      const called = await call(a, 'POST', '/mcp/servers/two-mcp/call', {
        tool: 'word_stats',
        arguments: { text: 'to be or not to be' },
      });
      expect(called.status, called.text).toBe(200);
      expect(called.body.structuredContent).toMatchObject({ words: 6 });

      // One rate limit over both instances: 6 per minute, 10 requests spread over A and B.
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++)
        statuses.push((await call(i % 2 ? a : b, 'GET', '/mcp/servers', undefined, limited)).status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(6);
      expect(statuses.filter((s) => s === 429)).toHaveLength(4);

      // API instance A dies: B still lists and deploys.
      await kill(a.api);
      const listed = await call(b, 'GET', '/mcp/servers');
      expect(listed.status).toBe(200);
      expect(listed.body.servers.map((s: { name: string }) => s.name).sort()).toEqual([
        'four-mcp',
        'one-mcp',
        'three-mcp',
        'two-mcp',
      ]);
      const four = await call(b, 'POST', '/mcp/deploy/four-mcp', { target: 'local' });
      expect(four.status, four.text).toBe(200);
      const fourNode = (await placements()).get(four.body.id);
      expect(runningIn(four.body.id)).toEqual([fourNode]);
      // A's supervisor still runs A's servers.
      expect((await deploymentOf('one-mcp')).status).toBe('running');

      // Supervisor B dies: node b is reported dead, with exactly the servers placed on it stranded.
      await kill(b.supervisor);
      const finalPlacements = await placements();
      const expected = (await registry.listDeployments({ target: 'local' }))
        .filter((d) => finalPlacements.get(d.id) === 'b')
        .map((d) => d.server)
        .sort();
      expect(expected).toContain('two-mcp');
      await waitUntil(
        'node b silent past the dead-after time',
        async () =>
          (await registry.cluster.nodes()).find((n) => n.name === 'b')!.silentMs > 2_500 || undefined,
        15_000,
        250,
      );
      const run = await runProcess(
        process.execPath,
        [bundles.cli, 'nodes', '--format', 'json', '--home', a.home],
        {
          env: a.env,
        },
      );
      const report = {
        ...(JSON.parse(run.out) as { nodes: Array<{ name: string; live: boolean }>; stranded: string[] }),
        code: run.code,
      };
      expect(report.nodes.find((n) => n.name === 'b')?.live).toBe(false);
      expect(report.code, run.err).toBe(6);
      expect(report.nodes.find((n) => n.name === 'a')?.live).toBe(true);
      expect(report.stranded).toEqual(expected);

      // With failover on (a's supervisor restarted with it, adopting its running servers), node b is silent past
      // the failover time: a's supervisor takes b's deployments over and runs them from the registry's copy, on
      // ports of its own range; b's API (still alive) reaches them there.
      const oneBefore = await deploymentOf('one-mcp');
      await kill(a.supervisor);
      a.supervisor = await start(
        [bundles.daemon, '--home', a.home],
        { ...a.env, MCP_FACTORY_NODE_FAILOVER_AFTER_MS: '3000' },
        /supervisor started/,
      );
      const strandedIds = (await registry.listDeployments({ target: 'local' }))
        .filter((d) => finalPlacements.get(d.id) === 'b' && d.desired === 'running')
        .map((d) => d.id);
      await waitUntil(
        "b's deployments running on a",
        async () => {
          const placed = await placements();
          const all = await registry.listDeployments({ target: 'local' });
          return (
            strandedIds.every(
              (id) => placed.get(id) === 'a' && all.find((d) => d.id === id)?.status === 'running',
            ) || undefined
          );
        },
        60_000,
        300,
      );
      for (const id of strandedIds) expect(runningIn(id)).toContain('a');
      // a's own server was adopted by the restarted supervisor, not restarted.
      expect((await deploymentOf('one-mcp')).processId).toBe(oneBefore.processId);
      const twoNow = await deploymentOf('two-mcp');
      expect(twoNow.lastError).toBeNull();
      expect(Number(new URL(twoNow.endpoint!).port)).toBeGreaterThanOrEqual(ports);
      expect(Number(new URL(twoNow.endpoint!).port)).toBeLessThan(ports + 10); // a's range
      const audit = await registry.listAudit({ target: 'two-mcp' });
      expect(
        audit.some(
          (e) => e.actor === 'supervisor' && JSON.stringify(e.details).includes('"status":"pending"'),
        ),
      ).toBe(true);
      const moved = await call(b, 'POST', '/mcp/servers/two-mcp/call', {
        tool: 'word_stats',
        arguments: { text: 'moved to a' },
      });
      expect(moved.status, moved.text).toBe(200);
      expect(moved.body.structuredContent).toMatchObject({ words: 3 });
      const after = await runProcess(
        process.execPath,
        [bundles.cli, 'nodes', '--format', 'json', '--home', a.home],
        { env: a.env },
      );
      expect((JSON.parse(after.out) as { stranded: string[] }).stranded).toEqual([]);

      // Node b comes back: its supervisor stops the processes it kept running while silent (no longer its own).
      b.supervisor = await start([bundles.daemon, '--home', b.home], b.env, /supervisor started/);
      await waitUntil(
        "b's stale processes stopped",
        () => strandedIds.every((id) => !runningIn(id).includes('b')) || undefined,
        30_000,
        300,
      );
      for (const id of strandedIds) expect(runningIn(id)).toEqual(['a']);
      expect((await deploymentOf('two-mcp')).status).toBe('running');
    }, 240_000);
  },
);
