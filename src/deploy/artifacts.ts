/**
 * Generated artifacts in the factory home: content hashes, staging directories, revision links.
 *
 * A revision's project lives in `servers/<name>/<hash16>/`, named by its artifact hash, and is put in place
 * BEFORE the version is registered (one registry transaction). So a create killed at any point leaves either
 * no version (maybe an unreferenced directory, harmless and reused by an identical create) or a version whose
 * directory is complete — never a registered version without its files. Staging directories carry the pid and
 * start time of their creator; they are removed once that process is gone.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { lstat, readdir, readFile, rm, symlink, unlink } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { isRunning, readStat } from './targets/local/proc.js';

/** The files that make a revision: everything under dist/ and src/. */
const HASHED_DIRS = ['dist', 'src'];

async function walk(root: string, dir: string, out: string[]): Promise<void> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) await walk(root, path, out);
    else if (e.isFile()) out.push(relative(root, path).split(sep).join('/'));
  }
}

/** The files of a revision (dist/ and src/), as sorted `/`-separated paths relative to the project. */
export async function artifactFiles(projectDir: string): Promise<string[]> {
  const files: string[] = [];
  for (const d of HASHED_DIRS) await walk(projectDir, join(projectDir, d), files);
  return files.sort();
}

/** sha256 over the sorted list of files in dist/ and src/, each as `path NUL size NUL bytes`. */
export async function hashArtifacts(projectDir: string): Promise<string> {
  const files = await artifactFiles(projectDir);
  const hash = createHash('sha256');
  for (const file of files) {
    const data = await readFile(join(projectDir, file));
    hash.update(file);
    hash.update('\0');
    hash.update(String(data.length));
    hash.update('\0');
    hash.update(data);
  }
  return hash.digest('hex');
}

const STAGING = /^\.{1,2}staging-(\d+)-(\d+)-/;

/** A staging directory name that identifies its creator (this process). */
export function stagingName(random: string): string {
  return `.staging-${process.pid}-${readStat(process.pid)?.startTicks ?? 0}-${random}`;
}

/**
 * Remove staging leftovers of creates whose process is gone (killed mid-create). `.staging-*` is ours;
 * `..staging-*.tmp-*` is the pipeline's own temporary sibling of it.
 */
export async function removeDeadStaging(serverDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = readdirSync(serverDir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = STAGING.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    const ticks = Number(m[2]);
    if (isRunning(pid, ticks)) continue;
    await rm(join(serverDir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** `servers/<name>/rev-<n>` → the project directory (best effort: a convenience for people). */
export async function linkRevision(
  serverDir: string,
  revision: number,
  projectDirName: string,
): Promise<void> {
  const link = join(serverDir, `rev-${revision}`);
  try {
    const st = await lstat(link).catch(() => undefined);
    if (st?.isSymbolicLink()) await unlink(link);
    else if (st) return;
    await symlink(projectDirName, link, 'dir');
  } catch {
    // not essential
  }
}
