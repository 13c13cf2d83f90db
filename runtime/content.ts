/**
 * Tool results that are more than text: images, audio, embedded resources and resource links (MCP content
 * blocks). A tool returns them as a `ToolContent` value (`ctx.content([...])` in code tools, the `content:` list
 * of static tools, binary upstream answers of http tools); any other value keeps being serialised as text.
 * Every block is checked before it leaves the server: known type, valid base64, a plain `type/subtype` MIME
 * type (no parameters, no line breaks), a URI with a scheme, and a size cap over the whole result.
 */
import { contentsOf, readAsset } from './assets.js';
import { ToolError } from './errors.js';
import { renderText } from './template.js';

/**
 * Characters of content one result may carry as sent (base64 as is, text JSON-escaped): the SDK's stdio
 * transport refuses messages over 10 MiB, so a larger result would break the client's connection.
 */
export const MAX_CONTENT_CHARS = 8 * 1024 * 1024;
/** Decoded bytes of binary data that fit (upstream answers are cut off past it): 6 MiB. */
export const MAX_BINARY_BYTES = (MAX_CONTENT_CHARS / 4) * 3;
const MAX_BLOCKS = 1000;

export type ResourceContents =
  | { uri: string; mimeType?: string; text: string }
  | { uri: string; mimeType?: string; blob: string };

/** The blocks a client receives (MCP ContentBlock, without annotations). */
export type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'image'; data: string; mimeType: string }
  | { type: 'audio'; data: string; mimeType: string }
  | { type: 'resource'; resource: ResourceContents }
  | {
      type: 'resource_link';
      uri: string;
      name: string;
      mimeType?: string;
      title?: string;
      description?: string;
    };

/** What a tool may pass in: like ContentBlock, but binary data may also be bytes (base64-encoded here). */
export type ContentInput =
  | { type: 'text'; text: string }
  | { type: 'image' | 'audio'; data: string | Uint8Array; mimeType: string }
  | {
      type: 'resource';
      resource: { uri: string; mimeType?: string; text?: string; blob?: string | Uint8Array };
    }
  | {
      type: 'resource_link';
      uri: string;
      name: string;
      mimeType?: string;
      title?: string;
      description?: string;
    };

const CONTENT = Symbol.for('mcp-factory.toolContent');

/** A tool's answer made of content blocks (and, for tools that declare `returns`, structured content). */
export interface ToolContent {
  readonly [CONTENT]: true;
  readonly blocks: readonly unknown[];
  readonly structured?: unknown;
}

/** `ctx.content(blocks, structured?)`: wraps blocks as the tool's result; they are checked when it returns. */
export function toolContent(blocks: readonly ContentInput[], structured?: unknown): ToolContent {
  return { [CONTENT]: true, blocks: Array.isArray(blocks) ? blocks : [blocks], structured };
}

export function isToolContent(value: unknown): value is ToolContent {
  return typeof value === 'object' && value !== null && (value as ToolContent)[CONTENT] === true;
}

// type/subtype tokens only (RFC 6838 names): no parameters, spaces, quotes or line breaks can reach a client.
const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const URI = /^[a-z][a-z0-9+.-]*:[^\s\u0000-\u001f\u007f]*$/i;

export function isMimeType(value: unknown): value is string {
  return typeof value === 'string' && MIME.test(value);
}

/** The decoded size of canonical base64, or undefined when it is not base64. */
export function base64Size(value: string): number | undefined {
  if (value.length % 4 !== 0 || !BASE64.test(value)) return undefined;
  const padding = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
  return (value.length / 4) * 3 - padding;
}

/** Checks and normalises the blocks (unknown fields dropped); throws a ToolError naming the first bad block. */
export function checkedBlocks(blocks: readonly unknown[]): ContentBlock[] {
  if (blocks.length > MAX_BLOCKS)
    throw new ToolError(`too many content blocks (${blocks.length}, at most ${MAX_BLOCKS})`);
  let budget = MAX_CONTENT_CHARS;
  const spend = (n: number, i: number) => {
    budget -= n;
    if (budget < 0)
      throw new ToolError(
        `content block ${i}: the result exceeds ${MAX_CONTENT_CHARS} characters of content (base64 counts as sent)`,
      );
  };
  return blocks.map((raw, i) => {
    const bad = (why: string): never => {
      throw new ToolError(`content block ${i}: ${why}`);
    };
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('not an object');
    const b = raw as Record<string, unknown>;
    switch (b.type) {
      case 'text': {
        if (typeof b.text !== 'string') return bad('text must be a string');
        spend(jsonLength(b.text), i);
        return { type: 'text', text: b.text };
      }
      case 'image':
      case 'audio': {
        const mimeType = b.mimeType;
        if (!isMimeType(mimeType) || !mimeType.toLowerCase().startsWith(`${b.type}/`))
          return bad(
            `mimeType must be a plain ${b.type}/… type (got ${JSON.stringify(String(mimeType)).slice(0, 80)})`,
          );
        const data = binary(b.data, bad, 'data');
        spend(data.length, i);
        return { type: b.type, data, mimeType };
      }
      case 'resource': {
        const r = b.resource as Record<string, unknown> | undefined;
        if (typeof r !== 'object' || r === null) return bad('resource must be an object');
        const uri = checkedUri(r.uri, bad);
        if (r.mimeType !== undefined && !isMimeType(r.mimeType))
          return bad('resource mimeType is not a plain type/subtype');
        const mime = r.mimeType === undefined ? {} : { mimeType: r.mimeType as string };
        if (typeof r.text === 'string' && r.blob === undefined) {
          spend(jsonLength(r.text), i);
          return { type: 'resource', resource: { uri, ...mime, text: r.text } };
        }
        if (r.text !== undefined) return bad('a resource has either text or blob');
        const blob = binary(r.blob, bad, 'blob');
        spend(blob.length, i);
        return { type: 'resource', resource: { uri, ...mime, blob } };
      }
      case 'resource_link': {
        const uri = checkedUri(b.uri, bad);
        if (typeof b.name !== 'string' || b.name === '') return bad('a resource link needs a name');
        if (b.mimeType !== undefined && !isMimeType(b.mimeType))
          return bad('resource link mimeType is not a plain type/subtype');
        const link: ContentBlock = { type: 'resource_link', uri, name: b.name };
        for (const key of ['mimeType', 'title', 'description'] as const)
          if (typeof b[key] === 'string') link[key] = b[key];
        spend(JSON.stringify(link).length, i);
        return link;
      }
      default:
        return bad(
          `unknown type ${JSON.stringify(String(b.type)).slice(0, 40)} (text, image, audio, resource or resource_link)`,
        );
    }
  });
}

/** Length of a string as JSON text (escapes included), without building a copy when nothing needs escaping. */
function jsonLength(text: string): number {
  return /["\\\u0000-\u001f]/.test(text) ? JSON.stringify(text).length - 2 : text.length;
}

function binary(value: unknown, bad: (why: string) => never, field: string): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (typeof value !== 'string') return bad(`${field} must be base64 text or bytes`);
  if (base64Size(value) === undefined) return bad(`${field} is not valid base64`);
  return value;
}

function checkedUri(value: unknown, bad: (why: string) => never): string {
  if (typeof value !== 'string' || value.length > 4000 || !URI.test(value))
    return bad('uri must be an absolute URI (scheme:…) without spaces or control characters');
  return value;
}

/**
 * A static tool's `content:` blocks with {{param}} placeholders filled in (text fields only: URIs, MIME types
 * and binary data are fixed in the spec).
 */
export function renderContent(blocks: readonly ContentBlock[], args: Record<string, unknown>): ToolContent {
  return toolContent(
    blocks.map((b) => {
      if (b.type === 'text') return { ...b, text: renderText(b.text, args) };
      if (b.type === 'resource' && 'text' in b.resource)
        return { ...b, resource: { ...b.resource, text: renderText(b.resource.text, args) } };
      return b;
    }),
  );
}

/** A static block whose bytes come from a file shipped with the server (`assets/…`, copied by the generator). */
export type FileBlock =
  | { type: 'image' | 'audio'; file: string; mimeType?: string }
  | { type: 'resource'; resource: { uri: string; mimeType?: string; file: string } };

/**
 * renderContent for blocks that name shipped files: placeholders first (file contents are never templates),
 * then each file read through runtime/assets.ts (inside the project, regular file, size-capped); a text type
 * becomes embedded `text`, anything else a base64 `blob`.
 */
export async function renderContentFiles(
  blocks: ReadonlyArray<ContentBlock | FileBlock>,
  args: Record<string, unknown>,
  projectRoot: string,
): Promise<ToolContent> {
  const rendered = renderContent(blocks as ContentBlock[], args).blocks as Array<ContentBlock | FileBlock>;
  const read = async (block: ContentBlock | FileBlock): Promise<ContentBlock> => {
    if ((block.type === 'image' || block.type === 'audio') && 'file' in block) {
      const asset = await readAsset(projectRoot, block.file, block.mimeType);
      return { type: block.type, data: asset.data.toString('base64'), mimeType: asset.mimeType };
    }
    if (block.type === 'resource' && 'file' in block.resource) {
      const { uri, file, mimeType } = block.resource;
      const asset = await readAsset(projectRoot, file, mimeType);
      return { type: 'resource', resource: contentsOf(uri, asset.mimeType, asset.data) };
    }
    return block as ContentBlock;
  };
  return toolContent(await Promise.all(rendered.map(read)));
}

/** Upstream media type → the block kind a client shows (image, audio) or an embedded binary resource. */
export function binaryBlock(bytes: Uint8Array, contentType: string, uri: string): ContentBlock {
  const mime = contentType.split(';')[0]!.trim().toLowerCase();
  const data = Buffer.from(bytes).toString('base64');
  if (isMimeType(mime) && mime.startsWith('image/')) return { type: 'image', data, mimeType: mime };
  if (isMimeType(mime) && mime.startsWith('audio/')) return { type: 'audio', data, mimeType: mime };
  return {
    type: 'resource',
    resource: { uri, mimeType: isMimeType(mime) ? mime : 'application/octet-stream', blob: data },
  };
}
