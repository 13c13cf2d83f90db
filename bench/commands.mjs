/**
 * Command-tool overhead per execution backend, against spawning the same program directly in the same run.
 *
 *   node bench/commands.mjs            # native, bwrap and agent (≈ 15 s on 2 cores)
 *   BENCH_DOCKER=1 node bench/commands.mjs   # also docker (builds a busybox image locally; ≈ +30 s)
 *
 * The runtime (runtime/command.ts, the code generated servers run) is bundled with esbuild into a scratch
 * folder and called directly: argv building and checks, the backend's wrapping (prlimit; bwrap + setpriv +
 * prlimit; docker run), output capture and the audit line. The agent variant signs a request to a host agent
 * (src/platform/host-agent, bundled too) started in this process on loopback, which re-checks it and runs it
 * on its native backend. The baseline is child_process.spawn of the same
 * program (/bin/true, then `cat` of a 64 KiB file) with no wrapper. Backends and the baseline alternate
 * within each round so background load hits them alike. Prints median/p90 per variant and the ratio of
 * medians to the baseline, then `BENCH_JSON {…}`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { ROOT, r2, summary, table } from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_COMMAND_ROUNDS ?? 30);
const DOCKER = process.env.BENCH_DOCKER === '1';
const IMAGE = 'mcp-factory-command-busybox:bench';

const scratch = mkdtempSync(join(tmpdir(), 'mcpf-bench-cmd-'));
chmodSync(scratch, 0o755);
const cleanup = () => rmSync(scratch, { recursive: true, force: true });
process.on('exit', cleanup);

/** runtime/ imports the shared core modules as './<name>/…' (where generated projects have their copies). */
const sharedModules = {
  name: 'shared-runtime-modules',
  setup(b) {
    b.onResolve({ filter: /^\.\/(search|rate|net|exec)\// }, (args) =>
      args.importer.startsWith(join(ROOT, 'runtime'))
        ? { path: join(ROOT, 'src/core', args.path.slice(2).replace(/\.js$/, '.ts')) }
        : undefined,
    );
  },
};
const bundle = join(scratch, 'command.mjs');
await build({
  stdin: {
    contents: `export { runCommand } from './runtime/command.ts';\nimport './runtime/command-agent.ts';\nexport { createHostAgent, loadAgentKeys, loadAgentPolicy } from './src/platform/host-agent/index.ts';\nexport { serveFetch } from './src/surfaces/http/node.ts';`,
    resolveDir: ROOT,
    loader: 'ts',
  },
  outfile: bundle,
  bundle: true,
  platform: 'node',
  format: 'esm',
  logLevel: 'warning',
  plugins: [sharedModules],
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
});
const { runCommand, createHostAgent, loadAgentKeys, loadAgentPolicy, serveFetch } = await import(bundle);

const data = join(scratch, 'data');
mkdirSync(data, { mode: 0o755 });
writeFileSync(join(data, 'file.txt'), 'x'.repeat(64 * 1024), { mode: 0o644 });

if (DOCKER) {
  const context = join(scratch, 'image');
  mkdirSync(context);
  copyFileSync('/bin/busybox', join(context, 'busybox'));
  writeFileSync(
    join(context, 'Dockerfile'),
    'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\nENV PATH=/bin\n',
  );
  execFileSync('docker', ['build', '-q', '-t', IMAGE, context], { stdio: 'pipe' });
}

// The host agent on loopback: its own policy (the same programs and root) and a 0600 key file.
const agentKey = 'bench-key-0123456789abcdef0123456789abcdef';
writeFileSync(
  join(scratch, 'agent-policy.json'),
  JSON.stringify({
    backend: 'native',
    allowedPrograms: ['true', 'cat'],
    searchPath: ['/usr/bin', '/bin'],
    roots: { data: { path: data } },
  }),
);
writeFileSync(join(scratch, 'agent.keys'), `bench ${agentKey}\n`, { mode: 0o600 });
const agent = createHostAgent({
  policy: loadAgentPolicy(join(scratch, 'agent-policy.json')),
  keys: loadAgentKeys(join(scratch, 'agent.keys')),
  audit: () => undefined,
});
const served = await serveFetch((request) => agent.fetch(request));
Object.assign(process.env, {
  BENCH_AGENT_URL: served.url,
  BENCH_AGENT_KEY_ID: 'bench',
  BENCH_AGENT_KEY: agentKey,
});

const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };
const never = new AbortController().signal;

function definition(backend, program, args) {
  return {
    tool: 'bench',
    program: [program],
    args: args.map((a) => [a]),
    env: { pass: [], set: {} },
    timeoutMs: 30_000,
    maxOutputBytes: 1024 * 1024,
    paths: {},
    optionParameters: [],
    secretParameters: [],
    policy: {
      backend,
      allowedPrograms: [program],
      searchPath: ['/usr/bin', '/bin'],
      deniedArgs: [],
      roots: backend === 'agent' ? {} : { data: { path: data, writable: false } },
      network: false,
      limits: { cpuSeconds: 10, memoryBytes: 512 * 1024 * 1024, processes: 32, fileBytes: 1024 * 1024 },
      ...(backend === 'docker' ? { docker: { image: IMAGE } } : {}),
      ...(backend === 'agent'
        ? { agent: { urlEnv: 'BENCH_AGENT_URL', keyIdEnv: 'BENCH_AGENT_KEY_ID', keyEnv: 'BENCH_AGENT_KEY' } }
        : {}),
    },
  };
}

/** The baseline: the program spawned directly, output collected, no wrapper. */
function direct(file, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    child.stdout.on('data', (c) => {
      bytes += c.length;
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(bytes) : reject(new Error(`${file} exited ${code}`))));
  });
}

const workloads = [
  { name: 'true', program: 'true', args: [] },
  { name: 'cat 64 KiB', program: 'cat', args: [join(data, 'file.txt')] },
];
const backends = ['native', 'bwrap', 'agent', ...(DOCKER ? ['docker'] : [])];
const results = {};

for (const w of workloads) {
  const variants = {
    direct: () => direct(`/bin/${w.program}`, w.args),
    ...Object.fromEntries(
      backends.map((b) => [
        b,
        async () => {
          const r = await runCommand(definition(b, w.program, w.args), {}, { log: silent, signal: never });
          if (r.exitCode !== 0) throw new Error(`${b}: exit ${r.exitCode}: ${r.stderr}`);
        },
      ]),
    ),
  };
  const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (const run of Object.values(variants)) await run(); // warm-up: module loading, page cache
  const rounds = w.name === 'true' ? ROUNDS : Math.ceil(ROUNDS / 2);
  for (let i = 0; i < rounds; i++) {
    for (const [name, run] of Object.entries(variants)) {
      if (name === 'docker' && i >= 5) continue; // a container per call: 5 samples are plenty
      const t0 = performance.now();
      await run();
      samples[name].push(performance.now() - t0);
    }
  }
  const base = summary(samples.direct).median;
  results[w.name] = Object.fromEntries(
    Object.entries(samples).map(([k, v]) => {
      const s = summary(v);
      return [k, { n: s.n, medianMs: r2(s.median), p90Ms: r2(s.p90), ratio: r2(s.median / base) }];
    }),
  );
  table(
    `command tool overhead — ${w.name} (ratio = median / direct spawn median, same run)`,
    ['variant', 'n', 'median ms', 'p90 ms', 'ratio'],
    Object.entries(results[w.name]).map(([k, v]) => [k, v.n, v.medianMs, v.p90Ms, v.ratio]),
  );
}

await served.close();
if (DOCKER) execFileSync('docker', ['rmi', '-f', IMAGE], { stdio: 'ignore' });
console.log(`BENCH_JSON ${JSON.stringify({ rounds: ROUNDS, results })}`);
