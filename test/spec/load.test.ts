import { describe, expect, it } from 'vitest';
import { loadSpecText, validateSpec } from '../../src/core/spec/index.js';

const minimal = `name: demo
version: 1.0.0
tools:
  - name: hello
    description: Say hello
    static: { text: hi }
`;

describe('loadSpecText', () => {
  it('accepts a minimal spec and applies defaults', () => {
    const r = loadSpecText(minimal, { file: 'demo.yaml' });
    expect(r.issues).toEqual([]);
    expect(r.spec).toMatchObject({
      name: 'demo',
      transport: 'stdio',
      connections: [],
      resources: [],
      prompts: [],
    });
    expect(r.spec?.tools[0]?.parameters).toEqual({});
  });

  it('reads JSON as well as YAML', () => {
    const r = loadSpecText(
      JSON.stringify({ name: 'demo', tools: [{ name: 'a', description: 'b', static: { text: 'c' } }] }),
      { file: 'demo.json' },
    );
    expect(r.ok).toBe(true);
    expect(r.spec?.version).toBe('0.1.0');
  });

  it('reports every problem at once with file, line, column, JSON path and hint', () => {
    const text = `name: Bad Name
version: 1
tools:
  - name: "has space"
    description: x
    colour: red
    static: { text: "{{nobody}}" }
`;
    const r = loadSpecText(text, { file: 'bad.yaml' });
    expect(r.ok).toBe(false);
    const byPath = Object.fromEntries(r.issues.map((i) => [i.path, i]));
    expect(byPath.name).toMatchObject({ code: 'SPEC_INVALID_NAME', file: 'bad.yaml', line: 1, column: 7 });
    expect(byPath.version).toMatchObject({ code: 'SPEC_INVALID_TYPE', line: 2 });
    expect(byPath.version?.hint).toContain('Quote the value');
    expect(byPath['tools[0].name']).toMatchObject({ code: 'SPEC_INVALID_NAME', line: 4 });
    expect(byPath['tools[0].colour']).toMatchObject({ code: 'SPEC_UNKNOWN_FIELD', line: 6, column: 5 });
    for (const issue of r.issues) expect(issue.hint.length).toBeGreaterThan(5);
  });

  it('runs semantic checks: references, duplicates, SQL placeholders, templates, triggers', () => {
    const text = `name: sem
connections:
  - { name: db, type: sqlite, path: x.db }
  - { name: api, type: http, baseUrl: "https://example.com" }
tools:
  - name: t
    description: d
    parameters: { id: { type: integer } }
    sql: { connection: api, statement: "SELECT * FROM x WHERE id = :id AND y = :missing" }
  - name: t
    description: d
    http: { connection: nowhere, path: "/x/{{id}}" }
triggers:
  - { type: cron, schedule: "* * *", tool: t }
  - { type: webhook, path: /hook, tool: ghost }
`;
    const r = loadSpecText(text, { file: 's.yaml' });
    const codes = r.issues.map((i) => `${i.code}@${i.path}`);
    expect(codes).toEqual(
      expect.arrayContaining([
        'SPEC_WRONG_CONNECTION_KIND@tools[0].sql.connection',
        'SPEC_INVALID_SQL@tools[0].sql.statement',
        'SPEC_DUPLICATE_NAME@tools[1].name',
        'SPEC_UNDEFINED_REFERENCE@tools[1].http.connection',
        'SPEC_INVALID_TEMPLATE@tools[1].http.path',
        'SPEC_INVALID_TRIGGER@triggers[0].schedule',
        'SPEC_UNDEFINED_REFERENCE@triggers[1].tool',
      ]),
    );
    expect(r.issues.find((i) => i.path === 'tools[0].sql.statement')?.message).toContain(':missing');
  });

  it('reports semantic problems of the valid parts together with schema errors, at original positions', () => {
    const text = `name: Bad Name
tools:
  - name: good
    description: d
    sql: { connection: db, statement: "SELECT 1; DROP TABLE x" }
  - name: bad tool
    description: x
    static: { text: hi }
  - name: tpl
    description: d
    static: { text: "hi {{who}}" }
connections:
  - { name: db, type: sqlite, path: x.db }
triggers:
  - { type: cron, schedule: "61 * * * *", tool: good }
  - { type: cron, schedule: "0 * * * *", tool: "bad tool" }
`;
    const r = loadSpecText(text, { file: 'mix.yaml' });
    const found = r.issues.map((i) => `${i.code}@${i.path}:${i.line}`);
    expect(found).toEqual(
      expect.arrayContaining([
        'SPEC_INVALID_NAME@name:1',
        'SPEC_INVALID_SQL@tools[0].sql.statement:5',
        'SPEC_INVALID_NAME@tools[1].name:6',
        'SPEC_INVALID_TEMPLATE@tools[2].static.text:11',
        'SPEC_INVALID_TRIGGER@triggers[0].schedule:15',
      ]),
    );
    // "bad tool" exists (it is only invalid): the trigger referring to it is not a second problem.
    expect(r.issues.filter((i) => i.code === 'SPEC_UNDEFINED_REFERENCE')).toEqual([]);
  });

  it('refuses literal secrets with a hint to use an environment variable', () => {
    const r = loadSpecText(
      `name: s
connections:
  - name: api
    type: http
    baseUrl: https://example.com
    headers: { Authorization: "Bearer abc" }
  - { name: db, type: postgresql, url: "postgres://u:p@h/db" }
tools:
  - { name: t, description: "key sk-ant-REALLOOKINGKEY1234567890abcd", static: { text: x } }
`,
      { file: 's.yaml' },
    );
    const secrets = r.issues.filter((i) => i.code === 'SPEC_LITERAL_SECRET' || i.path.endsWith('.url'));
    expect(secrets.length).toBeGreaterThanOrEqual(2);
    expect(r.issues.find((i) => i.path === 'connections[1].url')?.hint).toContain('envVar');
  });

  it('reports YAML syntax errors with positions and never throws', () => {
    for (const text of ['name: [unclosed', 'a: 1\na: 2', '\t- tab', '{"name": "x",', '', '- a\n- b', '42']) {
      const r = loadSpecText(text, { file: 'x.yaml' });
      expect(r.ok).toBe(false);
      expect(r.issues[0]?.code).toMatch(/SPEC_(SYNTAX|NOT_OBJECT)/);
    }
    expect(loadSpecText('a: 1\na: 2', { file: 'x.yaml' }).issues[0]).toMatchObject({ line: 2 });
  });

  it('refuses documents over the size limit quickly', () => {
    const big = `name: big\ndescription: "${'x'.repeat(6 * 1024 * 1024)}"\n`;
    expect(loadSpecText(big).issues[0]?.code).toBe('SPEC_TOO_LARGE');
  });

  it('validates objects without positions (API and --json)', () => {
    const r = validateSpec({ name: 'x', tools: [{ name: 'a' }] });
    expect(r.ok).toBe(false);
    expect(r.issues[0]).toMatchObject({ path: 'tools[0].description', code: 'SPEC_MISSING_FIELD' });
    expect(r.issues[0]?.line).toBeUndefined();
  });
});
