/**
 * CLI start-up time: `mcp-factory --help`, `list` and `status NAME` against a home with three registered servers
 * (one with a stopped local deployment, so that `status` takes the local target's path),
 * each run as a fresh process, interleaved with bare `node -e 0` runs so that machine load hits them alike.
 * Prints median/min/p90 wall time per command and its ratio to bare Node measured in the same passes, and the
 * median CPU time (user + system, GNU time) with its ratio: on a busy machine the CPU figures are the steadier.
 *
 *   node bench/cli.mjs [--runs=15] [--root=DIR]      (DIR: another built checkout, e.g. the previous commit)
 *
 * Each command also runs once under test/cli-life/fixtures/record-modules.mjs: the number of modules it loads
 * (ESM and the CommonJS entries imported from ESM) and the packages among them, the usual cause of a slow verb.
 *
 * Target: `--help`, `list` and `status` under 300 ms. The last line is `BENCH_JSON {…}`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median, pct, ROOT, r1, table } from './lib.mjs';

const arg = (name, fallback) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const runs = Number(arg('runs', process.env.BENCH_CLI_RUNS ?? '15'));
const root = resolve(arg('root', ROOT));
const bin = join(root, 'bin', 'mcp-factory.mjs');
const TARGET_MS = 300;

const home = mkdtempSync(join(tmpdir(), 'mcpf-bench-cli-'));
// A home of its own, no supervisor started by these commands, nothing inherited that changes the path taken.
const env = { ...process.env, MCP_FACTORY_HOME: home, MCP_FACTORY_SUPERVISOR_AUTOSTART: 'off' };
delete env.MCP_FACTORY_REGISTRY_URL;

try {
  // Three registered servers (no type-check, no tests: only the registry rows and their files matter here);
  // the first has a stopped local deployment.
  const { createControlPlane } = await import(pathToFileURL(join(ROOT, 'dist', 'deploy', 'index.js')).href);
  const { parseSpecOrThrow } = await import(
    pathToFileURL(join(ROOT, 'dist', 'core', 'spec', 'index.js')).href
  );
  const { readFileSync } = await import('node:fs');
  const specFile = join(ROOT, 'examples', 'text-tools.yaml');
  const parsed = parseSpecOrThrow(readFileSync(specFile, 'utf8'), { file: specFile });
  const cp = createControlPlane({ home });
  try {
    for (const name of ['bench-cli', 'bench-cli-2', 'bench-cli-3'])
      await cp.create({
        spec: { ...parsed, name },
        specDir: join(ROOT, 'examples'),
        typecheck: false,
        runTests: false,
        actor: 'bench',
      });
    const registry = await cp.registry();
    const d = await registry.upsertDeployment({
      server: 'bench-cli',
      target: 'local',
      revision: 1,
      desired: 'stopped',
      actor: 'bench',
    });
    await registry.updateDeployment(d.id, { status: 'stopped' }, { actor: 'bench' });
  } finally {
    await cp.close();
  }

  const commands = [
    ['node -e 0', [process.execPath, ['-e', '0']]],
    ['--help', [process.execPath, [bin, '--help']]],
    ['list', [process.execPath, [bin, 'list']]],
    ['status bench-cli', [process.execPath, [bin, 'status', 'bench-cli']]],
  ];
  const samples = new Map(commands.map(([label]) => [label, []]));
  const cpuSamples = new Map(commands.map(([label]) => [label, []]));
  // CPU time (user + system, from GNU time) moves much less with machine load than wall time.
  const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
  const once = (label, [cmd, args]) => {
    const t0 = process.hrtime.bigint();
    const r = TIME
      ? spawnSync(TIME, ['-f', 'BENCH_CPU %U %S', cmd, ...args], { env, encoding: 'utf8' })
      : spawnSync(cmd, args, { env, encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${label} exited ${r.status}: ${r.stderr.slice(0, 500)}`);
    const m = /BENCH_CPU ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
    return { ms, cpu: m ? (Number(m[1]) + Number(m[2])) * 1000 : Number.NaN };
  };
  for (const c of commands) once(...c); // warm the file cache

  // What each command loads (one run each under the module recorder of the start-up test).
  const recorder = join(ROOT, 'test', 'cli-life', 'fixtures', 'record-modules.mjs');
  const loads = new Map();
  for (const [label, [cmd, args]] of commands) {
    const file = join(home, `modules-${label.replace(/\W/g, '')}.txt`);
    const r = spawnSync(cmd, ['--import', recorder, ...args], {
      env: { ...env, CLI_LIFE_MODULES_FILE: file },
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`${label} (recorded) exited ${r.status}: ${r.stderr.slice(0, 500)}`);
    const urls = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const packages = new Set(
      urls.map((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1]).filter(Boolean),
    );
    loads.set(label, { modules: urls.length, packages: [...packages].sort() });
  }
  for (let i = 0; i < runs; i++)
    for (const [label, c] of commands) {
      const { ms, cpu } = once(label, c);
      samples.get(label).push(ms);
      cpuSamples.get(label).push(cpu);
    }
  const cpuFloor = median(cpuSamples.get('node -e 0'));

  const floor = median(samples.get('node -e 0'));
  const rows = [];
  const figures = {};
  for (const [label] of commands) {
    const s = [...samples.get(label)].sort((a, b) => a - b);
    const m = median(s);
    const cpu = median(cpuSamples.get(label));
    figures[label] = {
      median: r1(m),
      min: r1(s[0]),
      p90: r1(pct(s, 0.9)),
      ratio: r1(m / floor),
      cpuMedian: r1(cpu),
      cpuRatio: r1(cpu / cpuFloor),
      samples: s.map(r1),
      ...loads.get(label),
    };
    rows.push([
      label,
      `${r1(m)} ms`,
      `${r1(s[0])} ms`,
      `${r1(pct(s, 0.9))} ms`,
      `${r1(m / floor)}×`,
      `${r1(cpu)} ms`,
      `${r1(cpu / cpuFloor)}×`,
      String(loads.get(label).modules),
      label === 'node -e 0' ? '' : m < TARGET_MS ? 'ok' : 'MISSED',
    ]);
  }
  table(
    `CLI start-up (${runs} runs each, interleaved; ${root === ROOT ? 'this checkout' : root})`,
    ['command', 'median', 'min', 'p90', '× node', 'CPU', 'CPU × node', 'modules', `< ${TARGET_MS} ms`],
    rows,
  );
  let load = '';
  try {
    load = execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).trim();
  } catch {
    // not Linux
  }
  for (const [label, { packages }] of loads)
    if (packages.length) console.log(`${label} loads packages: ${packages.join(', ')}`);
  console.log(`\nload average: ${load}`);
  console.log(`BENCH_JSON ${JSON.stringify({ bench: 'cli', root, runs, load, figures })}`);
} finally {
  rmSync(home, { recursive: true, force: true });
}
