/**
 * `confirm` on a destructive tool, in a generated server compiled and run over HTTP: the user is asked before
 * the call (2025-11-25: elicitation/create on the session; 2026-07-28: an input-required round). Accept runs
 * it; decline, or a client that cannot be asked, leaves the upstream untouched. Spec checks: placeholders must
 * be parameters, and read-only tools cannot ask.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { ERAS, type Era, type HttpServerProcess, startHttp, textOf } from '../helpers/mcp.js';
import { type RecordingUpstream, startRecordingUpstream } from '../helpers/upstream.js';

let upstream: RecordingUpstream;
let work: string;
let http: HttpServerProcess;
const asked: string[] = [];

const SPEC = {
  name: 'confirm-server',
  connections: [{ name: 'up', type: 'http', baseUrlEnv: 'UPSTREAM' }],
  tools: [
    {
      name: 'delete_order',
      description: 'Delete an order',
      parameters: { id: { type: 'string', required: true } },
      annotations: { destructive: true },
      confirm: 'Delete order {{id}}?',
      http: { connection: 'up', method: 'DELETE', path: '/orders/{{id}}' },
    },
  ],
};

beforeAll(async () => {
  upstream = await startRecordingUpstream(() => ({ status: 200, json: { deleted: true } }));
  work = mkdtempSync(join(tmpdir(), 'mcpf-confirm-'));
  const result = validateSpec(SPEC);
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

async function client(era: Era, answer?: 'accept' | 'decline' | 'cancel'): Promise<Client> {
  const c = new Client(
    { name: 'confirm-test', version: '1.0.0' },
    {
      versionNegotiation: { mode: era === '2025-11-25' ? 'legacy' : { pin: '2026-07-28' } },
      capabilities: answer ? { elicitation: { form: {} } } : {},
    },
  );
  if (answer)
    c.setRequestHandler('elicitation/create', async (req) => {
      asked.push((req.params as { message: string }).message);
      return answer === 'accept' ? { action: 'accept', content: { confirm: true } } : { action: answer };
    });
  await c.connect(new StreamableHTTPClientTransport(new URL(http.url)));
  return c;
}

describe.each(ERAS)('confirm over HTTP (%s)', (era) => {
  it('accept: the user is asked with the argument filled in, then the tool runs', async () => {
    upstream.seen.length = 0;
    asked.length = 0;
    const c = await client(era, 'accept');
    const r = await c.callTool({ name: 'delete_order', arguments: { id: 'A-17' } });
    expect(r.isError).toBeFalsy();
    expect(asked).toEqual(['Delete order A-17?']);
    expect(upstream.seen.map((s) => `${s.method} ${s.url}`)).toEqual(['DELETE /orders/A-17']);
    await c.close();
  });

  for (const answer of ['decline', 'cancel'] as const)
    it(`${answer}: an error result, and no upstream request`, async () => {
      upstream.seen.length = 0;
      const c = await client(era, answer);
      const r = await c.callTool({ name: 'delete_order', arguments: { id: 'A-18' } });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/not confirmed.*did not run/);
      expect(upstream.seen).toEqual([]);
      await c.close();
    });

  it('a client without elicitation is refused; nothing runs', async () => {
    upstream.seen.length = 0;
    const c = await client(era);
    const r = await c.callTool({ name: 'delete_order', arguments: { id: 'A-19' } });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/cannot be asked.*did not run/);
    expect(upstream.seen).toEqual([]);
    await c.close();
  });
});

describe('confirm over a 2025 HTTP session, raw', () => {
  const post = (body: unknown, session?: string) =>
    fetch(http.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-11-25',
        ...(session ? { 'mcp-session-id': session } : {}),
      },
      body: JSON.stringify(body),
    });

  // The SDK's elicitInput sends on the standalone GET stream unless told which call it belongs to; a client
  // that has not opened that stream yet (it opens it after initialize, racing its first call) was never asked,
  // and the call hung until the SDK's 60 s request timeout.
  it("asks on the call's own stream: a client that never opens the GET stream is still asked", async () => {
    upstream.seen.length = 0;
    const init = await post({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: { elicitation: { form: {} } },
        clientInfo: { name: 'raw', version: '1' },
      },
    });
    const session = init.headers.get('mcp-session-id')!;
    expect(session).toBeTruthy();
    await init.body?.cancel();
    await (await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, session)).body?.cancel();
    const call = await post(
      {
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'delete_order', arguments: { id: 'R-1' } },
      },
      session,
    );
    const reader = call.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const deadline = Date.now() + 10_000;
    while (!text.includes('elicitation/create') && Date.now() < deadline) {
      const chunk = await Promise.race([
        reader.read(),
        new Promise<{ done: true }>((r) => setTimeout(() => r({ done: true }), deadline - Date.now())),
      ]);
      if (chunk.done) break;
      text += chunk.value;
    }
    expect(text).toContain('Delete order R-1?');
    const asked = JSON.parse(/data: (.*elicitation\/create.*)/.exec(text)![1]!) as { id: number };
    await (
      await post({ jsonrpc: '2.0', id: asked.id, result: { action: 'decline' } }, session)
    ).body?.cancel();
    while (!text.includes('"id":2')) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += chunk.value;
    }
    expect(text).toMatch(/not confirmed.*did not run/);
    expect(upstream.seen).toEqual([]);
  });
});

describe('confirm spec checks', () => {
  const withTool = (extra: Record<string, unknown>) =>
    validateSpec({ ...SPEC, tools: [{ ...SPEC.tools[0], ...extra }] });

  it('a placeholder that is not a parameter is refused', () => {
    const r = withTool({ confirm: 'Delete {{order}}?' });
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r.issues)).toContain('{{order}}');
  });

  it('a read-only tool cannot ask for confirmation', () => {
    const r = withTool({ annotations: { readOnly: true }, confirm: true });
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r.issues)).toContain('read-only');
  });

  it('true and a message with a parameter are accepted', () => {
    expect(withTool({ confirm: true }).ok).toBe(true);
    expect(withTool({ confirm: 'Delete {{ id }}?' }).ok).toBe(true);
  });
});
