// The sdk-minimal server plus what generated servers do in front of the MCP handler: serve only
// /mcp, and validate Host and Origin against localhost (DNS-rebinding protection, answered with 403
// by the SDK's guards). Port from --port or PORT.
//   node test/conformance/servers/sdk-guarded.mjs --transport http --port 3999
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import {
  localhostHostValidation,
  localhostOriginValidation,
  toNodeHandler,
} from '@modelcontextprotocol/node';
import { createMcpHandler, fromJsonSchema, McpServer } from '@modelcontextprotocol/server';

const { values } = parseArgs({
  options: { port: { type: 'string' }, transport: { type: 'string' } },
  strict: false,
});
const port = Number(values.port ?? process.env.PORT ?? 3999);

function factory() {
  const s = new McpServer(
    { name: 'proto-guarded', version: '1.0.0' },
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

const handle = toNodeHandler(createMcpHandler(factory));
const hostOk = localhostHostValidation();
const originOk = localhostOriginValidation();
createServer((req, res) => {
  if (!hostOk(req, res) || !originOk(req, res)) return; // guard already answered 403
  if (new URL(req.url ?? '/', 'http://localhost').pathname !== '/mcp') {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
    return;
  }
  handle(req, res);
}).listen(port, '127.0.0.1');
