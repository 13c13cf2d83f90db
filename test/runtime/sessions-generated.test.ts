/**
 * A generated server over HTTP, 2025-11-25 client: the session carries notifications/cancelled to the running
 * code tool (its upstream request after the wait is never made) and logging/setLevel to what the client gets.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { connectHttp, type HttpServerProcess, startHttp, textOf } from '../helpers/mcp.js';
import { type RecordingUpstream, startRecordingUpstream } from '../helpers/upstream.js';

let upstream: RecordingUpstream;
let work: string;
let http: HttpServerProcess;

beforeAll(async () => {
  upstream = await startRecordingUpstream(() => ({ status: 200, json: {} }));
  work = mkdtempSync(join(tmpdir(), 'mcpf-sess-'));
  const result = validateSpec({
    name: 'sessions-server',
    tools: [
      {
        name: 'slow',
        description: 'waits, then calls the upstream',
        code: {
          source: `
await fetch(ctx.env('UPSTREAM') + '/start');
await new Promise((r) => setTimeout(r, 700));
if (ctx.signal.aborted) return 'aborted';
await fetch(ctx.env('UPSTREAM') + '/after');
return 'done';`,
        },
      },
      {
        name: 'chatty',
        description: 'logs at two levels',
        code: { source: "ctx.log.debug('debug-line'); ctx.log.error('error-line'); return 'ok';" },
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
  http = await startHttp(created.bundle.file, { UPSTREAM: upstream.url });
}, 120_000);

afterAll(async () => {
  await http?.stop();
  upstream?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('generated server, 2025-11-25 over HTTP, with a session', () => {
  it('a cancel aborts the running call (no upstream request after the wait)', async () => {
    upstream.seen.length = 0;
    const c = await connectHttp(http.url, '2025-11-25');
    const ac = new AbortController();
    const call = c.callTool({ name: 'slow', arguments: {} }, { signal: ac.signal });
    await expect.poll(() => upstream.seen.length).toBe(1);
    ac.abort('stop');
    await expect(call).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 1000));
    expect(upstream.seen.map((s) => s.url)).toEqual(['/start']);
    // Control: uncancelled, the same call makes both requests.
    expect(textOf(await c.callTool({ name: 'slow', arguments: {} }))).toBe('done');
    expect(upstream.seen.map((s) => s.url)).toEqual(['/start', '/start', '/after']);
    await c.close();
  });

  it('logging/setLevel changes what the client receives', async () => {
    const c = await connectHttp(http.url, '2025-11-25');
    const seen: string[] = [];
    c.setNotificationHandler('notifications/message', (n) => {
      const data = n.params.data as { message?: string } | string;
      seen.push(typeof data === 'string' ? data : String(data.message));
    });
    await c.setLoggingLevel('error');
    await c.callTool({ name: 'chatty', arguments: {} });
    await c.setLoggingLevel('debug');
    await c.callTool({ name: 'chatty', arguments: {} });
    await expect.poll(() => seen.filter((s) => s.endsWith('-line')).length).toBe(3);
    expect(seen.filter((s) => s.endsWith('-line'))).toEqual(['error-line', 'debug-line', 'error-line']);
    await c.close();
  });
});
