/**
 * MCP Factory as an MCP server: an agent validates and creates servers from specs, deploys them, inspects and
 * calls them, searches the capability index, and stops, starts or removes them. Each tool is a thin layer over
 * the control plane (the same code path as the CLI and the HTTP API); failures are `isError` results that
 * carry the stable error code, the hint and, for specs, every issue.
 */
import { type CallToolResult, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { ERROR_CODES, FactoryError, type Issue } from '../../core/errors/index.js';
import { MAX_SPEC_BYTES } from '../../core/spec/index.js';
import type { ControlPlane } from '../../deploy/types.js';
import type { CreateReservation } from '../../identity/access.js';
import { factoryVersion } from '../../platform/factory-files.js';
import type { Registry } from '../../store/index.js';
import {
  CreateOutcomeSchema,
  DeploymentSchema,
  DesiredSchema,
  MatchesSchema,
  RemovedSchema,
  ServerListSchema,
  ServerName,
  StatusSchema,
  Target,
  ToolCallSchema,
  ToolName,
  ValidationSchema,
} from '../api/schemas.js';
import { checkSpecSource, specFromSource } from '../api/spec-input.js';

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
}

const INSTRUCTIONS = `MCP Factory turns a spec (YAML or JSON: name, version, tools with parameters and one implementation each — sql, http, code or static) into a tested MCP server.
Typical flow: validate_spec → create_server → deploy_server (target local) → call_tool → server_status / stop_server / start_server / remove_server.
search_tools finds tools across every registered server. Failures come back as error results with a stable code and a hint; spec problems list every issue with its JSON path.`;

const SpecInput = {
  spec: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('The spec as an object (MCP Factory spec: name, version, tools, connections, …).'),
  specText: z
    .string()
    .max(MAX_SPEC_BYTES)
    .optional()
    .describe('The spec as YAML or JSON text (instead of spec).'),
};

function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

function success(value: Record<string, unknown>, text: string = jsonText(value)): CallToolResult {
  return { content: [{ type: 'text', text }], structuredContent: value };
}

function describeIssue(issue: Issue): string {
  const where = [issue.line !== undefined ? `line ${issue.line}:${issue.column ?? 1}` : '', issue.path]
    .filter(Boolean)
    .join(' ');
  return `- ${where ? `${where}: ` : ''}${issue.message} [${issue.code}]\n  hint: ${issue.hint}`;
}

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
  const { controlPlane: cp, registry } = options;
  const actor = options.actor ?? 'mcp';
  const allowLocalFiles = options.allowLocalFiles ?? false;
  const server = new McpServer(
    { name: 'mcp-factory', title: 'MCP Factory', version: factoryVersion() },
    { capabilities: { tools: {} }, instructions: INSTRUCTIONS },
  );

  server.registerTool(
    'validate_spec',
    {
      title: 'Validate a spec',
      description:
        'Check an MCP Factory spec without creating anything. Returns ok and, when it is not valid, every issue with its JSON path (and line/column for text), code and hint.',
      inputSchema: z.object(SpecInput),
      outputSchema: ValidationSchema,
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async (args) =>
      guarded(async () => {
        const check = checkSpecSource(args, { allowLocalFiles });
        const spec = check.spec;
        const value = {
          ok: check.ok,
          ...(spec
            ? {
                name: spec.name,
                version: spec.version,
                tools: spec.tools.length,
                resources: spec.resources.length,
                prompts: spec.prompts.length,
              }
            : {}),
          issues: check.issues,
        };
        const text = spec
          ? `The spec is valid: ${spec.name}@${spec.version}, ${spec.tools.length} tools, ${spec.resources.length} resources, ${spec.prompts.length} prompts.`
          : `The spec is not valid (${check.issues.length} problem${check.issues.length === 1 ? '' : 's'}):\n${check.issues.map(describeIssue).join('\n')}`;
        return success(value, text);
      }),
  );

  server.registerTool(
    'create_server',
    {
      title: 'Create a server',
      description:
        'Create an MCP server from a spec (with force: a new revision of an existing one): generate, type-check, security-scan, bundle and test it, and register the revision. Takes a few seconds. Deploy it afterwards with deploy_server.',
      inputSchema: z.object({
        ...SpecInput,
        force: z
          .boolean()
          .optional()
          .describe(
            'Record a new revision of a server that already exists (otherwise the create fails with SERVER_EXISTS).',
          ),
        runTests: z.boolean().optional().describe("Run the generated server's own tests (default true)."),
      }),
      outputSchema: CreateOutcomeSchema,
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    async (args) =>
      guarded(async () => {
        const spec = specFromSource(args, { allowLocalFiles });
        const reservation = await options.reserveCreate?.(spec.name);
        try {
          const outcome = await cp.create({
            spec,
            specDir: options.specDir ?? process.cwd(),
            force: args.force ?? false,
            runTests: args.runTests ?? true,
            actor,
          });
          await reservation?.commit();
          return success(
            { ...outcome },
            `Created ${outcome.name}@${outcome.version} (revision ${outcome.revision}).\n${jsonText(outcome)}`,
          );
        } finally {
          reservation?.release();
        }
      }),
  );

  server.registerTool(
    'deploy_server',
    {
      title: 'Deploy a server',
      description:
        'Run the current revision of a created server on a target (local process or docker container), replacing an earlier deployment on that target. env gives values for the environment variables the spec references; they are never stored.',
      inputSchema: z.object({
        name: ServerName,
        target: Target.default('local'),
        port: z.number().int().min(1).max(65535).optional().describe('Fixed port; default: a free one.'),
        env: z
          .record(z.string(), z.string())
          .optional()
          .describe('Environment variables for the server process (secrets are not stored).'),
      }),
      outputSchema: DeploymentSchema,
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    async (args) =>
      guarded(async () => {
        const deployment = await cp.deploy({
          name: args.name,
          target: args.target,
          ...(args.port !== undefined ? { port: args.port } : {}),
          ...(args.env !== undefined ? { env: args.env } : {}),
          actor,
        });
        return success({ ...deployment });
      }),
  );

  server.registerTool(
    'list_servers',
    {
      title: 'List servers',
      description: 'Every server in the registry (not removed ones) with its status and current version.',
      inputSchema: z.object({}),
      outputSchema: ServerListSchema,
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async () => guarded(async () => success({ servers: await cp.list() })),
  );

  server.registerTool(
    'server_status',
    {
      title: 'Server status',
      description: 'One server: its record, versions, deployments with health, and tools.',
      inputSchema: z.object({ name: ServerName }),
      outputSchema: StatusSchema,
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async (args) => guarded(async () => success({ ...(await cp.status(args.name)) })),
  );

  server.registerTool(
    'call_tool',
    {
      title: 'Call a tool of a deployed server',
      description:
        "Call one tool of a deployed server with arguments and return its result. The result is an error when the server's tool failed.",
      inputSchema: z.object({
        server: ServerName,
        tool: ToolName,
        arguments: z.record(z.string(), z.unknown()).optional().describe('Tool arguments (default {}).'),
      }),
      outputSchema: ToolCallSchema,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    },
    async (args) =>
      guarded(async () => {
        const result = await cp.callTool(args.server, args.tool, args.arguments ?? {});
        return { ...success({ ...result }, result.text), ...(result.isError ? { isError: true } : {}) };
      }),
  );

  server.registerTool(
    'search_tools',
    {
      title: 'Search tools',
      description:
        'Search the tools of every registered server by keywords (names, titles, descriptions); best matches first.',
      inputSchema: z.object({
        query: z.string().min(1).max(500).describe('Keywords; each matches as a prefix.'),
        limit: z
          .number()
          .int()
          .min(1)
          .max(200)
          .optional()
          .describe('At most this many matches (default 20).'),
      }),
      outputSchema: MatchesSchema,
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async (args) =>
      guarded(async () =>
        success({ matches: await registry.searchTools(args.query, { limit: args.limit ?? 20 }) }),
      ),
  );

  server.registerTool(
    'remove_server',
    {
      title: 'Remove a server',
      description:
        'Stop every deployment of a server and remove it from the list of servers (its versions stay in the registry; creating it again revives the name).',
      inputSchema: z.object({ name: ServerName }),
      outputSchema: RemovedSchema,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    async (args) =>
      guarded(async () => {
        await cp.remove(args.name, { actor });
        return success({ name: args.name, removed: true }, `Removed ${args.name}.`);
      }),
  );

  server.registerTool(
    'stop_server',
    {
      title: 'Stop a server',
      description: 'Stop the running deployments of a server (start_server starts them again).',
      inputSchema: z.object({ name: ServerName }),
      outputSchema: DesiredSchema,
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    async (args) =>
      guarded(async () => {
        await cp.stop(args.name, { actor });
        return success({ name: args.name, desired: 'stopped' }, `Stopped ${args.name}.`);
      }),
  );

  server.registerTool(
    'start_server',
    {
      title: 'Start a server',
      description: 'Start the stopped deployments of a server.',
      inputSchema: z.object({ name: ServerName }),
      outputSchema: DesiredSchema,
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    async (args) =>
      guarded(async () => {
        await cp.start(args.name, { actor });
        return success({ name: args.name, desired: 'running' }, `Started ${args.name}.`);
      }),
  );

  return server;
}
