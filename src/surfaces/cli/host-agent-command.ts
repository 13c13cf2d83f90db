/**
 * `mcp-factory host-agent`: serve the host agent (src/platform/host-agent/) on node:http until SIGINT or
 * SIGTERM. Loopback only unless --allow-remote (then put TLS in front of it: the HMAC authenticates requests
 * but does not encrypt them). The key file must be readable by its owner only; audit lines are appended to
 * --audit (created 0600) or written to stderr.
 */
import { appendFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { AgentAuditLine, HostAgent } from '../../platform/host-agent/index.js';
import type { ServedHttp } from '../http/node.js';
import { intArg, type ServeIo, untilShutdown } from './serve.js';

export interface StartHostAgentOptions {
  policyFile: string;
  keyFile: string;
  /** JSON lines are appended here; without it they go to `onAudit`. */
  auditFile?: string | undefined;
  onAudit?: ((line: AgentAuditLine) => void) | undefined;
  host?: string | undefined;
  port?: number | undefined;
  allowRemote?: boolean | undefined;
}

/** Loads the policy and keys (refusing an exposed key file) and serves the agent. */
export async function startHostAgent(
  options: StartHostAgentOptions,
): Promise<{ agent: HostAgent; served: ServedHttp }> {
  // Loaded here, not at registration (the policy schema pulls in zod): keeps every other verb's start-up cheap.
  const [{ createHostAgent, loadAgentKeys, loadAgentPolicy }, { serveFetch }] = await Promise.all([
    import('../../platform/host-agent/index.js'),
    import('../http/node.js'),
  ]);
  const policy = loadAgentPolicy(options.policyFile);
  const keys = loadAgentKeys(options.keyFile);
  const { auditFile, onAudit } = options;
  const audit = (line: AgentAuditLine) => {
    if (auditFile) appendFileSync(auditFile, `${JSON.stringify(line)}\n`, { mode: 0o600 });
    onAudit?.(line);
  };
  const agent = createHostAgent({ policy, keys, audit });
  const served = await serveFetch((request) => agent.fetch(request), {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    allowRemote: options.allowRemote,
  });
  return { agent, served };
}

export function registerHostAgentCommand(program: Command, io: ServeIo): void {
  program
    .command('host-agent')
    .description('run commands of agent-backed command tools on this host, under this host’s own policy')
    .requiredOption('--policy <file>', 'the agent policy (YAML or JSON; docs/commands.md)')
    .requiredOption('--key-file <file>', 'shared keys, one "<key id> <secret>" per line (mode 0600)')
    .option('--audit <file>', 'append audit lines (JSON) here instead of stderr')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', intArg(1, 65535), 7878)
    .option('--allow-remote', 'allow a non-loopback --host (put TLS in front of it)')
    .action(
      async (opts: {
        policy: string;
        keyFile: string;
        audit?: string;
        host: string;
        port: number;
        allowRemote?: boolean;
      }) => {
        const { served } = await startHostAgent({
          policyFile: opts.policy,
          keyFile: opts.keyFile,
          auditFile: opts.audit,
          onAudit: opts.audit ? undefined : (line) => io.stderr(`${JSON.stringify(line)}\n`),
          host: opts.host,
          port: opts.port,
          allowRemote: opts.allowRemote,
        });
        io.stderr(`MCP Factory host agent listening on ${served.url}\n`);
        const reason = await untilShutdown();
        io.stderr(`Shutting down (${reason}).\n`);
        await served.close();
      },
    );
}
