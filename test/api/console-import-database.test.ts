/**
 * POST /mcp/import/database (surfaces/operations/console-sources.ts) against real PostgreSQL and MariaDB, and its
 * attack cases by effect: a host outside MCP_FACTORY_IMPORT_DB_HOSTS gets no connection (a listening loopback
 * socket counts them), an SQLite URL reads no file, the URL (and its password) never appears in an answer, the
 * audit trail or any file under the factory's home, a viewer imports nothing.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allowedDatabaseUrl,
  importDatabaseHosts,
} from '../../src/surfaces/console/import-database-policy.js';
import { REQUIRE_SERVICES, serviceGate } from '../helpers/services.js';
import { type Factory, LOCAL, PASSWORD, startFactory } from '../identity/auth-helpers.js';

const SECRET = 'pw-never-shown-7c1e';
const pgGate = serviceGate('MCP_FACTORY_TEST_PG_URL', 'PostgreSQL');
const myGate = serviceGate('MCP_FACTORY_TEST_MYSQL_URL', 'MariaDB');
const unique = `mcpf_imp_${process.pid}_${Date.now().toString(36)}`;

let f: Factory;
let admin: string;
let viewer: string;
let trap: Server;
let trapPort = 0;
let trapConnections = 0;

/** Every file under `dir` holds none of `needles` (logs, registry, audit: whatever the factory wrote). */
function filesContaining(dir: string, needles: readonly string[]): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    if (stat.isDirectory()) found.push(...filesContaining(path, needles));
    else if (stat.size < 50 * 1024 * 1024) {
      const text = readFileSync(path).toString('latin1');
      if (needles.some((n) => text.includes(n))) found.push(path);
    }
  }
  return found;
}

beforeAll(async () => {
  process.env.MCP_FACTORY_IMPORT_DB_HOSTS = 'localhost';
  f = await startFactory();
  await f.users.create(LOCAL, 'test', { name: 'alice', role: 'admin', password: PASSWORD });
  await f.users.create(LOCAL, 'test', { name: 'victor', role: 'viewer', password: PASSWORD });
  admin = (await f.login('alice')).access;
  viewer = (await f.login('victor')).access;
  // 127.0.0.3 is loopback but not an address of `localhost`: the importer must never connect to it.
  trap = createServer((socket) => {
    trapConnections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => trap.listen(0, '127.0.0.3', resolve));
  trapPort = (trap.address() as { port: number }).port;
});

afterAll(async () => {
  delete process.env.MCP_FACTORY_IMPORT_DB_HOSTS;
  await new Promise((resolve) => trap.close(resolve));
  await f.close();
});

describe('the host allow-list', () => {
  it('reads MCP_FACTORY_IMPORT_DB_HOSTS; capabilities report the import only when hosts are listed', async () => {
    expect(importDatabaseHosts({ MCP_FACTORY_IMPORT_DB_HOSTS: ' DB.internal, [::1],,127.0.0.1 ' })).toEqual([
      'db.internal',
      '::1',
      '127.0.0.1',
    ]);
    expect(importDatabaseHosts({})).toEqual([]);
    const on = await f.send('GET', '/mcp/capabilities', { token: viewer });
    expect(on.body.imports).toEqual({ openapi: true, database: true });
    process.env.MCP_FACTORY_IMPORT_DB_HOSTS = '';
    try {
      const off = await f.send('GET', '/mcp/capabilities', { token: viewer });
      expect(off.body.imports).toEqual({ openapi: true, database: false });
      const refused = await f.send('POST', '/mcp/import/database', {
        token: admin,
        body: { url: `postgres://u:${SECRET}@127.0.0.1:${trapPort}/x` },
      });
      expect(refused.status).toBe(403);
      expect(refused.body.error).toBe('DB_IMPORT_HOST_NOT_ALLOWED');
    } finally {
      process.env.MCP_FACTORY_IMPORT_DB_HOSTS = 'localhost';
    }
  });

  it('connects to the address it checked (a name is replaced by it), and refuses names that do not resolve', async () => {
    const checked = new URL(
      await allowedDatabaseUrl('postgres://u:p@LocalHost:5432/db?sslmode=disable', ['localhost']),
    );
    expect(['127.0.0.1', '[::1]']).toContain(checked.hostname);
    expect(checked.port).toBe('5432');
    expect(checked.password).toBe('p');
    expect(checked.searchParams.get('sslmode')).toBe('disable');
    await expect(allowedDatabaseUrl('mysql://u@db.invalid/x', ['db.invalid'])).rejects.toMatchObject({
      code: 'DB_IMPORT_HOST_NOT_ALLOWED',
    });
    await expect(allowedDatabaseUrl('postgres://u@127.0.0.1/x', [])).rejects.toMatchObject({
      code: 'DB_IMPORT_HOST_NOT_ALLOWED',
    });
  });

  it('connects to no host outside the list, however it is written', async () => {
    const hosts = [
      `127.0.0.3:${trapPort}`,
      `2130706435:${trapPort}`, // 127.0.0.3 as one number
      `[::ffff:127.0.0.3]:${trapPort}`,
      `localhost.:${trapPort}@127.0.0.3:${trapPort}`,
    ];
    for (const host of hosts)
      for (const scheme of ['postgres', 'mysql', 'mariadb']) {
        const r = await f.send('POST', '/mcp/import/database', {
          token: admin,
          body: { url: `${scheme}://u:${SECRET}@${host}/db` },
        });
        expect(r.status, `${scheme} ${host}: ${r.text}`).toBe(403);
        expect(r.body.error).toBe('DB_IMPORT_HOST_NOT_ALLOWED');
        expect(r.text).not.toContain(SECRET);
      }
    // Give a connection that was wrongly started time to arrive.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(trapConnections).toBe(0);
  });

  it('reads no file: SQLite and file URLs are refused before the importer runs', async () => {
    for (const url of ['sqlite:/etc/passwd', 'file:///etc/passwd', 'sqlite:///tmp/x.db']) {
      const r = await f.send('POST', '/mcp/import/database', { token: admin, body: { url } });
      expect(r.status, r.text).toBe(400);
      expect(r.body.error).toBe('DB_UNSUPPORTED_URL');
    }
  });

  it('lets a viewer import nothing, and no request without a session', async () => {
    const url = `postgres://u:${SECRET}@127.0.0.3:${trapPort}/db`;
    expect((await f.send('POST', '/mcp/import/database', { token: viewer, body: { url } })).status).toBe(403);
    expect((await f.send('POST', '/mcp/import/database', { body: { url } })).status).toBe(401);
    expect(trapConnections).toBe(0);
  });
});

function requireOrSkip(gate: { missing: string | undefined }, label: string): boolean {
  if (!gate.missing) return true;
  const why = gate.missing;
  if (REQUIRE_SERVICES) it(`${label}: required service is configured`, () => expect.fail(why));
  else it.skip(`${label}: ${why}`, () => undefined);
  return false;
}

/** The URL with `localhost` as host (the allow-listed name) and the test secret as password when asked. */
function viaLocalhost(url: string, database: string, password?: string): string {
  const u = new URL(url);
  u.hostname = 'localhost';
  u.pathname = `/${database}`;
  if (password) u.password = password;
  return u.toString();
}

async function importAndCheck(url: string, expectedTables: string[], secretParts: string[]) {
  const all = await f.send('POST', '/mcp/import/database', { token: admin, body: { url, name: 'shop-db' } });
  expect(all.status, all.text).toBe(200);
  expect(all.body.tables.map((t: { name: string }) => t.name).sort()).toEqual(expectedTables);
  expect(all.body.tables[0]).toMatchObject({
    kind: expect.stringMatching(/table|view/),
    columns: expect.any(Number),
  });
  expect(all.body.specText).toContain('name: shop-db');
  expect(all.body.specText).toContain('envVar: DATABASE_URL');
  expect(all.body.report).toMatchObject({ env: [expect.objectContaining({ name: 'DATABASE_URL' })] });
  const one = await f.send('POST', '/mcp/import/database', {
    token: admin,
    body: { url, include: [expectedTables[0]] },
  });
  expect(one.status, one.text).toBe(200);
  expect(one.body.tables.map((t: { name: string }) => t.name)).toEqual([expectedTables[0]]);
  // Create the server from the answer, as the console does: the URL still appears nowhere.
  const created = await f.send('POST', '/mcp/create', {
    token: admin,
    body: { spec: all.body.specText, force: true },
  });
  expect(created.status, created.text).toBeLessThan(300);
  const audit = await f.send('GET', '/mcp/audit', { token: admin });
  expect(audit.status).toBe(200);
  for (const answer of [all, one, created, audit])
    for (const part of secretParts) expect(answer.text).not.toContain(part);
  expect(filesContaining(f.home, secretParts)).toEqual([]);
}

describe('PostgreSQL', () => {
  if (!requireOrSkip(pgGate, 'postgresql')) return;
  const adminUrl = pgGate.url!;
  const database = `${unique}_pg`;
  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    const client = new pg.Client({ connectionString: viaLocalhost(adminUrl, database) });
    await client.connect();
    await client.query(
      'CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL); CREATE TABLE orders (id serial PRIMARY KEY, customer_id int REFERENCES customers(id), total numeric)',
    );
    await client.end();
  });
  afterAll(async () => {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  it('imports the tables; the URL and its password are never answered, audited or written', async () => {
    // Trust authentication ignores the password, which makes it a marker that must never come back.
    const url = viaLocalhost(adminUrl, database, SECRET);
    await importAndCheck(
      url,
      ['public.customers', 'public.orders'],
      [SECRET, url, url.replace(SECRET, '***')],
    );
  });

  it('a wrong database fails with the URL scrubbed from the message', async () => {
    const url = viaLocalhost(adminUrl, `${database}_missing`, SECRET);
    const r = await f.send('POST', '/mcp/import/database', { token: admin, body: { url } });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.body.error).toMatch(/^DB_/);
    expect(r.text).not.toContain(SECRET);
    expect(r.text).not.toContain(url);
  });
});

describe('MariaDB', () => {
  if (!requireOrSkip(myGate, 'mariadb')) return;
  const adminUrl = myGate.url!;
  const database = `${unique}_my`;
  beforeAll(async () => {
    const conn = await mysql.createConnection({ uri: adminUrl, multipleStatements: true });
    await conn.query(
      `CREATE DATABASE \`${database}\`; USE \`${database}\`; CREATE TABLE products (id int PRIMARY KEY AUTO_INCREMENT, title varchar(100) NOT NULL); CREATE VIEW cheap AS SELECT id, title FROM products`,
    );
    await conn.end();
  });
  afterAll(async () => {
    const conn = await mysql.createConnection({ uri: adminUrl });
    await conn.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await conn.end();
  });

  it('imports tables and views; the URL is never answered, audited or written', async () => {
    const url = viaLocalhost(adminUrl, database);
    await importAndCheck(url, [`${database}.cheap`, `${database}.products`], [url]);
  });
});
