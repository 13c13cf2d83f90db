// Overhead of the HTTP API (dist/, run `npm run build` first): latency of requests through the Node adapter,
// bearer authentication, the token bucket, routing, validation and JSON, against a real SQLite registry.
//   node bench/api.mjs            BENCH_API_CALLS (3000) sequential calls per case, then 8 concurrent clients
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { r2, summary, table } from './lib.mjs';

const { serveApi, TokenStore } = await import('../dist/surfaces/api/index.js');
const { createControlPlane } = await import('../dist/deploy/index.js');
const { openRegistry } = await import('../dist/store/index.js');

const CALLS = Number(process.env.BENCH_API_CALLS ?? 3000);
const CONCURRENCY = 8;
const home = mkdtempSync(join(tmpdir(), 'mcpf-bench-api-'));
const registry = await openRegistry({ home });
const controlPlane = createControlPlane({ home, registry, autoStartSupervisor: false });
const tokens = TokenStore.open({ home });
const { token } = tokens.create({ name: 'bench' });
const served = await serveApi({
  controlPlane,
  registry,
  tokens,
  limits: { requestsPerMinute: 1_000_000, burst: 1_000_000 },
});
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function request(method, path, headers = {}, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${served.url}${path}`, { method, headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const auth = { authorization: `Bearer ${token}` };
const cases = [
  ['GET /live (public)', () => request('GET', '/live'), 200],
  ['GET /mcp/servers', () => request('GET', '/mcp/servers', auth), 200],
  ['GET /mcp/servers/x (404)', () => request('GET', '/mcp/servers/nope', auth), 404],
  [
    'GET /mcp/servers (401)',
    () => request('GET', '/mcp/servers', { authorization: 'Bearer mcpf_wrong' }),
    401,
  ],
  [
    'POST /mcp/deploy/x (400)',
    () =>
      request('POST', '/mcp/deploy/x', { ...auth, 'content-type': 'application/json' }, '{"target":"moon"}'),
    400,
  ],
];

const rows = [];
const results = {};
try {
  for (const [name, call, expected] of cases) {
    for (let i = 0; i < 200; i++) await call(); // warm-up
    const samples = [];
    for (let i = 0; i < CALLS; i++) {
      const t0 = performance.now();
      const status = await call();
      samples.push(performance.now() - t0);
      if (status !== expected) throw new Error(`${name}: status ${status}, expected ${expected}`);
    }
    const s = summary(samples);
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next++ < CALLS) await call();
      }),
    );
    const rps = CALLS / ((performance.now() - t0) / 1000);
    rows.push([name, r2(s.median), r2(s.p90), r2(s.p99), Math.round(rps)]);
    results[name] = { median: s.median, p90: s.p90, p99: s.p99, rps };
  }
  const t0 = performance.now();
  served.api.openapi();
  const openapiMs = performance.now() - t0;
  table(
    `HTTP API overhead (${CALLS} sequential calls per case; throughput with ${CONCURRENCY} concurrent clients)`,
    ['case', 'median ms', 'p90 ms', 'p99 ms', 'req/s'],
    rows,
  );
  console.log(`OpenAPI document generated in ${r2(openapiMs)} ms`);
  console.log(`BENCH_JSON ${JSON.stringify({ api: results, openapiMs })}`);
} finally {
  agent.destroy();
  await served.close();
  await controlPlane.close();
  await registry.close();
  rmSync(home, { recursive: true, force: true });
}
