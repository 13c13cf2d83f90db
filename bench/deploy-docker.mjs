#!/usr/bin/env node
/**
 * Docker-target deployment benchmark (needs a running dockerd): registry → healthy time for one server,
 * split into image build (first deploy of a revision) and container start (redeploy of a built revision), against
 * the local target in the same run. Prints figures; asserts nothing about time.
 *   npm run build && node bench/deploy-docker.mjs
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { createControlPlane } = await import(join(ROOT, 'dist/deploy/index.js'));
const { parseSpecOrThrow } = await import(join(ROOT, 'dist/core/spec/index.js'));
const { DockerEngine, importLocalNodeImage } = await import(
  join(ROOT, 'dist/deploy/targets/docker/engine.js')
);

const BASE = process.env.MCP_FACTORY_NODE_IMAGE ?? 'mcp-factory-node:bench';
process.env.MCP_FACTORY_NODE_IMAGE = BASE;
process.env.MCP_FACTORY_DOCKER_NETWORK ??= 'host';
const engine = new DockerEngine({ baseImage: BASE });
await engine.ping();
await importLocalNodeImage(engine.docker, BASE);

const home = mkdtempSync(join(tmpdir(), 'mcpf-bench-docker-'));
const cp = createControlPlane({ home, supervisorEnv: { ...process.env, MCP_FACTORY_HOME: home } });
const file = join(ROOT, 'examples/text-tools.yaml');
const rows = [];
try {
  const spec = { ...parseSpecOrThrow(readFileSync(file, 'utf8'), { file }), name: 'bench-docker' };
  let t0 = performance.now();
  await cp.create({ spec, specDir: dirname(file), runTests: false, actor: 'bench' });
  rows.push(['create + register (no generated tests)', performance.now() - t0]);
  for (const [label, target] of [
    ['deploy local (registry → healthy)', 'local'],
    ['deploy docker, first (build image + run → healthy)', 'docker'],
  ]) {
    t0 = performance.now();
    await cp.deploy({ name: 'bench-docker', target, actor: 'bench' });
    rows.push([label, performance.now() - t0]);
  }
  await cp.stop('bench-docker', { actor: 'bench' });
  t0 = performance.now();
  await cp.start('bench-docker', { actor: 'bench' });
  rows.push(['start again, both targets (image cached)', performance.now() - t0]);
  t0 = performance.now();
  const call = await cp.callTool('bench-docker', 'slugify', { title: 'Bench' });
  rows.push([`first tools/call after start (${call.text})`, performance.now() - t0]);
} finally {
  await cp.remove('bench-docker', { actor: 'bench' }).catch(() => undefined);
  await cp.supervisor?.shutdown?.(true).catch(() => undefined);
  await cp.close();
  await engine.removeImages('bench-docker').catch(() => undefined);
  rmSync(home, { recursive: true, force: true });
}
console.log('\n## Deploy times (registry → healthy), local vs docker target\n');
for (const [label, ms] of rows) console.log(`${label.padEnd(55)} ${(ms / 1000).toFixed(2).padStart(7)} s`);
console.log(`BENCH_JSON ${JSON.stringify(Object.fromEntries(rows))}`);
