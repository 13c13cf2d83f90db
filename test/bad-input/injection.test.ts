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
import { type CreateResult, createServerProject } from '../../src/pipeline/create.js';
import { validateSpec } from '../../src/spec/load.js';

/** Code-breaking characters for JS/TS, comments, HTML, shells and JSON. No `{{`: that is template syntax. */
const CODE = 'tick`${process.exit(1)}`*/ /* </script><script> "dq" \'sq\' \\ \\u0041 \\n $(id);';
const LINES = 'one\ntwo\r\nthree\rfour\u2028ls\u2029ps';
const CONTROLS = 'nul\u0000 soh\u0001 bs\b ff\f vt\v esc\u001b[31m del\u007f';
const UNICODE = 'bom\uFEFF zw\u200B rtl\u202E \u{1F600} ${"{"} <!-- ]]>';

/** Everything at once, in under 200 characters so it also fits `title`. */
const HOSTILE = [CODE, LINES, CONTROLS, UNICODE].join('|');
const HOSTILE_2 = `second ${HOSTILE.slice(0, 120)}`;
/** 60,000+ characters for fields that accept long text (max 100,000). */
const LONG = `${HOSTILE}\n`.repeat(Math.ceil(60_000 / HOSTILE.length));
/** HTTP header values cannot carry control characters, newlines or code points above U+00FF. */
const HEADER_SAFE = 'tick`${process.exit(1)}`*/ </script> "dq" \'sq\' \\ $(id) ;|& caf\u00e9';
/** A URI without `{…}` (that would be a URI template variable). */
const URI = 'hostile://doc/a`b\'c"d*/</script>$x;y!z';

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
          path: "/echo/{{id}}/tail`'\"*$!",
          query: { q: `${HOSTILE}|{{id}}`, plain: 'x' },
          headers: { 'X-Hostile': `${HEADER_SAFE}|{{extra}}` },
          body: { text: `${HOSTILE}|{{id}}`, raw: '{{id}}', nested: [HOSTILE, 1, true, null, { deep: LONG }] },
          response: 'json',
        },
      },
    ],
    resources: [
      { name: 'doc', uri: URI, title: HOSTILE, description: LONG, mimeType: 'text/plain', text: LONG },
      { name: 'item', uri: 'hostile://items/{id}', title: HOSTILE_2, description: CODE, text: `${HOSTILE}<<{{id}}>>` },
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
    const a = typeof actual === 'string' ? actual : JSON.stringify(actual) ?? String(actual);
    let i = 0;
    while (i < a.length && a[i] === expected[i]) i++;
    throw new Error(
      `${label}: differs at index ${i} (length ${a.length}, expected ${expected.length}): got ${JSON.stringify(a.slice(i, i + 40))}, expected ${JSON.stringify(expected.slice(i, i + 40))}`,
    );
  }
  if (!isDeepStrictEqual(actual, expected)) {
    throw new Error(`${label}: got ${JSON.stringify(actual)?.slice(0, 300)}, expected ${JSON.stringify(expected).slice(0, 300)}`);
  }
}

function textOf(result: { content?: unknown }): string {
  return ((result.content ?? []) as Array<{ type: string; text?: string }>).map((c) => c.text ?? '').join('\n');
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
    for (const s of ['`', '${', '*/', '</script>', '"', "'", '\\', '\n', '\r', '\u2028', '\u2029', '\u0000', '\u001b']) {
      expect(HOSTILE).toContain(s);
    }
    expect(HOSTILE.length).toBeLessThanOrEqual(200);
    expect(LONG.length).toBeGreaterThan(60_000);
  });

  it('creates the project with type-check and the generated tests on (http tool included)', () => {
    expect(created.typecheck?.ok).toBe(true);
    expect(created.tests?.ok).toBe(true);
    expect(created.tests?.failed).toBe(0);
    // The http tool ran against the mock upstream during the generated tests, not skipped.
    expect(created.tests?.skipped ?? []).toEqual([]);
    expect(received.length).toBeGreaterThan(0);
  });

  it('server title and instructions arrive intact', () => {
    expect(client.getServerVersion()?.title).toBe(HOSTILE);
    expect(client.getInstructions()).toBe(LONG);
  });

  it('tools/list carries titles, descriptions, parameter descriptions, defaults and enums exactly', async () => {
    const { tools } = await client.listTools();
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    expect(Object.keys(byName).sort()).toEqual(['echo_http', 'echo_static']);

    const s = byName.echo_static!;
    expect(s.title).toBe(HOSTILE);
    expect(s.description).toBe(LONG);
    const choice = (s.inputSchema.properties as Record<string, Record<string, unknown>>).choice!;
    expect(choice.description).toBe(LONG);
    expect(choice.enum).toEqual([HOSTILE, HOSTILE_2, CODE]);
    expect(choice.default).toBe(HOSTILE);

    const h = byName.echo_http!;
    expect(h.title).toBe(HOSTILE_2);
    expect(h.description).toBe(HOSTILE);
    const props = h.inputSchema.properties as Record<string, Record<string, unknown>>;
    expect(props.id?.description).toBe(HOSTILE);
    expect(props.extra?.description).toBe(CODE);
    expect(props.extra?.default).toBe(CODE);
  });

  it('the static tool returns the hostile text, with the default and with each enum value', async () => {
    const withDefault = await client.callTool({ name: 'echo_static', arguments: {} });
    expect(withDefault.isError).toBeFalsy();
    expect(textOf(withDefault)).toBe(`${LONG}<<${HOSTILE}>>${HOSTILE}`);
    for (const choice of [HOSTILE_2, CODE]) {
      const r = await client.callTool({ name: 'echo_static', arguments: { choice } });
      expect(r.isError).toBeFalsy();
      expect(textOf(r)).toBe(`${LONG}<<${choice}>>${HOSTILE}`);
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
    expect(decodeURIComponent(segments[3]!)).toBe(id);
    expect(decodeURIComponent(segments.slice(4).join('/'))).toBe("tail`'\"*$!");
    expect(req.query.get('q')).toBe(`${HOSTILE}|${id}`);
    expect(req.query.get('plain')).toBe('x');
    expect(Buffer.from(String(req.headers['x-hostile']), 'latin1').toString('latin1')).toBe(`${HEADER_SAFE}|ex\`tra`);
    expect(req.headers['x-note']).toBe(Buffer.from(HEADER_SAFE, 'latin1').toString('latin1'));
    expect(req.body).toEqual({ text: `${HOSTILE}|${id}`, raw: id, nested: [HOSTILE, 1, true, null, { deep: LONG }] });
  });

  it('the http tool keeps a dot-segment argument inside its path segment (no path traversal)', async () => {
    // Bug probe: encodeURIComponent('..') is '..', and the URL parser then removes the dot segments.
    received.length = 0;
    const r = await client.callTool({ name: 'echo_http', arguments: { id: '..' } });
    expect(r.isError).toBeFalsy();
    expect(received).toHaveLength(1);
    expect(received[0]!.path.startsWith('/api/echo/')).toBe(true);
  });

  it('resources carry hostile titles, descriptions, URI and text', async () => {
    const { resources } = await client.listResources();
    const doc = resources.find((r) => r.name === 'doc');
    expect(doc).toBeDefined();
    expect(doc!.title).toBe(HOSTILE);
    expect(doc!.description).toBe(LONG);
    expect(doc!.uri).toBe(URI);
    const read = await client.readResource({ uri: URI });
    expect((read.contents[0] as { text: string }).text).toBe(LONG);

    const { resourceTemplates } = await client.listResourceTemplates();
    const item = resourceTemplates.find((r) => r.name === 'item');
    expect(item?.title).toBe(HOSTILE_2);
    expect(item?.description).toBe(CODE);
    const one = await client.readResource({ uri: 'hostile://items/42' });
    expect((one.contents[0] as { text: string }).text).toBe(`${HOSTILE}<<42>>`);
  });

  it('prompts carry hostile title, description, argument description and message text', async () => {
    const { prompts } = await client.listPrompts();
    const talk = prompts.find((p) => p.name === 'talk');
    expect(talk?.title).toBe(HOSTILE);
    expect(talk?.description).toBe(LONG);
    expect(talk?.arguments?.[0]?.description).toBe(HOSTILE);
    const got = await client.getPrompt({ name: 'talk', arguments: { topic: HOSTILE_2 } });
    expect(got.messages.map((m) => (m.content as { text: string }).text)).toEqual([`${LONG}<<${HOSTILE_2}>>`, HOSTILE]);
    expect(got.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
  });

  it('the server survived every call (no string became code that exits)', async () => {
    const again = await client.callTool({ name: 'echo_static', arguments: { choice: CODE } });
    expect(again.isError).toBeFalsy();
    await expect(client.ping()).resolves.toBeDefined();
  });

  it('generated sources keep hostile strings inside JSON string literals or comments', () => {
    const server = readFileSync(join(outDir, 'src/server.ts'), 'utf8');
    // Raw line/paragraph separators and control characters must all be escaped.
    expect(server).not.toMatch(/[\u2028\u2029\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/);
    let inspected = 0;
    for (const line of server.split('\n')) {
      if (!line.includes('process.exit') && !line.includes('</script>')) continue;
      inspected++;
      const code = line
        .replace(/"(?:[^"\\\n]|\\.)*"/g, '""')
        .replace(/^\s*\/\/.*$/, '')
        .replace(/\s\/\/ .*$/, '');
      expect(code, line.slice(0, 200)).not.toMatch(/process\.exit|<\/script>/);
    }
    expect(inspected).toBeGreaterThan(0);
    // Markdown docs never carry raw HTML from the spec.
    const readme = readFileSync(join(outDir, 'README.md'), 'utf8');
    expect(readme).not.toContain('<script>');
    expect(readme).not.toContain('</script>');
  });
});

describe('header values that HTTP cannot carry', () => {
  it('a connection header with a newline is rejected by validation, not at call time', () => {
    const spec = hostileSpec(ENV_BASE_URL);
    spec.connections[0]!.headers['X-Note'] = 'first line\nX-Injected: yes';
    const result = validateSpec(spec);
    // Bug probe: the spec validates, and every call of every http tool then fails with "invalid header value".
    expect(result.ok).toBe(false);
    expect(result.issues.map((i) => i.path)).toContain('connections[0].headers["X-Note"]');
  });
});
