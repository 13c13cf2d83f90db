// Minimal MCP server on SDK v2 (@modelcontextprotocol/server + @modelcontextprotocol/node), serving
// both protocol eras through createMcpHandler. It has NO Host/Origin validation on purpose: it is the
// baseline the conformance findings in docs/conformance.md were recorded against.
//   node test/conformance/servers/sdk-minimal.mjs      (PORT env, default 3999)
import { createServer } from 'node:http';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, fromJsonSchema, McpServer } from '@modelcontextprotocol/server';

function factory() {
  const s = new McpServer(
    { name: 'proto', version: '1.0.0' },
    { capabilities: { tools: {}, resources: {}, prompts: {} } },
  );
  s.registerTool(
    'add',
    {
      description: 'add',
      inputSchema: fromJsonSchema({
        type: 'object',
        properties: { a: { type: 'number' }, b: { type: 'number' } },
        required: ['a', 'b'],
      }),
    },
    async (a) => ({ content: [{ type: 'text', text: String(a.a + a.b) }] }),
  );
  return s;
}

const nh = toNodeHandler(createMcpHandler(factory));
createServer((req, res) => nh(req, res)).listen(Number(process.env.PORT || 3999), '127.0.0.1');
