/**
 * What MCP clients expect of a generated server, proven with the SDK client in both protocol eras:
 * cancellation reaches the upstream request and the tool body, progress and log notifications arrive (logs at the
 * client's level and not below), SIGTERM lets a running HTTP call finish before the process exits 0, and 401
 * answers carry a WWW-Authenticate challenge.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Client, LOG_LEVEL_META_KEY } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { validateSpec } from '../../src/core/spec/index.js';
import {
  connectHttp,
  connectStdio,
  ERAS,
  type Era,
  type HttpServerProcess,
  newClient,
  startHttp,
  textOf,
} from '../helpers/mcp.js';

const TOKEN = 'client-features-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };

/** Upstream requests by id: `hold` ones never get an answer (closed says the server side went away). */
const held = new Map<string, { closed: boolean }>();
const marks = new Set<string>();
let upstream: Server;
let upstreamUrl: string;
let work: string;
let bundle: string;
let http: HttpServerProcess;

const WAIT_THEN_MARK = `
await new Promise<void>((resolve, reject) => {
  const timer = setTimeout(resolve, args.ms);
  ctx.signal.addEventListener('abort', () => { clearTimeout(timer); reject(ctx.signal.reason); });
});
await fetch(ctx.env('UPSTREAM') + '/mark/' + encodeURIComponent(args.id));
return 'marked ' + args.id;`;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const [, kind, id = ''] = (req.url ?? '').split('/');
    if (kind === 'hold') {
      const entry = { closed: false };
      held.set(decodeURIComponent(id), entry);
      res.on('close', () => {
        entry.closed = true;
      });
      return; // never answered: only the caller going away ends it
    }
    if (kind === 'mark') marks.add(decodeURIComponent(id));
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  work = mkdtempSync(join(tmpdir(), 'mcpf-client-features-'));
  const id = { type: 'string', required: true };
  const result = validateSpec({
    name: 'client-features',
    auth: { type: 'bearer', envVar: 'MCP_TOKEN' },
    connections: [{ name: 'up', type: 'http', baseUrlEnv: 'UPSTREAM' }],
    tools: [
      {
        name: 'hold',
        description: 'an upstream request that never answers',
        parameters: { id },
        http: { connection: 'up', path: '/hold/{{id}}' },
      },
      {
        name: 'wait_then_mark',
        description: 'waits, then marks the id upstream',
        parameters: { id, ms: { type: 'integer', required: true } },
        code: { source: WAIT_THEN_MARK },
      },
      {
        name: 'steps',
        description: 'reports three steps of progress',
        code: {
          // Work between reports: the SDK client drops progress read in the same chunk as the result.
          source:
            'for (let i = 1; i <= 3; i++) {\n  await ctx.progress(i, 3, `step ${i}`);\n  await new Promise((r) => setTimeout(r, 30));\n}\nreturn "done";',
        },
      },
      {
        name: 'chatty',
        description: 'logs at every level',
        code: {
          source:
            "ctx.log.debug('d-line'); ctx.log.info('i-line', { n: 1 }); ctx.log.warn('w-line'); ctx.log.error('e-line');\nreturn 'logged';",
        },
      },
    ],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  const created = await createServerProject({
    spec: result.spec!,
    specDir: work,
    outDir: join(work, 'server'),
    runTests: false,
  });
  bundle = created.bundle.file;
  http = await startHttp(bundle, { ...env(), LOG_LEVEL: 'info' });
});

afterAll(async () => {
  await http?.stop();
  upstream?.closeAllConnections();
  upstream?.close();
  rmSync(work, { recursive: true, force: true });
});

const env = () => ({ UPSTREAM: upstreamUrl, MCP_TOKEN: TOKEN });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) return false;
    await sleep(20);
  }
  return true;
}

type Transport = 'stdio' | 'http';
const COMBOS = ERAS.flatMap((era) => (['stdio', 'http'] as Transport[]).map((t) => [era, t] as const));

async function open(era: Era, transport: Transport): Promise<Client> {
  return transport === 'stdio' ? connectStdio(bundle, era, env()) : connectHttp(http.url, era, AUTH);
}

describe.each(COMBOS)('%s over %s', (era, transport) => {
  let client: Client;
  const logs: Array<{ level: string; data: unknown; logger?: string }> = [];
  beforeAll(async () => {
    client = await open(era, transport);
    client.setNotificationHandler('notifications/message', (n) => {
      logs.push(n.params as (typeof logs)[number]);
    });
  });
  afterAll(async () => {
    await client?.close();
  });

  /**
   * Starts a call and cancels it with the SDK's cancellation: notifications/cancelled on stdio and on 2025 HTTP
   * (which has a session, so the notification reaches the instance running the call), the request stream
   * aborted on 2026 HTTP.
   */
  async function cancelled(name: string, args: Record<string, unknown>, started: () => Promise<void>) {
    const cancel = new AbortController();
    const call = client.callTool({ name, arguments: args }, { signal: cancel.signal });
    call.catch(() => undefined);
    await started();
    cancel.abort();
    await expect(call).rejects.toThrow();
  }

  it('a cancelled call aborts its upstream request', async () => {
    const id = `hold-${era}-${transport}`;
    await cancelled('hold', { id }, async () => {
      expect(await until(() => held.has(id), 5_000)).toBe(true);
    });
    // The tool would otherwise hold the upstream request until its 30 s timeout.
    expect(await until(() => held.get(id)?.closed === true, 5_000)).toBe(true);
  });

  it('a cancelled code tool stops at ctx.signal: its side effect never happens', async () => {
    const control = `mark-control-${era}-${transport}`;
    const done = await client.callTool({ name: 'wait_then_mark', arguments: { id: control, ms: 10 } });
    expect(textOf(done)).toContain(`marked ${control}`);
    expect(marks.has(control)).toBe(true);

    const id = `mark-cancelled-${era}-${transport}`;
    await cancelled('wait_then_mark', { id, ms: 1_200 }, () => sleep(300));
    await sleep(1_600);
    expect(marks.has(id)).toBe(false);
  });

  it('sends progress with the client token, and nothing without one', async () => {
    const seen: Array<{ progress: number; total?: number; message?: string }> = [];
    const result = await client.callTool(
      { name: 'steps', arguments: {} },
      { onprogress: (p) => void seen.push(p) },
    );
    expect(textOf(result)).toContain('done');
    expect(seen.map((p) => [p.progress, p.total, p.message])).toEqual([
      [1, 3, 'step 1'],
      [2, 3, 'step 2'],
      [3, 3, 'step 3'],
    ]);
    const quiet = await client.callTool({ name: 'steps', arguments: {} });
    expect(textOf(quiet)).toContain('done');
  });

  it('sends the tool log to the client at its level and not below', async () => {
    const call = async (level?: string) => {
      logs.length = 0;
      const result = await client.callTool({
        name: 'chatty',
        arguments: {},
        ...(level && era === '2026-07-28' ? { _meta: { [LOG_LEVEL_META_KEY]: level } } : {}),
      });
      expect(textOf(result)).toContain('logged');
      await sleep(50);
      return logs.map((l) => l.level);
    };
    if (era === '2025-11-25') {
      if (transport === 'stdio') {
        // A 2025 session keeps the level the client set.
        await client.setLoggingLevel('warning');
        expect(await call()).toEqual(['warning', 'error']);
        await client.setLoggingLevel('debug');
        expect(await call()).toEqual(['debug', 'info', 'warning', 'error']);
      } else {
        // Stateless 2025 HTTP has no session to keep a level in: the SDK sends every level.
        expect(await call()).toEqual(['debug', 'info', 'warning', 'error']);
      }
    } else {
      // 2026-07-28: the level travels with each request; none asked, none sent.
      expect(await call('warning')).toEqual(['warning', 'error']);
      expect(await call()).toEqual([]);
      expect(await call('debug')).toEqual(['debug', 'info', 'warning', 'error']);
    }
    const info = logs.find((l) => l.level === 'info');
    expect(info).toMatchObject({ logger: 'chatty', data: { message: 'i-line', n: 1 } });
  });
});

describe('graceful shutdown over HTTP', () => {
  it.each(ERAS)(
    '%s: SIGTERM lets a running call finish, refuses new connections, then exits 0',
    async (era) => {
      const server = await startHttp(bundle, { ...env(), MCP_SHUTDOWN_GRACE_MS: '10000' });
      const exited = new Promise<number | null>((r) => server.child.once('exit', (code) => r(code)));
      const client = await connectHttp(server.url, era, AUTH);
      const id = `graceful-${era}`;
      const started = Date.now();
      const call = client.callTool({ name: 'wait_then_mark', arguments: { id, ms: 1_500 } });
      await sleep(300);
      server.child.kill('SIGTERM');
      await sleep(200);
      const { port } = new URL(server.url);
      const refused = await new Promise<string>((resolve) => {
        const socket = connect(Number(port), '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      });
      expect(refused).toBe('ECONNREFUSED');
      const result = await call;
      expect(result.isError).toBeFalsy();
      expect(textOf(result)).toContain(`marked ${id}`);
      expect(marks.has(id)).toBe(true);
      expect(await exited).toBe(0);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
      await client.close().catch(() => undefined);
    },
  );

  it('past the grace period a running call is aborted and answers with an error, then the process exits', async () => {
    const server = await startHttp(bundle, { ...env(), MCP_SHUTDOWN_GRACE_MS: '300' });
    const exited = new Promise<number | null>((r) => server.child.once('exit', (code) => r(code)));
    const client = await connectHttp(server.url, '2026-07-28', AUTH);
    const id = 'graceful-too-slow';
    const call = client.callTool({ name: 'wait_then_mark', arguments: { id, ms: 5_000 } });
    await sleep(300);
    server.child.kill('SIGTERM');
    const result = await call;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('shutting down');
    expect(await exited).toBe(0);
    await sleep(200);
    expect(marks.has(id)).toBe(false);
    await client.close().catch(() => undefined);
  });
});

describe('graceful shutdown over stdio', () => {
  it.each(ERAS)(
    '%s: SIGTERM lets a running call answer, refuses new calls, then the process exits',
    async (era) => {
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [bundle, '--transport', 'stdio'],
        env: { ...(process.env as Record<string, string>), LOG_LEVEL: 'info', ...env() },
        stderr: 'pipe',
      });
      let stderr = '';
      transport.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const client = newClient(era);
      await client.connect(transport);
      // A pinned 2026 client connects without a round trip: wait until the server really serves.
      await client.listTools();
      const pid = transport.pid!;
      const id = `stdio-graceful-${era}`;
      const call = client.callTool({ name: 'wait_then_mark', arguments: { id, ms: 1_000 } });
      await sleep(300);
      process.kill(pid, 'SIGTERM');
      if (!(await until(() => stderr.includes('"shutting down"'), 5_000)))
        throw new Error(`no shutdown in the server log: ${stderr}`);
      const late = await client.callTool({ name: 'wait_then_mark', arguments: { id: `${id}-late`, ms: 10 } });
      expect(late.isError).toBe(true);
      expect(textOf(late)).toContain('shutting down');
      const result = await call;
      expect(result.isError).toBeFalsy();
      expect(textOf(result)).toContain(`marked ${id}`);
      const alive = () => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      expect(await until(() => !alive(), 5_000)).toBe(true);
      expect(marks.has(`${id}-late`)).toBe(false);
      await client.close().catch(() => undefined);
    },
  );
});

describe('401 challenge', () => {
  it('bearer: WWW-Authenticate with realm, and error="invalid_token" for a wrong token', async () => {
    const missing = await fetch(http.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="client-features"');
    const wrong = await fetch(http.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer nope' },
      body: '{}',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="client-features", error="invalid_token"/,
    );
  });
});
