/**
 * The supervisor's in-memory state, shared by its parts (reconcile.ts, processes.ts, health-monitor.ts,
 * restarts.ts): one slot per local deployment, the process instance a slot manages, what a deployment should
 * run, and the context every part acts through (registry, layout, tuning, waking the reconcile loop).
 */
import type { ChildProcess } from 'node:child_process';
import type { ServerSpec } from '../../../core/spec/model.js';
import type { HomeLayout } from '../../../platform/home.js';
import type { UpstreamCredentials } from '../../../platform/mcp-client/oauth.js';
import type { ExpectedServer } from '../../../platform/mcp-client/probe.js';
import type { DeploymentPatch, Registry } from '../../../store/index.js';
import type { NodeMembership } from '../../cluster.js';
import type { HealthTracker } from '../../health.js';
import type { HealthReport } from '../../types.js';
import type { SupervisorConfig } from './config.js';

/** The actor of the supervisor's registry writes. */
export const SUPERVISOR_ACTOR = 'supervisor';

/** What `mcp-factory supervisor status` shows; also written to `<home>/supervisor.pid`. */
export interface SupervisorInfo {
  pid: number;
  startTicks: number;
  home: string;
  startedAt: string;
  registry: string;
  deployments: number;
}

/** Live view of one deployment, from the `health` channel request. */
export interface DeploymentRuntime {
  id: number;
  server: string;
  pid: number | null;
  port: number | null;
  adopted: boolean;
  uptimeMs: number | null;
  restarts: number;
  startFailures: number;
  failed: boolean;
  health: HealthReport;
  /** How the running process is confined: 'bwrap' (the sandbox) or 'none' (--unsafe-no-sandbox); null: none runs. */
  sandbox: 'bwrap' | 'none' | null;
}

/** One server process the supervisor manages (spawned by it, or adopted from a previous supervisor). */
export interface Instance {
  pid: number;
  startTicks: number;
  port: number;
  endpoint: string;
  bundle: string;
  configHash: string;
  headers: UpstreamCredentials;
  /** Who must answer health checks (serverInfo): another server on the port is not this one. */
  expect: ExpectedServer;
  child: ChildProcess | undefined;
  /** 'bwrap': started in the sandbox; 'none': unconfined (--unsafe-no-sandbox). */
  sandbox: 'bwrap' | 'none';
  adopted: boolean;
  spawnedAt: number;
  exited: boolean;
  exitText: string | undefined;
  /** Answered MCP at least once since spawn/adoption. */
  healthy: boolean;
  /** Known to have served before (adopted from a `running` deployment, or healthy once). */
  everHealthy: boolean;
  tracker: HealthTracker;
  /** Set when the supervisor asked it to stop: its exit is not a crash. */
  stopReason: string | undefined;
  /** Set when the supervisor killed it as unhealthy or not starting: its exit IS a crash, with this reason. */
  killReason: string | undefined;
  timer: NodeJS.Timeout | undefined;
  lastHealth: string | undefined;
}

/** The supervisor's memory of one deployment across passes. */
export interface Slot {
  id: number;
  name: string;
  instance: Instance | undefined;
  /** Processes of this deployment being stopped (pid → completion). */
  stopping: Map<number, Promise<void>>;
  startFailures: number;
  crashes: number;
  restarts: number;
  nextStartAt: number;
  failed: boolean;
  /** `updatedAt` of the `pending` request already taken into account. */
  pendingSeen: string | undefined;
}

/** What a deployment should run now. */
export interface Expected {
  revision: number;
  bundle: string;
  projectDir: string;
  port: number;
  endpoint: string;
  env: Record<string, string>;
  configHash: string;
  /** Fixed headers, or an OAuth provider (client credentials from the deployment's env). */
  headers: UpstreamCredentials;
  /** Who must answer health checks (serverInfo name and version). */
  expect: ExpectedServer;
  /** 'host' when the spec needs the machine's network (databases, HTTP); default: a private one. */
  network?: 'none' | 'host';
  /** Paths outside the project the server must see (SQLite files named by its environment). */
  binds?: { readOnly: string[]; readWrite: string[] };
}

export interface VersionInfo {
  artifactHash: string;
  spec: Pick<ServerSpec, 'auth'> & {
    http?: { path?: string };
    version?: unknown;
    connections?: Array<{ type?: unknown; envVar?: unknown; readOnly?: unknown }>;
    tools?: object[];
    triggers?: Array<{ type?: unknown }>;
  };
}

/** Compare-and-set of a deployment's record against the status this pass saw; false when an action intervened. */
export type WriteDeployment = (patch: DeploymentPatch) => Promise<boolean>;

/** What the supervisor's parts act through. */
export interface SupervisorContext {
  readonly layout: HomeLayout;
  readonly config: SupervisorConfig;
  /** Environment the servers' inherited variables come from. */
  readonly env: NodeJS.ProcessEnv;
  /** The registry (open while the supervisor runs). */
  registry(): Registry;
  /** True once the supervisor is stopping: no new checks, starts or passes. */
  closing(): boolean;
  /** Ask for a reconciliation pass as soon as possible. */
  wake(): void;
  /** Ask for a pass at `at` (epoch ms), e.g. when a restart backoff ends. */
  wakeAt(at: number): void;
  /** The supervisor's own log (one JSON line). */
  log(msg: string, fields?: Record<string, unknown>): void;
  /** This home's node of a factory cluster (MCP_FACTORY_NODE); absent: every local deployment is ours. */
  readonly node?: NodeMembership | undefined;
}
