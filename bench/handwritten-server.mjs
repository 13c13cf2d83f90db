#!/usr/bin/env node
/**
 * The baseline for the benchmarks: the smallest reasonable hand-written MCP SDK v2 server doing the same
 * work as the generated server's `echo` static tool ("You said: {{text}}", one required string `text`).
 *
 *   node bench/handwritten-server.mjs --transport stdio
 *   node bench/handwritten-server.mjs --transport http --port 0     (prints {"url":"http://127.0.0.1:PORT/mcp"} on stdout)
 *
 * Like the generated server it is stateless over HTTP (one McpServer per request, via createMcpHandler) and
 * serves both protocol eras (2025-11-25 initialize-based and 2026-07-28 stateless).
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, fromJsonSchema, McpServer } from '@modelcontextprotocol/server';

// Same input schema as the generated echo tool (which adds additionalProperties: false).
const inputSchema = fromJsonSchema({
  type: 'object',
  properties: { text: { type: 'string' } },
  required: ['text'],
  additionalProperties: false,
});

function factory() {
  const s = new McpServer({ name: 'handwritten-echo', version: '1.0.0' }, { capabilities: { tools: {} } });
  s.registerTool('echo', { description: 'Echo the text back.', inputSchema }, async (a) => ({
    content: [{ type: 'text', text: `You said: ${a.text}` }],
  }));
  return s;
}

const { values } = parseArgs({
  options: { transport: { type: 'string', default: 'stdio' }, port: { type: 'string', default: '0' } },
});

// A clean exit on SIGTERM/SIGINT so `node --cpu-prof` can write its profile.
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));

if (values.transport === 'stdio') {
  const { serveStdio } = await import('@modelcontextprotocol/server/stdio');
  serveStdio(factory);
  process.stdin.once('end', () => process.exit(0));
} else {
  const nh = toNodeHandler(createMcpHandler(factory));
  const server = createServer((q, r) => {
    nh(q, r).catch(() => {
      if (!r.headersSent) r.writeHead(500).end();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(Number(values.port), '127.0.0.1', () => {
    const { port } = server.address();
    process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}/mcp` })}\n`);
  });
}
