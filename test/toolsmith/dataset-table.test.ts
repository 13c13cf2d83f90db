/**
 * A table of a registered server's connection as a toolsmith dataset (`server:<server>/<connection>/<table>`):
 * SQLite (the project's shipped file, and a file named in the factory's secret store), PostgreSQL and MariaDB
 * (service-gated), the refusals by effect (injection attempts leave the database as it was, nothing is left in
 * the store), and one run end to end through the harness on a SQLite table.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HomeLayout, homeLayout } from '../../src/platform/home.js';
import { writeEnvFile } from '../../src/platform/secrets.js';
import { keepTable, type TableAccess } from '../../src/toolsmith/dataset-table.js';
import { REQUIRE_SERVICES, serviceGate } from '../helpers/services.js';
import { type Harness, newToolScript, rowsOf, sqlBody, startHarness } from './harness.js';

let h: Harness;
let layout: HomeLayout;
let store: string;

const BIG = 9_007_199_254_740_993n; // 2^53 + 1: not exact as a JSON number

/** The rows put into the SQLite `orders` table; the expected answers are computed from these. */
const ORDERS = [
  { id: 1, customer: 'ada', amount: 12.5, placed: '2024-01-05', note: 'first' },
  { id: 2, customer: 'bob', amount: 7.25, placed: '2024-01-06', note: null },
  { id: 3, customer: 'ada', amount: 3, placed: '2024-02-01', note: 'x' },
  { id: 4, customer: 'cy', amount: 40.75, placed: '2024-02-11', note: 'y' },
  { id: 5, customer: 'bob', amount: 0.5, placed: '2024-03-02', note: null },
  { id: 6, customer: 'ada', amount: 100, placed: '2024-03-03', note: 'z' },
];

async function register(name: string, connections: unknown[]): Promise<{ projectDir: string }> {
  const artifactHash = createHash('sha256')
    .update(`${name}${randomBytes(8).toString('hex')}`)
    .digest('hex');
  await h.registry.createServerVersion({
    name,
    version: '1.0.0',
    spec: { name, version: '1.0.0', description: `test server ${name}`, connections, tools: [] },
    artifactHash,
    tools: [],
    actor: 'test',
  });
  return { projectDir: layout.projectDir(name, artifactHash) };
}

function access(extra: Partial<TableAccess> = {}): TableAccess {
  return { registry: h.registry, layout, maxBytes: 10 * 1024 * 1024, local: true, env: {}, ...extra };
}

function storeFiles(): string[] {
  try {
    return readdirSync(store).sort();
  } catch {
    return [];
  }
}

function ndjson(path: string): Array<Record<string, unknown>> {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

let shopDb: string;

beforeAll(async () => {
  h = await startHarness();
  layout = homeLayout(h.home);
  store = join(h.home, 'toolsmith', 'datasets');
  const { projectDir } = await register('shop-sqlite', [
    { name: 'main', type: 'sqlite', path: './data/shop.db', readOnly: true },
    { name: 'api', type: 'http', baseUrl: 'https://example.test' },
  ]);
  shopDb = join(projectDir, 'data', 'shop.db');
  mkdirSync(dirname(shopDb), { recursive: true });
  const db = new Database(shopDb);
  db.exec(`CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, amount REAL NOT NULL,
             placed TEXT NOT NULL, note TEXT);
           CREATE TABLE x (v INTEGER);
           INSERT INTO x VALUES (1), (2);
           CREATE TABLE "we""ird; name" (k TEXT, big INTEGER, raw BLOB);
           CREATE TABLE empty (v INTEGER);
           CREATE TABLE wide (id INTEGER, payload TEXT);`);
  const insert = db.prepare(
    'INSERT INTO orders (id, customer, amount, placed, note) VALUES (@id, @customer, @amount, @placed, @note)',
  );
  for (const o of ORDERS) insert.run(o);
  db.prepare('INSERT INTO "we""ird; name" VALUES (?, ?, ?)').run('a', BIG, Buffer.from([0, 1, 2, 255]));
  db.prepare('INSERT INTO "we""ird; name" VALUES (?, ?, ?)').run('b', 42, null);
  const wide = db.prepare('INSERT INTO wide VALUES (?, ?)');
  for (let i = 0; i < 2000; i++) wide.run(i, 'p'.repeat(100));
  db.close();
});
afterAll(async () => {
  await h?.close();
});

describe('keepTable: SQLite', () => {
  it('reads the shipped database file of the project into a content-addressed NDJSON file', async () => {
    const ref = await keepTable('server:shop-sqlite/main/orders', store, access());
    const bytes = readFileSync(ref.path);
    expect(ref).toMatchObject({
      given: 'server:shop-sqlite/main/orders',
      format: 'ndjson',
      bytes: bytes.length,
    });
    expect(ref.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(ref.path).toBe(join(store, `${ref.sha256}.ndjson`));
    expect(ndjson(ref.path)).toEqual(ORDERS);
    // The same table again is the same dataset.
    expect(await keepTable('server:shop-sqlite/main/orders', store, access())).toEqual(ref);
    expect(storeFiles().filter((f) => f.startsWith('.partial'))).toEqual([]);
  });

  it('quotes the introspected name (quotes and semicolons in a real name), bigint as text, bytes as base64', async () => {
    const ref = await keepTable('server:shop-sqlite/main/we"ird; name', store, access());
    expect(ndjson(ref.path)).toEqual([
      { k: 'a', big: BIG.toString(), raw: Buffer.from([0, 1, 2, 255]).toString('base64') },
      { k: 'b', big: 42, raw: null },
    ]);
  });

  it('refuses injection attempts as unknown tables, and the database is unchanged', async () => {
    const before = storeFiles();
    for (const table of [
      'orders"; DROP TABLE x; --',
      'x; DROP TABLE x',
      'orders" UNION SELECT * FROM sqlite_master --',
      'x" --',
      '"x"',
    ]) {
      await expect(
        keepTable(`server:shop-sqlite/main/${table}`, store, access()),
        table,
      ).rejects.toMatchObject({
        code: 'TOOLSMITH_DATASET_INVALID',
        message: expect.stringContaining('has no table'),
      });
    }
    const db = new Database(shopDb, { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM x').get()).toEqual({ n: 2 });
    expect(db.prepare('SELECT count(*) AS n FROM orders').get()).toEqual({ n: ORDERS.length });
    db.close();
    expect(storeFiles()).toEqual(before);
  });

  it('names what is missing: server, connection, table; refuses a non-database connection and bad syntax', async () => {
    await expect(keepTable('server:no-such-server/main/orders', store, access())).rejects.toMatchObject({
      code: 'TOOLSMITH_DATASET_INVALID',
      message: expect.stringContaining('no registered server "no-such-server"'),
    });
    await expect(keepTable('server:shop-sqlite/other/orders', store, access())).rejects.toMatchObject({
      code: 'TOOLSMITH_DATASET_INVALID',
      message: expect.stringContaining('has no connection "other"'),
      details: { connections: ['main'] },
    });
    await expect(keepTable('server:shop-sqlite/main/customers', store, access())).rejects.toMatchObject({
      code: 'TOOLSMITH_DATASET_INVALID',
      message: expect.stringContaining('has no table "customers"'),
      details: { tables: expect.arrayContaining(['orders', 'x']) },
    });
    await expect(keepTable('server:shop-sqlite/api/orders', store, access())).rejects.toMatchObject({
      code: 'TOOLSMITH_DATASET_INVALID',
      message: expect.stringContaining('not a database'),
    });
    for (const given of ['server:shop-sqlite/orders', 'server:../etc/main/x', 'server:shop-sqlite/ma-in/x'])
      await expect(keepTable(given, store, access()), given).rejects.toMatchObject({
        code: 'TOOLSMITH_DATASET_INVALID',
      });
    await expect(keepTable('server:shop-sqlite/main/empty', store, access())).rejects.toMatchObject({
      code: 'TOOLSMITH_DATASET_INVALID',
      message: expect.stringContaining('has no rows'),
    });
  });

  it('refuses remote callers before looking anything up', async () => {
    for (const given of ['server:shop-sqlite/main/orders', 'server:no-such-server/main/orders'])
      await expect(keepTable(given, store, access({ local: false }))).rejects.toMatchObject({
        code: 'TOOLSMITH_DATASET_INVALID',
        message: 'only the local user may name a table of a registered server as a dataset',
        details: { hint: expect.stringContaining('dataRoots') },
      });
    // Through the service: the caller's `local` decides.
    await expect(
      h.toolsmith.analyze({
        question: 'How much did each customer spend?',
        dataset: 'server:shop-sqlite/main/orders',
        caller: { actor: 'mallory', local: false },
      }),
    ).rejects.toMatchObject({
      code: 'TOOLSMITH_DATASET_INVALID',
      message: expect.stringContaining('local user'),
    });
  });

  it('stops past maxBytes with nothing left in the store', async () => {
    const before = storeFiles();
    await expect(
      keepTable('server:shop-sqlite/main/wide', store, access({ maxBytes: 50_000 })),
    ).rejects.toMatchObject({
      code: 'TOOLSMITH_DATASET_INVALID',
      message: expect.stringContaining('over the limit of 50000 bytes'),
      details: { hint: expect.stringContaining('maxDatasetBytes') },
    });
    expect(storeFiles()).toEqual(before);
    expect(storeFiles().some((f) => f.includes('partial'))).toBe(false);
    // Under a limit it fits in, the same table is kept.
    const ref = await keepTable('server:shop-sqlite/main/wide', store, access({ maxBytes: 1_000_000 }));
    expect(ndjson(ref.path)).toHaveLength(2000);
  });

  it('takes a SQLite file from the secret store of the server (values given at deploy time)', async () => {
    const { projectDir } = await register('shop-env', [{ name: 'main', type: 'sqlite', envVar: 'SHOP_DB' }]);
    await expect(keepTable('server:shop-env/main/items', store, access())).rejects.toMatchObject({
      code: 'TOOLSMITH_DATASET_INVALID',
      message: expect.stringContaining('SHOP_DB is not set'),
    });
    const file = join(projectDir, '..', 'elsewhere.db');
    mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    db.exec("CREATE TABLE items (sku TEXT, qty INTEGER); INSERT INTO items VALUES ('a-1', 3), ('b-2', 5);");
    db.close();
    writeEnvFile(layout.envFile('shop-env'), { SHOP_DB: file });
    const ref = await keepTable(
      'server:shop-env/main/items',
      store,
      access({ env: { SHOP_DB: '/nonexistent.db' } }),
    );
    expect(ndjson(ref.path)).toEqual([
      { sku: 'a-1', qty: 3 },
      { sku: 'b-2', qty: 5 },
    ]);
  });
});

describe('keepTable: URLs of server connections', () => {
  it('an unset URL names the variable; a failing connection never shows the password', async () => {
    await register('shop-pg-unset', [{ name: 'main', type: 'postgresql', envVar: 'SHOP_PG_UNSET_URL' }]);
    await expect(keepTable('server:shop-pg-unset/main/orders', store, access())).rejects.toMatchObject({
      code: 'TOOLSMITH_DATASET_INVALID',
      message: expect.stringContaining('SHOP_PG_UNSET_URL is neither in the factory'),
    });
    const secret = 's3cret-Pw-91';
    const env = { SHOP_PG_UNSET_URL: `postgres://shop:${secret}@127.0.0.1:1/shop` };
    const error = await keepTable('server:shop-pg-unset/main/orders', store, access({ env })).catch((e) => e);
    expect(error).toMatchObject({ code: 'TOOLSMITH_DATASET_INVALID' });
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain(secret);
    expect(error.message).toContain('***');
    // A URL of another dialect is refused (with the password hidden).
    const mysqlUrl = { SHOP_PG_UNSET_URL: `mysql://shop:${secret}@127.0.0.1:1/shop` };
    const mismatch = await keepTable(
      'server:shop-pg-unset/main/orders',
      store,
      access({ env: mysqlUrl }),
    ).catch((e) => e);
    expect(mismatch).toMatchObject({
      code: 'TOOLSMITH_DATASET_INVALID',
      message: expect.stringContaining('mysql URL'),
    });
    expect(mismatch.message).not.toContain(secret);
  });
});

const pgGate = serviceGate('MCP_FACTORY_TEST_PG_URL', 'PostgreSQL');
describe('keepTable: PostgreSQL', () => {
  if (pgGate.missing) {
    const why = pgGate.missing;
    if (REQUIRE_SERVICES) it('required service is configured', () => expect.fail(why));
    else it.skip(`postgresql: ${why}`, () => undefined);
    return;
  }
  const url = pgGate.url!;
  const table = `ts_orders_${randomBytes(4).toString('hex')}`;
  const envVar = `TOOLSMITH_TEST_PG_${randomBytes(3).toString('hex').toUpperCase()}`;
  // biome-ignore lint/suspicious/noExplicitAny: pg client in a test
  let client: any;

  beforeAll(async () => {
    const pg = (await import('pg')).default;
    client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, customer text, amount numeric(10,2),
      placed timestamptz, day date, at timestamp, raw bytea, tags text[], meta jsonb)`);
    await client.query(
      `INSERT INTO ${table} VALUES
        (1, 'ada', 12.50, '2024-01-05T10:00:00Z', '2024-01-05', '2024-01-05 10:00:00', '\\x00ff', '{a,b}', '{"k":1}'),
        (9007199254740993, 'bob', 7.25, NULL, NULL, NULL, NULL, NULL, NULL)`,
    );
    process.env[envVar] = url;
    await register('shop-pg', [{ name: 'main', type: 'postgresql', envVar }]);
  });
  afterAll(async () => {
    delete process.env[envVar];
    await client?.query(`DROP TABLE IF EXISTS ${table}`);
    await client?.end();
  });

  it('reads the table with the URL from the process environment of the local user', async () => {
    const ref = await keepTable(`server:shop-pg/main/${table}`, store, {
      registry: h.registry,
      layout,
      maxBytes: 1_000_000,
      local: true,
    });
    expect(ref.format).toBe('ndjson');
    expect(ndjson(ref.path)).toEqual([
      {
        id: 1,
        customer: 'ada',
        amount: 12.5,
        placed: '2024-01-05T10:00:00Z',
        day: '2024-01-05',
        at: '2024-01-05T10:00:00',
        raw: Buffer.from([0, 255]).toString('base64'),
        tags: ['a', 'b'],
        meta: { k: 1 },
      },
      {
        id: '9007199254740993',
        customer: 'bob',
        amount: 7.25,
        placed: null,
        day: null,
        at: null,
        raw: null,
        tags: null,
        meta: null,
      },
    ]);
    // schema-qualified names work too
    const qualified = await keepTable(
      `server:shop-pg/main/public.${table}`,
      store,
      access({ env: process.env }),
    );
    expect(qualified.sha256).toBe(ref.sha256);
  });

  it('an injection attempt is refused and the table still exists', async () => {
    await expect(
      keepTable(
        `server:shop-pg/main/${table}"; DROP TABLE ${table}; --`,
        store,
        access({ env: process.env }),
      ),
    ).rejects.toMatchObject({
      code: 'TOOLSMITH_DATASET_INVALID',
      message: expect.stringContaining('has no table'),
    });
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${table}`);
    expect(rows).toEqual([{ n: 2 }]);
  });

  it('stops past maxBytes with nothing left in the store', async () => {
    const before = storeFiles();
    await expect(
      keepTable(`server:shop-pg/main/${table}`, store, access({ env: process.env, maxBytes: 100 })),
    ).rejects.toMatchObject({
      code: 'TOOLSMITH_DATASET_INVALID',
      message: expect.stringContaining('over the limit'),
    });
    expect(storeFiles()).toEqual(before);
  });
});

const myGate = serviceGate('MCP_FACTORY_TEST_MYSQL_URL', 'MySQL/MariaDB');
describe('keepTable: MySQL/MariaDB', () => {
  if (myGate.missing) {
    const why = myGate.missing;
    if (REQUIRE_SERVICES) it('required service is configured', () => expect.fail(why));
    else it.skip(`mysql: ${why}`, () => undefined);
    return;
  }
  const url = myGate.url!;
  const table = `ts_orders_${randomBytes(4).toString('hex')}`;
  // biome-ignore lint/suspicious/noExplicitAny: mysql2 connection in a test
  let conn: any;

  beforeAll(async () => {
    const mysql = (await import('mysql2/promise')).default;
    conn = await mysql.createConnection({ uri: url });
    await conn.query(`CREATE TABLE ${table} (id BIGINT PRIMARY KEY, customer VARCHAR(20), amount DECIMAL(10,2),
      placed DATETIME, day DATE, raw VARBINARY(8))`);
    await conn.query(
      `INSERT INTO ${table} VALUES (1, 'ada', 12.50, '2024-01-05 10:00:00', '2024-01-05', X'00FF'),
        (9007199254740993, '007', 7.25, NULL, NULL, NULL)`,
    );
    await register('shop-my', [{ name: 'main', type: 'mariadb', envVar: 'SHOP_MY_URL' }]);
    writeEnvFile(layout.envFile('shop-my'), { SHOP_MY_URL: url });
  });
  afterAll(async () => {
    await conn?.query(`DROP TABLE IF EXISTS ${table}`);
    await conn?.end();
  });

  it('reads the table with the URL from the secret store', async () => {
    const ref = await keepTable(`server:shop-my/main/${table}`, store, access());
    expect(ndjson(ref.path)).toEqual([
      {
        id: 1,
        customer: 'ada',
        amount: 12.5,
        placed: '2024-01-05T10:00:00',
        day: '2024-01-05',
        raw: Buffer.from([0, 255]).toString('base64'),
      },
      { id: '9007199254740993', customer: '007', amount: 7.25, placed: null, day: null, raw: null },
    ]);
  });

  it('an injection attempt is refused and the table still exists', async () => {
    await expect(
      keepTable(`server:shop-my/main/${table}\`; DROP TABLE ${table}; --`, store, access()),
    ).rejects.toMatchObject({
      code: 'TOOLSMITH_DATASET_INVALID',
      message: expect.stringContaining('has no table'),
    });
    const [rows] = await conn.query(`SELECT count(*) AS n FROM ${table}`);
    expect(Number(rows[0].n)).toBe(2);
  });

  it('stops past maxBytes with nothing left in the store', async () => {
    const before = storeFiles();
    await expect(
      keepTable(`server:shop-my/main/${table}`, store, access({ maxBytes: 100 })),
    ).rejects.toMatchObject({
      code: 'TOOLSMITH_DATASET_INVALID',
      message: expect.stringContaining('over the limit'),
    });
    expect(storeFiles()).toEqual(before);
  });
});

describe('a question about a table, end to end', () => {
  it('answers on a SQLite table of a registered server', async () => {
    const expected = [...new Set(ORDERS.map((o) => o.customer))].sort().map((customer) => {
      const mine = ORDERS.filter((o) => o.customer === customer);
      return { customer, orders: mine.length, total: mine.reduce((s, o) => s + o.amount, 0) };
    });
    h.fake.push(
      ...newToolScript({
        columns: ['customer', 'amount'],
        name: 'spend_per_customer',
        source: sqlBody(
          'SELECT customer, count(*) AS orders, sum(amount) AS total FROM dataset GROUP BY 1 ORDER BY 1',
        ),
      }),
    );
    const run = await h.toolsmith.analyze({
      question: 'How many orders did each customer place, and for how much in total?',
      dataset: 'server:shop-sqlite/main/orders',
      caller: { actor: 'alice', local: true },
    });
    const waiting = await h.toolsmith.wait(run.id);
    const view = await h.toolsmith.get(run.id);
    expect(view.error, JSON.stringify(view.validation)).toBeNull();
    expect(waiting.status).toBe('waiting');
    expect(view.dataset).toMatchObject({
      given: 'server:shop-sqlite/main/orders',
      format: 'ndjson',
      rows: 6,
    });
    expect(view.validation).toMatchObject({ schema_ok: true, tests_ok: true, sandbox_ok: true });
    expect(rowsOf(view)).toEqual(expected);
  }, 180_000);
});
