/**
 * create → registry: artifacts named by their hash, revisions, rollback copies kept; and a create killed with
 * SIGKILL at any moment leaves the registry consistent — no version without its complete files, no staging
 * directory ever registered, leftovers removed by the next create.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FactoryError } from '../../src/core/errors/index.js';
import { createControlPlane, hashArtifacts, type LocalControlPlane } from '../../src/deploy/index.js';
import { ensureBuilt, ROOT, TEXT_TOOLS, textToolsSpec } from '../supervisor/helpers.js';

let home: string;
let cp: LocalControlPlane;

beforeAll(() => {
  ensureBuilt();
  home = mkdtempSync(join(tmpdir(), 'mcpf-create-'));
  cp = createControlPlane({ home, autoStartSupervisor: false });
});

afterAll(async () => {
  await cp?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

const create = (name: string, extra: { force?: boolean; description?: string } = {}) =>
  cp.create({
    spec: textToolsSpec(name, extra.description ? { description: extra.description } : {}),
    specDir: dirname(TEXT_TOOLS),
    runTests: false,
    typecheck: false,
    force: extra.force ?? false,
    actor: 'test',
  });

describe('create into the factory home', () => {
  it('registers revision 1 with the tools, in a directory named by the artifact hash', async () => {
    const out = await create('hash-me');
    expect(out).toMatchObject({ name: 'hash-me', revision: 1, version: '1.0.0' });
    expect(out.artifactHash).toMatch(/^[0-9a-f]{64}$/);
    expect(await hashArtifacts(out.projectDir)).toBe(out.artifactHash);
    expect(basename(out.projectDir)).toBe(out.artifactHash.slice(0, 16));
    expect(existsSync(join(out.projectDir, 'dist', 'server.mjs'))).toBe(true);
    expect(readlinkSync(join(dirname(out.projectDir), 'rev-1'))).toBe(basename(out.projectDir));
    expect(out.steps.map((s) => s.step)).toEqual(
      expect.arrayContaining(['generate', 'write', 'security-scan', 'bundle']),
    );
    const registry = await cp.registry();
    const v = await registry.getVersion('hash-me');
    expect(v.artifactHash).toBe(out.artifactHash);
    expect(v.tools.map((t) => t.name)).toEqual(['word_stats', 'slugify', 'greet']);
    expect(v.createdBy).toBe('test');
  });

  it('refuses an existing name without force; with force records a new revision and keeps the old files', async () => {
    await expect(create('hash-me')).rejects.toMatchObject({ code: 'SERVER_EXISTS' });
    const same = await create('hash-me', { force: true });
    expect(same.revision).toBe(2);
    const first = await (await cp.registry()).getVersion('hash-me', 1);
    expect(same.artifactHash).toBe(first.artifactHash); // identical input → identical artifacts, one directory
    const changed = await create('hash-me', { force: true, description: 'Another description.' });
    expect(changed.revision).toBe(3);
    expect(changed.artifactHash).not.toBe(same.artifactHash);
    expect(existsSync(same.projectDir)).toBe(true); // kept for rollback
    expect(await cp.projectDir('hash-me', 1)).toBe(same.projectDir);
  });

  it('deploy to docker without a reachable engine says so and what to use instead, before recording anything', async () => {
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `unix://${join(home, 'no-docker.sock')}`;
    try {
      const offline = createControlPlane({ home, autoStartSupervisor: false, registry: await cp.registry() });
      const error = await offline
        .deploy({ name: 'hash-me', target: 'docker', actor: 'test' })
        .catch((e) => e);
      expect(error).toBeInstanceOf(FactoryError);
      expect(error.code).toBe('DEPLOY_TARGET_UNAVAILABLE');
      expect(error.message).toMatch(/Docker engine/);
      expect(error.details.hint).toMatch(/--target local/);
      expect(await (await cp.registry()).listDeployments({ server: 'hash-me' })).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });

  it('an unknown server, and a registered but undeployed one, are reported clearly', async () => {
    await expect(cp.status('nope')).rejects.toMatchObject({ code: 'REGISTRY_NOT_FOUND' });
    await expect(cp.stop('hash-me', { actor: 'test' })).rejects.toMatchObject({ code: 'NOT_DEPLOYED' });
    await expect(cp.callTool('hash-me', 'greet', {})).rejects.toMatchObject({ code: 'NOT_DEPLOYED' });
    const status = await cp.status('hash-me');
    expect(status.deployments).toEqual([]);
    expect(status.versions.map((v) => v.revision)).toEqual([1, 2, 3]);
  });

  it('leaves the registry consistent when the creating process is killed at any moment', async () => {
    const script = join(home, 'create-child.mjs');
    writeFileSync(
      script,
      `import { createControlPlane } from ${JSON.stringify(join(ROOT, 'dist/deploy/index.js'))};
import { parseSpecOrThrow } from ${JSON.stringify(join(ROOT, 'dist/core/spec/index.js'))};
import { readFileSync } from 'node:fs';
const file = ${JSON.stringify(TEXT_TOOLS)};
const spec = { ...parseSpecOrThrow(readFileSync(file, 'utf8'), { file }), name: 'killed-create' };
const cp = createControlPlane({ home: process.argv[2], autoStartSupervisor: false });
await cp.create({ spec, specDir: ${JSON.stringify(dirname(TEXT_TOOLS))}, force: true, runTests: false, typecheck: true, actor: 'child' });
await cp.close();
process.stdout.write('created\\n');
`,
    );
    const registry = await cp.registry();
    const outcomes: string[] = [];
    let leftoversSeen = 0;
    for (const delay of [100, 400, 800, 1200, 1600, 2200, 3000, 4000, 5500, 60_000]) {
      const child = spawn(process.execPath, [script, home], {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      let out = '';
      child.stdout!.on('data', (c) => {
        out += c;
      });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL'); // its whole group: the type-checker too
        } catch {
          // finished already
        }
      }, delay);
      await exited;
      clearTimeout(timer);
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // the group is gone
      }
      outcomes.push(out.includes('created') ? 'completed' : `killed@${delay}`);
      // Invariant: every registered version has its complete files, whatever moment the kill hit.
      let versions: Awaited<ReturnType<typeof registry.listVersions>> = [];
      try {
        versions = await registry.listVersions('killed-create');
      } catch (error) {
        expect((error as FactoryError).code).toBe('REGISTRY_NOT_FOUND');
      }
      for (const v of versions) {
        const dir = cp.layout.projectDir('killed-create', v.artifactHash);
        expect(existsSync(join(dir, 'dist', 'server.mjs')), `revision ${v.revision}`).toBe(true);
        expect(await hashArtifacts(dir)).toBe(v.artifactHash);
      }
      const serverDir = cp.layout.serverDir('killed-create');
      const registered = new Set(versions.map((v) => v.artifactHash.slice(0, 16)));
      for (const entry of existsSync(serverDir) ? readdirSync(serverDir) : []) {
        if (!entry.includes('staging')) continue;
        expect(registered.has(entry)).toBe(false);
        leftoversSeen++;
      }
    }
    expect(outcomes.at(-1)).toBe('completed');
    expect(outcomes.filter((o) => o.startsWith('killed')).length).toBeGreaterThanOrEqual(3);

    // Kills mid-generation left staging directories behind (never registered, checked above) …
    expect(leftoversSeen, outcomes.join(' ')).toBeGreaterThan(0);
    // … and each create removes those of dead creators.
    const out = await cp.create({
      spec: textToolsSpec('killed-create'),
      specDir: dirname(TEXT_TOOLS),
      runTests: false,
      typecheck: false,
      force: true,
      actor: 'test',
    });
    const left = readdirSync(cp.layout.serverDir('killed-create')).filter((e) => e.includes('staging'));
    expect(left).toEqual([]);
    expect(await hashArtifacts(out.projectDir)).toBe(out.artifactHash);
  });
});
