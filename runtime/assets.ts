/**
 * Files shipped with the server (`file:` in the spec → `assets/…` in the project, copied by the generator).
 * Reads stay inside the project after symlinks, only regular files, at most MAX_ASSET_BYTES each — the generator
 * checked them, but a project folder can be edited after generation.
 */
import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { ToolError } from './errors.js';

/** The largest file one asset may be (the generator refuses larger ones too). */
export const MAX_ASSET_BYTES = 10 * 1024 * 1024;

const MIME_BY_EXTENSION: Record<string, string> = {
  '.txt': 'text/plain',
  '.md': 'text/markdown',
  '.markdown': 'text/markdown',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.css': 'text/css',
  '.csv': 'text/csv',
  '.tsv': 'text/tab-separated-values',
  '.xml': 'application/xml',
  '.json': 'application/json',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.ts': 'text/plain',
  '.sql': 'application/sql',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.bmp': 'image/bmp',
  '.ico': 'image/x-icon',
  '.avif': 'image/avif',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.flac': 'audio/flac',
  '.m4a': 'audio/mp4',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.woff2': 'font/woff2',
};

/** The MIME type a file name suggests; application/octet-stream when the extension is unknown. */
export function mimeTypeOf(path: string): string {
  return MIME_BY_EXTENSION[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** Resource contents of `bytes`: `text` for text types, base64 `blob` otherwise. */
export function contentsOf(
  uri: string,
  mimeType: string,
  bytes: Buffer,
): { uri: string; mimeType: string; text: string } | { uri: string; mimeType: string; blob: string } {
  return isTextMimeType(mimeType)
    ? { uri, mimeType, text: bytes.toString('utf8') }
    : { uri, mimeType, blob: bytes.toString('base64') };
}

/** Whether contents of this type travel as `text` (else as base64 `blob`). */
export function isTextMimeType(mimeType: string): boolean {
  const type = mimeType.split(';')[0]!.trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    type.endsWith('+json') ||
    type.endsWith('+xml') ||
    [
      'application/json',
      'application/xml',
      'application/yaml',
      'application/sql',
      'application/javascript',
    ].includes(type)
  );
}

function inside(dir: string, file: string): boolean {
  const rel = relative(dir, file);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

export interface Asset {
  data: Buffer;
  mimeType: string;
}

/**
 * Read a shipped file: `relPath` (e.g. `assets/logo.png`) is relative to the project root. `mimeType` is the
 * spec's; without one it is guessed from the extension. Throws a ToolError (safe to show) on any refusal.
 */
export async function readAsset(projectRoot: string, relPath: string, mimeType?: string): Promise<Asset> {
  const fail = (why: string): never => {
    throw new ToolError(`asset ${relPath} ${why}`);
  };
  if (isAbsolute(relPath) || relPath.includes('\0')) fail('is not a path inside the project');
  const root = await realpath(projectRoot).catch(() => resolve(projectRoot));
  const real = await realpath(resolve(root, relPath)).catch(() => fail('is missing'));
  if (!inside(root, real)) fail('resolves outside the project');
  // O_NOFOLLOW + O_NONBLOCK: no symlink swapped in after realpath, and a FIFO cannot block the open.
  const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(
    () => fail('cannot be opened'),
  );
  try {
    const info = await handle.stat();
    if (!info.isFile()) fail('is not a regular file');
    if (info.size > MAX_ASSET_BYTES) fail(`is larger than ${MAX_ASSET_BYTES} bytes`);
    const data = Buffer.alloc(info.size);
    let at = 0;
    while (at < info.size) {
      const { bytesRead } = await handle.read(data, at, info.size - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    return {
      data: at === info.size ? data : data.subarray(0, at),
      mimeType: mimeType ?? mimeTypeOf(relPath),
    };
  } finally {
    await handle.close();
  }
}
