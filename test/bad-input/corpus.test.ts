/**
 * Every broken spec in test/fixtures/bad is reported — never thrown — with a stable code, a hint, the JSON path and
 * the line/column of the offending node.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ErrorCode, Issue } from '../../src/core/errors/index.js';
import { loadSpecText, MAX_SPEC_BYTES, validateSpec } from '../../src/core/spec/load.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/bad');

interface Expected {
  code: ErrorCode;
  /** JSON path of the issue ('' for the document root). */
  path?: string;
  /** Exact line, or an inclusive range when the parser may reasonably point at either end of the mistake. */
  line?: number | [number, number];
  column?: number;
  message?: RegExp;
  hint?: RegExp;
}

/** fixture → the issues it must report (at least these; more are allowed). */
const CORPUS: Record<string, Expected[]> = {
  // ---- YAML / JSON syntax ----
  'syntax-bad-indent.yaml': [{ code: 'SPEC_SYNTAX', path: '', line: [5, 6] }],
  'syntax-unclosed-quote.yaml': [{ code: 'SPEC_SYNTAX', line: [5, 7], message: /quote/i }],
  'syntax-tab-indent.yaml': [{ code: 'SPEC_SYNTAX', line: 4, column: 1, message: /tab/i }],
  'syntax-duplicate-key.yaml': [
    { code: 'SPEC_SYNTAX', line: 7, column: 5, message: /appears twice/i, hint: /repeated key/ },
  ],
  'syntax-unclosed-flow.yaml': [{ code: 'SPEC_SYNTAX', line: [6, 7] }],
  'syntax-alias-bomb.yaml': [{ code: 'SPEC_SYNTAX', message: /alias/i }],
  'json-truncated.json': [{ code: 'SPEC_SYNTAX', line: 6 }],
  // A .json file is parsed strictly as JSON: lenient YAML would accept these.
  'json-trailing-comma.json': [{ code: 'SPEC_SYNTAX' }],
  'json-single-quotes.json': [{ code: 'SPEC_SYNTAX' }],
  // ---- root is not a mapping ----
  'root-list.yaml': [{ code: 'SPEC_NOT_OBJECT', path: '', line: 1, column: 1 }],
  'root-scalar.yaml': [{ code: 'SPEC_NOT_OBJECT', path: '', line: 1 }],
  'root-json-array.json': [{ code: 'SPEC_NOT_OBJECT', path: '', line: 1 }],
  'root-null.json': [{ code: 'SPEC_NOT_OBJECT', path: '' }],
  'empty.yaml': [{ code: 'SPEC_NOT_OBJECT', path: '' }],
  'only-comment.yaml': [{ code: 'SPEC_NOT_OBJECT', path: '' }],
  // ---- wrong types ----
  'types-version-number.yaml': [
    { code: 'SPEC_INVALID_TYPE', path: 'version', line: 2, column: 10, hint: /Quote/ },
  ],
  'types-parameters-list.yaml': [{ code: 'SPEC_INVALID_TYPE', path: 'tools[0].parameters', line: 7 }],
  'types-enum-not-array.yaml': [
    { code: 'SPEC_INVALID_TYPE', path: 'tools[0].parameters.colour.enum', line: 9, message: /a list/ },
  ],
  'types-tools-mapping.yaml': [{ code: 'SPEC_INVALID_TYPE', path: 'tools', line: 4, message: /a list/ }],
  'types-description-number.yaml': [
    { code: 'SPEC_INVALID_TYPE', path: 'tools[0].description', line: 5, hint: /"42"/ },
  ],
  'types-required-string.yaml': [
    { code: 'SPEC_INVALID_TYPE', path: 'tools[0].parameters.q.required', line: 9 },
  ],
  'types-unknown-param-type.yaml': [
    { code: 'SPEC_INVALID_VALUE', path: 'tools[0].parameters.q.type', line: 8, hint: /"string"/ },
  ],
  'types-unknown-connection-type.yaml': [
    {
      code: 'SPEC_INVALID_VALUE',
      path: 'connections[0].type',
      line: 5,
      message: /oracle/,
      hint: /postgresql/,
    },
  ],
  'missing-name.yaml': [{ code: 'SPEC_MISSING_FIELD', path: 'name', message: /"name"/ }],
  'missing-description.yaml': [{ code: 'SPEC_MISSING_FIELD', path: 'tools[0].description', line: 4 }],
  'bad-server-name.yaml': [
    { code: 'SPEC_INVALID_NAME', path: 'name', line: 1, column: 7, hint: /lower-case/ },
  ],
  'bad-semver.yaml': [{ code: 'SPEC_INVALID_VALUE', path: 'version', line: 2, message: /semantic version/ }],
  // ---- unknown fields ----
  'unknown-top-level.yaml': [
    { code: 'SPEC_UNKNOWN_FIELD', path: 'author', line: 3, column: 1, message: /"author"/ },
  ],
  'unknown-in-tool.yaml': [
    { code: 'SPEC_UNKNOWN_FIELD', path: 'tools[0].inputSchema', line: 6, column: 5, hint: /parameters:/ },
  ],
  'unknown-in-connection.yaml': [
    { code: 'SPEC_UNKNOWN_FIELD', path: 'connections[0].host', line: 7, column: 5 },
  ],
  'unknown-in-parameter.yaml': [
    { code: 'SPEC_UNKNOWN_FIELD', path: 'tools[0].parameters.q.requried', line: 7 },
  ],
  // ---- names ----
  'name-spaces.yaml': [
    { code: 'SPEC_INVALID_NAME', path: 'tools[0].name', line: 4, column: 11, hint: /1-128/ },
  ],
  'name-too-long.yaml': [{ code: 'SPEC_INVALID_NAME', path: 'tools[0].name', line: 4, message: /1-128/ }],
  'name-empty.yaml': [{ code: 'SPEC_INVALID_NAME', path: 'tools[0].name', line: 4 }],
  'name-unicode.yaml': [
    { code: 'SPEC_INVALID_NAME', path: 'tools[0].name', line: 4, message: /café_lookup/ },
  ],
  'name-number.yaml': [{ code: 'SPEC_INVALID_TYPE', path: 'tools[0].name', line: 4, hint: /"123"/ }],
  'name-bad-parameter.yaml': [
    { code: 'SPEC_INVALID_NAME', path: 'tools[0].parameters["bad-name"]', line: 7 },
  ],
  'duplicate-tool-names.yaml': [
    { code: 'SPEC_DUPLICATE_NAME', path: 'tools[2].name', line: 10, column: 11, message: /"search"/ },
  ],
  'duplicate-connection-names.yaml': [{ code: 'SPEC_DUPLICATE_NAME', path: 'connections[1].name', line: 7 }],
  // ---- references and connection kinds ----
  'undefined-connection.yaml': [
    {
      code: 'SPEC_UNDEFINED_REFERENCE',
      path: 'tools[0].sql.connection',
      line: 11,
      message: /"primary"/,
      hint: /main/,
    },
  ],
  'wrong-connection-kind.yaml': [
    { code: 'SPEC_WRONG_CONNECTION_KIND', path: 'tools[0].sql.connection', line: 11, message: /http/ },
  ],
  'wrong-connection-kind-http.yaml': [
    { code: 'SPEC_WRONG_CONNECTION_KIND', path: 'tools[0].http.connection', line: 11, message: /sqlite/ },
  ],
  'example-unknown-argument.yaml': [
    { code: 'SPEC_UNDEFINED_REFERENCE', path: 'tools[0].examples[0].arguments.nam', line: 10 },
  ],
  // ---- literal secrets ----
  'secret-authorization-header.yaml': [
    {
      code: 'SPEC_LITERAL_SECRET',
      path: 'connections[0].headers.Authorization',
      line: 9,
      hint: /Authorization: \{ env: AUTHORIZATION \}/,
    },
  ],
  'secret-tool-header.yaml': [
    { code: 'SPEC_LITERAL_SECRET', path: 'tools[0].http.headers["X-Api-Key"]', line: 14, hint: /auth/ },
  ],
  // `url` is not a field (reported at the key) and its value holds a password (reported at the value).
  'secret-connection-url.yaml': [
    {
      code: 'SPEC_LITERAL_SECRET',
      path: 'connections[0].url',
      line: 7,
      column: 10,
      message: /embedded password/,
    },
    { code: 'SPEC_UNKNOWN_FIELD', path: 'connections[0].url', line: 7, column: 5, hint: /secret.*envVar/ },
  ],
  'secret-connection-password.yaml': [
    { code: 'SPEC_LITERAL_SECRET', path: 'connections[0].password', line: 7, hint: /environment/ },
  ],
  'secret-base-url-password.yaml': [
    { code: 'SPEC_LITERAL_SECRET', path: 'connections[0].baseUrl', line: 6, message: /embedded password/ },
  ],
  'secret-postgres-url-in-text.yaml': [
    { code: 'SPEC_LITERAL_SECRET', path: 'tools[0].static.text', line: 7, message: /embedded password/ },
  ],
  'secret-in-descriptions.yaml': [
    { code: 'SPEC_LITERAL_SECRET', path: 'tools[0].description', line: 6, message: /API secret key/ },
    { code: 'SPEC_LITERAL_SECRET', path: 'tools[1].description', line: 9, message: /GitHub token/ },
    { code: 'SPEC_LITERAL_SECRET', path: 'tools[2].description', line: 12, message: /AWS access key/ },
  ],
  // ---- SQL ----
  'sql-stacked.yaml': [
    {
      code: 'SPEC_INVALID_SQL',
      path: 'tools[0].sql.statement',
      line: 10,
      message: /more than one statement/,
    },
  ],
  'sql-unknown-placeholder.yaml': [
    {
      code: 'SPEC_INVALID_SQL',
      path: 'tools[0].sql.statement',
      line: 14, // the line of the placeholder inside the block scalar, not the statement's first line
      message: /:owner_id/,
      hint: /owner_id/,
    },
  ],
  'sql-unterminated-string.yaml': [
    { code: 'SPEC_INVALID_SQL', path: 'tools[0].sql.statement', line: 10, message: /unterminated string/ },
  ],
  'sql-unterminated-comment.yaml': [
    {
      code: 'SPEC_INVALID_SQL',
      path: 'tools[0].sql.statement',
      line: 10,
      message: /unterminated block comment/,
    },
  ],
  // ---- templates ----
  'template-unknown-param.yaml': [
    { code: 'SPEC_INVALID_TEMPLATE', path: 'tools[0].static.text', line: 9, message: /nmae/, hint: /name/ },
  ],
  'template-http-unknown-param.yaml': [
    { code: 'SPEC_INVALID_TEMPLATE', path: 'tools[0].http.path', line: 12, message: /item_id/ },
    { code: 'SPEC_INVALID_TEMPLATE', path: 'tools[0].http.query.q', line: 14, message: /query/ },
    { code: 'SPEC_INVALID_TEMPLATE', path: 'tools[0].http.body.nested.value', line: 16, message: /missing/ },
  ],
  'template-malformed.yaml': [{ code: 'SPEC_INVALID_TEMPLATE', path: 'tools[0].static.text', line: 9 }],
  'prompt-unknown-argument.yaml': [
    { code: 'SPEC_INVALID_TEMPLATE', path: 'prompts[0].messages[0].text', line: 8, hint: /text/ },
  ],
  // ---- triggers ----
  'cron-invalid.yaml': [
    {
      code: 'SPEC_INVALID_TRIGGER',
      path: 'triggers[0].schedule',
      line: 9,
      message: /minute/,
      hint: /five fields/,
    },
  ],
  'cron-garbage.yaml': [{ code: 'SPEC_INVALID_TRIGGER', path: 'triggers[0].schedule', line: 9 }],
  'trigger-unknown-tool.yaml': [
    {
      code: 'SPEC_UNDEFINED_REFERENCE',
      path: 'triggers[0].tool',
      line: 10,
      message: /refresh_all/,
      hint: /refresh/,
    },
  ],
  'trigger-unknown-type.yaml': [
    { code: 'SPEC_INVALID_VALUE', path: 'triggers[0].type', line: 8, message: /hourly/, hint: /cron/ },
  ],
  // ---- value schemas ----
  'defaults-violations.yaml': [
    {
      code: 'SPEC_INVALID_SCHEMA',
      path: 'tools[0].parameters.low.default',
      line: 10,
      message: /below minimum 1/,
    },
    {
      code: 'SPEC_INVALID_SCHEMA',
      path: 'tools[0].parameters.high.default',
      line: 14,
      message: /above maximum 10/,
    },
    { code: 'SPEC_INVALID_SCHEMA', path: 'tools[0].parameters.colour.default', line: 18, message: /enum/ },
    { code: 'SPEC_INVALID_SCHEMA', path: 'tools[0].parameters.code.default', line: 22, message: /pattern/ },
    { code: 'SPEC_INVALID_SCHEMA', path: 'tools[0].parameters.count.default', line: 25, message: /integer/ },
  ],
  'invalid-regex.yaml': [
    {
      code: 'SPEC_INVALID_SCHEMA',
      path: 'tools[0].parameters.code.pattern',
      line: 9,
      message: /regular expression/,
    },
  ],
  'schema-min-gt-max.yaml': [
    { code: 'SPEC_INVALID_SCHEMA', path: 'tools[0].parameters.n', line: 7, message: /minimum 10/ },
    { code: 'SPEC_INVALID_SCHEMA', path: 'tools[0].parameters.s', line: 8, message: /minLength 5/ },
    {
      code: 'SPEC_INVALID_SCHEMA',
      path: 'tools[0].parameters.flag.maxLength',
      line: 9,
      message: /string values/,
    },
  ],
  // ---- tools ----
  'readonly-destructive.yaml': [{ code: 'SPEC_INVALID_VALUE', path: 'tools[0].annotations', line: 7 }],
  'paginate-row.yaml': [
    { code: 'SPEC_INVALID_VALUE', path: 'tools[0].sql.paginate', line: 12, message: /result: rows/ },
  ],
  'paginate-reserved-param.yaml': [
    { code: 'SPEC_INVALID_VALUE', path: 'tools[0].parameters.limit', line: 9 },
  ],
  'tool-no-implementation.yaml': [{ code: 'SPEC_MISSING_FIELD', path: 'tools[0]', line: 4, hint: /static/ }],
  'tool-two-implementations.yaml': [
    { code: 'SPEC_INVALID_VALUE', path: 'tools[0]', line: 4, message: /code, static/ },
  ],
  'http-absolute-path.yaml': [{ code: 'SPEC_INVALID_VALUE', path: 'tools[0].http.path', line: 10 }],
  'resource-no-scheme.yaml': [
    { code: 'SPEC_INVALID_VALUE', path: 'resources[0].uri', line: 5, message: /scheme/ },
  ],
  'no-tools.yaml': [{ code: 'SPEC_MISSING_FIELD', path: 'tools', line: 4, message: /no tools/ }],
  'no-tools-key.yaml': [{ code: 'SPEC_MISSING_FIELD', path: 'tools' }],
};

function read(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

function describeIssues(issues: Issue[]): string {
  return issues
    .map((i) => `${i.code} ${i.line ?? '-'}:${i.column ?? '-'} [${i.path}] ${i.message}`)
    .join('\n');
}

function matches(issue: Issue, want: Expected): boolean {
  if (issue.code !== want.code) return false;
  if (want.path !== undefined && issue.path !== want.path) return false;
  if (want.message && !want.message.test(issue.message)) return false;
  return true;
}

describe('the bad-spec corpus', () => {
  it('every fixture file has an entry in the table (and every entry a file)', () => {
    const files = readdirSync(FIXTURES).sort();
    expect(files).toEqual(Object.keys(CORPUS).sort());
    expect(files.length).toBeGreaterThanOrEqual(70);
  });

  describe.each(Object.entries(CORPUS))('%s', (name, expected) => {
    it('never throws, is not ok, and every issue has a code, message, hint and the file name', () => {
      let result: ReturnType<typeof loadSpecText> | undefined;
      expect(() => {
        result = loadSpecText(read(name), { file: name });
      }).not.toThrow();
      expect(result!.ok, describeIssues(result!.issues)).toBe(false);
      expect(result!.spec).toBeUndefined();
      expect(result!.issues.length).toBeGreaterThan(0);
      for (const issue of result!.issues) {
        expect(issue.message.trim()).not.toBe('');
        expect(issue.hint.trim()).not.toBe('');
        expect(typeof issue.path).toBe('string');
        expect(issue.file).toBe(name);
        if (issue.line !== undefined) {
          expect(issue.line).toBeGreaterThanOrEqual(1);
          expect(issue.column).toBeGreaterThanOrEqual(1);
        }
      }
    });

    it.each(expected.map((e) => [`${e.code}${e.path ? ` at ${e.path}` : ''}`, e] as const))(
      'reports %s at the right place',
      (_label, want) => {
        const { issues } = loadSpecText(read(name), { file: name });
        const issue = issues.find((i) => matches(i, want));
        expect(issue, `no matching issue; got:\n${describeIssues(issues)}`).toBeDefined();
        if (want.hint) expect(issue!.hint).toMatch(want.hint);
        if (want.line !== undefined) {
          expect(issue!.line, 'line').toBeDefined();
          if (Array.isArray(want.line)) {
            expect(issue!.line).toBeGreaterThanOrEqual(want.line[0]);
            expect(issue!.line).toBeLessThanOrEqual(want.line[1]);
          } else expect(issue!.line).toBe(want.line);
        }
        if (want.column !== undefined) expect(issue!.column, 'column').toBe(want.column);
      },
    );
  });

  it('positions are the same with CRLF line endings', () => {
    for (const name of ['defaults-violations.yaml', 'syntax-duplicate-key.yaml', 'unknown-in-tool.yaml']) {
      const lf = loadSpecText(read(name), { file: name }).issues;
      const crlf = loadSpecText(read(name).replace(/\n/g, '\r\n'), { file: name }).issues;
      expect(crlf.map((i) => [i.code, i.path, i.line, i.column])).toEqual(
        lf.map((i) => [i.code, i.path, i.line, i.column]),
      );
    }
  });

  it('the same problems are reported, without positions, when the spec comes in as data (--json)', () => {
    const data = {
      name: 'as-data',
      tools: [{ name: 'bad name', description: 'd', static: { text: '{{nope}}' } }],
    };
    const result = validateSpec(data);
    expect(result.ok).toBe(false);
    expect(result.issues).toEqual([
      expect.objectContaining({ code: 'SPEC_INVALID_NAME', path: 'tools[0].name', hint: expect.any(String) }),
    ]);
    expect(result.issues[0]).not.toHaveProperty('line');
  });

  it('the quote hint for `version: 1.0` suggests the text that was written, not the number YAML made of it', () => {
    // YAML reads 1.0 as the number 1; the hint says `Quote the value: "1"`, which is still not a valid version.
    const { issues } = loadSpecText(read('types-version-number.yaml'), { file: 'types-version-number.yaml' });
    const issue = issues.find((i) => i.path === 'version')!;
    expect(issue.hint).toContain('"1.0"');
  });
});

describe('many problems at once', () => {
  it('reports every schema-level problem in one pass', () => {
    const text = [
      'name: Many Problems', // 1: invalid server name
      'version: one', // 2: not semver
      'author: me', // 3: unknown field
      'connections:',
      '  - { name: db, type: oracle, envVar: DB }', // 5: unsupported connection type
      'tools:',
      '  - name: bad name', // 7: invalid tool name
      '    description: 42', // 8: number instead of string
      '    parameters:',
      '      q: { type: text }', // 10: unsupported parameter type
      '    static: { text: hi }',
      '    annotations: { readOnly: "yes" }', // 12: string instead of boolean
      '  - name: second', // 13: missing description
      '    static: { text: hi }',
      '    bogus: true', // 15: unknown field
      '',
    ].join('\n');
    const { ok, issues } = loadSpecText(text, { file: 'many.yaml' });
    expect(ok).toBe(false);
    expect(issues.length, describeIssues(issues)).toBeGreaterThanOrEqual(10);
    const at = (path: string) => issues.find((i) => i.path === path);
    expect(at('name')).toMatchObject({ code: 'SPEC_INVALID_NAME', line: 1 });
    expect(at('version')).toMatchObject({ code: 'SPEC_INVALID_VALUE', line: 2 });
    expect(at('author')).toMatchObject({ code: 'SPEC_UNKNOWN_FIELD', line: 3 });
    expect(at('connections[0].type')).toMatchObject({ code: 'SPEC_INVALID_VALUE', line: 5 });
    expect(at('tools[0].name')).toMatchObject({ code: 'SPEC_INVALID_NAME', line: 7 });
    expect(at('tools[0].description')).toMatchObject({ code: 'SPEC_INVALID_TYPE', line: 8 });
    expect(at('tools[0].parameters.q.type')).toMatchObject({ code: 'SPEC_INVALID_VALUE', line: 10 });
    expect(at('tools[0].annotations.readOnly')).toMatchObject({ code: 'SPEC_INVALID_TYPE', line: 12 });
    expect(at('tools[1].description')).toMatchObject({ code: 'SPEC_MISSING_FIELD', line: 13 });
    expect(at('tools[1].bogus')).toMatchObject({ code: 'SPEC_UNKNOWN_FIELD', line: 15 });
  });

  it('reports every semantic problem in one pass', () => {
    const text = [
      'name: many-semantic',
      'version: 1.0.0',
      'connections:',
      '  - { name: api, type: http, baseUrl: "https://api.example.com" }',
      '  - { name: api, type: http, baseUrl: "https://api.example.com" }', // 5: duplicate connection
      'tools:',
      '  - name: a',
      '    description: d',
      '    static: { text: "{{nope}}" }', // 9: unknown placeholder
      '  - name: a', // 10: duplicate tool
      '    description: d',
      '    sql: { connection: api, statement: "SELECT :x; DELETE FROM t" }', // 12: wrong kind, 2 statements, :x
      '  - name: c',
      '    description: d',
      '    annotations: { readOnly: true, destructive: true }', // 15
      '    parameters:',
      '      n: { type: integer, minimum: 5, default: 1 }', // 17: default below minimum
      '      p: { type: string, pattern: "(" }', // 18: invalid regex
      '    http: { connection: nowhere, path: "/x/{{y}}" }', // 19: undefined connection, unknown placeholder
      'triggers:',
      '  - { type: cron, schedule: "99 * * * *", tool: ghost }', // 21: unknown tool, invalid cron
      '',
    ].join('\n');
    const { issues } = loadSpecText(text, { file: 'sem.yaml' });
    expect(issues.length, describeIssues(issues)).toBeGreaterThanOrEqual(13);
    const codes = new Set(issues.map((i) => i.code));
    for (const code of [
      'SPEC_DUPLICATE_NAME',
      'SPEC_INVALID_TEMPLATE',
      'SPEC_WRONG_CONNECTION_KIND',
      'SPEC_INVALID_SQL',
      'SPEC_INVALID_SCHEMA',
      'SPEC_INVALID_VALUE',
      'SPEC_UNDEFINED_REFERENCE',
      'SPEC_INVALID_TRIGGER',
    ] as const) {
      expect(codes).toContain(code);
    }
    expect(new Set(issues.map((i) => i.line))).toEqual(new Set([5, 9, 10, 12, 15, 17, 18, 19, 21]));
  });

  it('reports one issue per broken tool, capped at 200 plus a count of the rest', () => {
    const tools = Array.from(
      { length: 500 },
      (_, i) => `  - name: t${i}\n    description: d\n    static: { text: "{{p${i}}}" }\n`,
    );
    const { issues } = loadSpecText(`name: five-hundred\ntools:\n${tools.join('')}`, { file: 'x.yaml' });
    expect(issues).toHaveLength(201);
    expect(issues.every((i) => i.code === 'SPEC_INVALID_TEMPLATE')).toBe(true);
    expect(issues[199]).toMatchObject({ path: 'tools[199].static.text', line: 3 + 199 * 3 + 2 });
    expect(issues[200]!.message).toBe('…and 300 more problems');
  });
});

describe('oversized and pathological documents', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'mcp-factory-corpus-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('a 10 MB spec file is refused with SPEC_TOO_LARGE before parsing', () => {
    const file = join(tmp, 'huge.yaml');
    const head =
      'name: huge\nversion: 1.0.0\ntools:\n  - name: a\n    static: { text: hi }\n    description: "';
    writeFileSync(file, `${head}${'x'.repeat(10 * 1024 * 1024)}"\n`);
    const result = loadSpecText(readFileSync(file, 'utf8'), { file });
    expect(result.ok).toBe(false);
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0]).toMatchObject({ code: 'SPEC_TOO_LARGE', path: '', file });
    expect(result.issues[0]!.message).toMatch(/10\.0 MiB.*maximum is 5 MiB/);
    expect(result.issues[0]!.hint).not.toBe('');
  });

  it('50,000 tools (~7 MB) are refused with SPEC_TOO_LARGE too', () => {
    const tool = (i: number) =>
      `  - { name: tool_${i}, description: "Tool number ${i} of fifty thousand, with a longer description", static: { text: "result ${i}" } }\n`;
    const text = `name: many\ntools:\n${Array.from({ length: 50_000 }, (_, i) => tool(i)).join('')}`;
    expect(Buffer.byteLength(text)).toBeGreaterThan(MAX_SPEC_BYTES);
    const result = loadSpecText(text, { file: 'many.yaml' });
    expect(result.issues.map((i) => i.code)).toEqual(['SPEC_TOO_LARGE']);
  });

  it('the limit counts bytes, not characters (2.7 M two-byte characters)', () => {
    const text = `name: wide\ndescription: "${'é'.repeat(2_700_000)}"\n`;
    expect(text.length).toBeLessThan(MAX_SPEC_BYTES);
    expect(loadSpecText(text).issues.map((i) => i.code)).toEqual(['SPEC_TOO_LARGE']);
  });

  it('a ~4 MB spec with ~30,000 tools validates without a crash', () => {
    const tools: string[] = [];
    let size = 0;
    for (let i = 0; size < 4_000_000; i++) {
      const t = `  - name: tool_${i}\n    description: Tool number ${i} returns a fixed text for testing\n    static: { text: "result ${i}" }\n`;
      tools.push(t);
      size += t.length;
    }
    const text = `name: big\nversion: 1.0.0\ntools:\n${tools.join('')}`;
    expect(Buffer.byteLength(text)).toBeLessThan(MAX_SPEC_BYTES);
    const result = loadSpecText(text, { file: 'big.yaml' });
    expect(result.issues).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.spec!.tools).toHaveLength(tools.length);
    expect(tools.length).toBeGreaterThan(25_000);
  });

  it.each([
    ['deeply nested flow sequences', `name: x\ntools: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`],
    [
      'deeply nested JSON objects',
      `{"name":"x","tools":[{"name":"a","description":"d","static":{"text":"t"},"examples":[{"arguments":{"a":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}}]}]}`,
    ],
    [
      'deeply nested block sequences',
      `name: x\nfoo:\n${Array.from({ length: 2500 }, (_, k) => `${' '.repeat(k + 1)}- \n`).join('')}`,
    ],
  ])('%s are an error, not a crash', (_label, text) => {
    let result: ReturnType<typeof loadSpecText> | undefined;
    expect(() => {
      result = loadSpecText(text, { file: 'deep.yaml' });
    }).not.toThrow();
    expect(result!.ok).toBe(false);
    expect(result!.issues.length).toBeGreaterThan(0);
    for (const issue of result!.issues) expect(issue.hint).not.toBe('');
  });

  it.each([
    ['NUL bytes', 'name: x\u0000y\ntools: []\n'],
    ['a byte-order mark and CRLF', '\uFEFFname: bom\r\nversion: 1.0.0\r\n'],
    ['lone surrogates', 'name: "\uD800"\ndescription: \uDFFF\n'],
    [
      'binary garbage',
      Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)).toString('latin1'),
    ],
    ['only whitespace', ' \n\t\n   \n'],
    ['a YAML stream of two documents', 'name: a\n---\nname: b\n'],
    ['an unknown tag', 'name: !!binary aGVsbG8=\ntools: !custom []\n'],
    ['a merge key cycle', 'a: &a\n  <<: *a\n'],
    ['a self-referencing alias in a valid field', 'name: x\ndescription: &d [*d]\n'],
    [
      'a self-referencing alias in examples',
      'name: x\ntools: &t\n  - { name: a, description: d, static: { text: hi }, examples: [{ arguments: { x: *t } }] }\n',
    ],
  ])('%s never throw', (_label, text) => {
    let result: ReturnType<typeof loadSpecText> | undefined;
    expect(() => {
      result = loadSpecText(text, { file: 'odd.yaml' });
    }).not.toThrow();
    expect(result!.ok).toBe(false);
    expect(result!.issues.length).toBeGreaterThan(0);
    for (const issue of result!.issues) {
      expect(issue.hint).not.toBe('');
      expect(issue.code).toMatch(/^SPEC_/);
    }
  });
});
