/**
 * `mcp-factory doctor`: checks of one factory home that explain the failures no single command sees — a
 * registry file deleted or replaced under the supervisor, a damaged registry, a supervisor pid file left by a
 * dead process, deployments recorded as running whose process is gone, server folders the registry does not
 * know, secrets readable by others. With `repair`, it fixes only what cannot lose data: file modes, a stale pid
 * file, staging folders of dead creates. Everything else is reported with the command that fixes it.
 */
import {
  chmodSync,
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import type { HomeLayout } from '../platform/home.js';
import {
  checkIntegrity,
  deletedHolders,
  type FileIdentity,
  fileIdentity,
  openRegistry,
  type Registry,
  registrySqliteFile,
  sameFile,
} from '../store/index.js';
import { removeDeadStaging } from './artifacts.js';
import { findMarkedProcesses, isRunning, parseProcessId } from './targets/local/proc.js';

export type CheckStatus = 'ok' | 'warn' | 'error' | 'repaired';

export interface DoctorCheck {
  check: string;
  status: CheckStatus;
  message: string;
  /** How to fix it (absent when ok or repaired). */
  hint?: string;
}

export interface DoctorReport {
  home: string;
  registry: string;
  checks: DoctorCheck[];
  /** No check is `error`. */
  ok: boolean;
}

export interface DoctorOptions {
  layout: HomeLayout;
  /** A PostgreSQL or sqlite: URL; default registry.db in the home. */
  registryUrl?: string | undefined;
  repair?: boolean;
}

interface PidFile {
  pid?: number;
  startTicks?: number;
}

/** The open file behind each descriptor of `pid` that is (or was) named `file`, by identity. */
function heldIdentities(
  pid: number,
  file: string,
): Array<{ identity: FileIdentity | undefined; deleted: boolean }> {
  const out: Array<{ identity: FileIdentity | undefined; deleted: boolean }> = [];
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  for (const fd of fds) {
    try {
      const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (link !== file && link !== `${file} (deleted)`) continue;
      // stat through /proc follows the descriptor: the identity of the file the process really has open.
      out.push({ identity: fileIdentity(`/proc/${pid}/fd/${fd}`), deleted: link !== file });
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

/** Files that hold secrets or registry data: only the owner may read them. */
function privateFiles(
  layout: HomeLayout,
  registryFile: string | undefined,
): Array<{ path: string; mode: number }> {
  const list: Array<{ path: string; mode: number }> = [];
  const add = (path: string, mode: number) => {
    if (existsSync(path)) list.push({ path, mode });
  };
  add(layout.secrets, 0o700);
  try {
    for (const name of readdirSync(layout.secrets)) add(join(layout.secrets, name), 0o600);
  } catch {
    // no secrets yet
  }
  add(layout.tokenFile, 0o600);
  add(layout.logs, 0o700);
  if (registryFile) for (const suffix of ['', '-wal', '-shm']) add(`${registryFile}${suffix}`, 0o600);
  return list;
}

function checkPermissions(
  layout: HomeLayout,
  registryFile: string | undefined,
  repair: boolean,
): DoctorCheck[] {
  const uid = process.getuid?.();
  const wrongMode: string[] = [];
  const wrongOwner: string[] = [];
  let repaired = 0;
  for (const { path, mode } of privateFiles(layout, registryFile)) {
    const s = lstatSync(path);
    if (s.isSymbolicLink()) {
      wrongOwner.push(`${path} (a symlink)`);
      continue;
    }
    if (uid !== undefined && s.uid !== uid) wrongOwner.push(path);
    if ((s.mode & 0o077) === 0) continue;
    if (repair && (uid === undefined || s.uid === uid)) {
      chmodSync(path, mode);
      repaired++;
    } else wrongMode.push(`${path} (${(s.mode & 0o777).toString(8)})`);
  }
  const checks: DoctorCheck[] = [];
  if (wrongOwner.length) {
    checks.push({
      check: 'permissions',
      status: 'error',
      message: `not owned by this user: ${wrongOwner.join(', ')}`,
      hint: 'Give them back to the user running MCP Factory (chown), or remove them if you did not create them.',
    });
  }
  if (wrongMode.length) {
    checks.push({
      check: 'permissions',
      status: 'error',
      message: `readable by others: ${wrongMode.join(', ')}`,
      hint: 'Run mcp-factory doctor --repair (files 0600, folders 0700).',
    });
  }
  if (repaired)
    checks.push({
      check: 'permissions',
      status: 'repaired',
      message: `restricted ${repaired} path(s) to the owner`,
    });
  if (!checks.length)
    checks.push({
      check: 'permissions',
      status: 'ok',
      message: 'secrets, token, logs and registry are private',
    });
  return checks;
}

/** The checks of a SQLite registry file; returns whether it is safe to open. */
function checkRegistryFile(file: string, checks: DoctorCheck[]): boolean {
  const holders = deletedHolders(file);
  if (holders.length) {
    checks.push({
      check: 'registry-identity',
      status: 'error',
      message: `process(es) ${[...new Set(holders.map((h) => h.pid))].join(', ')} still use a deleted registry at ${file}${existsSync(file) ? ' while another file has its name' : ''}`,
      hint: 'The factory is split in two. Stop those processes (mcp-factory supervisor stop), restore registry.db from your last backup if needed, then start again.',
    });
  }
  if (!existsSync(file)) {
    checks.push({
      check: 'registry',
      status: holders.length ? 'error' : 'warn',
      message: `there is no registry at ${file}`,
      hint: 'Restore it from a backup (see README, "Backup and restore"); a new, empty one is created by the next create.',
    });
    return false;
  }
  try {
    const integrity = checkIntegrity(file);
    if (!integrity.ok) {
      checks.push({
        check: 'registry-integrity',
        status: 'error',
        message: `the registry is damaged: ${integrity.messages.join('; ')}`,
        hint: 'Stop the supervisor, move registry.db aside and copy your last backup (mcp-factory backup FILE) to registry.db.',
      });
      return false;
    }
    checks.push({ check: 'registry-integrity', status: 'ok', message: `${file} passes its integrity check` });
    return true;
  } catch (error) {
    checks.push({
      check: 'registry-integrity',
      status: 'error',
      message: (error as Error).message,
      hint: 'Stop the supervisor, move registry.db aside and copy your last backup (mcp-factory backup FILE) to registry.db.',
    });
    return false;
  }
}

function checkSupervisor(
  layout: HomeLayout,
  file: string | undefined,
  repair: boolean,
  checks: DoctorCheck[],
): void {
  let info: PidFile;
  try {
    info = JSON.parse(readFileSync(layout.pidFile, 'utf8')) as PidFile;
  } catch {
    checks.push({
      check: 'supervisor',
      status: 'ok',
      message: 'no supervisor is running (it starts with the next deploy)',
    });
    return;
  }
  const pid = Number(info.pid);
  if (!Number.isInteger(pid) || pid <= 0 || !isRunning(pid, info.startTicks)) {
    if (repair) {
      rmSync(layout.pidFile, { force: true });
      checks.push({
        check: 'supervisor',
        status: 'repaired',
        message: `removed the pid file of dead process ${info.pid}`,
      });
    } else {
      checks.push({
        check: 'supervisor',
        status: 'warn',
        message: `supervisor.pid names process ${info.pid}, which is not running`,
        hint: 'Run mcp-factory doctor --repair to remove the stale pid file.',
      });
    }
    return;
  }
  checks.push({ check: 'supervisor', status: 'ok', message: `the supervisor runs as process ${pid}` });
  if (!file) return;
  const current = fileIdentity(file);
  const held = heldIdentities(pid, file);
  if (held.length && !held.some((h) => sameFile(h.identity, current))) {
    checks.push({
      check: 'supervisor-registry',
      status: 'error',
      message: `the supervisor (process ${pid}) uses a ${held.some((h) => h.deleted) ? 'deleted' : 'replaced'} registry file, not the current ${file}`,
      hint: 'Restart it so that it opens the current registry: mcp-factory supervisor stop (servers keep running), then any deploy or mcp-factory supervisor.',
    });
  }
}

async function checkRecords(
  layout: HomeLayout,
  registry: Registry,
  repair: boolean,
  checks: DoctorCheck[],
): Promise<void> {
  const deployments = await registry.listDeployments({ target: 'local' });
  const gone = deployments.filter((d) => {
    if (d.status !== 'running' || !d.processId) return false;
    const id = parseProcessId(d.processId);
    return !id || !isRunning(id.pid, id.startTicks);
  });
  checks.push(
    gone.length
      ? {
          check: 'stale-pids',
          status: 'warn',
          message: `recorded as running, but their process is gone: ${gone.map((d) => `${d.server} (${d.processId})`).join(', ')}`,
          hint: 'Start the supervisor (mcp-factory supervisor, or any deploy): it restarts them and records the new processes.',
        }
      : {
          check: 'stale-pids',
          status: 'ok',
          message: 'every local deployment recorded as running has its process',
        },
  );
  const known = new Set(deployments.map((d) => d.id));
  const unknownProcs = findMarkedProcesses(layout.home).filter((p) => !known.has(p.deploymentId));
  if (unknownProcs.length) {
    checks.push({
      check: 'orphan-processes',
      status: 'warn',
      message: `server processes of deployments the registry does not know: ${unknownProcs.map((p) => p.pid).join(', ')}`,
      hint: 'If the registry is the right one, the supervisor stops them at its next pass; if it was lost, restore it from a backup first.',
    });
  }

  const servers = new Map((await registry.listServers({ includeRemoved: true })).map((s) => [s.name, s]));
  const orphans: string[] = [];
  let staged = 0;
  let names: string[] = [];
  try {
    names = readdirSync(layout.servers);
  } catch {
    // no servers yet
  }
  for (const name of names) {
    const dir = join(layout.servers, name);
    if (!statSync(dir).isDirectory()) continue;
    if (repair) staged += (await removeDeadStaging(dir)).length;
    if (!servers.has(name)) {
      orphans.push(dir);
      continue;
    }
    const hashes = new Set((await registry.listVersions(name)).map((v) => v.artifactHash.slice(0, 16)));
    for (const entry of readdirSync(dir)) {
      if (entry.startsWith('.') || entry.startsWith('rev-')) continue;
      if (!hashes.has(entry)) orphans.push(join(dir, entry));
    }
  }
  if (staged)
    checks.push({
      check: 'server-dirs',
      status: 'repaired',
      message: `removed ${staged} staging folder(s) of interrupted creates`,
    });
  checks.push(
    orphans.length
      ? {
          check: 'server-dirs',
          status: 'warn',
          message: `folders the registry does not reference: ${orphans.join(', ')}`,
          hint: 'Left by a lost or restored registry. Nothing runs from them; delete them (rm -r) once you are sure the registry is the right one.',
        }
      : {
          check: 'server-dirs',
          status: 'ok',
          message: 'every server folder belongs to a registered version',
        },
  );
}

/** Run every check (and, with `repair`, the safe fixes). Never throws for what it finds: it reports it. */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const { layout } = options;
  const repair = options.repair ?? false;
  const checks: DoctorCheck[] = [];
  let file: string | undefined;
  try {
    file = registrySqliteFile({ home: layout.home, url: options.registryUrl });
  } catch {
    file = undefined; // PostgreSQL: no file to check
  }
  const openable = file ? checkRegistryFile(file, checks) : true;
  checkSupervisor(layout, file, repair, checks);
  if (openable) {
    let registry: Registry | undefined;
    try {
      registry = await openRegistry({ home: layout.home, url: options.registryUrl });
      await checkRecords(layout, registry, repair, checks);
    } catch (error) {
      checks.push({
        check: 'registry',
        status: 'error',
        message: (error as Error).message,
        hint: 'See mcp-factory doctor --format json for details.',
      });
    } finally {
      await registry?.close().catch(() => undefined);
    }
  }
  checks.push(...checkPermissions(layout, file, repair));
  return {
    home: layout.home,
    registry: file ?? 'postgresql',
    checks,
    ok: !checks.some((c) => c.status === 'error'),
  };
}
