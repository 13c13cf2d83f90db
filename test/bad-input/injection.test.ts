// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the hostile strings deliberately contain `${…}`.
/**
 * Hostile strings in every text field of a spec must survive generation (the project type-checks, bundles and
 * passes its own tests) and reach MCP clients byte for byte, without ever becoming code.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CreateResult, createServerProject } from '../../src/build/create.js';
import { validateSpec } from '../../src/core/spec/load.js';

/** Code-breaking characters for JS/TS, comments, HTML, shells and JSON. No `{{`: that is template syntax. */
const CODE = 'tick`${process.exit(1)}`*/ /* </script><script> "dq" \'sq\' \\ \\u0041 \\n $(id);';
const LINES = 'one\ntwo\r\nthree\rfour\u2028ls\u2029ps';
const CONTROLS = 'nul\u0000 soh\u0001 bs\b ff\f vt\v esc\u001b[31m del\u007f';
const UNICODE = 'bom\uFEFF zw\u200B rtl\u202E \u{1F600} ${"{"} <!-- ]]>';

/** Everything at once, in under 200 characters so it also fits `title`. */
const HOSTILE = [CODE, LINES, CONTROLS, UNICODE].join('|');
const HOSTILE_2 = `second ${HOSTILE.slice(0, 120)}`;
/**
 * 20,000+ characters for fields that accept long text. (Not the 100,000 maximum: the security scan is superlinear
 * in the length of a generated line: one ~100,000-character hostile text alone costs it 3-9 s; see the report.)
 */
const LONG = `${HOSTILE}\n`.repeat(Math.ceil(20_000 / HOSTILE.length));
/** HTTP header values cannot carry control characters, newlines or code points above U+00FF. */
const HEADER_SAFE = 'tick`${process.exit(1)}`*/ </script> "dq" \'sq\' \\ $(id) ;|& caf\u00e9';
/** A URI without `{…}` (that would be a URI template variable), already in WHATWG-normalised form. */
const URI = "hostile://doc/a%60b'c%22d*/%3C/script%3E$x;y!z(\\)";
/** The same URI written raw: the URL parser would percent-encode ` " < >. */
const RAW_URI = 'hostile://doc/a`b\'c"d*/</script>$x;y!z';

const ENV_BASE_URL = 'HOSTILE_BASE_URL';

function hostileSpec(baseUrlEnv: string) {
  return {
    name: 'hostile-everywhere',
    version: '1.0.0-rc.1+build.7',
    title: HOSTILE,
    description: LONG,
    connections: [
      {
        name: 'api',
        type: 'http',
        baseUrlEnv,
        description: LONG,
        headers: { 'X-Note': HEADER_SAFE, Accept: 'application/json' },
      },
    ],
    tools: [
      {
        name: 'echo_static',
        title: HOSTILE,
        description: LONG,
        parameters: {
          choice: {
            type: 'string',
            description: LONG,
            enum: [HOSTILE, HOSTILE_2, CODE],
            default: HOSTILE,
          },
        },
        static: { text: `${LONG}<<{{choice}}>>${HOSTILE}` },
      },
      {
        name: 'echo_http',
        title: HOSTILE_2,
        description: HOSTILE,
        parameters: {
          id: { type: 'string', required: true, description: HOSTILE },
          extra: { type: 'string', description: CODE, default: CODE },
        },
        annotations: { readOnly: true },
        http: {
          connection: 'api',
          method: 'POST',
          path: '/echo/{{id}}/tail`\'"*$!',
          query: { q: `${HOSTILE}|{{id}}`, plain: 'x' },
          headers: { 'X-Hostile': `${HEADER_SAFE}|{{extra}}` },
          body: {
            text: `${HOSTILE}|{{id}}`,
            raw: '{{id}}',
            nested: [HOSTILE, 1, true, null, { deep: LONG }],
          },
          response: 'json',
        },
      },
    ],
    resources: [
      { name: 'doc', uri: URI, title: HOSTILE, description: LONG, mimeType: 'text/plain', text: LONG },
      {
        name: 'item',
        uri: 'hostile://items/{id}',
        title: HOSTILE_2,
        description: CODE,
        text: `${HOSTILE}<<{{id}}>>`,
      },
    ],
    prompts: [
      {
        name: 'talk',
        title: HOSTILE,
        description: LONG,
        arguments: [{ name: 'topic', description: HOSTILE, required: true }],
        messages: [
          { role: 'user', text: `${LONG}<<{{topic}}>>` },
          { role: 'assistant', text: HOSTILE },
        ],
      },
    ],
  };
}

interface Received {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
}

let upstream: Server;
let baseUrl: string;
const received: Received[] = [];
let tmp: string;
let outDir: string;
let created: CreateResult;
let client: Client;

/** Exact equality without dumping 60 KB strings into the failure message. */
function expectSame(actual: unknown, expected: unknown, label: string): void {
  if (typeof expected === 'string') {
    if (actual === expected) return;
    const a = typeof actual === 'string' ? actual : (JSON.stringify(actual) ?? String(actual));
    let i = 0;
    while (i < a.length && a[i] === expected[i]) i++;
    throw new Error(
      `${label}: differs at index ${i} (length ${a.length}, expected ${expected.length}): got ${JSON.stringify(a.slice(i, i + 40))}, expected ${JSON.stringify(expected.slice(i, i + 40))}`,
    );
  }
  if (!isDeepStrictEqual(actual, expected)) {
    throw new Error(
      `${label}: got ${JSON.stringify(actual)?.slice(0, 300)}, expected ${JSON.stringify(expected).slice(0, 300)}`,
    );
  }
}

function textOf(result: { content?: unknown }): string {
  return ((result.content ?? []) as Array<{ type: string; text?: string }>)
    .map((c) => c.text ?? '')
    .join('\n');
}

beforeAll(async () => {
  upstream = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      raw += c;
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      received.push({
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: raw ? JSON.parse(raw) : undefined,
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/api`;

  const checked = validateSpec(hostileSpec(ENV_BASE_URL));
  expect(checked.issues).toEqual([]);
  tmp = mkdtempSync(join(tmpdir(), 'mcp-factory-injection-'));
  outDir = join(tmp, 'hostile');
  created = await createServerProject({
    spec: checked.spec!,
    specDir: tmp,
    outDir,
    typecheck: true,
    runTests: true,
    testEnv: { [ENV_BASE_URL]: baseUrl },
  });

  client = new Client({ name: 't', version: '1' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [join(outDir, 'dist/server.mjs')],
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', [ENV_BASE_URL]: baseUrl },
      stderr: 'ignore',
    }),
  );
});

afterAll(async () => {
  await client?.close();
  await new Promise((resolve) => upstream?.close(resolve));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('hostile strings in every text field', () => {
  it('the hostile strings really are hostile', () => {
    for (const s of [
      '`',
      '${',
      '*/',
      '</script>',
      '"',
      "'",
      '\\',
      '\n',
      '\r',
      '\u2028',
      '\u2029',
      '\u0000',
      '\u001b',
    ]) {
      expect(HOSTILE).toContain(s);
    }
    expect(HOSTILE.length).toBeLessThanOrEqual(200);
    expect(LONG.length).toBeGreaterThan(20_000);
  });

  it('creates the project with type-check and the generated tests on (http tool included)', () => {
    expect(created.typecheck?.ok).toBe(true);
    expect(created.tests?.ok).toBe(true);
    expect(created.tests?.failed).toBe(0);
    // The http tool ran during the generated tests, not skipped, against their own loopback mock: never this one.
    expect(created.tests?.skipped ?? []).toEqual([]);
    expect(received).toHaveLength(0);
  });

  it('server title and instructions arrive intact', () => {
    expectSame(client.getServerVersion()?.title, HOSTILE, 'serverInfo.title');
    expectSame(client.getInstructions(), LONG, 'instructions');
  });

  it('tools/list carries titles, descriptions, parameter descriptions, defaults and enums exactly', async () => {
    const { tools } = await client.listTools();
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    expect(Object.keys(byName).sort()).toEqual(['echo_http', 'echo_static']);

    const s = byName.echo_static!;
    expectSame(s.title, HOSTILE, 'echo_static.title');
    expectSame(s.description, LONG, 'echo_static.description');
    const choice = (s.inputSchema.properties as Record<string, Record<string, unknown>>).choice!;
    expectSame(choice.description, LONG, 'choice.description');
    expectSame(choice.enum, [HOSTILE, HOSTILE_2, CODE], 'choice.enum');
    expectSame(choice.default, HOSTILE, 'choice.default');

    const h = byName.echo_http!;
    expectSame(h.title, HOSTILE_2, 'echo_http.title');
    expectSame(h.description, HOSTILE, 'echo_http.description');
    const props = h.inputSchema.properties as Record<string, Record<string, unknown>>;
    expectSame(props.id?.description, HOSTILE, 'id.description');
    expectSame(props.extra?.description, CODE, 'extra.description');
    expectSame(props.extra?.default, CODE, 'extra.default');
  });

  it('the static tool returns the hostile text, with the default and with each enum value', async () => {
    const withDefault = await client.callTool({ name: 'echo_static', arguments: {} });
    expect(withDefault.isError).toBeFalsy();
    expectSame(textOf(withDefault), `${LONG}<<${HOSTILE}>>${HOSTILE}`, 'static text with the default');
    for (const choice of [HOSTILE_2, CODE]) {
      const r = await client.callTool({ name: 'echo_static', arguments: { choice } });
      expect(r.isError).toBeFalsy();
      expectSame(textOf(r), `${LONG}<<${choice}>>${HOSTILE}`, 'static text with an enum value');
    }
  });

  it('the http tool sends hostile query, header and body templates intact', async () => {
    const id = 'arg /?#&=%2e ${x} `y` "z" \\ \n \u2028 \u00e9\u{1F600}';
    received.length = 0;
    const r = await client.callTool({ name: 'echo_http', arguments: { id, extra: 'ex`tra' } });
    expect(textOf(r)).toContain('"ok"');
    expect(r.isError).toBeFalsy();
    expect(received).toHaveLength(1);
    const req = received[0]!;
    expect(req.method).toBe('POST');
    // {{id}} is one URL-encoded path segment; the literal tail is percent-encoded by the URL parser.
    const segments = req.path.split('/');
    expect(segments.slice(0, 3)).toEqual(['', 'api', 'echo']);
    expectSame(decodeURIComponent(segments[3]!), id, 'path segment');
    expectSame(decodeURIComponent(segments.slice(4).join('/')), 'tail`\'"*$!', 'literal path tail');
    expectSame(req.query.get('q'), `${HOSTILE}|${id}`, 'query q');
    expect(req.query.get('plain')).toBe('x');
    // Node reads header bytes as latin1; é travels as one byte.
    expectSame(req.headers['x-hostile'], `${HEADER_SAFE}|ex\`tra`, 'tool header');
    expectSame(req.headers['x-note'], HEADER_SAFE, 'connection header');
    expectSame(
      req.body,
      { text: `${HOSTILE}|${id}`, raw: id, nested: [HOSTILE, 1, true, null, { deep: LONG }] },
      'body',
    );
  });

  it('the http tool refuses a dot-segment path argument instead of walking out of its path (no traversal)', async () => {
    // encodeURIComponent('..') is '..', and URL parsing resolves dot segments (even %2E%2E) away:
    // path /echo/{{id}}/tail with id ".." would request /api/tail. The runtime refuses such values.
    received.length = 0;
    for (const id of ['..', '.']) {
      const r = await client.callTool({ name: 'echo_http', arguments: { id } });
      expect(r.isError).toBe(true);
    }
    expect(received).toHaveLength(0);
    const ok = await client.callTool({ name: 'echo_http', arguments: { id: '../x' } });
    expect(ok.isError).toBeFalsy();
    expect(received[0]!.path).toMatch(/^\/api\/echo\/..%2Fx\/tail/);
  });

  it('resources carry hostile titles, descriptions and URIs in resources/list and templates', async () => {
    const { resources } = await client.listResources();
    const doc = resources.find((r) => r.name === 'doc');
    expect(doc).toBeDefined();
    expectSame(doc!.title, HOSTILE, 'resource title');
    expectSame(doc!.description, LONG, 'resource description');
    expectSame(doc!.uri, URI, 'resource uri');
    const read = await client.readResource({ uri: URI });
    expectSame((read.contents[0] as { text: string }).text, LONG, 'resource text');

    const { resourceTemplates } = await client.listResourceTemplates();
    const item = resourceTemplates.find((r) => r.name === 'item');
    expectSame(item?.title, HOSTILE_2, 'template title');
    expectSame(item?.description, CODE, 'template description');
    const one = await client.readResource({ uri: 'hostile://items/42' });
    expectSame((one.contents[0] as { text: string }).text, `${HOSTILE}<<42>>`, 'template text');
  });

  it('prompts carry hostile title, description, argument description and message text', async () => {
    const { prompts } = await client.listPrompts();
    const talk = prompts.find((p) => p.name === 'talk');
    expectSame(talk?.title, HOSTILE, 'prompt title');
    expectSame(talk?.description, LONG, 'prompt description');
    expectSame(talk?.arguments?.[0]?.description, HOSTILE, 'prompt argument description');
    const got = await client.getPrompt({ name: 'talk', arguments: { topic: HOSTILE_2 } });
    expectSame(
      got.messages.map((m) => (m.content as { text: string }).text),
      [`${LONG}<<${HOSTILE_2}>>`, HOSTILE],
      'prompt messages',
    );
    expect(got.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
  });

  it('the server survived every call (no string became code that exits)', async () => {
    const again = await client.callTool({ name: 'echo_static', arguments: { choice: CODE } });
    expect(again.isError).toBeFalsy();
    await expect(client.ping()).resolves.toBeDefined();
  });

  it('generated sources keep hostile strings inside JSON string literals or comments', () => {
    const server = readFileSync(join(outDir, 'src/server.ts'), 'utf8');
    // Line/paragraph separators and C0 controls must be escaped (DEL and format characters are legal in literals).
    const raw = /[\u2028\u2029\u0000-\u0008\u000b\u000c\u000e-\u001f]/.exec(server);
    expect(raw && `U+${raw[0].codePointAt(0)!.toString(16).padStart(4, '0')} at ${raw.index}`).toBeNull();
    let inspected = 0;
    for (const line of server.split('\n')) {
      if (!line.includes('process.exit') && !line.includes('</script>')) continue;
      inspected++;
      const code = line
        .replace(/"(?:[^"\\\n]|\\.)*"/g, '""')
        .replace(/^\s*\/\/.*$/, '')
        .replace(/\s\/\/ .*$/, '');
      expect(/process\.exit|<\/script>/.test(code), line.slice(0, 200)).toBe(false);
    }
    expect(inspected).toBeGreaterThan(0);
    // Markdown docs never carry raw HTML from the spec.
    const readme = readFileSync(join(outDir, 'README.md'), 'utf8');
    expect(readme.includes('<script>')).toBe(false);
    expect(readme.includes('</script>')).toBe(false);
  });
});

describe('a resource URI that is not in normalised form', () => {
  it('is either rejected by validation or readable under the URI resources/list gives for it', async () => {
    // The SDK looks resources up by new URL(uri).toString(), which percent-encodes ` " < > (and lower-cases the
    // scheme), so a URI that is not already in that form is listed but every read fails with "Resource not found".
    const result = validateSpec({
      name: 'raw-uri',
      resources: [{ name: 'doc', uri: RAW_URI, text: HOSTILE }],
    });
    if (!result.ok) {
      expect(result.issues.map((i) => i.path)).toContain('resources[0].uri');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'mcp-factory-raw-uri-'));
    const c = new Client({ name: 't', version: '1' });
    try {
      await createServerProject({
        spec: result.spec!,
        specDir: dir,
        outDir: join(dir, 'out'),
        typecheck: false,
        runTests: false,
      });
      await c.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: [join(dir, 'out/dist/server.mjs')],
          stderr: 'ignore',
        }),
      );
      const { resources } = await c.listResources();
      expect(resources).toHaveLength(1);
      const read = await c.readResource({ uri: resources[0]!.uri });
      expectSame((read.contents[0] as { text: string }).text, HOSTILE, 'resource text');
    } finally {
      await c.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('header names and values that HTTP cannot carry', () => {
  // Such a spec validates and generates, and then every call of every tool on the connection fails with
  // `internal error: Headers.set: "…" is an invalid header value.`
  const cases: Array<[string, (spec: ReturnType<typeof hostileSpec>) => void, string]> = [
    [
      'a connection header value with a newline',
      (spec) => {
        spec.connections[0]!.headers['X-Note'] = 'first line\nX-Injected: yes';
      },
      'connections[0].headers["X-Note"]',
    ],
    [
      'a connection header name with a space and a colon',
      (spec) => {
        (spec.connections[0]!.headers as Record<string, string>)['X Bad: name'] = 'v';
      },
      'connections[0].headers["X Bad: name"]',
    ],
    [
      'a tool header template with a newline in its literal text',
      (spec) => {
        spec.tools[1]!.http!.headers['X-Hostile'] = 'a\r\nX-Injected: {{extra}}';
      },
      'tools[1].http.headers["X-Hostile"]',
    ],
  ];
  it.each(cases)('%s is rejected by validation, not at call time', (_label, mutate, path) => {
    const spec = hostileSpec(ENV_BASE_URL);
    mutate(spec);
    const result = validateSpec(spec);
    expect(result.ok).toBe(false);
    expect(result.issues.map((i) => i.path)).toContain(path);
  });
});
