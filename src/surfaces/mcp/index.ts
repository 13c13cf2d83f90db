/** MCP Factory as an MCP server (tools over the control plane), served over stdio and Streamable HTTP. */
export { MCP_DEFAULT_BURST, MCP_REQUESTS_PER_CALL, McpRateLimit } from './rate-limit.js';
export { createFactoryMcpServer, errorResult, type FactoryMcpOptions } from './server.js';
export {
  createFactoryMcpHttp,
  type FactoryMcpHttp,
  type FactoryMcpHttpOptions,
  serveFactoryMcpHttp,
  serveFactoryStdio,
} from './transports.js';
