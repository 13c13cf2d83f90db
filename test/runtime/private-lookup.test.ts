/**
 * Generated servers refuse, at connect time, spec host NAMES that resolve to non-public addresses (a DNS name
 * for 10.0.0.5, a rebinding name for 127.0.0.1) unless the connection allows private addresses; nothing is sent.
 * Literal private addresses in the spec and baseUrlEnv overrides are explicit choices and keep working.
 * Loopback only: private-range answers come from injected resolvers, and a guard that failed would be sent to
 * a loopback recorder instead of the private address.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { privateAddressReason } from '../../src/core/net/index.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { runtimeFiles } from '../../src/platform/factory-files.js';
import { connectStdio, textOf } from '../helpers/mcp.js';
import { type RecordingUpstream, startRecordingUpstream } from '../helpers/upstream.js';

// runtime/safe-lookup.ts imports ./net/, which generated projects get copied from src/core/net: load it from
// such a copy, laid out by the same runtimeFiles() the generator uses.
const copy = mkdtempSync(join(tmpdir(), 'mcpf-safe-lookup-'));
for (const [path, text] of Object.entries(runtimeFiles()))
  if (path === 'safe-lookup.ts' || path.startsWith('net/')) {
    mkdirSync(dirname(join(copy, path)), { recursive: true });
    writeFileSync(join(copy, path), text);
  }
const { firstPrivate, guardedLookup, PrivateAddressError } = (await import(
  pathToFileURL(join(copy, 'safe-lookup.ts')).href
)) as typeof import('../../runtime/safe-lookup.js');
afterAll(() => rmSync(copy, { recursive: true, force: true }));

type Answer = Array<{ address: string; family: number }>;
const resolverFor =
  (answer: Answer) =>
  (_host: string, _options: unknown, callback: (error: NodeJS.ErrnoException | null, a: Answer) => void) =>
    setImmediate(() => callback(null, answer));
const v = (address: string) => ({ address, family: address.includes(':') ? 6 : 4 });

describe('guardedLookup (injected resolver)', () => {
  const PRIVATE = [
    '10.0.0.1',
    '169.254.169.254',
    '::1',
    '::ffff:127.0.0.1',
    '127.0.0.1',
    'fd00::1',
    '100.64.1.1',
  ];

  it('refuses a name with any non-public address, naming host, address and why', async () => {
    for (const address of PRIVATE) {
      for (const answer of [[v(address)], [v('93.184.216.34'), v(address)]]) {
        const error = await new Promise<unknown>((resolve) =>
          guardedLookup(resolverFor(answer))('internal.example.com', { all: true }, (e) => resolve(e)),
        );
        expect(error, address).toBeInstanceOf(PrivateAddressError);
        expect((error as { code: string }).code).toBe('EPRIVATEADDRESS');
        expect((error as Error).message).toContain('internal.example.com');
        expect((error as Error).message).toContain(address);
      }
    }
  });

  it('passes public answers through in both callback shapes', async () => {
    const answer = [v('93.184.216.34'), v('2606:2800:220:1:248:1893:25c8:1946')];
    const all = await new Promise<unknown>((resolve) =>
      guardedLookup(resolverFor(answer))('api.example.com', { all: true }, (e, a) => resolve(e ?? a)),
    );
    expect(all).toEqual(answer);
    const one = await new Promise<unknown>((resolve) =>
      guardedLookup(resolverFor(answer))('api.example.com', { family: 4 }, (e, a, f) => resolve(e ?? [a, f])),
    );
    expect(one).toEqual(['93.184.216.34', 4]);
  });

  it('makes a socket fail before connecting: the private address is never dialled', async () => {
    const upstream = await startRecordingUpstream(() => ({ status: 200, json: {} }));
    const port = Number(new URL(upstream.url).port);
    try {
      for (const address of ['10.0.0.1', '169.254.169.254', '::1', '::ffff:127.0.0.1']) {
        let connected = false;
        const error = await new Promise<unknown>((resolve) => {
          const socket = connect({
            host: 'rebind.example.com',
            port,
            // Should the guard ever let the answer through, the socket goes to the loopback recorder instead.
            lookup: ((host: string, options: object, cb: (...a: unknown[]) => void) =>
              guardedLookup(resolverFor([v(address)]))(host, options, (e, a) =>
                e ? cb(e) : Array.isArray(a) ? cb(null, [v('127.0.0.1')]) : cb(null, '127.0.0.1', 4),
              )) as never,
          });
          socket.on('connect', () => {
            connected = true;
            socket.destroy();
            resolve(undefined);
          });
          socket.on('error', resolve);
        });
        expect(error, address).toBeInstanceOf(PrivateAddressError);
        expect(connected).toBe(false);
      }
      await new Promise((r) => setTimeout(r, 50));
      expect(upstream.seen).toEqual([]);
    } finally {
      upstream.close();
    }
  });

  it('classifies exactly as the importer: one classifier, shipped unchanged to generated servers', () => {
    const files = runtimeFiles();
    expect(files['net/private-address.ts']).toBe(
      readFileSync(new URL('../../src/core/net/private-address.ts', import.meta.url), 'utf8'),
    );
    const table = [
      ...PRIVATE,
      '0.0.0.0',
      '172.16.5.4',
      '192.168.1.1',
      '224.0.0.1',
      'fe80::1',
      '64:ff9b::a00:1',
      '8.8.8.8',
      '172.32.0.1',
      '2001:4860:4860::8888',
      '::ffff:8.8.8.8',
    ];
    for (const address of table) {
      const importer = privateAddressReason(address);
      const runtime = firstPrivate([v(address)])?.reason;
      expect(runtime, address).toBe(importer);
    }
  });
});

describe('generated server: http tools whose host name resolves to loopback', () => {
  const NAME = 'upstream.mcpf-private.test';
  let upstream: RecordingUpstream;
  let work: string;
  let client: Client;

  beforeAll(async () => {
    upstream = await startRecordingUpstream(() => ({ status: 200, json: { pong: true } }));
    const port = new URL(upstream.url).port;
    work = mkdtempSync(join(tmpdir(), 'mcpf-private-lookup-'));
    // The server process resolves NAME to 127.0.0.1 (as a rebinding or internal name would), nothing else changes.
    const preload = join(work, 'resolve-name.mjs');
    writeFileSync(
      preload,
      `import dns from 'node:dns';
const original = dns.lookup;
dns.lookup = function (host, options, callback) {
  if (host !== ${JSON.stringify(NAME)}) return original.apply(this, arguments);
  const cb = typeof options === 'function' ? options : callback;
  const all = typeof options === 'object' && options !== null && options.all;
  process.nextTick(() => (all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)));
};
`,
    );
    const named = `http://${NAME}:${port}`;
    const tool = (name: string, connection: string) => ({
      name,
      description: `Ping through ${connection}`,
      http: { connection, method: 'GET', path: `/${name}` },
    });
    const result = validateSpec({
      name: 'private-lookup',
      connections: [
        { name: 'named', type: 'http', baseUrl: named },
        { name: 'allowed', type: 'http', baseUrl: named, allowPrivateAddresses: true },
        { name: 'operator', type: 'http', baseUrl: 'https://api.example.com', baseUrlEnv: 'OPERATOR_URL' },
        { name: 'literal', type: 'http', baseUrl: upstream.url },
      ],
      tools: [
        tool('via_named', 'named'),
        tool('via_allowed', 'allowed'),
        tool('via_operator', 'operator'),
        tool('via_literal', 'literal'),
      ],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const created = await createServerProject({
      spec: result.spec!,
      specDir: work,
      outDir: join(work, 'server'),
      runTests: false,
    });
    client = await connectStdio(created.bundle.file, '2026-07-28', {
      NODE_OPTIONS: `--import=${pathToFileURL(preload).href}`,
      OPERATOR_URL: named,
    });
  }, 180_000);

  afterAll(async () => {
    await client?.close();
    upstream?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('refuses a spec host name resolving to 127.0.0.1: a clear error and zero requests upstream', async () => {
    upstream.seen.length = 0;
    const r = await client.callTool({ name: 'via_named', arguments: {} });
    expect(r.isError).toBe(true);
    const text = textOf(r);
    expect(text).toContain(NAME);
    expect(text).toContain('127.0.0.1');
    expect(text).toContain('loopback');
    expect(text).toContain('allowPrivateAddresses');
    expect(upstream.seen).toEqual([]);
  });

  it('reaches it when the connection allows private addresses (import: --allow-private-base-url)', async () => {
    upstream.seen.length = 0;
    const r = await client.callTool({ name: 'via_allowed', arguments: {} });
    expect(r.isError).toBeFalsy();
    expect(textOf(r)).toContain('pong');
    expect(upstream.seen.map((s) => s.url)).toEqual(['/via_allowed']);
  });

  it('reaches it through a baseUrlEnv override (the operator chose it) and through a literal loopback URL', async () => {
    upstream.seen.length = 0;
    const viaEnv = await client.callTool({ name: 'via_operator', arguments: {} });
    expect(viaEnv.isError).toBeFalsy();
    const literal = await client.callTool({ name: 'via_literal', arguments: {} });
    expect(literal.isError).toBeFalsy();
    expect(upstream.seen.map((s) => s.url)).toEqual(['/via_operator', '/via_literal']);
  });
});
