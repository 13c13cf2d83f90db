/** The shared MCP client: connect (HTTP or a bundle over stdio), credentials (headers, OAuth), health probe, tool calls. */

export {
  callTool,
  connectStdio,
  negotiatedProtocol,
  type ProtocolChoice,
  type ServerSession,
  type ToolCallOutcome,
  toolCallSummary,
  toolResultText,
} from './call-tool.js';
export { authHeaders, connectMcp, newMcpClient } from './client.js';
export {
  CLIENT_ID_ENV,
  CLIENT_SCOPE_ENV,
  CLIENT_SECRET_ENV,
  clearUpstreamTokenCache,
  clientCredentialsAuth,
  isUpstreamAuth,
  serverProcessEnv,
  staticAuth,
  type UpstreamAuth,
  type UpstreamCredentials,
  upstreamCredentials,
} from './oauth.js';
export { type ExpectedServer, type HealthSample, probeMcp, serverMismatch } from './probe.js';
