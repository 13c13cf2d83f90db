/**
 * Code tools ask mid-call: ctx.elicit (the user) and ctx.sample (the client's model), in a generated server over
 * HTTP, both eras (2025-11-25: requests on the session; 2026-07-28: input-required rounds, the body re-run with
 * the answers). With `confirm` as well, the user is asked to confirm once, and earlier answers survive rounds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { ERAS, type Era, type HttpServerProcess, startHttp, textOf } from '../helpers/mcp.js';

let work: string;
let http: HttpServerProcess;
const log: string[] = [];

const BODY = `
const r = await ctx.elicit('Pick a color', { type: 'object', properties: { color: { type: 'string' } }, required: ['color'] });
if (r.action !== 'accept') return 'no color: ' + r.action;
const s = await ctx.sample('Name a fruit that is ' + String(r.content?.color), { maxTokens: 50 });
return String(r.content?.color) + ':' + s.text;
`;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mcpf-ask-'));
  const result = validateSpec({
    name: 'ask-server',
    tools: [
      { name: 'pick', description: 'asks the user, then the model', code: { source: BODY } },
      {
        name: 'guarded_pick',
        description: 'confirmed, then asks',
        annotations: { destructive: true },
        confirm: 'Go?',
        code: { source: BODY },
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
  http = await startHttp(created.bundle.file);
}, 120_000);

afterAll(async () => {
  await http?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function client(era: Era, color: 'decline' | string, capable = true): Promise<Client> {
  const c = new Client(
    { name: 'ask-test', version: '1.0.0' },
    {
      versionNegotiation: { mode: era === '2025-11-25' ? 'legacy' : { pin: '2026-07-28' } },
      capabilities: capable ? { elicitation: { form: {} }, sampling: {} } : {},
    },
  );
  if (capable) {
    c.setRequestHandler('elicitation/create', async (req) => {
      const message = (req.params as { message: string }).message;
      log.push(`elicit:${message}`);
      if (message === 'Go?') return { action: 'accept', content: { confirm: true } };
      return color === 'decline' ? { action: 'decline' } : { action: 'accept', content: { color } };
    });
    c.setRequestHandler('sampling/createMessage', async (req) => {
      const m = (req.params as { messages: Array<{ content: { text: string } }> }).messages[0]!.content.text;
      log.push(`sample:${m}`);
      return { role: 'assistant', model: 'test', content: { type: 'text', text: 'banana' } };
    });
  }
  await c.connect(new StreamableHTTPClientTransport(new URL(http.url)));
  return c;
}

describe.each(ERAS)('ctx.elicit / ctx.sample (%s)', (era) => {
  it('asks the user, then the model, and returns both answers', async () => {
    log.length = 0;
    const c = await client(era, 'yellow');
    const r = await c.callTool({ name: 'pick', arguments: {} });
    expect(textOf(r)).toBe('yellow:banana');
    expect(log).toEqual(['elicit:Pick a color', 'sample:Name a fruit that is yellow']);
    await c.close();
  });

  it('a declined ask returns decline to the body (and the model is not asked)', async () => {
    log.length = 0;
    const c = await client(era, 'decline');
    expect(textOf(await c.callTool({ name: 'pick', arguments: {} }))).toBe('no color: decline');
    expect(log).toEqual(['elicit:Pick a color']);
    await c.close();
  });

  it('confirm + asks: confirmed once, answers carried across rounds', async () => {
    log.length = 0;
    const c = await client(era, 'red');
    expect(textOf(await c.callTool({ name: 'guarded_pick', arguments: {} }))).toBe('red:banana');
    expect(log).toEqual(['elicit:Go?', 'elicit:Pick a color', 'sample:Name a fruit that is red']);
    await c.close();
  });

  it('a client that cannot be asked gets an error result', async () => {
    const c = await client(era, 'x', false);
    const r = await c.callTool({ name: 'pick', arguments: {} });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/cannot be asked|could not be asked|does not support elicitation/);
    await c.close();
  });
});
