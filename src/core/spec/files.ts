/**
 * Rules for the bytes a spec ships: `file:` references (judged on their text; the copy into a project checks the
 * real file again), inline base64 and MIME types. Used by resources, prompt messages and static tool content.
 * The generated runtime states the base64 and MIME rules again (runtime/content.ts): it is self-contained.
 */
import { posix } from 'node:path';
import type { PathSegment } from './path.js';
import type { AddIssue } from './rules.js';

/**
 * Why a `file:` value cannot be used: empty, absolute, escaping the spec folder, with control characters or
 * backslashes. undefined when it is fine.
 */
export function fileRefProblem(file: string): string | undefined {
  if (file.length === 0 || file.length > 1000) return 'must be a path of 1-1000 characters';
  if (/[\0-\x1f\\]/.test(file)) return 'must not contain control characters or backslashes';
  if (file.startsWith('/') || /^[A-Za-z]:/.test(file)) return "must be relative to the spec's folder";
  const normal = posix.normalize(file);
  if (
    normal === '..' ||
    normal.startsWith('../') ||
    normal === '.' ||
    normal === './' ||
    normal.endsWith('/')
  )
    return "must name a file inside the spec's folder";
  return undefined;
}

export function checkFileRef(file: string, path: PathSegment[], add: AddIssue): void {
  const problem = fileRefProblem(file);
  if (problem)
    add(
      'SPEC_PATH_OUTSIDE',
      `file "${file.slice(0, 200)}" ${problem}`,
      path,
      "Put the file in the spec's folder (or a subfolder) and give its relative path.",
    );
}

// type/subtype tokens only (RFC 6838 names): no parameters, spaces, quotes or line breaks.
const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A plain type/subtype (no parameters, no line breaks), of `family` (image, audio, …) when given. */
export function checkMimeType(
  value: string,
  family: string | undefined,
  path: PathSegment[],
  add: AddIssue,
): void {
  if (!MIME_TYPE.test(value) || (family && !value.toLowerCase().startsWith(`${family}/`)))
    add(
      'SPEC_INVALID_VALUE',
      `MIME type "${value.slice(0, 100)}" is not a plain ${family ?? 'type'}/subtype`,
      path,
      `Write it as ${family ?? 'type'}/subtype, without parameters or spaces, e.g. ${
        family === 'image' ? 'image/png' : family === 'audio' ? 'audio/wav' : 'text/markdown'
      }.`,
    );
}

/** The decoded size of canonical base64, or undefined when it is not base64. */
function base64Size(value: string): number | undefined {
  if (value.length % 4 !== 0 || !BASE64.test(value)) return undefined;
  return (value.length / 4) * 3 - (value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0);
}

/** Reports data that is not canonical base64; true when it is valid. */
export function checkBase64(value: string, path: PathSegment[], add: AddIssue): boolean {
  const valid = base64Size(value) !== undefined;
  if (!valid)
    add(
      'SPEC_INVALID_VALUE',
      'is not valid base64',
      path,
      'Use standard base64 (A-Z a-z 0-9 + /, padded with =, no line breaks), or ship the bytes with `file:`.',
    );
  return valid;
}

/** Extensions runtime/assets.ts maps to image/* and audio/*: a `file` without mimeType must have one of them. */
export const MEDIA_EXTENSIONS = {
  image: ['png', 'jpg', 'jpeg', 'gif', 'webp', 'bmp', 'ico', 'avif', 'svg'],
  audio: ['wav', 'mp3', 'ogg', 'flac', 'm4a'],
} as const;

export function hasMediaExtension(file: string, family: keyof typeof MEDIA_EXTENSIONS): boolean {
  const ext = /\.([A-Za-z0-9]+)$/.exec(file)?.[1]?.toLowerCase() ?? '';
  return (MEDIA_EXTENSIONS[family] as readonly string[]).includes(ext);
}
