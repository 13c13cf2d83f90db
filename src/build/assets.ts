/**
 * Copying the files a spec names (SQLite `path`s) into a generated project — and from there into its Docker
 * image. A spec is input like any other: a `path` of `../../etc/passwd`, or a symlink beside the spec that
 * points at a private file, must not make `create` package that file. So a path is resolved with every symlink
 * followed, must stay inside the spec's folder (unless the caller explicitly allows outside paths), must be a
 * regular file and must start with the SQLite 3 header. The checks and the copy use one open descriptor, so the
 * file cannot be swapped between checking and copying.
 */
import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
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
    const target = await open(
      to,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o644,
    );
    try {
      const buffer = Buffer.alloc(1 << 20);
      let position = 0;
      for (;;) {
        const { bytesRead: n } = await source.read(buffer, 0, buffer.length, position);
        if (n === 0) break;
        await target.write(buffer, 0, n);
        position += n;
      }
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}
