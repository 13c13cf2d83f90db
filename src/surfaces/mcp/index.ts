/** MCP Factory as an MCP server (tools over the control plane), served over stdio and Streamable HTTP. */
export { createFactoryMcpServer, errorResult, type FactoryMcpOptions } from './server.js';
export {
  createFactoryMcpHttp,
  type FactoryMcpHttp,
  type FactoryMcpHttpOptions,
  serveFactoryMcpHttp,
  serveFactoryStdio,
} from './transports.js';
