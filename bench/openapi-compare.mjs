// Side by side on the same OpenAPI inputs: MCP Factory vs openapi-mcp-generator (npm), in one run.
// For each: generation time, whether the output compiles, whether it starts and answers tools/list.
// Usage: npm run build && node bench/openapi-compare.mjs   (installs openapi-mcp-generator into .tools/omg)
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const corpus = resolve(root, '../shared/corpus/openapi');
const inputs = [
  { name: 'petstore', file: join(corpus, 'petstore-3.0.yaml') },
  { name: 'twilio', file: join(corpus, 'twilio_api_v2010.json') },
];
const omgDir = join(root, '.tools/omg');
const omgBin = join(omgDir, 'node_modules/openapi-mcp-generator/bin/openapi-mcp-generator.js');
if (!existsSync(omgBin)) {
  mkdirSync(omgDir, { recursive: true });
  execFileSync(
    'npm',
    ['install', '--prefix', omgDir, '--no-audit', '--no-fund', 'openapi-mcp-generator@4.0.1'],
    { stdio: 'ignore' },
  );
}
const work = mkdtempSync(join(tmpdir(), 'mcpf-omg-'));

function timed(cmd, args, opts = {}) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 600_000,
    ...opts,
  });
  return { ms: performance.now() - t0, ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Start a stdio server and count the tools it lists (2025-11-25 handshake, raw JSON-RPC). */
function toolsList(command, args, cwd, env = {}) {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let buf = '';
    const t0 = performance.now();
    const done = (result) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolvePromise(result);
    };
    const timer = setTimeout(() => done({ ok: false, reason: 'no answer in 20 s' }), 20_000);
    child.stdout.on('data', (d) => {
      buf += d;
      for (const line of buf.split('\n')) {
        try {
          const msg = JSON.parse(line);
          if (msg.id === 2)
            done(
              msg.result
                ? { ok: true, tools: msg.result.tools.length, ms: performance.now() - t0 }
                : { ok: false, reason: JSON.stringify(msg.error) },
            );
        } catch {}
      }
    });
    child.on('exit', (code) => done({ ok: false, reason: `exited with ${code}` }));
    const send = (m) => child.stdin.write(`${JSON.stringify(m)}\n`);
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'bench', version: '1' },
      },
    });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
  });
}

const rows = [];
for (const input of inputs) {
  for (const variant of ['ours', 'ours (one tool per operation)', 'openapi-mcp-generator']) {
    const out = join(work, `${input.name}-${variant.replace(/\W+/g, '-')}`);
    if (variant.startsWith('ours')) {
      const dyn = variant === 'ours' ? 'auto' : 'off';
      const gen = timed(process.execPath, [
        join(root, 'bin/mcp-factory.mjs'),
        'create',
        '--openapi',
        input.file,
        '--out',
        out,
        '--no-tests',
        '--dynamic',
        dyn,
        '--force',
      ]);
      const start = gen.ok
        ? await toolsList(process.execPath, [join(out, 'dist/server.mjs')], out)
        : { ok: false, reason: 'not generated' };
      rows.push({
        input: input.name,
        tool: variant,
        generateMs: gen.ms,
        compileMs: 0,
        compiles: gen.ok,
        ...start,
        note: gen.ok ? 'generate+typecheck+scan+bundle' : gen.out.slice(-300),
      });
    } else {
      const gen = timed(process.execPath, [omgBin, '-i', input.file, '-o', out]);
      let compile = { ms: 0, ok: false, out: '' };
      let start = { ok: false, reason: 'not compiled' };
      if (gen.ok) {
        const install = timed('npm', ['install', '--no-audit', '--no-fund'], { cwd: out });
        compile = timed('npm', ['run', 'build'], { cwd: out });
        compile.ms += install.ms;
        if (compile.ok) {
          const entry = ['build/index.js', 'dist/index.js']
            .map((f) => join(out, f))
            .find((f) => existsSync(f));
          start = entry
            ? await toolsList(process.execPath, [entry], out)
            : { ok: false, reason: `no build output: ${readdirSync(out).join(',')}` };
        }
      }
      rows.push({
        input: input.name,
        tool: variant,
        generateMs: gen.ms,
        compileMs: compile.ms,
        compiles: gen.ok && compile.ok,
        ...start,
        note: gen.ok
          ? compile.ok
            ? 'npm install + npm run build'
            : compile.out
                .split('\n')
                .filter((l) => /error/i.test(l))
                .slice(0, 3)
                .join(' | ')
          : gen.out.slice(-300),
      });
    }
  }
}

console.log(
  '\n## OpenAPI → MCP server: MCP Factory vs openapi-mcp-generator 4.0.1 (same inputs, same run)\n',
);
console.log(
  'input     tool                            generate ms  compile ms  compiles  starts  tools  note',
);
for (const r of rows) {
  console.log(
    `${r.input.padEnd(9)} ${r.tool.padEnd(31)} ${r.generateMs.toFixed(0).padStart(11)}  ${r.compileMs.toFixed(0).padStart(10)}  ${String(r.compiles).padEnd(8)}  ${String(r.ok).padEnd(6)}  ${String(r.tools ?? '-').padStart(5)}  ${(r.note ?? r.reason ?? '').slice(0, 120)}`,
  );
}
for (const input of inputs) {
  const ours = rows.find((r) => r.input === input.name && r.tool === 'ours');
  const theirs = rows.find((r) => r.input === input.name && r.tool === 'openapi-mcp-generator');
  if (ours && theirs) {
    console.log(
      `${input.name}: time to a runnable server, ours ${(ours.generateMs / 1000).toFixed(1)} s vs theirs ${((theirs.generateMs + theirs.compileMs) / 1000).toFixed(1)} s (ratio ${((theirs.generateMs + theirs.compileMs) / ours.generateMs).toFixed(1)}×; theirs includes npm install)`,
    );
  }
}
console.log(`BENCH_JSON ${JSON.stringify(rows.map(({ out, ...r }) => r))}`);
rmSync(work, { recursive: true, force: true });
