// SDK v2 server implementing the conformance suite's reference fixtures (the tools, resources and
// prompts of the suite's everything-server, minus the tasks extension, the SEP-1034/1330
// elicitation forms and the server-stateless diagnostic tools), so that scenarios which only test a
// fixture exercise the SDK for real. See docs/conformance.md ("fixtures server").
//
// Wiring: 2026-07-28 traffic goes to createMcpHandler(factory, { legacy: 'reject' }); 2025-era
// traffic (isLegacyRequest) goes to a SESSIONFUL NodeStreamableHTTPServerTransport per session.
// With createMcpHandler's default stateless legacy fallback, tools-call-sampling and
// tools-call-elicitation hang on 2025-11-25 (the client's reply to the server's request lands on a
// fresh server instance); the sessionful leg fixes that.
//   node test/conformance/servers/sdk-fixtures.mjs --transport http --port 3999
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import {
  localhostHostValidation,
  localhostOriginValidation,
  NodeStreamableHTTPServerTransport,
  toNodeHandler,
  toWebRequest,
} from '@modelcontextprotocol/node';
import {
  acceptedContent,
  completable,
  createMcpHandler,
  createRequestStateCodec,
  fromJsonSchema,
  inputRequired,
  isLegacyRequest,
  McpServer,
  ResourceTemplate,
} from '@modelcontextprotocol/server';

const codec = createRequestStateCodec({ key: randomBytes(32) });

import { z } from 'zod';

const IMG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const WAV = 'UklGRiQAAABXQVZFZm10IBAAAAABAAEARKwAAIhYAQACABAAZGF0YQAAAAA=';
const JS2020 = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  $defs: {
    address: {
      $anchor: 'addressDef',
      type: 'object',
      properties: { street: { type: 'string' }, city: { type: 'string' } },
    },
  },
  properties: {
    name: { type: 'string' },
    address: { $ref: '#/$defs/address' },
    contactMethod: { type: 'string', enum: ['phone', 'email'] },
    phone: { type: 'string' },
    email: { type: 'string' },
  },
  allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
  if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema 2020-12 if/then/else keyword
  then: { required: ['phone'] },
  else: { required: ['email'] },
  additionalProperties: false,
};
const empty = fromJsonSchema({ type: 'object', properties: {} });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function factory() {
  const s = new McpServer(
    { name: 'fixtures', version: '1.0.0' },
    {
      capabilities: {
        tools: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
        logging: {},
        completions: {},
      },
      requestState: { verify: codec.verify },
    },
  );
  const text = (t) => ({ content: [{ type: 'text', text: t }] });
  s.registerTool('test_simple_text', { description: 'simple text', inputSchema: empty }, async () =>
    text('This is a simple text response for testing.'),
  );
  s.registerTool('test_image_content', { description: 'image', inputSchema: empty }, async () => ({
    content: [{ type: 'image', data: IMG, mimeType: 'image/png' }],
  }));
  s.registerTool('test_audio_content', { description: 'audio', inputSchema: empty }, async () => ({
    content: [{ type: 'audio', data: WAV, mimeType: 'audio/wav' }],
  }));
  s.registerTool('test_embedded_resource', { description: 'embedded', inputSchema: empty }, async () => ({
    content: [
      {
        type: 'resource',
        resource: {
          uri: 'test://embedded-resource',
          mimeType: 'text/plain',
          text: 'This is an embedded resource content.',
        },
      },
    ],
  }));
  s.registerTool('test_multiple_content_types', { description: 'mixed', inputSchema: empty }, async () => ({
    content: [
      { type: 'text', text: 'Multiple content types test:' },
      { type: 'image', data: IMG, mimeType: 'image/png' },
      {
        type: 'resource',
        resource: {
          uri: 'test://mixed-content-resource',
          mimeType: 'application/json',
          text: JSON.stringify({ test: 'data', value: 123 }),
        },
      },
    ],
  }));
  s.registerTool(
    'test_tool_with_logging',
    { description: 'logging', inputSchema: empty },
    async (_a, ctx) => {
      for (const [i, m] of [
        'Tool execution started',
        'Tool processing data',
        'Tool execution completed',
      ].entries()) {
        if (i) await sleep(50);
        await ctx.mcpReq.notify({ method: 'notifications/message', params: { level: 'info', data: m } });
      }
      return text('Tool with logging executed successfully');
    },
  );
  s.registerTool(
    'test_tool_with_progress',
    { description: 'progress', inputSchema: empty },
    async (_a, ctx) => {
      const progressToken = ctx.mcpReq._meta?.progressToken ?? 0;
      for (const p of [0, 50, 100]) {
        if (p) await sleep(50);
        await ctx.mcpReq.notify({
          method: 'notifications/progress',
          params: { progressToken, progress: p, total: 100, message: `Completed step ${p} of 100` },
        });
      }
      return text(String(progressToken));
    },
  );
  s.registerTool('test_error_handling', { description: 'error', inputSchema: empty }, async () => {
    throw new Error('This tool intentionally returns an error for testing');
  });
  s.registerTool(
    'test_sampling',
    {
      description: 'sampling',
      inputSchema: fromJsonSchema({
        type: 'object',
        properties: { prompt: { type: 'string' } },
        required: ['prompt'],
      }),
    },
    async (a, ctx) => {
      try {
        const r = await ctx.mcpReq.send({
          method: 'sampling/createMessage',
          params: { messages: [{ role: 'user', content: { type: 'text', text: a.prompt } }], maxTokens: 100 },
        });
        return text(`LLM response: ${r.content?.text ?? 'No response'}`);
      } catch (e) {
        return text(`Sampling not supported or error: ${e.message}`);
      }
    },
  );
  s.registerTool(
    'test_elicitation',
    {
      description: 'elicitation',
      inputSchema: fromJsonSchema({
        type: 'object',
        properties: { message: { type: 'string' } },
        required: ['message'],
      }),
    },
    async (a, ctx) => {
      try {
        const r = await ctx.mcpReq.send({
          method: 'elicitation/create',
          params: {
            message: a.message,
            requestedSchema: {
              type: 'object',
              properties: { response: { type: 'string', description: "User's response" } },
              required: ['response'],
            },
          },
        });
        return text(`User response: action=${r.action}, content=${JSON.stringify(r.content || {})}`);
      } catch (e) {
        return text(`Elicitation not supported or error: ${e.message}`);
      }
    },
  );
  s.registerTool(
    'json_schema_2020_12_tool',
    { description: 'Tool with JSON Schema 2020-12 features', inputSchema: fromJsonSchema(JS2020) },
    async (a) => text(`JSON Schema 2020-12 tool called with: ${JSON.stringify(a)}`),
  );

  s.registerResource(
    'static-text',
    'test://static-text',
    { description: 'static text', mimeType: 'text/plain' },
    async () => ({
      contents: [
        {
          uri: 'test://static-text',
          mimeType: 'text/plain',
          text: 'This is the content of the static text resource.',
        },
      ],
    }),
  );
  s.registerResource(
    'static-binary',
    'test://static-binary',
    { description: 'static binary', mimeType: 'image/png' },
    async () => ({ contents: [{ uri: 'test://static-binary', mimeType: 'image/png', blob: IMG }] }),
  );
  s.registerResource(
    'template',
    new ResourceTemplate('test://template/{id}/data', { list: undefined }),
    { description: 'template', mimeType: 'application/json' },
    async (uri, v) => ({
      contents: [
        {
          uri: uri.toString(),
          mimeType: 'application/json',
          text: JSON.stringify({ id: v.id, templateTest: true, data: `Data for ID: ${v.id}` }),
        },
      ],
    }),
  );
  s.registerResource(
    'watched-resource',
    'test://watched-resource',
    { description: 'watched', mimeType: 'text/plain' },
    async () => ({ contents: [{ uri: 'test://watched-resource', mimeType: 'text/plain', text: 'watched' }] }),
  );
  try {
    s.server.setRequestHandler('resources/subscribe', async () => ({}));
    s.server.setRequestHandler('resources/unsubscribe', async () => ({}));
  } catch (e) {
    console.error('subscribe handler:', e.message);
  }

  const msg = (t) => ({ role: 'user', content: { type: 'text', text: t } });
  s.registerPrompt('test_simple_prompt', { description: 'simple' }, async () => ({
    messages: [msg('This is a simple prompt for testing.')],
  }));
  s.registerPrompt(
    'test_prompt_with_arguments',
    {
      description: 'args',
      argsSchema: {
        arg1: completable(z.string().describe('First test argument'), (v) =>
          ['test1', 'test2'].filter((x) => x.startsWith(v)),
        ),
        arg2: z.string().describe('Second test argument'),
      },
    },
    async ({ arg1, arg2 }) => ({ messages: [msg(`Prompt with arguments: arg1='${arg1}', arg2='${arg2}'`)] }),
  );
  s.registerPrompt(
    'test_prompt_with_embedded_resource',
    { description: 'embedded', argsSchema: { resourceUri: z.string() } },
    async ({ resourceUri }) => ({
      messages: [
        {
          role: 'user',
          content: {
            type: 'resource',
            resource: {
              uri: resourceUri,
              mimeType: 'text/plain',
              text: 'Embedded resource content for testing.',
            },
          },
        },
        msg('Please process the embedded resource above.'),
      ],
    }),
  );
  s.registerPrompt('test_prompt_with_image', { description: 'image' }, async () => ({
    messages: [
      { role: 'user', content: { type: 'image', data: IMG, mimeType: 'image/png' } },
      msg('Please analyze the image above.'),
    ],
  }));
  // ---- 2026-07-28 MRTR fixtures (SEP-2322) ----
  const ask = (message, prop) =>
    inputRequired.elicit({
      message,
      requestedSchema: { type: 'object', properties: { [prop]: { type: 'string' } }, required: [prop] },
    });
  s.registerTool(
    'test_input_required_result_elicitation',
    { description: 'mrtr elicit', inputSchema: empty },
    async (_a, ctx) => {
      const c = acceptedContent(ctx.mcpReq.inputResponses, 'user_name');
      if (!c) return inputRequired({ inputRequests: { user_name: ask('What is your name?', 'name') } });
      return text(`Hello, ${c.name}!`);
    },
  );
  s.registerTool(
    'test_input_required_result_sampling',
    { description: 'mrtr sampling', inputSchema: empty },
    async (_a, ctx) => {
      const r = ctx.mcpReq.inputResponses?.capital_question;
      if (!r)
        return inputRequired({
          inputRequests: {
            capital_question: inputRequired.createMessage({
              messages: [{ role: 'user', content: { type: 'text', text: 'What is the capital of France?' } }],
              maxTokens: 100,
            }),
          },
        });
      return text(`Sampling said: ${r.content?.text ?? JSON.stringify(r)}`);
    },
  );
  s.registerTool(
    'test_input_required_result_list_roots',
    { description: 'mrtr roots', inputSchema: empty },
    async (_a, ctx) => {
      const r = ctx.mcpReq.inputResponses?.client_roots;
      if (!r) return inputRequired({ inputRequests: { client_roots: inputRequired.listRoots() } });
      return text(`Roots: ${(r.roots ?? []).map((x) => x.uri).join(', ')}`);
    },
  );
  s.registerTool(
    'test_input_required_result_request_state',
    { description: 'mrtr state', inputSchema: empty },
    async (_a, ctx) => {
      const st = ctx.mcpReq.requestState();
      if (!ctx.mcpReq.inputResponses?.confirm || !st)
        return inputRequired({
          inputRequests: {
            confirm: inputRequired.elicit({
              message: 'Please confirm',
              requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
            }),
          },
          requestState: await codec.mint({ step: 1 }),
        });
      return text(`state-ok (${JSON.stringify(st)})`);
    },
  );
  s.registerTool(
    'test_input_required_result_multiple_inputs',
    { description: 'mrtr multi', inputSchema: empty },
    async (_a, ctx) => {
      const ir = ctx.mcpReq.inputResponses ?? {};
      if (!(ir.user_name && ir.greeting && ir.client_roots) || !ctx.mcpReq.requestState())
        return inputRequired({
          inputRequests: {
            user_name: ask('What is your name?', 'name'),
            greeting: inputRequired.createMessage({
              messages: [{ role: 'user', content: { type: 'text', text: 'Generate a greeting' } }],
              maxTokens: 50,
            }),
            client_roots: inputRequired.listRoots(),
          },
          requestState: await codec.mint({ step: 'multi' }),
        });
      return text('all inputs received');
    },
  );
  s.registerTool(
    'test_input_required_result_multi_round',
    { description: 'mrtr rounds', inputSchema: empty },
    async (_a, ctx) => {
      const st = ctx.mcpReq.requestState();
      const ir = ctx.mcpReq.inputResponses ?? {};
      if (!st)
        return inputRequired({
          inputRequests: { step1: ask('Step 1: What is your name?', 'name') },
          requestState: await codec.mint({ round: 1 }),
        });
      if (st.round === 1 && ir.step1)
        return inputRequired({
          inputRequests: { step2: ask('Step 2: What is your favorite color?', 'color') },
          requestState: await codec.mint({ round: 2, name: ir.step1.content?.name }),
        });
      if (st.round === 2 && ir.step2) return text(`done: ${st.name} likes ${ir.step2.content?.color}`);
      return inputRequired({
        inputRequests: { step1: ask('Step 1: What is your name?', 'name') },
        requestState: await codec.mint({ round: 1 }),
      });
    },
  );
  s.registerTool(
    'test_input_required_result_tampered_state',
    { description: 'mrtr tamper', inputSchema: empty },
    async (_a, ctx) => {
      if (!ctx.mcpReq.requestState())
        return inputRequired({
          inputRequests: { confirm: ask('Confirm?', 'ok') },
          requestState: await codec.mint({ t: 1 }),
        });
      return text('state verified');
    },
  );
  s.registerTool(
    'test_input_required_result_capabilities',
    { description: 'mrtr caps', inputSchema: empty },
    async (_a, ctx) => {
      const caps = ctx.mcpReq.envelope?.['io.modelcontextprotocol/clientCapabilities'] ?? {};
      const ir = ctx.mcpReq.inputResponses ?? {};
      if (Object.keys(ir).length) return text(`capabilities-ok: received ${Object.keys(ir).join(',')}`);
      const reqs = {};
      if (caps.sampling)
        reqs.sample = inputRequired.createMessage({
          messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }],
          maxTokens: 10,
        });
      if (caps.elicitation) reqs.elicit = ask('Name?', 'name');
      if (!Object.keys(reqs).length) return text('No supported capabilities declared');
      return inputRequired({ inputRequests: reqs });
    },
  );
  s.registerPrompt('test_input_required_result_prompt', { description: 'mrtr prompt' }, async (ctx) => {
    const c = acceptedContent(ctx.mcpReq.inputResponses, 'user_context');
    if (!c)
      return inputRequired({
        inputRequests: { user_context: ask('What context should the prompt use?', 'context') },
      });
    return { messages: [msg(`Context: ${c.context}`)] };
  });
  return s;
}

// modern (2026-07-28) leg: strict entry; legacy (2025) leg: sessionful transport per session
const modern = toNodeHandler(createMcpHandler(factory, { legacy: 'reject' }));
const sessions = new Map();
async function legacy(req, res, body) {
  const sid = req.headers['mcp-session-id'];
  let t = sid ? sessions.get(sid) : undefined;
  if (!t) {
    if (sid || req.method !== 'POST' || body?.method !== 'initialize') {
      res.writeHead(sid ? 404 : 400, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          jsonrpc: '2.0',
          error: { code: -32000, message: sid ? 'Session not found' : 'Bad Request: no session' },
          id: null,
        }),
      );
      return;
    }
    t = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (id) => sessions.set(id, t),
    });
    t.onclose = () => {
      if (t.sessionId) sessions.delete(t.sessionId);
    };
    await factory().connect(t);
  }
  await t.handleRequest(req, res, body);
}
const hostOk = localhostHostValidation();
const originOk = localhostOriginValidation();
const pi = process.argv.indexOf('--port');
const port = Number(pi > 0 ? process.argv[pi + 1] : process.env.PORT || 3996);
createServer(async (req, res) => {
  if (!hostOk(req, res) || !originOk(req, res)) return;
  let body;
  if (req.method === 'POST') {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const raw = Buffer.concat(chunks).toString('utf8');
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
  }
  const web = await toWebRequest(req, body);
  if (await isLegacyRequest(web, body)) return legacy(req, res, body);
  return modern(req, res, body);
}).listen(port, '127.0.0.1');
