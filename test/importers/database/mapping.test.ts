/** Database importer without a database: URLs and redaction, filters, names, and the schema → spec mapping. */
import { describe, expect, it } from 'vitest';
import { analyzeSql, IDENTIFIER, TOOL_NAME, validateSpec } from '../../../src/core/spec/index.js';
import { globToRegExp, nameFilter } from '../../../src/sources/database/filter.js';
import {
  type ColumnInfo,
  type DatabaseSchema,
  importDatabase,
  introspect,
  mapSchema,
  parseDatabaseUrl,
  quoteIdent,
  redactUrl,
  schemaToSpec,
  type TableInfo,
} from '../../../src/sources/database/index.js';
import { NameAllocator, parameterBase, serverName, snakeSlug } from '../../../src/sources/database/names.js';
import { scrubSecrets } from '../../../src/sources/database/url.js';

const col = (name: string, kind: ColumnInfo['kind'], extra: Partial<ColumnInfo> = {}): ColumnInfo => ({
  name,
  dataType: kind,
  kind,
  nullable: true,
  generated: false,
  autoIncrement: false,
  ...extra,
});

const tbl = (name: string, columns: ColumnInfo[], extra: Partial<TableInfo> = {}): TableInfo => ({
  schema: 'public',
  name,
  type: 'table',
  columns,
  primaryKey: [],
  foreignKeys: [],
  ...extra,
});

function schemaOf(tables: TableInfo[], over: Partial<DatabaseSchema> = {}): DatabaseSchema {
  return {
    dialect: 'postgresql',
    kind: 'postgresql',
    database: 'Shop DB',
    defaultSchema: 'public',
    tables,
    skipped: [],
    ...over,
  };
}

const products = tbl(
  'Products',
  [
    col('id', 'integer', {
      nullable: false,
      autoIncrement: true,
      default: "nextval('p_id_seq'::regclass)",
      castType: 'integer',
    }),
    col('name', 'string', { nullable: false, maxLength: 80, castType: 'character varying' }),
    col('status', 'string', {
      enumValues: ['active', "it's off"],
      default: "'active'::status",
      castType: '"public"."status"',
    }),
    col('price', 'number', { precision: 'decimal', castType: 'numeric' }),
    col('stock', 'integer', { precision: 'bigint', castType: 'bigint' }),
    col('added', 'datetime', { castType: 'timestamp with time zone' }),
    col('doc', 'json', { castType: 'jsonb' }),
    col('photo', 'binary', { castType: 'bytea' }),
    col('total', 'number', { generated: true, castType: 'numeric' }),
  ],
  { primaryKey: ['id'], comment: 'Things we sell' },
);

describe('URLs', () => {
  it('recognises each dialect and never keeps the password', () => {
    expect(parseDatabaseUrl('postgres://u:pw@127.0.0.1:5432/shop')).toMatchObject({
      dialect: 'postgresql',
      database: 'shop',
      redacted: 'postgres://u:***@127.0.0.1:5432/shop',
    });
    expect(parseDatabaseUrl('postgresql://127.0.0.1/x').dialect).toBe('postgresql');
    expect(parseDatabaseUrl('mysql://root@127.0.0.1:3306/test')).toMatchObject({
      dialect: 'mysql',
      database: 'test',
    });
    expect(parseDatabaseUrl('mariadb://root@127.0.0.1/test')).toMatchObject({
      dialect: 'mysql',
      scheme: 'mariadb',
    });
    expect(parseDatabaseUrl('sqlite:/tmp/a.db').file).toBe('/tmp/a.db');
    expect(parseDatabaseUrl('sqlite:///tmp/a.db').file).toBe('/tmp/a.db');
    expect(parseDatabaseUrl('sqlite:data/a.db', '/srv').file).toBe('/srv/data/a.db');
    expect(parseDatabaseUrl('file:///tmp/a%20b.db').file).toBe('/tmp/a b.db');
    expect(parseDatabaseUrl('file:./x.sqlite', '/srv').file).toBe('/srv/x.sqlite');
    expect(redactUrl('mysql://root:secret@h/db?password=p2&x=1')).toBe(
      'mysql://root:***@h/db?password=***&x=1',
    );
    expect(scrubSecrets('failed for mysql://root:hunter2@h/db (hunter2)', 'mysql://root:hunter2@h/db')).toBe(
      'failed for mysql://root:***@h/db (***)',
    );
  });

  it('refuses other schemes with DB_UNSUPPORTED_URL and a hint', async () => {
    for (const url of ['redis://a:topsecret@h/0', 'not a url', 'sqlite::memory:', 'sqlite:']) {
      const error = await introspect(url).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'DB_UNSUPPORTED_URL' });
      expect(String((error as Error).message)).not.toContain('topsecret');
      expect((error as { issues: Array<{ hint: string }> }).issues[0]?.hint).toMatch(/postgres:\/\//);
    }
  });

  it('reports connection failures as DB_CONNECT_FAILED without the password', async () => {
    for (const url of [
      'postgres://someone:s3cretPassw0rd@127.0.0.1:1/db',
      'mysql://someone:s3cretPassw0rd@127.0.0.1:1/db',
    ]) {
      const error = (await introspect(url, { connectTimeoutMs: 2000 }).catch((e: unknown) => e)) as {
        code: string;
        message: string;
        issues: Array<{ hint: string }>;
        details: unknown;
      };
      expect(error.code).toBe('DB_CONNECT_FAILED');
      expect(JSON.stringify({ m: error.message, i: error.issues, d: error.details })).not.toContain(
        's3cretPassw0rd',
      );
      expect(error.message).toContain('***');
      expect(error.issues[0]?.hint).toMatch(/Nothing accepts connections/);
    }
    await expect(introspect('sqlite:/nonexistent/dir/x.db')).rejects.toMatchObject({
      code: 'DB_CONNECT_FAILED',
    });
    await expect(importDatabase('sqlite:/etc/hostname')).rejects.toMatchObject({ code: 'DB_CONNECT_FAILED' });
  });
});

describe('filters and names', () => {
  it('matches names and globs, plain against the table and dotted against schema.table', () => {
    expect(globToRegExp('art*').test('Artist')).toBe(true);
    expect(globToRegExp('a?t').test('art')).toBe(true);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
    const f = nameFilter(
      { includeTables: ['art*', 'sales.*'], excludeTables: ['*_old'], excludeSchemas: ['tmp*'] },
      (s) => s !== 'pg_catalog',
    );
    expect(f.table('public', 'artist')).toBe(true);
    expect(f.table('sales', 'orders')).toBe(true);
    expect(f.table('public', 'orders')).toBe(false);
    expect(f.table('public', 'artist_old')).toBe(false);
    expect(f.schema('tmp_1')).toBe(false);
    expect(f.schema('pg_catalog')).toBe(false);
    expect(nameFilter({ includeSchemas: ['pg_catalog'] }, () => false).schema('pg_catalog')).toBe(true);
  });

  it('sanitises parameter, tool and server names', () => {
    expect(parameterBase('name')).toBe('name');
    expect(parameterBase('a"b')).toBe('a_b');
    expect(parameterBase('x; DROP TABLE y')).toBe('x_DROP_TABLE_y');
    expect(parameterBase('1st')).toBe('c_1st');
    expect(parameterBase('Prix €')).toBe('Prix');
    expect(parameterBase('Größe')).toBe('Grosse'); // ß transliterated, not dropped
    expect(parameterBase('"')).toBe('column');
    expect(parameterBase('x'.repeat(100)).length).toBeLessThanOrEqual(60);
    for (const n of ['a"b', ' x ', '1', '--', 'é', 'x'.repeat(300)])
      expect(parameterBase(n)).toMatch(IDENTIFIER);
    const a = new NameAllocator(['sort']);
    expect([a.take('sort'), a.take('a_b'), a.take('A_B'), a.take('a_b')]).toEqual([
      'sort_2',
      'a_b',
      'A_B_2',
      'a_b_3',
    ]);
    expect(snakeSlug('InvoiceLine')).toBe('invoice_line');
    expect(snakeSlug('HTTPServer log')).toBe('http_server_log');
    expect(snakeSlug('we"ird; DROP TABLE artist')).toBe('we_ird_drop_table_artist');
    expect(snakeSlug('???')).toBe('table');
    expect(serverName('Shop DB')).toBe('shop-db-mcp');
    expect(serverName('__')).toBe('database-mcp');
  });

  it('quotes identifiers per dialect, doubling embedded quotes', () => {
    expect(quoteIdent('postgresql', 'a"b')).toBe('"a""b"');
    expect(quoteIdent('sqlite', 'x; DROP TABLE y')).toBe('"x; DROP TABLE y"');
    expect(quoteIdent('mysql', 'a`b')).toBe('`a``b`');
    expect(quoteIdent('mysql', 'a"b')).toBe('`a"b`');
    expect(() => quoteIdent('postgresql', 'a\0b')).toThrow();
  });
});

describe('schemaToSpec', () => {
  const orders = tbl(
    'order items',
    [
      col('order_id', 'integer', { nullable: false, castType: 'integer' }),
      col('line', 'integer', { nullable: false, castType: 'integer' }),
      col('product_id', 'integer', { nullable: false, castType: 'integer' }),
      col('qty', 'integer', { castType: 'integer' }),
      col('limit', 'integer', { castType: 'integer' }),
    ],
    {
      primaryKey: ['order_id', 'line'],
      foreignKeys: [
        {
          columns: ['product_id'],
          referencedSchema: 'public',
          referencedTable: 'Products',
          referencedColumns: ['id'],
        },
      ],
    },
  );
  const view = tbl('top products', [col('name', 'string'), col('sold', 'integer', { precision: 'bigint' })], {
    type: 'view',
  });
  const logs = tbl('logs', [col('at', 'datetime'), col('message', 'string'), col('payload', 'json')]);

  it('maps tables and views to list/get/search tools that validate', () => {
    const { spec, report } = mapSchema(schemaOf([products, orders, view, logs]));
    const result = validateSpec(spec);
    expect(result.issues).toEqual([]);
    expect(spec.name).toBe('shop-db-mcp');
    expect(spec.connections).toEqual([
      { name: 'db', type: 'postgresql', envVar: 'DATABASE_URL', readOnly: true },
    ]);
    expect(spec.pagination).toEqual({ defaultLimit: 50, maxLimit: 1000 });
    const names = spec.tools!.map((t) => t.name);
    expect(names).toEqual([
      'list_products',
      'get_products',
      'search_products',
      'list_order_items',
      'get_order_items',
      'list_top_products',
      'search_top_products',
      'list_logs',
      'search_logs',
      'query',
    ]);
    for (const t of spec.tools!) {
      expect(t.name).toMatch(TOOL_NAME);
      for (const p of Object.keys(t.parameters ?? {})) expect(p).toMatch(IDENTIFIER);
    }
    expect(report.env).toEqual([
      { name: 'DATABASE_URL', description: 'Connection URL of the PostgreSQL database' },
    ]);
    expect(report.skipped).toEqual(
      expect.arrayContaining([
        { table: 'order items', what: 'search tool', reason: 'no text columns' },
        { table: 'logs', what: 'get tool', reason: 'no primary key' },
      ]),
    );
    expect(report.renamed).toEqual([{ table: 'order items', column: 'limit', parameter: 'limit_2' }]);
    expect(report.warnings.join('\n')).toMatch(/logs has no primary key/);
  });

  it('expresses filters, ranges and the sort allow-list as static SQL with bound values', () => {
    const spec = schemaToSpec(schemaOf([products]));
    const list = spec.tools!.find((t) => t.name === 'list_products')!;
    const params = list.parameters!;
    expect(params.sort).toEqual({
      type: 'string',
      enum: ['id', 'name', 'status', 'price', 'stock', 'added', 'total'],
      default: 'id',
      description: 'Column to sort by (default id).',
    });
    expect(params.direction).toMatchObject({ enum: ['asc', 'desc'], default: 'asc' });
    expect(params.status).toMatchObject({ type: 'string', enum: ['active', "it's off"] });
    expect(params.status).not.toHaveProperty('required');
    expect(Object.keys(params)).toEqual(
      expect.arrayContaining(['price_min', 'price_max', 'stock_min', 'added_min', 'added_max']),
    );
    expect(params.doc).toBeUndefined(); // json is neither filterable nor sortable
    expect(params.photo).toBeUndefined();
    const sql = list.sql!.statement;
    // Keyset pages: the runtime orders by the chosen column, then the primary key (no ORDER BY in the statement).
    expect(list.sql).toMatchObject({
      connection: 'db',
      result: 'rows',
      paginate: {
        key: [{ column: 'id' }],
        sort: {
          parameter: 'sort',
          columns: {
            id: { column: 'id' },
            name: { column: 'name' },
            status: { column: 'status', nullable: true },
            added: { column: 'added', nullable: true },
          },
        },
        direction: 'direction',
      },
    });
    expect(sql).toContain('FROM "public"."Products"');
    expect(sql).toContain(
      '(CAST(:status AS "public"."status") IS NULL OR "status" = CAST(:status AS "public"."status"))',
    );
    expect(sql).not.toContain('ORDER BY');
    expect(sql).not.toContain('LIMIT');
    const analysis = analyzeSql(sql);
    expect(analysis.multipleStatements).toBe(false);
    expect(new Set(analysis.placeholders.map((p) => p.name))).toEqual(
      new Set(Object.keys(params).filter((p) => !['limit', 'cursor', 'sort', 'direction'].includes(p))),
    );
    const get = spec.tools!.find((t) => t.name === 'get_products')!;
    expect(get.sql).toMatchObject({
      result: 'row',
      statement: expect.stringContaining('WHERE "id" = CAST(:id AS integer)'),
    });
    expect(get.parameters?.id).toMatchObject({ type: 'integer', required: true });
    expect(get.returns).toMatchObject({ type: 'object', nullable: true });
    expect(get.examples).toEqual([{ arguments: { id: 1 } }]);
    const search = spec.tools!.find((t) => t.name === 'search_products')!;
    expect(search.sql!.statement).toContain(
      `"name" ILIKE ('%' || REPLACE(REPLACE(REPLACE(CAST(:query AS text)`,
    );
    expect(search.sql!.statement).not.toContain('"status" ILIKE'); // enums are not free text
    expect(search.parameters?.query).toMatchObject({ type: 'string', required: true, minLength: 1 });
    for (const t of spec.tools!) expect(t.annotations).toMatchObject({ readOnly: true, destructive: false });
  });

  it('uses backticks, an unqualified default database and an inner LIMIT on MySQL', () => {
    const mysqlProducts: TableInfo = {
      ...products,
      schema: 'shop',
      columns: products.columns.map(({ castType: _, ...c }) => c),
    };
    const other = tbl('audit', [col('id', 'integer', { nullable: false }), col('what`s', 'string')], {
      schema: 'archive',
      primaryKey: ['id'],
    });
    const spec = schemaToSpec(
      schemaOf([mysqlProducts, other], {
        dialect: 'mysql',
        kind: 'mysql',
        database: 'shop',
        defaultSchema: 'shop',
      }),
    );
    expect(validateSpec(spec).issues).toEqual([]);
    const list = spec.tools!.find((t) => t.name === 'list_products')!.sql!.statement;
    expect(list).toContain('FROM `Products`');
    expect(list).toContain('(:status IS NULL OR `status` = :status)');
    expect(list).not.toContain('LIMIT'); // no ORDER BY inside: the derived table merges into the page query
    const audit = spec.tools!.find((t) => t.name === 'list_audit')!.sql!.statement;
    expect(audit).toContain('FROM `archive`.`audit`');
    expect(audit).toContain('`what``s`');
    const search = spec.tools!.find((t) => t.name === 'search_audit')!.sql!.statement;
    expect(search).toContain(
      "`what``s` LIKE CONCAT('%', REPLACE(REPLACE(REPLACE(:query, '!', '!!'), '%', '!%'), '_', '!_'), '%') ESCAPE '!'",
    );
    expect(spec.connections).toEqual([{ name: 'db', type: 'mysql', envVar: 'DATABASE_URL', readOnly: true }]);
  });

  it('adds write tools only when asked, with defaults, generated columns and annotations handled', () => {
    const without = schemaToSpec(schemaOf([products]));
    expect(without.tools!.map((t) => t.name).filter((n) => /^(create|update|delete)_/.test(n))).toEqual([]);
    const { spec, report } = mapSchema(
      schemaOf([products, tbl('v', [col('a', 'string')], { type: 'view' })]),
      {
        writes: true,
      },
    );
    expect(validateSpec(spec).issues).toEqual([]);
    expect(spec.connections).toEqual([
      { name: 'db', type: 'postgresql', envVar: 'DATABASE_URL', readOnly: true },
      { name: 'db_write', type: 'postgresql', envVar: 'DATABASE_URL' },
    ]);
    const byName = (n: string) => spec.tools!.find((t) => t.name === n)!;
    expect(spec.tools!.map((t) => t.name)).not.toContain('create_v');
    const create = byName('create_products');
    expect(create.sql!.connection).toBe('db_write');
    expect(create.sql!.result).toBe('row');
    expect(create.annotations).toEqual({
      readOnly: false,
      openWorld: false,
      destructive: false,
      idempotent: false,
    });
    expect(create.parameters?.name).toMatchObject({ type: 'string', required: true, maxLength: 80 });
    expect(create.parameters?.id).not.toHaveProperty('required'); // serial: the database assigns it
    expect(create.parameters?.total).toBeUndefined(); // generated
    expect(create.parameters?.photo).toBeUndefined(); // binary
    expect(create.sql!.statement).toContain(`COALESCE(CAST(:status AS "public"."status"), 'active'::status)`);
    expect(create.sql!.statement).toContain(`COALESCE(CAST(:id AS integer), nextval('p_id_seq'::regclass))`);
    expect(create.sql!.statement).toMatch(/RETURNING "id", "name"/);
    expect(create.examples).toEqual([{ arguments: {}, skip: true }]);
    const update = byName('update_products');
    expect(update.annotations).toMatchObject({ destructive: true, idempotent: true });
    expect(update.sql!.statement).toContain(`"name" = COALESCE(CAST(:name AS character varying), "name")`);
    expect(update.sql!.statement).not.toContain('"id" = COALESCE');
    expect(update.parameters?.id).toMatchObject({ required: true });
    const del = byName('delete_products');
    expect(del.sql).toMatchObject({
      result: 'exec',
      statement: 'DELETE FROM "public"."Products"\nWHERE "id" = CAST(:id AS integer)',
    });
    expect(del.annotations).toMatchObject({ destructive: true, idempotent: true });
    expect(report.skipped).toEqual(
      expect.arrayContaining([expect.objectContaining({ what: 'column photo in write tools' })]),
    );
  });

  it('refuses to splice unsafe default expressions', () => {
    const odd = tbl(
      't',
      [
        col('id', 'integer', { nullable: false }),
        col('a', 'string', { nullable: false, default: "'x'; DROP TABLE t" }),
        col('b', 'string', { nullable: false, default: ':b' }),
        col('c', 'string', { default: "'ok'" }),
      ],
      { primaryKey: ['id'] },
    );
    const spec = schemaToSpec(schemaOf([odd], { dialect: 'sqlite', kind: 'sqlite', defaultSchema: 'main' }), {
      writes: true,
    });
    const create = spec.tools!.find((t) => t.name === 'create_t')!;
    expect(create.parameters?.a).toMatchObject({ required: true });
    expect(create.parameters?.b).toMatchObject({ required: true });
    expect(create.sql!.statement).toBe(
      `INSERT INTO "t" ("id", "a", "b", "c")\nVALUES (:id, :a, :b, COALESCE(:c, 'ok'))\nRETURNING "id", "a", "b", "c"`,
    );
    expect(validateSpec(spec).issues).toEqual([]);
  });

  it('honours naming, connection and precision options', () => {
    const sqlite = schemaOf([products], {
      dialect: 'sqlite',
      kind: 'sqlite',
      defaultSchema: 'main',
      database: 'app',
    });
    const embedded = mapSchema(sqlite, {
      sqlitePath: 'data/app.db',
      query: false,
      search: false,
      toolPrefix: 'shop_',
    });
    expect(embedded.spec.connections).toEqual([
      { name: 'db', type: 'sqlite', path: 'data/app.db', readOnly: true },
    ]);
    expect(embedded.report.env).toEqual([]);
    expect(embedded.spec.tools!.map((t) => t.name)).toEqual(['shop_list_products', 'shop_get_products']);
    const env = mapSchema(sqlite, {
      envVar: 'APP_DB',
      connectionName: 'app',
      name: 'my-app',
      version: '2.0.0',
    });
    expect(env.spec).toMatchObject({ name: 'my-app', version: '2.0.0' });
    expect(env.spec.connections).toEqual([{ name: 'app', type: 'sqlite', envVar: 'APP_DB', readOnly: true }]);
    expect(mapSchema(sqlite).spec.connections?.[0]).toMatchObject({ envVar: 'DATABASE_PATH' });

    const exact = schemaToSpec(schemaOf([products]), { bigint: 'string', decimal: 'string' });
    const params = exact.tools!.find((t) => t.name === 'list_products')!.parameters!;
    expect(params.stock).toMatchObject({ type: 'string', pattern: '^-?[0-9]{1,20}$' });
    expect(params.price).toMatchObject({ type: 'string', pattern: '^-?[0-9]+(\\.[0-9]+)?$' });
    expect(validateSpec(exact).issues).toEqual([]);
    const mariadb = schemaToSpec(schemaOf([products], { dialect: 'mysql', kind: 'mariadb' }), {
      writes: true,
    });
    expect(mariadb.connections?.[0]).toMatchObject({ type: 'mariadb' });
    expect(mariadb.tools!.find((t) => t.name === 'update_products')!.sql!.result).toBe('exec');
    expect(mariadb.tools!.find((t) => t.name === 'create_products')!.sql!.result).toBe('row');
    const mysql = schemaToSpec(schemaOf([products], { dialect: 'mysql', kind: 'mysql' }), { writes: true });
    expect(mysql.tools!.find((t) => t.name === 'create_products')!.sql!.statement).not.toContain('RETURNING');
  });

  it('copes with a primary key the importer cannot sample or sort by', () => {
    const odd = tbl(
      'spans',
      [col('span', 'other', { dataType: 'interval', nullable: false }), col('label', 'string')],
      {
        primaryKey: ['span'],
      },
    );
    const spec = schemaToSpec(schemaOf([odd]));
    expect(validateSpec(spec).issues).toEqual([]);
    const list = spec.tools!.find((t) => t.name === 'list_spans')!;
    expect(list.parameters?.sort).toMatchObject({ enum: ['label'], default: 'label' });
    expect(list.sql!.paginate).toMatchObject({ key: [{ column: 'span' }] });
    expect(list.sql!.statement).not.toContain('ORDER BY');
    expect(spec.tools!.find((t) => t.name === 'get_spans')!.examples).toEqual([
      { arguments: {}, skip: true },
    ]);
  });

  it('keeps tool names unique and within the limits for long and clashing table names', () => {
    const long = 'T'.repeat(200);
    const spec = schemaToSpec(
      schemaOf([
        tbl('Order', [col('id', 'integer')], { primaryKey: ['id'] }),
        tbl('order', [col('id', 'integer')], { primaryKey: ['id'] }),
        tbl('Order', [col('id', 'integer')], { schema: 'archive', primaryKey: ['id'] }),
        tbl(long, [col('id', 'integer')], { primaryKey: ['id'] }),
      ]),
    );
    const names = spec.tools!.map((t) => t.name);
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(TOOL_NAME);
    expect(names).toEqual(
      expect.arrayContaining(['list_public_order', 'list_public_order_2', 'list_archive_order']),
    );
    expect(validateSpec(spec).issues).toEqual([]);
  });
});
