/**
 * The registry's share of a factory cluster (store/cluster.ts) with two registries on one PostgreSQL database —
 * two instances' connection pools: shared rate buckets, create reservations, the deploy lock, heartbeats,
 * placements and artifacts; and the unpacking of a stored project, which refuses what does not match its hash.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashArtifacts } from '../../src/deploy/artifacts.js';
import { chooseNode, NodeMembership, packProject, unpackProject } from '../../src/deploy/cluster.js';
import { homeLayout } from '../../src/platform/home.js';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { REQUIRE_SERVICES } from '../helpers/services.js';
import { type BackendHandle, createPgDatabase, pgGate } from '../registry/backends.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe.skipIf(!pgGate.url && !REQUIRE_SERVICES)('cluster registry (PostgreSQL)', () => {
  let db: BackendHandle;
  let one: Registry;
  let two: Registry;

  beforeAll(async () => {
    if (!pgGate.url) throw new Error(pgGate.missing);
    db = await createPgDatabase(pgGate.url);
    one = await openRegistry(db.options);
    two = await openRegistry(db.options);
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await db?.cleanup();
  });

  it('shares a token bucket between instances: the limit holds over both', async () => {
    expect(one.cluster.shared).toBe(true);
    const takes = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? one : two).cluster.takeToken('api:t1', 4, 6)),
    );
    expect(takes.filter((w) => w === 0)).toHaveLength(4);
    // 6 per minute: the next token is ~10 s away.
    for (const wait of takes.filter((w) => w > 0)) expect(wait).toBeGreaterThan(5_000);
    expect(await one.cluster.takeToken('api:other', 4, 6)).toBe(0);
  });

  it('lets only one instance create a new server name at a time; an expired reservation is taken over', async () => {
    const [a, b] = await Promise.all([
      one.cluster.reserveCreate('shop', 'tok-a', 60_000),
      two.cluster.reserveCreate('shop', 'tok-b', 60_000),
    ]);
    expect([a, b].sort()).toEqual([false, true]);
    const holder = a ? 'tok-a' : 'tok-b';
    expect(await one.cluster.pendingCreates(holder)).toEqual(['shop']);
    await two.cluster.releaseCreate('shop', holder);
    expect(await one.cluster.pendingCreates(holder)).toEqual([]);
    expect(await one.cluster.reserveCreate('gone', 'tok-a', 1)).toBe(true);
    await sleep(20);
    expect(await two.cluster.reserveCreate('gone', 'tok-b', 60_000)).toBe(true);
    expect(await one.cluster.pendingCreates('tok-a')).toEqual([]);
  });

  it('serialises deploys of one server across instances, not of different servers', async () => {
    const events: string[] = [];
    const run = (r: Registry, server: string, tag: string) =>
      r.cluster.withServerLock(server, async () => {
        events.push(`${tag}+`);
        await sleep(150);
        events.push(`${tag}-`);
      });
    await Promise.all([run(one, 'alpha', 'a1'), run(two, 'alpha', 'a2')]);
    expect([events.join(' ')]).toContainEqual(
      expect.stringMatching(/^(a1\+ a1- a2\+ a2-|a2\+ a2- a1\+ a1-)$/),
    );
    events.length = 0;
    await Promise.all([run(one, 'alpha', 'x'), run(two, 'beta', 'y')]);
    expect(events.slice(0, 2).sort()).toEqual(['x+', 'y+']);
    // A failing deploy releases the lock.
    await expect(
      one.cluster.withServerLock('alpha', async () => Promise.reject(new Error('boom'))),
    ).rejects.toThrow('boom');
    await two.cluster.withServerLock('alpha', async () => undefined);
  });

  it('chooses a live node: requested, current, else least loaded; refuses a dead requested node', async () => {
    await one.cluster.heartbeat('n1', 'http://127.0.0.1:1');
    await two.cluster.heartbeat('n2', null);
    const settings = { node: 'n1', nodeUrl: null, deadAfterMs: 5_000 };
    expect(await chooseNode(one, settings, {})).toBe('n1'); // a tie: this node
    expect(await chooseNode(one, { ...settings, node: 'n9' }, {})).toBe('n1'); // a tie elsewhere: by name
    expect(await chooseNode(one, settings, { requested: 'n2' })).toBe('n2');
    expect(await chooseNode(one, settings, { current: 'n2' })).toBe('n2');
    expect(await chooseNode(one, settings, { current: 'n7' })).toBe('n1'); // current is not live
    await expect(chooseNode(one, settings, { requested: 'n7' })).rejects.toMatchObject({
      code: 'DEPLOY_TARGET_UNAVAILABLE',
    });
    await expect(chooseNode(one, settings, { requested: '../etc' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENTS',
    });
    const nodes = await two.cluster.nodes();
    expect(nodes.map((n) => [n.name, n.url])).toEqual([
      ['n1', 'http://127.0.0.1:1'],
      ['n2', null],
    ]);
    expect(nodes.every((n) => n.silentMs < 5_000)).toBe(true);
  });

  it('moves a gone node’s deployments to the live nodes, each once, even when both take over at once', async () => {
    const home = mkdtempSync(join(tmpdir(), 'mcpf-cluster-fo-'));
    try {
      const ids: number[] = [];
      for (let i = 0; i < 4; i++) {
        const name = `fo-${i}`;
        await one.createServerVersion({
          name,
          version: '1.0.0',
          spec: { name, version: '1.0.0', tools: [] },
          artifactHash: 'a'.repeat(64),
          tools: [],
          actor: 'test',
        });
        const d = await one.upsertDeployment({
          server: name,
          target: 'local',
          actor: 'test',
          port: 3000 + i,
        });
        await one.updateDeployment(d.id, { status: 'running', processId: '99999', endpoint: 'http://x/mcp' });
        await one.cluster.place(d.id, 'fo-gone');
        ids.push(d.id);
      }
      await one.cluster.heartbeat('fo-gone', null);
      await sleep(700);
      await one.cluster.heartbeat('fo-a', null);
      await two.cluster.heartbeat('fo-b', null);
      const settings = { nodeUrl: null, deadAfterMs: 300, failoverAfterMs: 500 };
      const a = new NodeMembership({ ...settings, node: 'fo-a' }, homeLayout(home));
      const b = new NodeMembership({ ...settings, node: 'fo-b' }, homeLayout(home));
      const moves: string[] = [];
      const [mineA, mineB] = await Promise.all([
        a.own(one, await one.listDeployments({ target: 'local' }), (m) => moves.push(`${m.server}>a`)),
        b.own(two, await two.listDeployments({ target: 'local' }), (m) => moves.push(`${m.server}>b`)),
      ]);
      const taken = [...mineA, ...mineB].filter((d) => ids.includes(d.id)).map((d) => d.id);
      expect(taken.sort(), JSON.stringify({ moves, nodes: await one.cluster.nodes() })).toEqual(
        [...ids].sort(),
      );
      expect(moves).toHaveLength(4);
      expect(mineA.filter((d) => ids.includes(d.id)).length).toBeGreaterThan(0);
      expect(mineB.filter((d) => ids.includes(d.id)).length).toBeGreaterThan(0);
      const placed = await one.cluster.placements();
      for (const id of ids) {
        expect(['fo-a', 'fo-b']).toContain(placed.get(id));
        const d = (await two.listDeployments({ target: 'local' })).find((x) => x.id === id)!;
        // A fresh start on the new node: no process or endpoint of the gone node's is kept.
        expect(d).toMatchObject({ status: 'pending', processId: null, endpoint: null, port: null });
        expect(d.lastError).toMatch(/^moved from node fo-gone, silent for \d+ s$/);
      }
      const audit = await one.listAudit({ target: 'fo-0' });
      expect(audit.some((e) => e.actor === 'supervisor' && e.action === 'deployment.update')).toBe(true);
      // A compare-and-set: a stale second move changes nothing.
      const first = ids[0]!;
      expect(await one.cluster.move(first, 'fo-gone', 'fo-b')).toBe(false);
      expect((await one.cluster.placements()).get(first)).toBe(placed.get(first));
      // Nothing more to take on the next pass.
      const again: string[] = [];
      await a.own(one, await one.listDeployments({ target: 'local' }), (m) => again.push(m.server));
      expect(again).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('stores a project once, unpacks it byte for byte, and refuses one that does not match its hash', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mcpf-cluster-art-'));
    try {
      const project = join(root, 'project');
      mkdirSync(join(project, 'dist'), { recursive: true });
      mkdirSync(join(project, 'src', 'runtime'), { recursive: true });
      writeFileSync(join(project, 'dist', 'server.mjs'), 'console.log("hi")\n');
      writeFileSync(join(project, 'src', 'runtime', 'a.ts'), 'export const a = 1;\n');
      writeFileSync(join(project, 'package.json'), '{}'); // not part of the artifact
      const hash = await hashArtifacts(project);
      const packed = await packProject(project);
      await one.cluster.putArtifact(hash, 'demo', packed);
      await two.cluster.putArtifact(hash, 'demo', packed); // content-addressed: a no-op
      expect(await two.cluster.hasArtifact(hash)).toBe(true);
      const stored = await two.cluster.getArtifact(hash);
      const copy = join(root, 'copy');
      await unpackProject(stored!, copy, hash);
      expect(readFileSync(join(copy, 'dist', 'server.mjs'), 'utf8')).toBe('console.log("hi")\n');
      expect(await hashArtifacts(copy)).toBe(hash);

      // Attacks from a shared registry: a path escaping the project, and content that is not the revision's.
      const evil = join(root, 'evil');
      const escaping = gzipSync(
        JSON.stringify({ 'dist/../../escaped': Buffer.from('x').toString('base64') }),
      );
      await expect(unpackProject(escaping, evil, hash)).rejects.toMatchObject({ code: 'DEPLOY_FAILED' });
      const swapped = gzipSync(
        JSON.stringify({ 'dist/server.mjs': Buffer.from('evil()').toString('base64') }),
      );
      await expect(unpackProject(swapped, evil, hash)).rejects.toMatchObject({ code: 'DEPLOY_FAILED' });
      expect(existsSync(evil)).toBe(false);
      expect(existsSync(join(root, 'escaped'))).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
