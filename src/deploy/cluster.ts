/**
 * A factory cluster (docs/cluster.md): several homes ("nodes"), each with a supervisor and maybe an API instance,
 * over one PostgreSQL registry. Off unless MCP_FACTORY_NODE names this home's node.
 *
 * - Membership: a node's supervisor heartbeats in the registry every pass; a node silent for longer than
 *   MCP_FACTORY_NODE_DEAD_AFTER_MS is dead.
 * - Ownership: a supervisor converges only the local deployments placed on its node (store/cluster.ts
 *   placements); an unplaced one (deployed before the cluster) is claimed by the first node that sees it.
 * - Placement: a deploy keeps a deployment where it is while that node lives, else puts it on `--node` or the
 *   least loaded live node; the registry's advisory lock serialises deploys of one server across instances.
 * - Artifacts: the deploying instance stores the revision's project in the registry; a node that lacks it
 *   unpacks it (and checks its hash) before starting the server.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { FactoryError } from '../core/errors/index.js';
import { loadConfig } from '../platform/config.js';
import type { HomeLayout } from '../platform/home.js';
import type { DeploymentRecord, NodeRecord, Registry } from '../store/index.js';
import { artifactFiles, hashArtifacts } from './artifacts.js';
import { type PlannedMove, planFailover } from './failover.js';
import { SUPERVISOR_ACTOR } from './targets/local/state.js';

export interface ClusterSettings {
  /** This home's node. */
  node: string;
  /** Where this node's API answers (recorded with the heartbeat). */
  nodeUrl: string | null;
  deadAfterMs: number;
  /** How long a node is silent before live nodes take over its deployments (0 or absent: never). */
  failoverAfterMs?: number;
}

const NODE_NAME = /^[a-z0-9][a-z0-9.-]{0,62}$/;

/** INVALID_ARGUMENTS unless `name` is a node name (lower-case letters, digits, `.` and `-`; ≤ 63). */
export function checkNodeName(name: string, what = 'node name'): string {
  if (!NODE_NAME.test(name)) {
    throw new FactoryError('INVALID_ARGUMENTS', `invalid ${what} ${JSON.stringify(name.slice(0, 80))}`, {
      details: { hint: 'Lower-case letters, digits, "." and "-", starting with a letter or digit; ≤ 63.' },
    });
  }
  return name;
}

/** The cluster settings of an environment, or undefined when MCP_FACTORY_NODE is not set (no cluster). */
export function clusterSettings(
  env: Record<string, string | undefined> = process.env,
): ClusterSettings | undefined {
  const { cluster } = loadConfig(env);
  if (cluster.node === undefined) return undefined;
  return {
    node: checkNodeName(cluster.node, 'MCP_FACTORY_NODE'),
    nodeUrl: cluster.nodeUrl ?? null,
    deadAfterMs: cluster.deadAfterMs,
    failoverAfterMs: cluster.failoverAfterMs,
  };
}

export interface NodeReport extends NodeRecord {
  live: boolean;
  /** Local deployments placed on the node (a dead node's that should run are stranded). */
  deployments: Array<{ server: string; id: number; desired: string; status: string }>;
}

/** Every known node with its liveness and its deployments; `stranded` lists what dead nodes should be running. */
export async function clusterReport(
  registry: Registry,
  deadAfterMs: number,
): Promise<{ nodes: NodeReport[]; stranded: string[] }> {
  const [nodes, placements, deployments] = await Promise.all([
    registry.cluster.nodes(),
    registry.cluster.placements(),
    registry.listDeployments({ target: 'local' }),
  ]);
  const reports = nodes.map(
    (n): NodeReport => ({
      ...n,
      live: n.silentMs <= deadAfterMs,
      deployments: deployments
        .filter((d) => placements.get(d.id) === n.name)
        .map((d) => ({ server: d.server, id: d.id, desired: d.desired, status: d.status })),
    }),
  );
  const stranded = reports
    .filter((n) => !n.live)
    .flatMap((n) => n.deployments.filter((d) => d.desired === 'running').map((d) => d.server))
    .sort();
  return { nodes: reports, stranded };
}

/**
 * The node a deploy goes to: `requested` (which must be a live node, or this one); else where the deployment
 * already is while that node lives; else the live node with the fewest deployments that should run (this node on
 * a tie, then by name); this node when none is live yet (its supervisor starts on demand).
 */
export async function chooseNode(
  registry: Registry,
  settings: ClusterSettings,
  options: { requested?: string | undefined; current?: string | undefined },
): Promise<string> {
  const nodes = await registry.cluster.nodes();
  const live = nodes.filter((n) => n.silentMs <= settings.deadAfterMs).map((n) => n.name);
  if (options.requested !== undefined) {
    const requested = checkNodeName(options.requested);
    if (requested !== settings.node && !live.includes(requested)) {
      throw new FactoryError(
        'DEPLOY_TARGET_UNAVAILABLE',
        `node ${requested} is not a live node of the cluster`,
        {
          details: {
            node: requested,
            live,
            hint: 'Start its supervisor (mcp-factory supervisor start with MCP_FACTORY_NODE set), or pick a live node.',
          },
        },
      );
    }
    return requested;
  }
  if (options.current !== undefined && live.includes(options.current)) return options.current;
  if (live.length === 0) return settings.node;
  const load = await registry.cluster.load();
  const ranked = [...live].sort(
    (a, b) =>
      (load.get(a) ?? 0) - (load.get(b) ?? 0) ||
      Number(b === settings.node) - Number(a === settings.node) ||
      a.localeCompare(b),
  );
  return ranked[0] as string;
}

/** dist/ and src/ of a project (what its artifact hash covers) as gzip'd JSON. */
export async function packProject(projectDir: string): Promise<Buffer> {
  const contents: Record<string, string> = {};
  for (const file of await artifactFiles(projectDir))
    contents[file] = (await readFile(join(projectDir, file))).toString('base64');
  return gzipSync(JSON.stringify(contents));
}

const SAFE_PATH = /^(?:dist|src)\/(?:[A-Za-z0-9_@.+-]+\/)*[A-Za-z0-9_@.+-]+$/;

/**
 * Unpack a stored project into `projectDir` (staged beside it, then renamed), refusing paths outside dist/ and
 * src/ and a result whose hash is not `hash` — the registry is shared, so its content is checked, not trusted.
 */
export async function unpackProject(content: Uint8Array, projectDir: string, hash: string): Promise<void> {
  const files = JSON.parse(gunzipSync(content).toString('utf8')) as Record<string, unknown>;
  const staging = `${projectDir}.unpack-${process.pid}-${Date.now()}`;
  try {
    for (const [path, data] of Object.entries(files)) {
      if (
        !SAFE_PATH.test(path) ||
        path.split('/').some((p) => p === '.' || p === '..') ||
        typeof data !== 'string'
      )
        throw new FactoryError(
          'DEPLOY_FAILED',
          `the stored project of revision ${hash.slice(0, 16)} has an unsafe path`,
        );
      const target = join(staging, path);
      await mkdir(dirname(target), { recursive: true, mode: 0o755 });
      await writeFile(target, Buffer.from(data, 'base64'), { mode: 0o644 });
    }
    const actual = await hashArtifacts(staging);
    if (actual !== hash)
      throw new FactoryError(
        'DEPLOY_FAILED',
        `the stored project of revision ${hash.slice(0, 16)} does not match its hash`,
      );
    mkdirSync(dirname(projectDir), { recursive: true, mode: 0o700 });
    if (existsSync(projectDir)) return; // another pass unpacked it meanwhile
    renameSync(staging, projectDir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Put the project of `name`@`revision` into the registry (once per hash). DEPLOY_FAILED when it is nowhere. */
export async function publishProject(
  registry: Registry,
  layout: HomeLayout,
  name: string,
  hash: string,
): Promise<void> {
  if (await registry.cluster.hasArtifact(hash)) return;
  const dir = layout.projectDir(name, hash);
  if (!existsSync(join(dir, 'dist', 'server.mjs'))) {
    throw new FactoryError(
      'DEPLOY_FAILED',
      `the generated project of ${name} is neither in this home nor in the registry`,
      {
        details: {
          server: name,
          hint: 'Deploy it through the API instance of the node that created it, once; then any node can run it.',
        },
      },
    );
  }
  await registry.cluster.putArtifact(hash, name, await packProject(dir));
}

/** A supervisor's side of the cluster: heartbeat, which deployments are its own, artifacts it lacks. */
export class NodeMembership {
  readonly settings: ClusterSettings;
  readonly #layout: HomeLayout;
  /** `server@revision` whose project this home has (checked once per supervisor). */
  readonly #present = new Set<string>();

  constructor(settings: ClusterSettings, layout: HomeLayout) {
    this.settings = settings;
    this.#layout = layout;
  }

  heartbeat(registry: Registry): Promise<void> {
    return registry.cluster.heartbeat(this.settings.node, this.settings.nodeUrl);
  }

  /**
   * The deployments this node runs: those placed on it, unplaced ones it claims first, and its share of a gone
   * node's (failover.ts), each moved with a compare-and-set and set pending (a fresh start here, audited as the
   * supervisor's; `onMove` hears of each).
   */
  async own(
    registry: Registry,
    deployments: DeploymentRecord[],
    onMove?: (move: PlannedMove & { server: string }) => void,
  ): Promise<DeploymentRecord[]> {
    const placements = await registry.cluster.placements(); // a fresh map: this node's moves are added to it
    const { node: me, deadAfterMs, failoverAfterMs = 0 } = this.settings;
    if (failoverAfterMs > 0 && deployments.some((d) => d.desired === 'running')) {
      const nodes = await registry.cluster.nodes();
      const planned = planFailover({
        me,
        nodes,
        placements,
        deployments,
        deadAfterMs,
        failoverAfterMs,
      });
      for (const move of planned) {
        if (!(await registry.cluster.move(move.deploymentId, move.from, me))) continue;
        placements.set(move.deploymentId, me);
        const index = deployments.findIndex((d) => d.id === move.deploymentId);
        const moved = await registry.updateDeployment(
          move.deploymentId,
          {
            status: 'pending',
            processId: null,
            // The gone node's port and address: this node picks a port from its own range.
            port: null,
            endpoint: null,
            lastError: `moved from node ${move.from}, silent for ${Math.round(move.silentMs / 1000)} s`,
          },
          { actor: SUPERVISOR_ACTOR },
        );
        if (index >= 0) deployments[index] = moved;
        onMove?.({ ...move, server: moved.server });
      }
    }
    const mine: DeploymentRecord[] = [];
    for (const d of deployments) {
      const node = placements.get(d.id) ?? (await registry.cluster.claim(d.id, this.settings.node));
      if (node === this.settings.node) mine.push(d);
    }
    return mine;
  }

  /** Unpack the project of a deployment from the registry when this home does not have it. */
  async ensureProject(registry: Registry, d: DeploymentRecord): Promise<void> {
    const key = `${d.server}@${d.revision}`;
    if (this.#present.has(key)) return;
    const version = await registry.getVersion(d.server, d.revision);
    const dir = this.#layout.projectDir(d.server, version.artifactHash);
    if (!existsSync(join(dir, 'dist', 'server.mjs'))) {
      const content = await registry.cluster.getArtifact(version.artifactHash);
      if (!content) return; // the start fails and reports the missing bundle, as on one node
      await unpackProject(content, dir, version.artifactHash);
    }
    this.#present.add(key);
  }
}
