/**
 * The control plane: the one programmatic API behind the CLI verbs (mcp-deploy, mcp-list, …), the HTTP API
 * and the factory's own MCP server. Each surface is a thin layer over this interface.
 */

import type { ProgressEvent } from '../build/create.js';
import type { ServerSpec } from '../core/spec/model.js';
import type { UpstreamAuth } from '../platform/mcp-client/oauth.js';
import type {
  DeploymentRecord,
  ServerRecord,
  TriggerRun,
  TriggerRunFilter,
  TriggerSummary,
  VersionSummary,
} from '../store/index.js';

import type { TargetName } from './targets/names.js';

export type { TargetName } from './targets/names.js';

export type Health = 'healthy' | 'degraded' | 'unhealthy' | 'unknown';

export interface HealthReport {
  health: Health;
  /** MCP round trip (ping / tools/list) in ms, when it answered. */
  responseMs?: number;
  checkedAt: string;
  detail?: string;
}

export interface ServerStatusReport {
  server: ServerRecord;
  versions: VersionSummary[];
  deployments: Array<DeploymentRecord & { health?: HealthReport }>;
  tools: Array<{ name: string; description: string | null }>;
  /** Per trigger of the server: runs by outcome and the newest one (absent when it never ran one). */
  triggers?: TriggerSummary[];
}

export interface CreateRequest {
  /** A validated spec (any source: file, JSON, importer, template, LLM). */
  spec: ServerSpec;
  /** Where relative assets in the spec (SQLite files) are resolved. */
  specDir: string;
  /** Replace the generated project of an existing server (a new revision is always recorded). */
  force?: boolean;
  runTests?: boolean;
  actor: string;
  /** Each step of the creation as it starts and ends (a job reports them as progress). */
  onProgress?: ((event: ProgressEvent) => void) | undefined;
}

export interface CreateOutcome {
  name: string;
  revision: number;
  version: string;
  /** Generated project directory (inside the factory home). */
  projectDir: string;
  artifactHash: string;
  steps: Array<{ step: string; status: string; durationMs: number }>;
}

export interface DeployRequest {
  name: string;
  target: TargetName;
  /** Fixed port; default: a free port chosen by the target. */
  port?: number;
  /** Environment for the server process/container (values for the spec's env references; never stored). */
  env?: Record<string, string>;
  /**
   * Local target: let the server run unconfined when no sandbox is available (default: refuse with
   * SANDBOX_UNAVAILABLE). Only the local CLI sets it (`--unsafe-no-sandbox`); the API and MCP operations cannot.
   */
  unsafeNoSandbox?: boolean;
  /** Docker target: OCI runtime for the container, e.g. `runsc` (gVisor); must be registered with the engine. */
  runtime?: string;
  /** Swarm and kubernetes targets: replicas (1-50, default 1). */
  replicas?: number;
  /** Swarm target: CPUs and memory per replica, placement constraints. */
  cpus?: number;
  memoryMb?: number;
  constraints?: string[];
  /**
   * Kubernetes target: namespace, Ingress host and image registry prefix. Like `replicas`, merged into the
   * server's kubernetes.json, so later rollouts and `export kubernetes` keep them.
   */
  namespace?: string;
  ingressHost?: string;
  imagePrefix?: string;
  /** Local target in a factory cluster: the node to run on (default: where it is, else the least loaded). */
  node?: string;
  actor: string;
}

export interface LogQuery {
  /** Last N lines. */
  tail?: number;
  follow?: boolean;
  signal?: AbortSignal;
}

export interface ToolCallResult {
  isError: boolean;
  text: string;
  structuredContent?: unknown;
  durationMs: number;
}

export interface ControlPlane {
  create(request: CreateRequest): Promise<CreateOutcome>;
  deploy(request: DeployRequest): Promise<DeploymentRecord>;
  list(): Promise<ServerRecord[]>;
  status(name: string): Promise<ServerStatusReport>;
  stop(name: string, options: { actor: string }): Promise<void>;
  start(name: string, options: { actor: string }): Promise<void>;
  remove(name: string, options: { actor: string }): Promise<void>;
  logs(name: string, query?: LogQuery): AsyncIterable<string>;
  callTool(name: string, tool: string, args: Record<string, unknown>): Promise<ToolCallResult>;
  /** A server's trigger runs, newest first (history imported from its deployments first). */
  triggerRuns?(name: string, filter?: TriggerRunFilter): Promise<TriggerRun[]>;
  /** Every running deployment's MCP endpoint with the headers its spec's credential needs (the gateway's upstreams). */
  endpoints?(): Promise<ServerEndpoint[]>;
  close(): Promise<void>;
}

/** A running server as an MCP client reaches it. */
export interface ServerEndpoint {
  name: string;
  endpoint: string;
  /** Every replica's endpoint, `endpoint` first (swarm target; absent for single-instance targets). */
  replicas?: string[] | undefined;
  /** Static credential headers (api_key, bearer). */
  headers: Record<string, string>;
  /** OAuth client credentials for an OAuth-protected server (tokens obtained and refreshed as needed). */
  auth?: UpstreamAuth | undefined;
  revision: number;
}
