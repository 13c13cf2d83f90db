/**
 * A copy of a directory that a sandboxed payload may write, mounted over the original (read-only) one: the
 * generated tests' scratch copies and a server's persistent copy of its shipped data. The copy (and what it holds,
 * one level deep: `data/` is flat) belongs to the payload's host uid when the sandbox runs as one (setuid mode).
 */
import { chownSync, cpSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Copy `source` to `target` (through `<target>.tmp`, so a crash never leaves a half copy), owned by `owner`. */
export function copyOwnedBy(source: string, target: string, owner: number | undefined): void {
  const staging = `${target}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  cpSync(source, staging, { recursive: true });
  if (owner !== undefined)
    for (const p of [staging, ...readdirSync(staging).map((f) => join(staging, f))])
      chownSync(p, owner, owner);
  renameSync(staging, target);
}
