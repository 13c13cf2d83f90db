/**
 * Operations on created servers: deploy, list, status, stop, start, remove, read logs, call a tool, and tool-call
 * statistics. Each is one call to the control plane (or the registry) and one answer shape.
 */
import { z } from 'zod';
import { DEFAULT_TARGET } from '../../deploy/targets/names.js';
import { defineOperation } from './operation.js';
import { allowedTools, authorizeTool, narrowedToolError, visibleServers } from './ownership.js';
import {
  ClusterNode,
  ContainerRuntime,
  DeploymentSchema,
  DesiredSchema,
  KubernetesDeployOptions,
  LogLinesSchema,
  RemovedSchema,
  ServerListSchema,
  ServerName,
  StatsSchema,
  StatusSchema,
  SwarmDeployOptions,
  Target,
  ToolCallSchema,
  ToolName,
  WindowMinutes,
} from './schemas.js';
import { ServerSummarySchema, withServerSummaries } from './server-summary.js';

/** Log lines a read returns when the caller does not say. */
export const DEFAULT_LOG_TAIL = 100;

const ByName = z.object({ name: ServerName });

export const deployServer = defineOperation({
  name: 'deploy_server',
  title: 'Deploy a server',
  description:
    'Run the current revision of a created server on a target (local process or docker container), replacing an earlier deployment on that target. env gives values for the environment variables the spec references; they are never stored.',
  input: z.object({
    name: ServerName,
    target: Target.default(DEFAULT_TARGET),
    port: z.number().int().min(1).max(65535).optional().describe('Fixed port; default: a free one.'),
    env: z
      .record(z.string(), z.string())
      .optional()
      .describe('Environment variables for the server process (secrets are not stored).'),
    runtime: ContainerRuntime.optional(),
    ...SwarmDeployOptions,
    ...KubernetesDeployOptions,
    node: ClusterNode.optional(),
  }),
  output: DeploymentSchema,
  annotations: { readOnly: false, destructive: false, idempotent: true, openWorld: false },
  permission: 'servers.deploy',
  server: (input) => input.name,
  // The input's fields are the request's (the schema strips anything else, so unsafeNoSandbox cannot come in).
  handler: (context, input) => context.controlPlane.deploy({ ...input, actor: context.actor }),
});

export const listServers = defineOperation({
  name: 'list_servers',
  title: 'List servers',
  description:
    'Every server in the registry (not removed ones) with its status and current version; with summary, also the deployment that represents it, its latest health check and its calls and errors of the last hour.',
  input: z.object({
    summary: z.boolean().optional().describe('Add per-server figures (a few queries for all servers).'),
  }),
  output: ServerListSchema.extend({
    servers: z.array(
      ServerListSchema.shape.servers.element.extend({ summary: ServerSummarySchema.optional() }),
    ),
  }),
  annotations: { readOnly: true, idempotent: true, openWorld: false },
  permission: 'servers.read',
  handler: async (context, input) => {
    const visible = await visibleServers(context);
    const servers = (await context.controlPlane.list()).filter((s) => visible(s.name));
    return { servers: input.summary ? await withServerSummaries(context, servers) : servers };
  },
});

export const serverStatus = defineOperation({
  name: 'server_status',
  title: 'Server status',
  description: 'One server: its record, versions, deployments with health, and the tools the caller may use.',
  input: ByName,
  output: StatusSchema,
  annotations: { readOnly: true, idempotent: true, openWorld: false },
  permission: 'servers.read',
  server: (input) => input.name,
  handler: async (context, input) => {
    const status = await context.controlPlane.status(input.name);
    // A token narrowed to some tools sees only those (a tool outside its allow-list is not named).
    const mayUse = allowedTools(context);
    return { ...status, tools: status.tools.filter((t) => mayUse(input.name, t.name)) };
  },
});

export const callTool = defineOperation({
  name: 'call_tool',
  title: 'Call a tool of a deployed server',
  description:
    "Call one tool of a deployed server with arguments and return its result. The result is an error when the server's tool failed.",
  input: z.object({
    server: ServerName,
    tool: ToolName,
    arguments: z.record(z.string(), z.unknown()).optional().describe('Tool arguments (default {}).'),
  }),
  output: ToolCallSchema,
  annotations: { readOnly: false, destructive: true, idempotent: false, openWorld: true },
  permission: 'servers.call',
  server: (input) => input.server,
  handler: async (context, input) => {
    authorizeTool(context, input.server, input.tool);
    try {
      return await context.controlPlane.callTool(input.server, input.tool, input.arguments ?? {});
    } catch (error) {
      // The control plane's answer to an unknown tool lists the server's tools; a caller narrowed by an
      // allow-list gets the short form, so tools outside its list are not named.
      throw narrowedToolError(context, input.server, input.tool, error);
    }
  },
});

export const removeServer = defineOperation({
  name: 'remove_server',
  title: 'Remove a server',
  description:
    'Stop every deployment of a server and remove it from the list of servers (its versions stay in the registry; creating it again revives the name).',
  input: ByName,
  output: RemovedSchema,
  annotations: { readOnly: false, destructive: true, idempotent: true, openWorld: false },
  permission: 'servers.remove',
  server: (input) => input.name,
  handler: async (context, input) => {
    await context.controlPlane.remove(input.name, { actor: context.actor });
    return { name: input.name, removed: true as const };
  },
});

export const stopServer = defineOperation({
  name: 'stop_server',
  title: 'Stop a server',
  description: 'Stop the running deployments of a server (start_server starts them again).',
  input: ByName,
  output: DesiredSchema,
  annotations: { readOnly: false, destructive: false, idempotent: true, openWorld: false },
  permission: 'servers.control',
  server: (input) => input.name,
  handler: async (context, input) => {
    await context.controlPlane.stop(input.name, { actor: context.actor });
    return { name: input.name, desired: 'stopped' as const };
  },
});

export const startServer = defineOperation({
  name: 'start_server',
  title: 'Start a server',
  description: 'Start the stopped deployments of a server.',
  input: ByName,
  output: DesiredSchema,
  annotations: { readOnly: false, destructive: false, idempotent: true, openWorld: false },
  permission: 'servers.control',
  server: (input) => input.name,
  handler: async (context, input) => {
    await context.controlPlane.start(input.name, { actor: context.actor });
    return { name: input.name, desired: 'running' as const };
  },
});

export const serverLogs = defineOperation({
  name: 'server_logs',
  title: 'Server logs',
  description: 'The last log lines of a server (default 100).',
  input: z.object({
    name: ServerName,
    tail: z.number().int().min(1).max(10_000).optional().describe('The last N lines (default 100).'),
  }),
  output: LogLinesSchema,
  annotations: { readOnly: true, idempotent: true, openWorld: false },
  permission: 'servers.logs',
  server: (input) => input.name,
  handler: async (context, input) => {
    const tail = input.tail ?? DEFAULT_LOG_TAIL;
    const lines: string[] = [];
    for await (const line of context.controlPlane.logs(input.name, {
      tail,
      follow: false,
      ...(context.signal ? { signal: context.signal } : {}),
    }))
      lines.push(line);
    return { name: input.name, lines: lines.slice(-tail) };
  },
});

export const serverStats = defineOperation({
  name: 'server_stats',
  title: 'Tool-call statistics',
  description:
    'Tool-call statistics of a server over the last minutes (calls, errors, latency percentiles), of the tools the caller may use.',
  input: z.object({
    name: ServerName,
    minutes: WindowMinutes.optional().describe('Window size in minutes, ending now (default 60).'),
    tool: ToolName.optional(),
  }),
  output: StatsSchema,
  annotations: { readOnly: true, idempotent: true, openWorld: false },
  permission: 'servers.read',
  server: (input) => input.name,
  handler: async (context, input) => {
    await context.registry.getServer(input.name);
    const minutes = input.minutes ?? 60;
    const mayUse = allowedTools(context);
    return context.registry.toolStats(input.name, {
      since: Date.now() - minutes * 60_000,
      ...(input.tool ? { tool: input.tool } : {}),
      // Narrowed to some tools: the others are left out, of the total too (a tool outside the allow-list reads
      // like one that was never called).
      only: (tool) => mayUse(input.name, tool),
    });
  },
});
