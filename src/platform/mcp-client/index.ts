/** The shared MCP client: connect (HTTP or a bundle over stdio), credential headers, health probe, tool calls. */

export {
  callTool,
  connectStdio,
  negotiatedProtocol,
  type ProtocolChoice,
  type ServerSession,
  type ToolCallOutcome,
  toolResultText,
} from './call-tool.js';
export { authHeaders, connectMcp, newMcpClient } from './client.js';
export { type ExpectedServer, type HealthSample, probeMcp, serverMismatch } from './probe.js';
