/**
 * Which file a SQLite registry really is. A path names a file only until someone deletes or replaces it: a
 * process that opened registry.db keeps reading and writing the old inode, while the next CLI call would create
 * a new, empty registry at the same path — two registries that never meet. So a holder remembers the identity
 * (device + inode) it opened and checks it before every operation, and creating a new registry is refused while
 * any process still holds a deleted one (found through Linux /proc: its descriptor reads `<path> (deleted)`).
 *
 * SQLite names its WAL and shared-memory files after the path, not the file: a registry.db replaced while a
 * holder runs would be read through the OLD file's WAL. So `<file>.identity` records which file the WAL
 * belongs to; an open that finds another file under the name (a restored backup) checks for holders (refused
 * while there are any) and moves a leftover WAL aside before SQLite can replay it into the wrong database.
 * Scanning /proc costs tens of ms, so it happens only when the recorded identity does not match.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { FactoryError } from '../core/errors/index.js';

export interface FileIdentity {
  dev: string;
  ino: string;
}

/** Device and inode of `file` (bigint stat: inodes may exceed 2^53), or undefined when it does not exist. */
export function fileIdentity(file: string): FileIdentity | undefined {
  try {
    const s = statSync(file, { bigint: true });
    return { dev: String(s.dev), ino: String(s.ino) };
  } catch {
    return undefined;
  }
}

export function sameFile(a: FileIdentity | undefined, b: FileIdentity | undefined): boolean {
  return a !== undefined && b !== undefined && a.dev === b.dev && a.ino === b.ino;
}

/** REGISTRY_REPLACED unless `file` is still the file that was opened as `opened`. */
export function checkIdentity(file: string, opened: FileIdentity, what: string): void {
  const now = fileIdentity(file);
  if (sameFile(now, opened)) return;
  throw new FactoryError(
    'REGISTRY_REPLACED',
    `${what}: ${file} was ${now ? 'replaced by another file' : 'deleted'} after this process opened it`,
    { details: { file, opened, current: now ?? null } },
  );
}

/** A process holding a file that no longer has a name. */
export interface DeletedHolder {
  pid: number;
  fd: number;
}

/**
 * Processes (visible to this user) with `file` open although it was deleted. Linux only; elsewhere, and for
 * processes whose descriptors cannot be read, nothing is found.
 */
export function deletedHolders(file: string): DeletedHolder[] {
  if (process.platform !== 'linux') return [];
  const target = `${file} (deleted)`;
  const found: DeletedHolder[] = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === target) {
          found.push({ pid: Number(pid), fd: Number(fd) });
          break;
        }
      } catch {
        // closed meanwhile
      }
    }
  }
  return found;
}

function refuseIfHeld(file: string, situation: string): void {
  const holders = deletedHolders(file);
  if (holders.length === 0) return;
  const pids = [...new Set(holders.map((h) => h.pid))];
  throw new FactoryError(
    'REGISTRY_HELD',
    `${situation}, but process${pids.length > 1 ? 'es' : ''} ${pids.join(', ')} still hold${pids.length > 1 ? '' : 's'} the previous registry: opening now would split the factory in two`,
    { details: { file, pids } },
  );
}

/** Move aside WAL/journal files that belong to a previous file of this name (never replayed into this one). */
function moveAsideLeftovers(file: string): void {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  for (const suffix of ['-wal', '-shm', '-journal']) {
    const leftover = `${file}${suffix}`;
    if (existsSync(leftover)) renameSync(leftover, `${leftover}.orphaned-${stamp}`);
  }
}

const sidecar = (file: string) => `${file}.identity`;

function recordedIdentity(file: string): FileIdentity | undefined {
  try {
    const v = JSON.parse(readFileSync(sidecar(file), 'utf8')) as Partial<FileIdentity>;
    return typeof v.dev === 'string' && typeof v.ino === 'string' ? { dev: v.dev, ino: v.ino } : undefined;
  } catch {
    return undefined;
  }
}

/** Record that the WAL beside `file` belongs to the file it names now. */
export function recordIdentity(file: string): FileIdentity | undefined {
  const identity = fileIdentity(file);
  if (identity && !sameFile(identity, recordedIdentity(file))) {
    writeFileSync(sidecar(file), `${JSON.stringify(identity)}\n`, { mode: 0o600 });
  }
  return identity;
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** A lock directory held while a replaced registry is being taken over (stale after 30 s: its owner died). */
function lockTakeover(file: string): (() => void) | undefined {
  const lock = `${file}.takeover`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      mkdirSync(lock, { mode: 0o700 });
      return () => rmSync(lock, { recursive: true, force: true });
    } catch {
      // held by another opener
    }
    try {
      if (Date.now() - statSync(lock).mtimeMs > 30_000) rmSync(lock, { recursive: true, force: true });
    } catch {
      // released meanwhile
    }
    if (sameFile(fileIdentity(file), recordedIdentity(file))) return undefined; // the other opener finished
    if (Date.now() > deadline) {
      throw new FactoryError('REGISTRY_UNAVAILABLE', `another process is taking over the replaced ${file}`, {
        details: { file, lock },
      });
    }
    sleepSync(20);
  }
}

/**
 * Before SQLite opens `file`: when it is missing, or is not the file the WAL beside it belongs to (a restored
 * backup renamed into place), refuse while a process holds the previous file (REGISTRY_HELD). For a replaced
 * file, the previous file's WAL is moved aside — SQLite would replay it into the restored one — under a lock,
 * so that two openers never move each other's live WAL. Returns what to call once the identity is recorded.
 * (A missing file needs no such step: SQLite does not replay an old WAL into a new, empty database.)
 */
export function prepareOpen(file: string): () => void {
  const current = fileIdentity(file);
  const recorded = recordedIdentity(file);
  if (current && sameFile(current, recorded)) return () => undefined;
  if (!current) {
    refuseIfHeld(file, `${file} is missing`);
    // The record described the deleted file; the new one is recorded once created.
    rmSync(sidecar(file), { force: true });
    return () => undefined;
  }
  if (!recorded) {
    // A registry from before identities were recorded (or one being created right now): its WAL is its own.
    refuseIfHeld(file, `${file} is another file than the one in use`);
    return () => undefined;
  }
  const release = lockTakeover(file);
  if (!release) return () => undefined;
  try {
    if (!sameFile(fileIdentity(file), recordedIdentity(file))) {
      refuseIfHeld(file, `${file} was replaced`);
      moveAsideLeftovers(file);
    }
  } catch (error) {
    release();
    throw error;
  }
  return release;
}
