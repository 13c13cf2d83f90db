/**
 * The deployment target contract: where a registered server runs. Every target (local, docker; later swarm,
 * kubernetes, microVM) implements DeploymentTarget in its own folder under targets/, and targets/index.ts lists
 * one factory per name of targets/names.ts.
 *
 * Division of labour: the control plane records the desired state of a deployment in the registry (audited,
 * with the actor) and asks the target to converge; the target owns the runtime side (processes, containers),
 * the storage of environment values (never the registry, which records only their names), live health and
 * logs. A target reports what actually runs back into the registry (status, process or container id, port,
 * endpoint, last error); the control plane waits for that report, so an action survives a target runtime that
 * restarts in between.
 */
import type { HomeLayout } from '../platform/home.js';
import type { DeploymentRecord, Registry } from '../store/index.js';
import type { TargetName } from './targets/names.js';
import type { HealthReport, LogQuery } from './types.js';

/** The deployment a target is asked about before anything is recorded. */
export interface TargetContext {
  server: string;
  /** The generated project of the revision being deployed. */
  projectDir: string;
  /** Run without a sandbox when none is available (local CLI `--unsafe-no-sandbox` only). */
  unsafeNoSandbox?: boolean | undefined;
  /** Docker target: the OCI runtime of the container (e.g. `runsc`, gVisor); others refuse it. */
  runtime?: string | undefined;
  /** Swarm target: replicas, limits and placement (kept for later starts); others ignore it. */
  swarm?: SwarmOptions | undefined;
  /**
   * Kubernetes target: options given with the deploy, merged key by key into the server's kubernetes.json (kept
   * for later rollouts and export); others refuse it.
   */
  kubernetes?: KubernetesDeployOptions | undefined;
}

/** The Kubernetes options a deploy can give (the rest of kubernetes.json is edited in the file). */
export interface KubernetesDeployOptions {
  replicas?: number | undefined;
  namespace?: string | undefined;
  ingressHost?: string | undefined;
  imagePrefix?: string | undefined;
}

/** Deploy options of the swarm target (each validated by it; absent: the server's last value or the default). */
export interface SwarmOptions {
  /** 1-50 (default 1). */
  replicas?: number | undefined;
  /** CPUs per replica (default 1). */
  cpus?: number | undefined;
  /** Memory limit per replica in MB (default 256). */
  memoryMb?: number | undefined;
  /** Placement constraints, e.g. `node.role==manager`. */
  constraints?: string[] | undefined;
}

/** A health report plus what the target knows of the live process (local: pid, restarts, adoption …). */
export interface DeploymentHealth extends HealthReport {
  runtime?: object;
}

export interface DeploymentTarget {
  readonly name: TargetName;
  /** Throws (DEPLOY_TARGET_UNAVAILABLE, …) when this target cannot run the deployment; before anything is recorded. */
  ensureAvailable(context: TargetContext): Promise<void>;
  /** The environment values stored for a server's deployment on this target ({} when none). */
  readEnv(server: string): Record<string, string>;
  /** Replace them (the registry only gets the names, as secret references). */
  writeEnv(server: string, env: Record<string, string>): void;
  /** Delete them; a no-op when there are none. */
  removeEnv(server: string): void;
  /**
   * Converge these deployments (all of this target) on the desired state recorded in the registry now. The
   * registry is the source of truth: a target re-reads each record rather than trusting the caller's copy.
   * Resolves once the target has acted; the reported state may follow later (the control plane waits for it).
   */
  apply(deployments: DeploymentRecord[]): Promise<void>;
  /**
   * Called every few seconds while the control plane waits for a reported state, for a target whose converging
   * process may die meanwhile (local: the supervisor, started again), or that keeps spare capacity (microvm: its
   * warm pool refilled). Failures are ignored; optional.
   */
  keepConverging?(): Promise<void>;
  /** Live health of deployments on this target, by deployment id (missing: unknown). */
  health(
    deployments: DeploymentRecord[],
    spec: (d: DeploymentRecord) => Promise<{ auth?: unknown; version?: unknown }>,
  ): Promise<Map<number, DeploymentHealth>>;
  /** A server's output on this target: the last `tail` lines, then (with `follow`) new ones until aborted. */
  logs(server: string, query?: LogQuery): AsyncIterable<string>;
  /** The last lines of a server's output, for error details (DEPLOY_FAILED); [] when there are none. Never throws. */
  recentOutput(server: string, lines: number): Promise<string[]>;
  /** Every replica's MCP endpoint of a running deployment (targets that run several; optional). */
  replicaEndpoints?(deployment: DeploymentRecord): string[] | undefined;
  /** A removed server: delete what the target keeps outside its deployments (swarm: service, secrets); optional. */
  forget?(server: string): Promise<void>;
}

/** Options of the control plane that targets may use. */
export interface TargetOptions {
  /** Registry URL (PostgreSQL or sqlite:) for runtimes the target starts; default: registry.db in the home. */
  registryUrl?: string | undefined;
  /** Start the target's runtime (local: the supervisor) on demand (default true). */
  autoStart?: boolean | undefined;
  /** Environment of a runtime started on demand (default process.env). */
  env?: NodeJS.ProcessEnv | undefined;
}

/** What every target is built from: shared by all targets of one control plane. */
export interface TargetFactoryContext {
  layout: HomeLayout;
  /** The registry (opened on first use). */
  registry: () => Promise<Registry>;
  /** Directory of a registered revision's generated project. */
  projectDir: (server: string, revision: number) => Promise<string>;
  options: TargetOptions;
}

export type TargetFactory = (context: TargetFactoryContext) => DeploymentTarget;
