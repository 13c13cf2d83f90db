/**
 * Where the local target keeps things in the factory home (MCP_FACTORY_HOME, default ~/.mcp-factory):
 *
 * ```
 * registry.db                      the registry (SQLite), unless a PostgreSQL URL is used
 * servers/<name>/<hash16>/         generated project of one revision, named by its artifact hash (immutable)
 * servers/<name>/rev-<n>           symlink to the project of revision n (for people; the registry is the truth)
 * secrets/<name>.env               the local secret store: env values of a deployment, mode 0600 (dir 0700)
 * logs/<name>.log[.1 … .K]         server output (stdout+stderr), size-rotated
 * logs/supervisor.log              the supervisor's own log when it runs in the background
 * supervisor.pid                   the running supervisor: pid, start ticks, control address (informational)
 * supervisor.token                 shared secret for the control channel, mode 0600
 * ```
 */
import { createHash } from 'node:crypto';
import { mkdirSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface HomeLayout {
  home: string;
  servers: string;
  logs: string;
  secrets: string;
  pidFile: string;
  tokenFile: string;
  supervisorLog: string;
  /** The control channel: a Linux abstract Unix socket (also the single-instance lock), else a socket file. */
  socketAddress: string;
  serverDir(name: string): string;
  projectDir(name: string, artifactHash: string): string;
  bundle(name: string, artifactHash: string): string;
  logFile(name: string): string;
  envFile(name: string): string;
}

/** Length of the artifact-hash prefix that names a project directory. */
export const PROJECT_HASH_CHARS = 16;

/** The layout of `home`, created (0700) and resolved to its real path so that /proc comparisons hold. */
export function homeLayout(home: string): HomeLayout {
  const abs = resolve(home);
  mkdirSync(abs, { recursive: true, mode: 0o700 });
  const root = realpathSync(abs);
  const servers = join(root, 'servers');
  const logs = join(root, 'logs');
  const secrets = join(root, 'secrets');
  const id = createHash('sha256').update(root).digest('hex').slice(0, 32);
  return {
    home: root,
    servers,
    logs,
    secrets,
    pidFile: join(root, 'supervisor.pid'),
    tokenFile: join(root, 'supervisor.token'),
    supervisorLog: join(logs, 'supervisor.log'),
    socketAddress:
      process.platform === 'linux' ? `\0mcp-factory-supervisor-${id}` : join(root, 'supervisor.sock'),
    serverDir: (name) => join(servers, name),
    projectDir: (name, hash) => join(servers, name, hash.slice(0, PROJECT_HASH_CHARS)),
    bundle: (name, hash) => join(servers, name, hash.slice(0, PROJECT_HASH_CHARS), 'dist', 'server.mjs'),
    logFile: (name) => join(logs, `${name}.log`),
    envFile: (name) => join(secrets, `${name}.env`),
  };
}

/** A number derived from the home, so that two homes on one machine prefer different ports. */
export function homeSeed(layout: HomeLayout): number {
  return Number.parseInt(createHash('sha256').update(layout.home).digest('hex').slice(0, 8), 16);
}
