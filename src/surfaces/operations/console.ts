/**
 * Reads and one change the web console needs beyond the server operations: every deployment in one answer (the
 * servers list of a large registry without a request per server), a revision's spec text (for diffs), a
 * server's change history, its tool-call metrics as a time series, the NAMES of its environment variables (never
 * values), and rollback (make an earlier revision current and redeploy it where the server runs).
 */
import { stringify } from 'yaml';
import { z } from 'zod';
import { collectEnv } from '../../build/generator/env.js';
import type { ServerSpec } from '../../core/spec/model.js';
import { TARGET_NAMES, type TargetName } from '../../deploy/targets/names.js';
import { serverTools, templateSpec } from './console-create.js';
import { defineOperation } from './operation.js';
import { authorizeServer, visibleServers } from './ownership.js';
import { AuditEntrySchema, DeploymentSchema, ServerName, WindowMinutes } from './schemas.js';

const Revision = z.number().int().min(1).max(1_000_000).describe('A revision number of the server.');

const DeploymentListSchema = z.object({ deployments: z.array(DeploymentSchema) });

export const listDeployments = defineOperation({
  name: 'list_deployments',
  title: 'List deployments',
  description:
    'Every deployment of the servers the caller may see (or of one server), newest change first, in one answer (target, revision, status, desired state, stopped and failed ones too).',
  input: z.object({ name: ServerName.optional().describe('Only the deployments of this server.') }),
  output: DeploymentListSchema,
  annotations: { readOnly: true, idempotent: true, openWorld: false },
  permission: 'servers.read',
  handler: async (context, input) => {
    // One server: its own visibility check (404 for a server the caller may not see); all: filtered.
    if (input.name) {
      await authorizeServer(context, 'servers.read', input.name);
      await context.registry.getServer(input.name);
    }
    const visible = await visibleServers(context);
    const all = await context.registry.listDeployments(input.name ? { server: input.name } : {});
    // Newest change first: what the console shows at the top of a history.
    const deployments = all
      .filter((d) => visible(d.server))
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || b.id - a.id);
    return { deployments };
  },
});

const RevisionSpecSchema = z.object({
  server: z.string(),
  revision: z.number().int(),
  version: z.string(),
  artifactHash: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
  current: z.boolean().describe('Whether this is the current revision.'),
  specText: z.string().describe('The spec of this revision as YAML text (stable key order: diffable).'),
});

export const revisionSpec = defineOperation({
  name: 'revision_spec',
  title: 'Spec of a revision',
  description:
    'The spec of one revision of a server, as YAML text, to read or compare with another revision.',
  input: z.object({ name: ServerName, revision: Revision }),
  output: RevisionSpecSchema,
  annotations: { readOnly: true, idempotent: true, openWorld: false },
  permission: 'servers.read',
  server: (input) => input.name,
  handler: async (context, input) => {
    const server = await context.registry.getServer(input.name);
    const version = await context.registry.getVersion(input.name, input.revision);
    return {
      server: version.server,
      revision: version.revision,
      version: version.version,
      artifactHash: version.artifactHash,
      createdBy: version.createdBy,
      createdAt: version.createdAt,
      current: server.currentRevision === version.revision,
      specText: stringify(version.spec, { lineWidth: 0 }),
    };
  },
});

/** The registry's audit actions that tell a server's story (creation, status, rollback, deployments). */
const HISTORY_ACTIONS = /^(server\.|deployment\.)/;

export const serverHistory = defineOperation({
  name: 'server_history',
  title: 'Server history',
  description:
    'The changes of a server, newest first: revisions created, status changes, rollbacks and deployment changes (status, errors), with who made them.',
  input: z.object({
    name: ServerName,
    limit: z.number().int().min(1).max(1000).optional().describe('At most this many entries (default 200).'),
  }),
  output: z.object({ name: z.string(), entries: z.array(AuditEntrySchema) }),
  annotations: { readOnly: true, idempotent: true, openWorld: false },
  permission: 'servers.read',
  server: (input) => input.name,
  handler: async (context, input) => {
    await context.registry.getServer(input.name);
    const entries = await context.registry.listAudit({ target: input.name, limit: input.limit ?? 200 });
    return { name: input.name, entries: entries.filter((e) => HISTORY_ACTIONS.test(e.action)) };
  },
});

const MetricsPointSchema = z.object({
  at: z.string().describe('Start of the interval (ISO-8601 UTC).'),
  calls: z.number().int(),
  errors: z.number().int(),
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
  p99Ms: z.number().nullable(),
});

export const serverMetrics = defineOperation({
  name: 'server_metrics',
  title: 'Tool-call metrics over time',
  description:
    'Calls, errors and latency percentiles (p50, p95, p99) of a server per interval over a window ending now: the series behind latency charts.',
  input: z.object({
    name: ServerName,
    minutes: WindowMinutes.optional().describe('Window in minutes, ending now (default 60).'),
    points: z.number().int().min(1).max(120).optional().describe('Intervals in the window (default 30).'),
  }),
  output: z.object({
    name: z.string(),
    since: z.string(),
    until: z.string(),
    stepSeconds: z.number().int(),
    points: z.array(MetricsPointSchema).describe('Oldest first.'),
  }),
  annotations: { readOnly: true, idempotent: true, openWorld: false },
  permission: 'servers.read',
  server: (input) => input.name,
  handler: async (context, input) => {
    await context.registry.getServer(input.name);
    const minutes = input.minutes ?? 60;
    const step = Math.max(1, Math.ceil(minutes / (input.points ?? 30)));
    const count = Math.ceil(minutes / step);
    const end = Math.floor(Date.now() / 60_000) * 60_000 + 60_000;
    const points = [];
    for (let i = count; i > 0; i--) {
      const since = end - i * step * 60_000;
      // until is inclusive of its minute: stop one millisecond before the next interval starts.
      const report = await context.registry.toolStats(input.name, {
        since,
        until: since + step * 60_000 - 1,
      });
      const t = report.total;
      points.push({
        at: new Date(since).toISOString(),
        calls: t.calls,
        errors: t.errors,
        p50Ms: t.p50Ms,
        p95Ms: t.p95Ms,
        p99Ms: t.p99Ms,
      });
    }
    return {
      name: input.name,
      since: new Date(end - count * step * 60_000).toISOString(),
      until: new Date(end).toISOString(),
      stepSeconds: step * 60,
      points,
    };
  },
});

const EnvNameSchema = z.object({
  name: z.string(),
  required: z.boolean().describe('The spec needs it to start.'),
  referenced: z.boolean().describe('The current revision references it.'),
  source: z.string().nullable().describe('Where its value comes from (a description, never the value).'),
});

export const serverEnv = defineOperation({
  name: 'server_env',
  title: 'Environment variable names',
  description:
    'The names of the environment variables a server reads (from its current spec and the recorded secret references), whether each is required, and where its value comes from. Values are never returned.',
  input: z.object({ name: ServerName }),
  output: z.object({
    name: z.string(),
    names: z.array(z.string()).describe('Every variable name, sorted.'),
    variables: z.array(EnvNameSchema),
  }),
  annotations: { readOnly: true, idempotent: true, openWorld: false },
  permission: 'servers.read',
  server: (input) => input.name,
  handler: async (context, input) => {
    const version = await context.registry.getVersion(input.name);
    const refs = await context.registry.listSecretRefs(input.name);
    let referenced: Array<{ name: string; required: boolean }> = [];
    try {
      referenced = collectEnv(version.spec as ServerSpec).map((v) => ({
        name: v.name,
        required: v.required,
      }));
    } catch {
      // a spec of an older model version: only the recorded references are known
    }
    const byName = new Map<string, z.output<typeof EnvNameSchema>>();
    for (const v of referenced)
      byName.set(v.name, { name: v.name, required: v.required, referenced: true, source: null });
    for (const ref of refs) {
      const known = byName.get(ref.envVar);
      byName.set(ref.envVar, {
        name: ref.envVar,
        required: known?.required ?? false,
        referenced: known !== undefined,
        source: ref.source,
      });
    }
    const variables = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
    return { name: input.name, names: variables.map((v) => v.name), variables };
  },
});

export const rollbackServer = defineOperation({
  name: 'rollback_server',
  title: 'Roll back a server',
  description:
    'Make an earlier (or later) revision of a server current and redeploy it on every target where the server is deployed to run. Environment values already given stay in place.',
  input: z.object({ name: ServerName, revision: Revision }),
  output: z.object({
    name: z.string(),
    revision: z.number().int(),
    previousRevision: z.number().int(),
    deployments: z.array(DeploymentSchema),
  }),
  annotations: { readOnly: false, destructive: true, idempotent: true, openWorld: false },
  permission: 'servers.deploy',
  server: (input) => input.name,
  handler: async (context, input) => {
    const before = await context.registry.getServer(input.name);
    await context.registry.setCurrentRevision(input.name, input.revision, { actor: context.actor });
    const running = (await context.registry.listDeployments({ server: input.name })).filter(
      (d) => d.desired === 'running' && (TARGET_NAMES as readonly string[]).includes(d.target),
    );
    const deployments = [];
    for (const d of running)
      deployments.push(
        await context.controlPlane.deploy({
          name: input.name,
          target: d.target as TargetName,
          ...(d.port !== null ? { port: d.port } : {}),
          actor: context.actor,
        }),
      );
    return {
      name: input.name,
      revision: input.revision,
      previousRevision: before.currentRevision,
      deployments,
    };
  },
});

const HealthEnum = z.enum(['healthy', 'degraded', 'unhealthy', 'unknown']);

export const serverHealth = defineOperation({
  name: 'server_health',
  title: 'Health checks of a server',
  description:
    "The health of a server's deployments: the current check of each (checks) and the stored checks of the window (history, oldest first: one per change of state and at most one a minute per deployment, kept 7 days).",
  input: z.object({
    name: ServerName,
    minutes: WindowMinutes.optional().describe('Window of the history in minutes, ending now (default 60).'),
  }),
  output: z.object({
    name: z.string(),
    checks: z.array(
      z.object({
        deployment: z.number().int(),
        target: z.string(),
        checkedAt: z.string(),
        health: HealthEnum,
        responseMs: z.number().optional(),
        detail: z.string().optional(),
      }),
    ),
    since: z.string().describe('Start of the history window.'),
    history: z
      .array(
        z.object({
          deployment: z.number().int(),
          target: z.string(),
          checkedAt: z.string(),
          health: HealthEnum,
          responseMs: z.number().nullable(),
          detail: z.string().nullable(),
        }),
      )
      .describe('Stored checks in the window, oldest first.'),
  }),
  annotations: { readOnly: true, idempotent: true, openWorld: false },
  permission: 'servers.read',
  server: (input) => input.name,
  handler: async (context, input) => {
    const since = new Date(Date.now() - (input.minutes ?? 60) * 60_000).toISOString();
    // The current check first: for targets without a monitor it is also what stores a sample.
    const status = await context.controlPlane.status(input.name);
    const checks = status.deployments.flatMap((d) =>
      d.health
        ? [
            {
              deployment: d.id,
              target: d.target,
              checkedAt: d.health.checkedAt,
              health: d.health.health,
              ...(d.health.responseMs !== undefined ? { responseMs: d.health.responseMs } : {}),
              ...(d.health.detail !== undefined ? { detail: d.health.detail } : {}),
            },
          ]
        : [],
    );
    const samples = await context.registry.health.history(input.name, since);
    const history = samples.map((s) => ({
      deployment: s.deploymentId,
      target: s.target,
      checkedAt: s.checkedAt,
      health: s.health,
      responseMs: s.responseMs,
      detail: s.detail,
    }));
    return { name: input.name, checks, since, history };
  },
});

export const CONSOLE_OPERATIONS = [
  serverHealth,
  serverTools,
  templateSpec,
  listDeployments,
  revisionSpec,
  serverHistory,
  serverMetrics,
  serverEnv,
  rollbackServer,
] as const;
