/**
 * Generated output for a spec that uses every tool kind (sql in each result mode, http reads and writes,
 * code, static, query, catalog): the files each kind shapes, as reviewed snapshots.
 */
import { describe, expect, it } from 'vitest';
import { generateProject } from '../../src/build/generator/index.js';
import { validateSpec } from '../../src/core/spec/index.js';

const result = validateSpec({
  name: 'every-kind',
  connections: [
    { name: 'db', type: 'postgresql', envVar: 'DB_URL' },
    {
      name: 'api',
      type: 'http',
      baseUrl: 'https://api.example.com',
      auth: { type: 'bearer', envVar: 'API_TOKEN' },
    },
    { name: 'mock', type: 'http', baseUrlEnv: 'MOCK_URL' },
  ],
  pagination: { defaultLimit: 20, maxLimit: 200 },
  tools: [
    {
      name: 'list_items',
      description: 'Items by name, a page at a time.',
      parameters: { q: { type: 'string' } },
      sql: { connection: 'db', statement: 'SELECT * FROM items WHERE name = :q', paginate: true },
      examples: [{ arguments: { q: 'a', limit: 5 } }],
    },
    {
      name: 'get_item',
      description: 'One item.',
      parameters: { id: { type: 'integer', required: true } },
      returns: { type: 'object', properties: { name: { type: 'string' } } },
      sql: { connection: 'db', statement: 'SELECT name FROM items WHERE id = :id', result: 'row' },
    },
    {
      name: 'delete_item',
      description: 'Delete an item.',
      parameters: { id: { type: 'integer', required: true } },
      annotations: { destructive: true },
      sql: { connection: 'db', statement: 'DELETE FROM items WHERE id = :id', result: 'exec' },
    },
    {
      name: 'fetch_item',
      description: 'Fetch an item upstream.',
      parameters: { id: { type: 'string', required: true } },
      http: { connection: 'api', path: '/items/{{id}}' },
    },
    {
      name: 'remove_item',
      description: 'Remove an item upstream.',
      parameters: { id: { type: 'string', required: true } },
      http: { connection: 'mock', method: 'DELETE', path: '/items/{{id}}' },
    },
    {
      name: 'create_item',
      description: 'Create an item upstream.',
      parameters: { name: { type: 'string', required: true } },
      http: { connection: 'mock', method: 'POST', path: '/items', body: { name: '{{name}}' } },
    },
    {
      name: 'total',
      description: 'Sum of prices.',
      parameters: {
        items: {
          type: 'array',
          required: true,
          items: { type: 'object', properties: { price: { type: 'number', required: true } } },
        },
      },
      returns: { type: 'number' },
      code: {
        source:
          "const key = ctx.env('PRICE_API_KEY');\nvoid key;\nreturn args.items.reduce((s, i) => s + i.price, 0);",
      },
      examples: [{ arguments: { items: [{ price: 2 }] }, expect: { contains: '2' } }],
    },
    {
      name: 'greet',
      description: 'Greets.',
      parameters: { who: { type: 'string', default: 'you' } },
      static: { text: 'Hello {{who}}' },
    },
    { name: 'sql_query', description: 'Guarded read-only SQL.', query: { connection: 'db', maxRows: 10 } },
    { name: 'search_ops', description: 'Find operations.', catalog: { catalog: 'ops', action: 'search' } },
    { name: 'describe_op', description: 'Describe one.', catalog: { catalog: 'ops', action: 'describe' } },
    { name: 'invoke_op', description: 'Call one.', catalog: { catalog: 'ops', action: 'invoke' } },
  ],
  catalogs: [
    {
      name: 'ops',
      operations: [
        {
          name: 'get_widget',
          description: 'Get a widget by id',
          parameters: { id: { type: 'integer', required: true } },
          http: { connection: 'mock', path: '/widgets/{{id}}' },
        },
      ],
    },
  ],
});

describe('every tool kind', () => {
  if (!result.spec) throw new Error(JSON.stringify(result.issues, null, 2));
  const project = generateProject(result.spec, {
    runtimeFiles: {},
    dependencyVersions: { '@modelcontextprotocol/server': '^2.4.0', pg: '^8.0.0' },
    generatorVersion: '0.0.0-test',
  });

  it('matches the reviewed output', async () => {
    const dir = '__snapshots__/every-kind';
    await expect(project.files['src/server.ts']).toMatchFileSnapshot(`${dir}/server.ts.snap`);
    await expect(project.files['src/tools/total.ts']).toMatchFileSnapshot(`${dir}/total.ts.snap`);
    await expect(project.files['README.md']).toMatchFileSnapshot(`${dir}/README.md.snap`);
    await expect(project.files['test/cases.json']).toMatchFileSnapshot(`${dir}/cases.json.snap`);
    await expect(project.files['.env.example']).toMatchFileSnapshot(`${dir}/env.example.snap`);
    await expect(project.files['test/upstream.json']).toMatchFileSnapshot(`${dir}/upstream.json.snap`);
  });

  it('maps the code tool to its source file', () => {
    expect(project.codeToolFiles).toEqual({ total: 'src/tools/total.ts' });
  });
});
