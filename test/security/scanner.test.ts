// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the fixtures are source code that contains template literals.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RULES,
  formatReport,
  isAtLeast,
  maskSource,
  redactSecret,
  SEVERITIES,
  type SecurityFinding,
  type SecurityRule,
  SecurityScanner,
  type Severity,
  severityRank,
} from '../../src/build/security/index.js';

// Token-shaped test values are assembled at runtime so this file does not itself look like a leak.
const AWS_KEY = ['AKIA', 'Z7Q3LMN4PRST2UVW'].join('');
const GITHUB_TOKEN = ['ghp_', 'aB3'.repeat(12)].join('');
const GITHUB_PAT = ['github_pat_', '11ABCDEFG0', 'x9Y8z7W6v5U4t3S2r1Q0p9'].join('');
const OPENAI_KEY = ['sk-proj-', 'Ab3De6Gh9Jk2Mn5Pq8St1Vw4'].join('');
const ANTHROPIC_KEY = ['sk-ant-api03-', 'Xy7Zb2Cd4Ef6Gh8Ij0Kl1Mn3Op5'].join('');
const SLACK_TOKEN = ['xoxb-', '123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx'].join('');
const JWT = [
  'eyJhbGciOiJIUzI1NiJ9',
  'eyJzdWIiOiIxMjM0NTY3ODkwIn0',
  'dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
].join('.');
const KEY_BODY = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj';
const PEM_BEGIN = ['-----BEGIN', 'PRIVATE KEY-----'].join(' ');
const PEM_END = ['-----END', 'PRIVATE KEY-----'].join(' ');

const scanner = new SecurityScanner();

function scan(code: string, path = 'src/server.ts'): SecurityFinding[] {
  return scanner.scan({ [path]: code }).findings;
}

function ruleIds(code: string, path?: string): string[] {
  return scan(code, path).map((f) => f.ruleId);
}

interface RuleCases {
  positive: string[];
  negative: string[];
}

const CASES: Record<string, RuleCases> = {
  eval: {
    positive: ['const result = eval(input);', 'globalThis.eval(code)', 'return eval (`(${expr})`);'],
    negative: [
      'const v = evaluate(x);',
      'model.eval();',
      '// eval(x) is forbidden',
      "throw new Error('never call eval(x) here');",
      '/* eval(a) */ const a = 1;',
    ],
  },
  'new-function': {
    positive: ["const f = new Function('a', 'return a');", "const g = Function('return this')();"],
    negative: [
      'function run() {}',
      'const handler: Function = noop;',
      'if (isFunction(x)) x();',
      "if (typeof x === 'function') x();",
      "const label = 'new Function(x)';",
    ],
  },
  'shell-exec': {
    positive: [
      "import { exec } from 'node:child_process';\nexec(`ls ${dir}`);",
      "import { spawn } from 'child_process';\nspawn(cmd, args, {\n  stdio: 'inherit',\n  shell: true,\n});",
      "const cp = require('child_process');\ncp.execSync('rm -rf ' + dir);",
      "import { exec } from 'node:child_process';\nimport { promisify } from 'node:util';\nconst run = promisify(exec);",
    ],
    negative: [
      "import { execFile } from 'node:child_process';\nexecFile('git', ['status'], cb);",
      "import { execSync } from 'node:child_process';\nexecSync('git rev-parse HEAD');",
      "import { spawn } from 'node:child_process';\nspawn('node', [script], { shell: false });",
      'const m = /a(b)/.exec(s);\ndb.exec(sql);\nexec(statement);',
      "import { spawn } from 'node:child_process';\nconst found = pattern.exec(line);",
    ],
  },
  'child-process-import': {
    positive: [
      "import { spawn } from 'node:child_process';",
      "const cp = require('child_process');",
      "const { execFile } = await import('node:child_process');",
    ],
    negative: [
      "import type { ChildProcess } from 'node:child_process';",
      "// import { spawn } from 'child_process';",
      "import { spawn } from './child_process_helpers.js';",
    ],
  },
  'vm-module': {
    positive: ["import vm from 'node:vm';", "const vm = require('vm');"],
    negative: [
      "import { vmStats } from './vm.js';",
      'const vm = createVm();',
      "type C = typeof import('node:vm');",
    ],
  },
  'dynamic-require': {
    positive: [
      'const mod = require(name);',
      'const plugin = await import(pluginPath);',
      "require('./plugins/' + name);",
    ],
    negative: [
      "const pg = require('pg');",
      "const fs = await import('node:fs');",
      'const req = createRequire(import.meta.url);',
      'declare function load(require: string): void;',
      'interface Loader { require(id: string): unknown }',
    ],
  },
  'string-built-sql': {
    positive: [
      "const q = `SELECT * FROM users WHERE name = '${name}'`;",
      'await db.query(`\n  SELECT id, name\n  FROM users\n  WHERE id = ${id}\n`);',
      "const q = 'DELETE FROM items WHERE id = ' + id;",
      'const q = "SELECT * FROM t WHERE a = \'" + a + "\'";',
      "const q = `UPDATE users SET name = '${n}' WHERE id = 1`;",
      'const q = `DROP TABLE ${table}`;',
      "const q = `INSERT INTO t (a) VALUES ('${a}')`;",
      'const q = `select id from accounts where owner = ${owner}`;',
      'return `SELECT * FROM t WHERE id = ${id}`;',
    ],
    negative: [
      "const res = await client.query('SELECT * FROM users WHERE id = $1', [id]);",
      'const sql = statement.text;',
      'const res = await client.query(sql, values);',
      'const rows = await sql`SELECT * FROM t WHERE id = ${id}`;',
      'const q = `SELECT * FROM t WHERE id IN (${placeholders})`;',
      'const q = `INSERT INTO t VALUES (${values.map((_, i) => `$${i + 1}`).join(", ")})`;',
      'const q = `SELECT * FROM (${def.text}) AS page LIMIT ${limit + 1} OFFSET ${offset}`;',
      'const q = `SELECT * FROM ${quoteIdent(table)} WHERE id = $1`;',
      'const msg = `Select a tool from ${names.join(", ")}`;',
      'const msg = `Failed to update ${name}: ${err.message}`;',
      "const q = 'SELECT * FROM t' + ' WHERE id = $1';",
      '// const q = `SELECT * FROM t WHERE id = ${id}`;',
    ],
  },
  'tls-verification-disabled': {
    positive: [
      'const agent = new https.Agent({ rejectUnauthorized: false });',
      "process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';",
      "process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0';",
      'ssl.rejectUnauthorized = false;',
    ],
    negative: [
      'const agent = new https.Agent({ rejectUnauthorized: true });',
      'const ssl = { rejectUnauthorized: options.verifyTls };',
      "if (process.env.NODE_TLS_REJECT_UNAUTHORIZED === '0') warn();",
      '// rejectUnauthorized: false',
    ],
  },
  'hardcoded-secret': {
    positive: [
      `const key = '${AWS_KEY}';`,
      `const token = "${GITHUB_TOKEN}";`,
      `const pat = '${GITHUB_PAT}';`,
      `const openai = new OpenAI({ apiKey: '${OPENAI_KEY}' });`,
      `headers['x-api-key'] = '${ANTHROPIC_KEY}';`,
      `const slack = '${SLACK_TOKEN}';`,
      `const session = '${JWT}';`,
      `// leaked: ${GITHUB_TOKEN}`,
    ],
    negative: [
      "const key = 'AKIAIOSFODNN7EXAMPLE';",
      "const key = 'sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx';",
      "const cls = 'sk-progress-bar-container-wrapper';",
      "const prefix = 'ghp_';",
      'const key = process.env.OPENAI_API_KEY;',
    ],
  },
  'private-key': {
    positive: [
      `const key = '${PEM_BEGIN}\\n${KEY_BODY}\\n${PEM_END}\\n';`,
      `const key = \`\n${PEM_BEGIN}\n${KEY_BODY}\n${KEY_BODY}\n${PEM_END}\n\`;`,
      `const key =\n  '${PEM_BEGIN}\\n' +\n  '${KEY_BODY}\\n' +\n  '${PEM_END}';`,
    ],
    negative: [
      `const pub = '-----BEGIN PUBLIC KEY-----\\n${KEY_BODY}\\n-----END PUBLIC KEY-----';`,
      `if (!pem.startsWith('${PEM_BEGIN}')) throw new Error('not a PKCS#8 key');`,
      "const key = readFileSync(process.env.TLS_KEY_FILE ?? 'key.pem', 'utf8');",
    ],
  },
  'hardcoded-credential': {
    positive: [
      "const password = 'hunter22';",
      "const config = { apiKey: 'abc123def456' };",
      "const headers = { 'x-api-key': 'k3y-v4lue-123' };",
      'const DB_PASSWORD = "s3cret!";',
      'const auth = { clientSecret: `abcd1234` };',
      "function connect(user: string, password = 'admin') {}",
      "const token = 'a1b2c3d4e5';",
    ],
    negative: [
      'const password = process.env[name];',
      "const password = process.env.DB_PASSWORD ?? '';",
      "const opts = { password: '' };",
      "const spec = { apiKeyEnv: 'GITHUB_TOKEN' };",
      "const env = { apiKey: 'SERVICE_API_KEY' };",
      'const tpl = { password: `${process.env.DB_PASSWORD}` };',
      "const field = { secret: 'The client secret' };",
      "type Opts = { password: 'required' | 'optional' };",
      "const tls = { privateKey: './keys/server.pem' };",
      "const page = { nextToken: 'abc123', progressToken: 'p-1' };",
      "const form = { password: '********' };",
      "if (password === 'letmein') deny();",
      "const passwordHash = 'e3b0c44298fc1c149afbf4c8996fb924';",
    ],
  },
  'hardcoded-auth-header': {
    positive: [
      "const headers = { Authorization: 'Bearer abcdef123456' };",
      "headers.set('Authorization', 'Basic dXNlcjpwYXNzd29yZA==');",
    ],
    negative: [
      'headers.authorization = `Bearer ${token}`;',
      "headers.set('Authorization', `Bearer ${await getToken()}`);",
      "const headers = { Authorization: 'Bearer <token>' };",
    ],
  },
  'credential-in-url': {
    positive: [
      "const url = 'postgres://admin:s3cr3t@db.example.com:5432/app';",
      "const redis = 'redis://default:Zx9yW8vU7@cache.internal:6379';",
    ],
    negative: [
      'const url = `postgres://${user}:${pass}@${host}/db`;',
      "const url = 'postgres://app@db.example.com/app';",
      "const url = 'postgres://postgres:postgres@localhost:5432/dev';",
      "const url = 'https://example.com:8443/path';",
    ],
  },
  'http-cleartext-credential-url': {
    positive: [
      "const res = await fetch('http://api.example.com/v1/items?api_key=' + key);",
      'const url = `http://api.example.com/search?q=${q}&access_token=${token}`;',
    ],
    negative: [
      'const url = `https://api.example.com/v1?api_key=${key}`;',
      "const url = 'http://localhost:3000/callback?token=abc';",
      "const url = 'http://example.com/items?page=2';",
    ],
  },
  'insecure-random-token': {
    positive: [
      'const token = Math.random().toString(36).slice(2);',
      'const session = { sessionId: Math.random().toString(16) };',
      'const nonce = `${Date.now()}-${Math.random()}`;',
    ],
    negative: [
      'const delay = base * 2 ** attempt * Math.random();',
      "const token = randomBytes(32).toString('hex');",
      'const id = crypto.randomUUID();',
    ],
  },
  'env-dump': {
    positive: [
      'console.log(process.env);',
      "return { content: [{ type: 'text', text: JSON.stringify(process.env) }] };",
      'logger.debug(process.env, "startup");',
    ],
    negative: [
      'console.log(process.env.PORT);',
      'const env = { ...process.env, NODE_ENV: "production" };',
      "logger.info('loaded settings from process.env');",
    ],
  },
  'weak-hash': {
    positive: [
      "const h = createHash('md5').update(s).digest('hex');",
      'const h = crypto.createHash("SHA1");',
    ],
    negative: ["const h = createHash('sha256');", "const algo = 'md5';"],
  },
  'recursive-delete-dynamic-path': {
    positive: [
      'await fs.rm(target, { recursive: true, force: true });',
      'rmSync(join(root, name), { recursive: true });',
    ],
    negative: [
      "await fs.rm('./dist', { recursive: true });",
      'await fs.rm(file);',
      'await fs.rm(dir, { force: true });',
    ],
  },
  'cors-wildcard-origin': {
    positive: [
      "res.setHeader('Access-Control-Allow-Origin', '*');",
      "app.use(cors({ origin: '*' }));",
      'app.use(cors({ origin: true }));',
    ],
    negative: [
      "res.setHeader('Access-Control-Allow-Origin', allowedOrigin);",
      "app.use(cors({ origin: ['https://app.example.com'] }));",
    ],
  },
  'bind-all-interfaces': {
    positive: ["server.listen(3000, '0.0.0.0');", "const opts = { port, host: '0.0.0.0' };"],
    negative: ["server.listen(3000, '127.0.0.1');", "const host = process.env.HOST ?? '127.0.0.1';"],
  },
};

describe('severities', () => {
  it('are ordered ascending and ranked', () => {
    expect(SEVERITIES).toEqual(['info', 'low', 'medium', 'high', 'critical']);
    expect(SEVERITIES.map(severityRank)).toEqual([0, 1, 2, 3, 4]);
    expect(isAtLeast('critical', 'high')).toBe(true);
    expect(isAtLeast('high', 'high')).toBe(true);
    expect(isAtLeast('medium', 'high')).toBe(false);
    expect(() => severityRank('severe' as never)).toThrow(TypeError);
  });
});

describe('default rules', () => {
  it('have unique kebab-case ids and are all covered by these tests', () => {
    const ids = DEFAULT_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
    expect(Object.keys(CASES).sort()).toEqual([...ids].sort());
  });

  it('use the required severities', () => {
    const severity: Record<string, Severity> = Object.fromEntries(
      DEFAULT_RULES.map((r) => [r.id, r.severity]),
    );
    for (const id of [
      'eval',
      'new-function',
      'shell-exec',
      'child-process-import',
      'vm-module',
      'hardcoded-secret',
      'private-key',
    ]) {
      expect(isAtLeast(severity[id] ?? 'info', 'high'), id).toBe(true);
    }
    expect(severity['string-built-sql']).toBe('high');
    expect(severity['tls-verification-disabled']).toBe('high');
  });

  for (const [id, cases] of Object.entries(CASES)) {
    describe(id, () => {
      it.each(cases.positive)('reports %j', (code) => {
        expect(ruleIds(code)).toContain(id);
      });
      it.each(cases.negative)('does not report %j', (code) => {
        expect(ruleIds(code)).not.toContain(id);
      });
    });
  }

  it('does not report ordinary runtime code at high or above', () => {
    const code = [
      "import { ToolError } from './errors.js';",
      'export async function callApi(baseUrl: string, name: string, args: Record<string, unknown>) {',
      '  const password = process.env[name];',
      '  const token = process.env.API_TOKEN;',
      '  const headers: Record<string, string> = { "content-type": "application/json" };',
      '  headers.authorization = `Bearer ${token}`;',
      '  const res = await fetch(`${baseUrl}/tools/${encodeURIComponent(name)}`, {',
      "    method: 'POST',",
      '    headers,',
      '    body: JSON.stringify({ args, password }),',
      '  });',
      '  if (!res.ok) throw new ToolError(`HTTP ${res.status}`);',
      '  return res.json();',
      '}',
      'export async function runStatement(client: Client, statement: { text: string }, values: unknown[]) {',
      '  const sql = statement.text;',
      '  const result = await client.query(sql, values);',
      "  const one = await client.query('SELECT count(*) AS n FROM items WHERE owner = $1', [values[0]]);",
      '  return { rows: result.rows, total: one.rows[0] };',
      '}',
      'const pattern = /\\/\\*.*eval\\(/; // a regex literal, not a comment start',
    ].join('\n');
    const report = scanner.scan({ 'runtime/sample.ts': code });
    expect(report.findings.filter((f) => isAtLeast(f.severity, 'high'))).toEqual([]);
  });
});

describe('comment masking', () => {
  it('ignores code mentioned in comments but keeps string contents', () => {
    const code = [
      '// eval(userInput)',
      '/* new Function("x")',
      '   eval(more) */',
      "const note = 'see http://example.com/docs'; // eval(x)",
      `const key = '${AWS_KEY}';`,
    ].join('\n');
    expect(ruleIds(code)).toEqual(['hardcoded-secret']);
  });

  it('does not mistake // inside strings, templates or regexes for comments', () => {
    expect(ruleIds("const u = 'http://example.com'; eval(x);")).toEqual(['eval']);
    expect(ruleIds('const u = `//${host}/*`; eval(x);')).toEqual(['eval']);
    expect(ruleIds('const re = /\\/*/g; eval(x);')).toEqual(['eval']);
  });

  it('preserves length and line breaks', () => {
    const src = "a(); // c1\r\n/* c2\n c3 */ b('s//x', `t${u /* c4 */}v`);\n";
    const { comments, code } = maskSource(src);
    expect(comments).toHaveLength(src.length);
    expect(code).toHaveLength(src.length);
    expect(comments.split('\n')).toHaveLength(src.split('\n').length);
    expect(comments).toContain("b('s//x', `t${u         }v`);");
    expect(comments).not.toContain('c1');
    expect(code).toContain("b('    ', ` ${u         } `);");
    expect(comments.includes('\r\n')).toBe(true);
  });
});

describe('locations and excerpts', () => {
  it('reports 1-based line and column of the match', () => {
    const [f] = scan('const a = 1;\n\n  const b = eval(a);\n', 'src/tools/calc.ts');
    expect(f).toMatchObject({
      ruleId: 'eval',
      ruleName: 'Use of eval()',
      severity: 'critical',
      file: 'src/tools/calc.ts',
      line: 3,
      column: 13,
      excerpt: 'const b = eval(a);',
    });
    expect(f?.hint).toBeTruthy();
  });

  it('locates multi-line matches at their start and handles CRLF', () => {
    const sql =
      'async function f(id: string) {\n  return db.query(`\n    SELECT * FROM users\n    WHERE id = ${id}`);\n}';
    const [f] = scan(sql);
    expect(f).toMatchObject({
      ruleId: 'string-built-sql',
      line: 2,
      column: 19,
      excerpt: 'return db.query(`',
    });

    const [g] = scan('const x = 1;\r\nconst y = eval(x);\r\n');
    expect(g).toMatchObject({ line: 2, column: 11, excerpt: 'const y = eval(x);' });
  });

  it('redacts secrets to their first 4 characters', () => {
    expect(redactSecret('hunter22')).toBe('hunt****');
    expect(redactSecret('abc')).toBe('****');

    const [aws] = scan(`const key = '${AWS_KEY}';`);
    expect(aws?.excerpt).toBe("const key = 'AKIA****';");

    const [pw] = scan("const password = 'hunter22';");
    expect(pw?.excerpt).toBe("const password = 'hunt****';");

    const [url] = scan("const url = 'postgres://admin:s3cr3t@db.example.com/app';");
    expect(url?.excerpt).toBe("const url = 'postgres://admin:s3cr****@db.example.com/app';");

    const [pem] = scan(`const key = '${PEM_BEGIN}\\n${KEY_BODY}\\n${PEM_END}';`);
    expect(pem?.excerpt).toContain('MIIE****');
    expect(pem?.excerpt).not.toContain(KEY_BODY);

    // Secrets are redacted in excerpts of other rules' findings on the same line too.
    const findings = scan(`eval(x); const t = '${GITHUB_TOKEN}';`);
    expect(findings.map((f) => f.ruleId)).toEqual(['eval', 'hardcoded-secret']);
    for (const f of findings) {
      expect(f.excerpt).not.toContain(GITHUB_TOKEN);
      expect(f.excerpt).toContain('ghp_****');
    }
  });

  it('truncates very long lines around the match', () => {
    const line = `const data = '${'a'.repeat(500)}'; eval(data);`;
    const [f] = scan(line);
    expect(f?.excerpt.length).toBeLessThanOrEqual(202);
    expect(f?.excerpt).toContain('eval(data)');
  });
});

describe('SecurityScanner', () => {
  const noConsole: SecurityRule = {
    id: 'no-console-log',
    name: 'console.log',
    pattern: /\bconsole\.log\(/,
    severity: 'low',
    message: 'console.log writes to stdout, which corrupts the stdio transport.',
    hint: 'Log to stderr.',
  };

  it('accepts custom rules through addRule and the constructor', () => {
    const s = new SecurityScanner();
    expect(s.addRule(noConsole)).toBe(s);
    expect(s.rules.map((r) => r.id)).toContain('no-console-log');
    expect(s.rules).toHaveLength(DEFAULT_RULES.length + 1);
    const report = s.scan({ 'src/a.ts': 'console.log("hi"); // console.log(x)\n' });
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({
      ruleId: 'no-console-log',
      line: 1,
      column: 1,
      hint: 'Log to stderr.',
    });

    const only = new SecurityScanner({ includeDefaultRules: false, rules: [noConsole] });
    expect(only.rules.map((r) => r.id)).toEqual(['no-console-log']);
    expect(only.scan({ 'src/a.ts': 'eval(x); console.log(1);' }).findings.map((f) => f.ruleId)).toEqual([
      'no-console-log',
    ]);
  });

  it('rejects invalid rules with a TypeError', () => {
    const s = new SecurityScanner();
    expect(() => s.addRule({ ...noConsole, id: 'eval' })).toThrow(/already registered/);
    expect(() => s.addRule({ ...noConsole, id: 'Not Kebab' })).toThrow(TypeError);
    expect(() => s.addRule({ ...noConsole, id: '' })).toThrow(/kebab-case/);
    expect(() => s.addRule({ ...noConsole, pattern: 'console' as unknown as RegExp })).toThrow(
      /pattern must be a RegExp/,
    );
    expect(() => s.addRule({ ...noConsole, severity: 'severe' as never })).toThrow(/severity must be one of/);
    expect(() => s.addRule({ ...noConsole, message: ' ' })).toThrow(/message/);
    expect(() => s.addRule({ ...noConsole, name: '' })).toThrow(/name/);
    expect(() => s.addRule({ ...noConsole, files: '*.ts' as unknown as RegExp })).toThrow(/files/);
    expect(() => new SecurityScanner({ rules: [noConsole, noConsole] })).toThrow(TypeError);
    expect(s.rules).toHaveLength(DEFAULT_RULES.length);
  });

  it('honours files, multiline, mask, when and secret-group redaction of custom rules', () => {
    const s = new SecurityScanner({
      includeDefaultRules: false,
      rules: [
        {
          id: 'todo-in-json',
          name: 'TODO',
          pattern: /TODO/,
          severity: 'info',
          message: 'todo left',
          files: /\.json$/,
        },
        {
          id: 'fixme-comment',
          name: 'FIXME',
          pattern: /FIXME/,
          severity: 'info',
          message: 'fixme left',
          mask: 'none',
        },
        {
          id: 'internal-token',
          name: 'Internal token',
          pattern: /itk_(?<secret>[a-z0-9]{8,})/,
          severity: 'high',
          message: 'internal token',
        },
        {
          id: 'axios-insecure',
          name: 'axios without TLS',
          pattern: /httpsAgent:\s*insecure/,
          severity: 'medium',
          message: 'insecure agent',
          when: /from 'axios'/,
        },
        {
          id: 'two-line',
          name: 'two lines',
          pattern: /alpha\s*\n\s*beta/,
          severity: 'low',
          message: 'spans lines',
          multiline: true,
        },
      ],
    });
    const report = s.scan({
      'config.json': '{ "note": "TODO" }',
      'src/a.ts':
        "// TODO FIXME\nconst t = 'itk_abcdef123456';\nconst c = { httpsAgent: insecure };\nalpha\n  beta\n",
      'src/b.ts': "import axios from 'axios';\nconst c = { httpsAgent: insecure };",
    });
    expect(report.findings.map((f) => `${f.file}:${f.line}:${f.column} ${f.ruleId}`)).toEqual([
      'config.json:1:12 todo-in-json',
      'src/a.ts:1:9 fixme-comment',
      'src/a.ts:2:12 internal-token',
      'src/a.ts:4:1 two-line',
      'src/b.ts:2:13 axios-insecure',
    ]);
    expect(report.findings[2]?.excerpt).toBe("const t = 'itk_abcd****';");
  });

  it('suppresses findings through the allow-list', () => {
    const files = { 'src/a.ts': 'eval(a);', 'src/legacy/b.ts': 'eval(b);\nconsole.log(process.env);' };
    const scoped = new SecurityScanner({ allow: [{ ruleId: 'eval', file: /(^|\/)legacy\// }] }).scan(files);
    expect(scoped.findings.map((f) => `${f.file} ${f.ruleId}`)).toEqual([
      'src/a.ts eval',
      'src/legacy/b.ts env-dump',
    ]);

    const everywhere = new SecurityScanner({ allow: [{ ruleId: 'eval' }] }).scan(files);
    expect(everywhere.findings.map((f) => f.ruleId)).toEqual(['env-dump']);

    const all = new SecurityScanner({ allow: [{ ruleId: '*', file: /legacy/ }] }).scan(files);
    expect(all.findings.map((f) => f.file)).toEqual(['src/a.ts']);
  });

  it('accepts records, maps and arrays and summarises the report', () => {
    const files: [string, string][] = [
      ['src/z.ts', 'const q = `SELECT * FROM t WHERE id = ${id}`;\neval(q);'],
      ['src/a.ts', 'export const ok = 1;'],
      ['README.md', 'eval(x) in docs is not scanned'],
    ];
    for (const input of [files, new Map(files), Object.fromEntries(files)]) {
      const report = scanner.scan(input);
      expect(report.filesScanned).toBe(2);
      expect(report.counts).toEqual({ info: 0, low: 0, medium: 0, high: 1, critical: 1 });
      expect(report.highest).toBe('critical');
      expect(report.findings.map((f) => `${f.line} ${f.ruleId}`)).toEqual(['1 string-built-sql', '2 eval']);
    }
    const clean = scanner.scan({ 'src/a.ts': 'export const ok = 1;' });
    expect(clean).toEqual({
      findings: [],
      counts: { info: 0, low: 0, medium: 0, high: 0, critical: 0 },
      filesScanned: 1,
    });
    expect(clean.highest).toBeUndefined();
  });

  it('scans .env and JSON files for secrets', () => {
    const report = scanner.scan({
      '.env': `GITHUB_TOKEN=${GITHUB_TOKEN}\nNODE_TLS_REJECT_UNAUTHORIZED=0\n`,
      'config/app.json': '{ "password": "Tr0ub4dor&3" }',
    });
    expect(report.findings.map((f) => `${f.file} ${f.ruleId}`)).toEqual([
      '.env hardcoded-secret',
      '.env tls-verification-disabled',
      'config/app.json hardcoded-credential',
    ]);
  });
});

describe('formatReport', () => {
  it('prints one line per finding and a summary', () => {
    const report = scanner.scan({
      'src/a.ts': "const x = eval(input);\nconst q = 'SELECT * FROM t WHERE id = ' + id;",
    });
    const lines = formatReport(report).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^critical {2}src\/a\.ts:1:11 {2}eval {2}eval\(\) executes .* \(hint: .+\)$/);
    expect(lines[1]).toMatch(/^high {6}src\/a\.ts:2:11 {2}string-built-sql {2}SQL text /);
    expect(lines[2]).toBe('2 security findings: 1 critical, 1 high (1 file scanned).');
  });

  it('reports a clean scan', () => {
    expect(formatReport(scanner.scan({ 'a.ts': '', 'b.ts': '' }))).toBe(
      'No security findings (2 files scanned).',
    );
  });
});

const runtimeDir = fileURLToPath(new URL('../../runtime/', import.meta.url));
const runtimeFiles = existsSync(runtimeDir) ? readdirSync(runtimeDir).filter((f) => f.endsWith('.ts')) : [];

describe('repository runtime', () => {
  it.skipIf(runtimeFiles.length === 0)('runtime/*.ts has no finding at high or above', () => {
    const files = runtimeFiles.map((f): [string, string] => [
      `runtime/${f}`,
      readFileSync(join(runtimeDir, f), 'utf8'),
    ]);
    // Reviewed exceptions: the SQLite driver runs the database in a child process of its own; the page builder
    // wraps a tool's static statement and interpolates only integers (limit, offset) and quoted identifiers —
    // every caller value, including a cursor's key values, is a bound parameter (test/db-runtime/keyset.test.ts).
    // Command tools run programs by design: never through a shell, argv checked by the policy (test/command/).
    const report = new SecurityScanner({
      allow: [
        { ruleId: 'child-process-import', file: /^runtime\/sql-sqlite\.ts$/ },
        { ruleId: 'child-process-import', file: /^runtime\/command-exec\.ts$/ },
        { ruleId: 'string-built-sql', file: /^runtime\/sql-page\.ts$/ },
      ],
    }).scan(files);
    expect(report.filesScanned).toBe(runtimeFiles.length);
    const serious = report.findings
      .filter((f) => isAtLeast(f.severity, 'high'))
      .map((f) => `${f.file}:${f.line}:${f.column} ${f.ruleId} ${f.excerpt}`);
    expect(serious).toEqual([]);
  });
});
