/**
 * MCP Factory as an MCP server: an agent validates and creates servers from specs, deploys them, inspects and
 * calls them, searches the capability index, and stops, starts or removes them. Each tool is a projection of a
 * management operation (tools.ts over surfaces/operations, the same handlers as the HTTP API), run through the
 * identity policy; failures are `isError` results that carry the stable error code, the hint and, for specs,
 * every issue.
 */
import { type CallToolResult, McpServer } from '@modelcontextprotocol/server';
import { ERROR_CODES, FactoryError } from '../../core/errors/index.js';
import type { ControlPlane } from '../../deploy/types.js';
import type { CreateReservation } from '../../identity/access.js';
import { ALLOW_AUTHENTICATED, type Policy, type Subject } from '../../identity/policy.js';
import { factoryVersion } from '../../platform/factory-files.js';
import type { Registry } from '../../store/index.js';
import type { Toolsmith } from '../../toolsmith/index.js';
import { invoke, type OperationContext } from '../operations/index.js';
import { describeIssue, FACTORY_TOOLS, TOOLSMITH_TOOLS, toolAnnotations, toolResult } from './tools.js';

export interface FactoryMcpOptions {
  controlPlane: ControlPlane;
  registry: Registry;
  /** Audit actor of the changes made through this server (default `mcp`); over HTTP, the token's name. */
  actor?: string | undefined;
  /**
   * Whether specs may name SQLite files of this host (relative to `specDir`). True only for a local user
   * (stdio); remote callers must use `envVar`.
   */
  allowLocalFiles?: boolean | undefined;
  /** Where relative SQLite paths resolve when local files are allowed (default: the working directory). */
  specDir?: string | undefined;
  /** Reserve a creation (per-token server limit, concurrency); over HTTP, bound to the caller's token. */
  reserveCreate?: ((server: string) => Promise<CreateReservation>) | undefined;
  /** Who calls, for the policy (default: the local user named by `actor`); over HTTP, the token holder. */
  subject?: Subject | undefined;
  /** Who may do what (default: everything). */
  policy?: Policy | undefined;
  /** The toolsmith: its tools (analyze_data and the reviews) are offered only when given. */
  toolsmith?: Toolsmith | undefined;
}

const INSTRUCTIONS = `MCP Factory turns a spec (YAML or JSON: name, version, tools with parameters and one implementation each — sql, http, code or static) into a tested MCP server.
Typical flow: validate_spec → create_server → deploy_server (target local) → call_tool → server_status / stop_server / start_server / remove_server.
search_tools finds tools across every registered server. Failures come back as error results with a stable code and a hint; spec problems list every issue with its JSON path.`;

/** A failure as a tool result: text for the model, the same data as structuredContent for programs. */
export function errorResult(error: unknown): CallToolResult {
  const known = error instanceof FactoryError;
  const code = known ? error.code : 'INTERNAL';
  const message = known
    ? error.message
    : `internal error: ${error instanceof Error ? error.message : String(error)}`;
  const hint = known && typeof error.details?.hint === 'string' ? error.details.hint : ERROR_CODES[code].hint;
  const issues = known ? error.issues : [];
  const text = [
    `${code}: ${message}`,
    ...issues.map(describeIssue),
    ...(issues.length ? [] : [`hint: ${hint}`]),
  ].join('\n');
  return {
    isError: true,
    content: [{ type: 'text', text }],
    structuredContent: { error: code, message, hint, ...(issues.length ? { issues } : {}) },
  };
}

async function guarded(run: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await run();
  } catch (error) {
    return errorResult(error);
  }
}

export function createFactoryMcpServer(options: FactoryMcpOptions): McpServer {
  const actor = options.actor ?? 'mcp';
  const context: OperationContext = {
    controlPlane: options.controlPlane,
    registry: options.registry,
    subject: options.subject ?? { kind: 'local', name: actor },
    policy: options.policy ?? ALLOW_AUTHENTICATED,
    actor,
    allowLocalFiles: options.allowLocalFiles ?? false,
    specDir: options.specDir ?? process.cwd(),
    reserveCreate: options.reserveCreate,
    toolsmith: options.toolsmith,
  };
  const server = new McpServer(
    { name: 'mcp-factory', title: 'MCP Factory', version: factoryVersion() },
    { capabilities: { tools: {} }, instructions: INSTRUCTIONS },
  );
  for (const tool of [...FACTORY_TOOLS, ...(options.toolsmith ? TOOLSMITH_TOOLS : [])]) {
    const { operation } = tool;
    server.registerTool(
      operation.name,
      {
        title: operation.title,
        description: operation.description,
        inputSchema: operation.input,
        outputSchema: operation.output,
        annotations: toolAnnotations(operation.annotations),
      },
      async (input: unknown) =>
        guarded(async () => toolResult(tool, await invoke(operation, context, input), input)),
    );
  }
  return server;
}
