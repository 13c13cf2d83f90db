/** The host agent (`mcp-factory host-agent`): runs command tools' commands on this host for remote servers. */
export { type AgentAuditLine, createHostAgent, type HostAgent, type HostAgentOptions } from './agent.js';
export { NonceCache, verifyRequest } from './auth.js';
export {
  type AgentPolicy,
  type AgentPolicyInput,
  agentPolicy,
  loadAgentKeys,
  loadAgentPolicy,
} from './policy.js';
export { checkRun } from './run-check.js';
