// The web console (dist/console and dist/, run `npm run build` first):
//   1. bundle size: raw and gzip of every chunk, and of what the first page load needs (index.html's script and
//      styles; target < 120 KB gzip without the lazily loaded editor);
//   2. time to interactive of the main pages (servers list, server page, create) in headless Chromium: from
//      navigation to the page's <h1> shown and the network idle, median of BENCH_CONSOLE_RUNS (5) loads, on a
//      registry of 1 server and on one of BENCH_CONSOLE_SERVERS (500; rows seeded through the registry API, no
//      builds), with the ratio big/small measured in the same run;
//   3. the servers list's summary (GET /mcp/servers?summary=1: health, calls, errors per server in a few queries)
//      against the plain list on the big registry, median of BENCH_CONSOLE_API_RUNS (20) requests.
//   node bench/console.mjs          (Chromium: /usr/bin/chromium or MCP_FACTORY_CHROMIUM)
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { median, ROOT, r1, r2, table, verdict } from './lib.mjs';

const RUNS = Number(process.env.BENCH_CONSOLE_RUNS ?? 5);
const SERVERS = Number(process.env.BENCH_CONSOLE_SERVERS ?? 500);
const CHROMIUM = process.env.MCP_FACTORY_CHROMIUM ?? '/usr/bin/chromium';
const DIR = join(ROOT, 'dist', 'console');
const MAIN_TARGET_KB = 120;

export function bundleSizes() {
  if (!existsSync(join(DIR, 'index.html'))) throw new Error('dist/console is missing: run npm run build');
  const assets = join(DIR, 'assets');
  const chunks = readdirSync(assets)
    .filter((f) => /\.(js|css)$/.test(f))
    .map((file) => {
      const body = readFileSync(join(assets, file));
      return { file, raw: body.length, gzip: gzipSync(body, { level: 9 }).length };
    })
    .sort((a, b) => b.gzip - a.gzip);
  const index = readFileSync(join(DIR, 'index.html'), 'utf8');
  const initial = [...index.matchAll(/(?:src|href)="\/ui\/assets\/([^"]+)"/g)].map((m) => m[1]);
  const main = chunks.filter((c) => initial.includes(c.file));
  const sum = (list, key) => list.reduce((n, c) => n + c[key], 0);
  return {
    chunks,
    initial: main.map((c) => c.file),
    mainRawKb: r1(sum(main, 'raw') / 1024),
    mainGzipKb: r1(sum(main, 'gzip') / 1024),
    totalRawKb: r1(sum(chunks, 'raw') / 1024),
    totalGzipKb: r1(sum(chunks, 'gzip') / 1024),
  };
}

async function seededFactory(count) {
  const { serveApi, TokenStore } = await import('../dist/surfaces/api/index.js');
  const { createConsoleHandler } = await import('../dist/surfaces/console/static.js');
  const { openRegistry } = await import('../dist/store/index.js');
  const { createControlPlane } = await import('../dist/deploy/index.js');
  const home = mkdtempSync(join(tmpdir(), 'mcpf-bench-console-'));
  const registry = await openRegistry({ home });
  const controlPlane = createControlPlane({ home, registry, autoStartSupervisor: false });
  const tokens = TokenStore.open({ home });
  const { token } = tokens.create({ name: 'bench', role: 'admin' });
  for (let i = 0; i < count; i++) {
    const name = `bench-${String(i).padStart(4, '0')}`;
    const spec = {
      name,
      version: '1.0.0',
      tools: [{ name: 'hello', description: `Say hello from server ${i}`, static: { text: 'hello' } }],
    };
    await registry.createServerVersion({
      name,
      version: '1.0.0',
      spec,
      artifactHash: String(i).padStart(64, '0'),
      tools: [{ name: 'hello', description: spec.tools[0].description, annotations: {} }],
      actor: 'bench',
    });
    if (i % 2 === 0) {
      const d = await registry.upsertDeployment({
        server: name,
        target: 'local',
        port: 40_000 + i,
        actor: 'bench',
      });
      await registry.updateDeployment(d.id, { status: 'running' });
      // A day of health history (a change every 2 hours, steady checks between them) and an hour of calls.
      const now = Date.now();
      for (let h = 24; h >= 0; h -= 2)
        await registry.health.record({
          server: name,
          deploymentId: d.id,
          target: 'local',
          health: h % 4 === 0 ? 'healthy' : 'degraded',
          checkedAt: new Date(now - h * 3600_000).toISOString(),
          responseMs: 3,
        });
      await registry.recordCalls(
        Array.from({ length: 20 }, (_, k) => ({
          server: name,
          tool: 'hello',
          ok: k % 7 !== 0,
          latencyMs: 2 + k,
          at: now - k * 120_000,
        })),
      );
    }
  }
  const served = await serveApi({
    controlPlane,
    registry,
    tokens,
    console: createConsoleHandler({ dir: DIR }),
    limits: { requestsPerMinute: 1_000_000, burst: 1_000_000 },
  });
  return {
    url: served.url,
    token,
    async close() {
      await served.close();
      await controlPlane.close();
      await registry.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Median ms of the plain servers list and of the list with its summary, over HTTP. */
async function listTimes(factory) {
  const runs = Number(process.env.BENCH_CONSOLE_API_RUNS ?? 20);
  const headers = { authorization: `Bearer ${factory.token}` };
  const time = async (path) => {
    const samples = [];
    for (let i = 0; i < runs + 1; i++) {
      const started = performance.now();
      const res = await fetch(`${factory.url}${path}`, { headers });
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      await res.arrayBuffer();
      if (i > 0) samples.push(performance.now() - started);
    }
    return r1(median(samples));
  };
  return { plain: await time('/mcp/servers'), summary: await time('/mcp/servers?summary=1') };
}

/** Median ms from navigation to the <h1> visible and the network idle, per page. */
async function timeToInteractive(browser, factory) {
  const signIn = await fetch(`${factory.url}/auth/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: factory.token }),
  });
  if (signIn.status !== 200) throw new Error(`sign-in failed: ${signIn.status}`);
  const cookies = signIn.headers.getSetCookie().map((line) => {
    const [pair] = line.split(';');
    const eq = pair.indexOf('=');
    return { name: pair.slice(0, eq), value: pair.slice(eq + 1), url: factory.url };
  });
  const pages = {
    'servers list': '/ui/servers',
    'server page': '/ui/servers/bench-0000',
    create: '/ui/create',
  };
  const result = {};
  for (const [label, path] of Object.entries(pages)) {
    const samples = [];
    for (let run = 0; run < RUNS + 1; run++) {
      // A fresh context per load: nothing cached (a first visit), the session cookie set.
      const context = await browser.newContext();
      await context.addCookies(cookies);
      const page = await context.newPage();
      const started = performance.now();
      await page.goto(`${factory.url}${path}`);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      await page.waitForLoadState('networkidle');
      const ms = performance.now() - started;
      if (run > 0) samples.push(ms); // the first load warms the server (module imports, query plans)
      await context.close();
    }
    result[label] = r1(median(samples));
  }
  return result;
}

export async function benchConsole() {
  const sizes = bundleSizes();
  table(
    'console bundle (dist/console/assets)',
    ['chunk', 'raw KB', 'gzip KB'],
    sizes.chunks.map((c) => [c.file, r1(c.raw / 1024), r1(c.gzip / 1024)]),
  );
  const out = { bundle: sizes, tti: undefined };
  if (!existsSync(CHROMIUM)) {
    process.stderr.write(`[skip] time to interactive needs Chromium at ${CHROMIUM}\n`);
  } else {
    const { chromium } = await import('playwright-core');
    const root = typeof process.getuid === 'function' && process.getuid() === 0;
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: root ? ['--no-sandbox'] : [],
    });
    try {
      const small = await seededFactory(1);
      const smallTimes = await timeToInteractive(browser, small).finally(() => small.close());
      const big = await seededFactory(SERVERS);
      let list;
      const bigTimes = await (async () => {
        list = await listTimes(big);
        return timeToInteractive(browser, big);
      })().finally(() => big.close());
      out.tti = { runs: RUNS, servers: SERVERS, small: smallTimes, big: bigTimes };
      out.list = { servers: SERVERS, ...list, ratio: r2(list.summary / list.plain) };
      table(
        `servers list over HTTP, ${SERVERS} servers (median ms)`,
        ['plain', 'summary=1', 'ratio'],
        [[list.plain, list.summary, r2(list.summary / list.plain)]],
      );
      table(
        `console time to interactive (median of ${RUNS} first visits, ms)`,
        ['page', '1 server', `${SERVERS} servers`, 'ratio'],
        Object.keys(smallTimes).map((page) => [
          page,
          smallTimes[page],
          bigTimes[page],
          r2(bigTimes[page] / smallTimes[page]),
        ]),
      );
    } finally {
      await browser.close();
    }
  }
  table(
    'console targets',
    ['target', 'value', 'verdict'],
    [
      [
        `first-load JS+CSS < ${MAIN_TARGET_KB} KB gzip`,
        `${sizes.mainGzipKb} KB`,
        verdict(sizes.mainGzipKb, MAIN_TARGET_KB),
      ],
    ],
  );
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = await benchConsole();
  console.log(`BENCH_JSON ${JSON.stringify({ console: out })}`);
}
