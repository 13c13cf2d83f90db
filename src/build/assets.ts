/**
 * Copying the files a spec names (SQLite `path`s) into a generated project — and from there into its Docker
 * image. A spec is input like any other: a `path` of `../../etc/passwd`, or a symlink beside the spec that
 * points at a private file, must not make `create` package that file. So a path is resolved with every symlink
 * followed, must stay inside the spec's folder (unless the caller explicitly allows outside paths), must be a
 * regular file and must start with the SQLite 3 header. The checks and the copy use one open descriptor, so the
 * file cannot be swapped between checking and copying.
 */
import { constants } from 'node:fs';
import { type FileHandle, open, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { FactoryError } from '../core/errors/index.js';

/** The first 16 bytes of every SQLite 3 database file. */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

export interface AssetCopyOptions {
  /** Folder the spec came from: relative paths resolve against it, and every path must stay inside it. */
  specDir: string;
  /** Allow paths outside specDir (a spec the user trusts). The SQLite header is checked all the same. */
  allowOutsidePaths?: boolean;
}

function issue(
  code: 'SPEC_UNDEFINED_REFERENCE' | 'SPEC_PATH_OUTSIDE' | 'SPEC_NOT_SQLITE',
  message: string,
  hint: string,
) {
  return new FactoryError(code, message, {
    issues: [{ code, message, path: 'connections', hint }],
    details: { hint },
  });
}

function inside(dir: string, file: string): boolean {
  const rel = relative(dir, file);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/** Check the SQLite file `given` (as written in the spec) and copy it to `to`. */
export async function copySqliteAsset(given: string, to: string, options: AssetCopyOptions): Promise<void> {
  const from = isAbsolute(given) ? given : resolve(options.specDir, given);
  let real: string;
  try {
    real = await realpath(from);
  } catch {
    throw issue(
      'SPEC_UNDEFINED_REFERENCE',
      `SQLite file ${given} does not exist`,
      'Fix `path` (relative to the spec file) or use `envVar`.',
    );
  }
  const root = await realpath(options.specDir).catch(() => resolve(options.specDir));
  if (!options.allowOutsidePaths && !inside(root, real)) {
    throw issue(
      'SPEC_PATH_OUTSIDE',
      `SQLite file ${given} resolves to ${real}, outside the spec's folder ${root}`,
      "Copy the database into the spec's folder and point `path` there, or pass --allow-outside-paths for a spec you trust.",
    );
  }
  // O_NOFOLLOW: `real` has no symlinks left; one appearing now (a swap after realpath) is refused.
  const source = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW).catch((error: Error) => {
    throw issue(
      'SPEC_NOT_SQLITE',
      `SQLite file ${given} cannot be opened: ${error.message}`,
      'Point `path` at a readable SQLite 3 database file.',
    );
  });
  try {
    const info = await source.stat();
    if (!info.isFile()) {
      throw issue(
        'SPEC_NOT_SQLITE',
        `SQLite file ${given} is not a regular file`,
        'Point `path` at a SQLite 3 database file.',
      );
    }
    const header = Buffer.alloc(SQLITE_HEADER.length);
    const { bytesRead } = await source.read(header, 0, header.length, 0);
    if (bytesRead !== header.length || !header.equals(SQLITE_HEADER)) {
      throw issue(
        'SPEC_NOT_SQLITE',
        `${given} is not a SQLite 3 database (its first bytes are not "SQLite format 3")`,
        'Point `path` at a SQLite 3 database file, or use `envVar` to give its location at run time.',
      );
    }
    // A fresh file (mode from the umask, not the source's): the copy is read by the server and the image.
    await copyOpenFile(source, to);
  } finally {
    await source.close();
  }
}

/** Caps of `file:` assets (runtime/assets.ts reads at most the same per file). */
export const MAX_FILE_ASSET_BYTES = 10 * 1024 * 1024;
export const MAX_FILE_ASSETS_TOTAL_BYTES = 50 * 1024 * 1024;

function fileIssue(
  code: 'SPEC_UNDEFINED_REFERENCE' | 'SPEC_PATH_OUTSIDE' | 'SPEC_ASSET_INVALID' | 'SPEC_ASSET_TOO_LARGE',
  given: string,
  message: string,
  hint: string,
) {
  return new FactoryError(code, message, {
    issues: [{ code, message, path: given, hint }],
    details: { hint, file: given },
  });
}

/**
 * Check a spec `file:` (resources, prompt images, static tool content) and copy it to `to`: it must resolve
 * (symlinks followed) inside the spec's folder, be a regular file, at most MAX_FILE_ASSET_BYTES, and all files
 * together at most MAX_FILE_ASSETS_TOTAL_BYTES (`budget` carries the running total).
 */
export async function copyFileAsset(
  given: string,
  to: string,
  options: AssetCopyOptions,
  budget: { bytes: number },
): Promise<void> {
  if (isAbsolute(given))
    throw fileIssue(
      'SPEC_PATH_OUTSIDE',
      given,
      `file ${given} is absolute`,
      "Give a path relative to the spec's folder.",
    );
  let real: string;
  try {
    real = await realpath(resolve(options.specDir, given));
  } catch {
    throw fileIssue(
      'SPEC_UNDEFINED_REFERENCE',
      given,
      `file ${given} does not exist`,
      'Fix the path (relative to the spec file).',
    );
  }
  const root = await realpath(options.specDir).catch(() => resolve(options.specDir));
  if (!options.allowOutsidePaths && !inside(root, real))
    throw fileIssue(
      'SPEC_PATH_OUTSIDE',
      given,
      `file ${given} resolves to ${real}, outside the spec's folder ${root}`,
      "Copy the file into the spec's folder, or pass --allow-outside-paths for a spec you trust.",
    );
  // O_NONBLOCK: a FIFO must not hang the build (it is refused below as not a regular file).
  const source = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(
    (error: Error) => {
      throw fileIssue(
        'SPEC_ASSET_INVALID',
        given,
        `file ${given} cannot be opened: ${error.message}`,
        'Point at a readable file.',
      );
    },
  );
  try {
    const info = await source.stat();
    if (!info.isFile())
      throw fileIssue(
        'SPEC_ASSET_INVALID',
        given,
        `file ${given} is not a regular file`,
        'Point at a regular file.',
      );
    if (info.size > MAX_FILE_ASSET_BYTES)
      throw fileIssue(
        'SPEC_ASSET_TOO_LARGE',
        given,
        `file ${given} is ${info.size} bytes, over the ${MAX_FILE_ASSET_BYTES}-byte limit per file`,
        'Ship smaller files, or serve large data from a database or an HTTP API.',
      );
    if (budget.bytes + info.size > MAX_FILE_ASSETS_TOTAL_BYTES)
      throw fileIssue(
        'SPEC_ASSET_TOO_LARGE',
        given,
        `the spec's files exceed ${MAX_FILE_ASSETS_TOTAL_BYTES} bytes together (at ${given})`,
        'Ship fewer or smaller files.',
      );
    budget.bytes += info.size;
    // At most the size checked above: a file that grows while it is copied does not get past the cap.
    await copyOpenFile(source, to, info.size);
  } finally {
    await source.close();
  }
}

/**
 * Copies an opened, already checked source into a new file at `to` (never an existing file or a symlink there),
 * in 1 MiB pieces, up to `limit` bytes when given.
 */
async function copyOpenFile(source: FileHandle, to: string, limit = Number.POSITIVE_INFINITY): Promise<void> {
  const target = await open(
    to,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o644,
  );
  try {
    const buffer = Buffer.alloc(1 << 20);
    let position = 0;
    while (position < limit) {
      const { bytesRead: n } = await source.read(
        buffer,
        0,
        Math.min(buffer.length, limit - position),
        position,
      );
      if (n === 0) break;
      await target.write(buffer, 0, n);
      position += n;
    }
  } finally {
    await target.close();
  }
}
