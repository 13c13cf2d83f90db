/**
 * Shared registrations (runtime/tool-table.ts) answer exactly as an McpServer that registers everything itself
 * on each request: both eras, listing, valid and invalid calls, output validation, resources and prompts.
 */
import {
  createMcpHandler,
  fromJsonSchema,
  McpServer,
  ResourceTemplate,
  type StandardSchemaWithJSON,
} from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { lazySchema, sharedServerFactory } from '../../runtime/tool-table.js';

type Schema = (json: Record<string, unknown>) => StandardSchemaWithJSON<unknown, unknown>;

const INPUT = {
  type: 'object',
  properties: { text: { type: 'string', minLength: 2 }, n: { type: 'integer', maximum: 5 } },
  required: ['text'],
  additionalProperties: false,
};
const OUTPUT = { type: 'object', properties: { echoed: { type: 'string' } }, required: ['echoed'] };

function newServer(): McpServer {
  return new McpServer(
    { name: 'table-probe', version: '1.0.0' },
    { capabilities: { tools: {}, resources: {}, prompts: {}, logging: {} }, instructions: 'probe' },
  );
}

/** The same registrations, with validators from `schema` (eager fromJsonSchema or lazySchema). */
function registrations(schema: Schema) {
  const input = schema(INPUT);
  const output = schema(OUTPUT);
  const args = schema({ type: 'object', properties: { topic: { type: 'string' } }, required: ['topic'] });
  return (server: McpServer) => {
    server.registerTool(
      'echo',
      {
        title: 'Echo',
        description: 'Echo it.',
        inputSchema: input,
        outputSchema: output,
        annotations: { readOnlyHint: true },
      },
      async (a: unknown) => {
        const text = (a as { text: string }).text;
        return { content: [{ type: 'text', text }], structuredContent: { echoed: text } };
      },
    );
    // Returns structured content that breaks its own output schema: the SDK must refuse it in both setups.
    server.registerTool(
      'broken',
      { description: 'Bad output.', inputSchema: input, outputSchema: output },
      async () => ({
        content: [{ type: 'text', text: 'x' }],
        structuredContent: { echoed: 42 },
      }),
    );
    server.registerResource('fixed', 'probe://fixed', { mimeType: 'text/plain' }, async (uri) => ({
      contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'fixed text' }],
    }));
    server.registerResource(
      'item',
      new ResourceTemplate('probe://items/{id}', { list: undefined }),
      { mimeType: 'text/plain' },
      async (uri, vars) => ({
        contents: [{ uri: uri.href, mimeType: 'text/plain', text: `item ${vars.id}` }],
      }),
    );
    server.registerPrompt('plan', { description: 'Plan.', argsSchema: args }, (a: unknown) => ({
      messages: [{ role: 'user', content: { type: 'text', text: `plan ${(a as { topic: string }).topic}` } }],
    }));
  };
}

const META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'probe', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

async function ask(
  handler: ReturnType<typeof createMcpHandler>,
  method: string,
  params: Record<string, unknown>,
  legacy: boolean,
): Promise<unknown> {
  const name = (params.name ?? params.uri) as string | undefined;
  const res = await handler.fetch(
    new Request('http://127.0.0.1/mcp', {
      method: 'POST',
      headers: {
        accept: 'application/json, text/event-stream',
        'content-type': 'application/json',
        'mcp-protocol-version': legacy ? '2025-11-25' : '2026-07-28',
        ...(legacy ? {} : { 'mcp-method': method, ...(name ? { 'mcp-name': name } : {}) }),
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method,
        params: legacy ? params : { ...params, _meta: META },
      }),
    }),
  );
  const text = await res.text();
  return {
    status: res.status,
    body: JSON.parse(text.startsWith('{') ? text : (/^data: (.*)$/m.exec(text)?.[1] ?? 'null')),
  };
}

const REQUESTS: Array<[string, Record<string, unknown>]> = [
  ['tools/list', {}],
  ['tools/call', { name: 'echo', arguments: { text: 'hello', n: 3 } }],
  ['tools/call', { name: 'echo', arguments: { text: 'h' } }],
  ['tools/call', { name: 'echo', arguments: { text: 'hello', extra: 1 } }],
  ['tools/call', { name: 'broken', arguments: { text: 'hello' } }],
  ['tools/call', { name: 'missing', arguments: {} }],
  ['resources/list', {}],
  ['resources/templates/list', {}],
  ['resources/read', { uri: 'probe://fixed' }],
  ['resources/read', { uri: 'probe://items/42' }],
  ['resources/read', { uri: 'probe://nowhere' }],
  ['prompts/list', {}],
  ['prompts/get', { name: 'plan', arguments: { topic: 'stock' } }],
  ['prompts/get', { name: 'plan', arguments: {} }],
];

describe('sharedServerFactory', () => {
  it('answers every request as a server that registers everything per request', async () => {
    const register = registrations(fromJsonSchema as Schema);
    const plain = createMcpHandler(() => {
      const s = newServer();
      register(s);
      return s;
    });
    const shared = createMcpHandler(sharedServerFactory(newServer, registrations(lazySchema as Schema)));
    for (const legacy of [false, true]) {
      for (const [method, params] of REQUESTS) {
        const expected = await ask(plain, method, params, legacy);
        // Twice: the first request builds the shared tables, the second reuses them.
        expect(await ask(shared, method, params, legacy), `${method} ${JSON.stringify(params)}`).toEqual(
          expected,
        );
        expect(await ask(shared, method, params, legacy)).toEqual(expected);
      }
    }
    await Promise.all([plain.close(), shared.close()]);
  });

  it('registers once per process, not once per instance', () => {
    let registered = 0;
    const register = registrations(lazySchema as Schema);
    const factory = sharedServerFactory(newServer, (s) => {
      registered++;
      register(s);
    });
    const a = factory();
    const b = factory();
    expect(a).not.toBe(b);
    expect(registered).toBe(1);
  });
});

describe('lazySchema', () => {
  it('compiles on the first validation, not when created', async () => {
    const bad = { type: 'object', properties: { a: { type: 'string', pattern: '(' } } };
    expect(() => fromJsonSchema(bad)).toThrow(/regular expression/i);
    const lazy = lazySchema(bad);
    expect(lazy['~standard'].jsonSchema.input({ target: 'draft-2020-12' })).toBe(bad);
    await expect(async () => lazy['~standard'].validate({ a: 'x' })).rejects.toThrow(/regular expression/i);
  });

  it('validates like fromJsonSchema', async () => {
    const lazy = lazySchema(INPUT);
    const eager = fromJsonSchema(INPUT);
    for (const value of [{ text: 'hello' }, { text: 'h' }, { n: 1 }, { text: 'ok', n: 9 }, 'nope']) {
      expect(await lazy['~standard'].validate(value)).toEqual(await eager['~standard'].validate(value));
    }
  });
});
