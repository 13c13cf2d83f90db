/**
 * Files a spec references with `file: <path>` (resources, prompt images, static tool content): where each lands
 * in the generated project. Pure: the copy itself (realpath, inside the spec folder, regular file, size caps)
 * is done by build/assets.ts when the project is written. The generated code reads them with
 * runtime/assets.ts `readAsset(runtime.projectRoot, assetPath(file))`.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { ServerSpec } from '../../core/spec/model.js';

export { fileRefProblem } from '../../core/spec/files.js';

/** Folder of the project that holds shipped files. */
export const ASSET_DIR = 'assets';
/** Caps checked when the files are copied (runtime/assets.ts MAX_ASSET_BYTES is the same per-file cap). */
export const MAX_ASSET_BYTES = 10 * 1024 * 1024;
export const MAX_ASSETS_TOTAL_BYTES = 50 * 1024 * 1024;

/** A file to copy from the spec's folder into the project. */
export interface FileAsset {
  /** As written in the spec (relative to the spec file). */
  from: string;
  /** Path inside the generated project (`assets/…`). */
  to: string;
}

const SAFE_PATH = /^[A-Za-z0-9_][A-Za-z0-9._-]*(?:\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/;

/**
 * The project path of a spec `file:`: `assets/<path>` when the path is plain, else a sanitised name with a
 * hash of the original (so two different paths never share a target). Deterministic: emitters call it freely.
 */
export function assetPath(file: string): string {
  const normal = posix.normalize(file).replace(/^(\.\/)+/, '');
  if (SAFE_PATH.test(normal) && !normal.split('/').includes('..')) return `${ASSET_DIR}/${normal}`;
  const hash = createHash('sha256').update(normal).digest('hex').slice(0, 10);
  const ext = /\.[A-Za-z0-9]{1,10}$/.exec(normal)?.[0] ?? '';
  const stem = posix
    .basename(normal, ext)
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._-]+/, '')
    .slice(0, 60);
  return `${ASSET_DIR}/${stem || 'file'}-${hash}${ext}`;
}

/** `file` strings anywhere under a value (static tool content, whatever its block shape). */
function filesUnder(value: unknown, out: string[]): void {
  if (Array.isArray(value)) for (const v of value) filesUnder(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'file' && typeof v === 'string') out.push(v);
      else filesUnder(v, out);
    }
  }
}

/** Every `file:` the spec references, in spec order: resources, prompt message images, tools' static content. */
export function specFiles(spec: ServerSpec): string[] {
  const out: string[] = [];
  for (const r of spec.resources) if (r.file) out.push(r.file);
  for (const p of spec.prompts)
    for (const m of p.messages) if (m.image && 'file' in m.image && m.image.file) out.push(m.image.file);
  for (const t of spec.tools) filesUnder(t.static, out);
  return out;
}

/** The copies a project needs, one per target. */
export function fileAssets(spec: ServerSpec): FileAsset[] {
  const byTarget = new Map<string, FileAsset>();
  for (const from of specFiles(spec)) {
    const to = assetPath(from);
    if (!byTarget.has(to)) byTarget.set(to, { from, to });
  }
  return [...byTarget.values()];
}
