/**
 * Without a database: the checks of a keyset `paginate`, and which write scenarios the generator plans — only for
 * tables shaped as `create --db --writes` makes them, in the mode the connection allows (SQLite by env var: scratch
 * copy; PostgreSQL/MariaDB: rolled back), never for a shipped SQLite file or hand-written tools.
 */
import { describe, expect, it } from 'vitest';
import { generateProject } from '../../src/build/generator/index.js';
import type { WriteScenario } from '../../src/build/generator/write-plan.js';
import { validateSpec } from '../../src/core/spec/index.js';
import type { ServerSpecInput } from '../../src/core/spec/model.js';
import {
  type ColumnInfo,
  type DatabaseSchema,
  schemaToSpec,
  type TableInfo,
} from '../../src/sources/database/index.js';

const col = (name: string, kind: ColumnInfo['kind'], extra: Partial<ColumnInfo> = {}): ColumnInfo => ({
  name,
  dataType: kind,
  kind,
  nullable: true,
  generated: false,
  autoIncrement: false,
  ...extra,
});

const items: TableInfo = {
  schema: 'public',
  name: 'items',
  type: 'table',
  columns: [
    col('id', 'integer', { nullable: false, autoIncrement: true }),
    col('name', 'string', { nullable: false, maxLength: 10 }),
    col('owner_id', 'integer', { nullable: false }),
  ],
  primaryKey: ['id'],
  foreignKeys: [],
};

function schema(kind: DatabaseSchema['kind']): DatabaseSchema {
  return {
    dialect: kind === 'postgresql' ? 'postgresql' : kind === 'sqlite' ? 'sqlite' : 'mysql',
    kind,
    database: 'shop',
    defaultSchema: kind === 'sqlite' ? 'main' : kind === 'postgresql' ? 'public' : 'shop',
    tables: [{ ...items, schema: kind === 'sqlite' ? 'main' : kind === 'postgresql' ? 'public' : 'shop' }],
    skipped: [],
  };
}

const OPTIONS = { runtimeFiles: {}, dependencyVersions: {} as never, generatorVersion: '0.0.0' };

function generate(input: ServerSpecInput) {
  const { spec, issues } = validateSpec(input);
  expect(issues).toEqual([]);
  const project = generateProject(spec!, OPTIONS);
  const writes = project.files['test/writes.json'];
  return { project, scenarios: writes ? (JSON.parse(writes) as WriteScenario[]) : [] };
}

describe('keyset paginate checks', () => {
  const base = (paginate: unknown, parameters: Record<string, unknown>) => ({
    name: 'k',
    connections: [{ name: 'db', type: 'sqlite', path: 'x.db' }],
    tools: [
      {
        name: 'list_t',
        description: 'd',
        parameters,
        sql: { connection: 'db', statement: 'SELECT id, name FROM t', paginate },
      },
    ],
  });
  const sortParam = { type: 'string', enum: ['id', 'name'] };
  const dirParam = { type: 'string', enum: ['asc', 'desc'] };
  const keyset = {
    key: [{ column: 'id' }],
    sort: { parameter: 'sort', columns: { id: { column: 'id' }, name: { column: 'name', nullable: true } } },
    direction: 'direction',
  };

  it('accepts a keyset whose sort and direction parameters are declared enums it covers', () => {
    expect(validateSpec(base(keyset, { sort: sortParam, direction: dirParam })).issues).toEqual([]);
  });

  it.each([
    ['an undeclared sort parameter', { direction: dirParam }, /not declared/],
    [
      'a sort parameter that is no enum',
      { sort: { type: 'string' }, direction: dirParam },
      /must be an enum/,
    ],
    [
      'a sort value without a column',
      { sort: { type: 'string', enum: ['id', 'price'] }, direction: dirParam },
      /"price" has no column/,
    ],
    [
      'a direction other than asc/desc',
      { sort: sortParam, direction: { type: 'string', enum: ['up'] } },
      /not asc or desc/,
    ],
  ])('refuses %s', (_, parameters, message) => {
    const issues = validateSpec(base(keyset, parameters)).issues;
    expect(issues.map((i) => i.message).join('\n')).toMatch(message);
  });

  it('refuses a key column with NUL and an empty key', () => {
    const nul = validateSpec(base({ key: [{ column: 'a\0b' }] }, {})).issues;
    expect(nul.length).toBeGreaterThan(0);
    expect(validateSpec(base({ key: [] }, {})).issues.length).toBeGreaterThan(0);
  });
});

describe('write scenarios', () => {
  it('runs PostgreSQL and MariaDB writes rolled back, SQLite (by env var) on a scratch copy', () => {
    for (const [kind, mode] of [
      ['postgresql', 'rollback'],
      ['mariadb', 'rollback'],
      ['sqlite', 'scratch'],
    ] as const) {
      const { project, scenarios } = generate(schemaToSpec(schema(kind), { writes: true }));
      expect(scenarios, kind).toHaveLength(1);
      const s = scenarios[0]!;
      expect(s).toMatchObject({
        mode,
        list: 'list_items',
        get: 'get_items',
        key: [{ param: 'id', column: 'id' }],
        create: { tool: 'create_items', fromExisting: { owner_id: { column: 'owner_id', type: 'integer' } } },
        update: { tool: 'update_items', arguments: { name: 'mcp-factor' } },
        delete: { tool: 'delete_items' },
        marker: { param: 'name', column: 'name', value: 'mcp-factor' }, // cut to the column's 10 characters
        listArguments: { limit: 1, direction: 'desc' },
      });
      if (mode === 'scratch') expect(s.fileEnv).toBe('DATABASE_PATH');
      expect(s.requiresEnv).toEqual([kind === 'sqlite' ? 'DATABASE_PATH' : 'DATABASE_URL']);
      // The write tools' own skipped examples are replaced by the scenario; missing-argument cases stay.
      const cases = JSON.parse(project.files['test/cases.json']!) as Array<{
        tool: string;
        expectError: boolean;
      }>;
      expect(cases.filter((c) => /^(create|update|delete)_/.test(c.tool) && !c.expectError)).toEqual([]);
      expect(cases.some((c) => c.tool === 'delete_items' && c.expectError)).toBe(true);
      expect(project.files['test/server.test.mjs']).toContain('MCP_FACTORY_ROLLBACK_WRITES');
    }
  });

  it('plans nothing for a shipped SQLite file, read-only imports or hand-written write tools', () => {
    const shipped = generate(schemaToSpec(schema('sqlite'), { writes: true, sqlitePath: 'shop.db' }));
    expect(shipped.scenarios).toEqual([]);
    expect(shipped.project.files['test/writes.json']).toBeUndefined();
    expect(shipped.project.files['test/server.test.mjs']).not.toContain('MCP_FACTORY_ROLLBACK_WRITES');
    const cases = JSON.parse(shipped.project.files['test/cases.json']!) as Array<{
      tool: string;
      skip?: string;
    }>;
    expect(cases.find((c) => c.tool === 'create_items' && c.skip)).toBeDefined();

    expect(generate(schemaToSpec(schema('postgresql'))).scenarios).toEqual([]);
    const handWritten = generate({
      name: 'hand',
      connections: [{ name: 'db', type: 'postgresql', envVar: 'DATABASE_URL' }],
      tools: [
        {
          name: 'add_note',
          description: 'd',
          parameters: { text: { type: 'string', required: true } },
          sql: { connection: 'db', statement: 'INSERT INTO notes (text) VALUES (:text)', result: 'exec' },
        },
      ],
    });
    expect(handWritten.scenarios).toEqual([]);
  });
});
