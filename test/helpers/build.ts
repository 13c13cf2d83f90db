/**
 * Tests that start real processes (bins, the supervisor, registry workers) run code from dist/: build it when it
 * is missing or older than a source file. One build at a time across parallel test files (a lock directory).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');

function newest(dir: string): number {
  return Math.max(
    0,
    ...readdirSync(dir, { withFileTypes: true }).map((e) =>
      e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
    ),
  );
}

/** `entry` (relative to the repository) must exist and be newer than every file in src/. */
export function ensureBuilt(entry = 'dist/surfaces/cli/main.js'): void {
  const file = join(ROOT, entry);
  const fresh = () => existsSync(file) && statSync(file).mtimeMs >= newest(join(ROOT, 'src'));
  if (fresh()) return;
  const lock = join(ROOT, 'dist', '.build-lock');
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) rmSync(lock, { recursive: true, force: true });
      execFileSync('sleep', ['0.2']);
    }
  }
  try {
    if (fresh()) return;
    try {
      execFileSync(
        process.execPath,
        [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
        {
          cwd: ROOT,
          stdio: 'pipe',
        },
      );
    } catch {
      // Type errors elsewhere in the tree still emit JavaScript; only a missing entry is fatal.
    }
    if (!existsSync(file)) throw new Error(`${file} was not built: run npm run build`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
