/**
 * The console's gateway page and create-from-a-database in a real browser against a real factory
 * (`mcp-factory serve` with MCP_FACTORY_GATEWAY_URL/_TOKEN and MCP_FACTORY_IMPORT_DB_HOSTS set by the operator),
 * a real gateway on loopback (with an SDK upstream and a result cache) and the real PostgreSQL. Checked by
 * effect: the page shows the gateway's upstream, breaker and cache hit rate; the database import creates a
 * server whose spec reads DATABASE_URL, and the URL's password appears in no file of the factory's home.
 * Screenshots: test-results/console/gateway-db-*.png.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/conformance/server.js';
import { parseGatewayConfig } from '../../src/gateway/config.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { AccessControl } from '../../src/identity/access.js';
import { TokenStore } from '../../src/identity/tokens.js';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { createGatewayHttp, type GatewayHttp } from '../../src/surfaces/gateway/http.js';
import { serveFetch } from '../../src/surfaces/http/node.js';
import { REQUIRE_SERVICES, serviceGate } from '../helpers/services.js';
import {
  type Browsing,
  browserMissing,
  checkPage,
  ensureConsoleBuilt,
  type Factory,
  openBrowser,
  startFactory,
} from './harness.js';

const missing = browserMissing();
const pgGate = serviceGate('MCP_FACTORY_TEST_PG_URL', 'PostgreSQL');
const FIXTURE = join(import.meta.dirname, '..', 'gateway', 'fixtures', 'upstream.mjs');
const SECRET = 'console-db-secret-5d2a';
const DATABASE = `mcpf_console_db_${process.pid}`;
const NAME = 'console-db';

function filesContaining(dir: string, needle: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) continue;
    if (stat.isDirectory()) found.push(...filesContaining(path, needle));
    else if (stat.isFile() && stat.size < 50 * 1024 * 1024 && readFileSync(path).includes(needle))
      found.push(path);
  }
  return found;
}

describe.skipIf((missing !== undefined || pgGate.missing !== undefined) && !REQUIRE_SERVICES)(
  'gateway page and create from a database in Chromium',
  () => {
    let upstream: ChildProcess;
    let work: string;
    let registry: Registry;
    let gateway: Gateway;
    let gatewayHttp: GatewayHttp;
    let gatewayServed: { port: number; close(): Promise<void> };
    let factory: Factory;
    let web: Browsing;

    beforeAll(async () => {
      if (missing) throw new Error(missing);
      if (pgGate.missing) throw new Error(pgGate.missing);
      const admin = new pg.Client({ connectionString: pgGate.url });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${DATABASE}`);
      await admin.end();
      const db = new URL(pgGate.url!);
      db.pathname = `/${DATABASE}`;
      const client = new pg.Client({ connectionString: db.toString() });
      await client.connect();
      await client.query('CREATE TABLE books (id serial PRIMARY KEY, title text NOT NULL, year int)');
      await client.end();

      work = mkdtempSync(join(tmpdir(), 'mcpf-console-gw-'));
      registry = await openRegistry({ home: work });
      const tokens = TokenStore.open({ home: work });
      const port = await freePort();
      upstream = spawn(process.execPath, [FIXTURE, 'alpha', 'http', String(port)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise<void>((resolve, reject) => {
        upstream.stdout!.once('data', () => resolve());
        upstream.once('exit', (code) => reject(new Error(`upstream exited ${code}`)));
      });
      gateway = new Gateway({
        registry,
        config: parseGatewayConfig({
          metaTools: 'never',
          servers: [
            { name: 'alpha', url: `http://127.0.0.1:${port}/mcp`, cache: { ttlMs: 600_000, tools: ['*'] } },
          ],
        }),
        source: async () => [],
        refreshMs: 0,
      });
      await gateway.start();
      // Three calls of one read-only tool: one miss, two hits.
      for (let i = 0; i < 3; i++) await gateway.callTool('alpha__echo', { message: 'again' });
      const access = new AccessControl({
        tokens,
        registry,
        limits: { requestsPerMinute: 100_000, burst: 10_000 },
      });
      gatewayHttp = createGatewayHttp({ gateway, access, registry });
      gatewayServed = await serveFetch((r) => gatewayHttp.fetch(r), { port: 0 });

      ensureConsoleBuilt();
      // The operator's settings, inherited by the serve process the harness starts.
      process.env.MCP_FACTORY_GATEWAY_URL = `http://127.0.0.1:${gatewayServed.port}`;
      process.env.MCP_FACTORY_GATEWAY_TOKEN = tokens.create({ name: 'console-reader' }).token;
      process.env.MCP_FACTORY_IMPORT_DB_HOSTS = 'localhost';
      try {
        factory = await startFactory(['--role', 'admin']);
      } finally {
        delete process.env.MCP_FACTORY_GATEWAY_URL;
        delete process.env.MCP_FACTORY_GATEWAY_TOKEN;
        delete process.env.MCP_FACTORY_IMPORT_DB_HOSTS;
      }
      web = await openBrowser();
      await web.page.goto(`${factory.url}/ui/`);
      await web.page.getByRole('button', { name: 'API token' }).click();
      await web.page.getByLabel('API token').fill(factory.token);
      await web.page.getByRole('button', { name: 'Sign in' }).click();
      await web.page.getByRole('navigation', { name: 'Main' }).waitFor();
    }, 240_000);

    afterAll(async () => {
      await factory?.api('DELETE', `/mcp/servers/${NAME}`).catch(() => undefined);
      await web?.close();
      await factory?.stop();
      await gatewayHttp?.close();
      await gatewayServed?.close();
      await gateway?.close();
      if (upstream?.exitCode === null) upstream.kill('SIGKILL');
      await registry?.close();
      if (work) rmSync(work, { recursive: true, force: true });
      if (pgGate.url) {
        const admin = new pg.Client({ connectionString: pgGate.url });
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
        await admin.end();
      }
    });

    it('shows the gateway’s upstreams, breaker states and cache hit rate', { timeout: 60_000 }, async () => {
      const { page } = web;
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Gateway' }).click();
      const upstreams = page.getByRole('table', { name: 'Upstream servers' });
      await upstreams.getByRole('row', { name: /alpha/ }).waitFor({ timeout: 30_000 });
      await expect(upstreams.getByRole('row', { name: /alpha/ }).textContent()).resolves.toMatch(/closed/);
      const cache = page.getByRole('table', { name: 'Result cache per upstream' });
      const row = cache.getByRole('row', { name: /alpha/ });
      await row.waitFor({ timeout: 30_000 });
      await expect(row.textContent()).resolves.toMatch(/67%.*2.*1/);
      expect(await checkPage(page, 'gateway-db-01-gateway')).toEqual([]);
      expect(web.problems).toEqual([]);
    });

    it('creates a server from a database URL; the password is written nowhere', {
      timeout: 240_000,
    }, async () => {
      const { page } = web;
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Create' }).click();
      await page.getByRole('tab', { name: 'Database' }).click();
      const url = new URL(pgGate.url!);
      url.hostname = 'localhost';
      url.pathname = `/${DATABASE}`;
      url.password = SECRET; // trust authentication ignores it: a marker that must never be stored
      await page.getByLabel('Database URL').fill(url.toString());
      await page.getByLabel('Server name (optional)').fill(NAME);
      await page.getByRole('button', { name: 'Read the database' }).click();
      await page.getByText('public.books').waitFor({ timeout: 60_000 });
      expect(await checkPage(page, 'gateway-db-02-database')).toEqual([]);
      await page.getByRole('button', { name: /^Create with 1 tables?$/ }).click();
      await page.getByRole('link', { name: `Open ${NAME}` }).waitFor({ timeout: 200_000 });
      const revision = await factory.api<{ specText: string }>(
        'GET',
        `/mcp/servers/${NAME}/revisions/1/spec`,
      );
      expect(revision.status).toBe(200);
      expect(JSON.stringify(revision.body)).toContain('DATABASE_URL');
      expect(JSON.stringify(revision.body)).not.toContain(SECRET);
      expect(filesContaining(factory.home, SECRET)).toEqual([]);
      expect(factory.stderr()).not.toContain(SECRET);
      expect(web.problems).toEqual([]);
    });
  },
);
