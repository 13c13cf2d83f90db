/**
 * The static kind: fixed text with {{param}} placeholders filled in, or a fixed list of content blocks (text,
 * image, audio, embedded resources, resource links); synchronous, no I/O. Binary data is checked here (base64,
 * MIME type, size), so a generated server never ships a block a client would reject.
 */
import { z } from 'zod';
import { lit } from '../codegen/literals.js';
import {
  checkBase64,
  checkFileRef,
  checkMimeType,
  hasMediaExtension,
  MEDIA_EXTENSIONS,
} from '../spec/files.js';
import type { PathSegment } from '../spec/path.js';
import { text } from '../spec/primitives.js';
import { type AddIssue, checkTemplate } from '../spec/rules.js';
import type { ToolKind } from './types.js';

/** Base64 characters of inline data one static tool may carry (runtime/content.ts MAX_CONTENT_CHARS: 6 MiB decoded). */
export const MAX_STATIC_BASE64_CHARS = 8 * 1024 * 1024;

const base64 = z.string().max(MAX_STATIC_BASE64_CHARS).describe('Base64-encoded bytes.');
const mimeType = z.string().max(200).describe('MIME type (type/subtype, no parameters), e.g. image/png.');
const uri = z.string().min(1).max(2000).describe('Absolute URI (scheme:…).');
const file = z
  .string()
  .max(1000)
  .describe("A file relative to the spec's folder, shipped with the server (at most 10 MiB).");

const Media = z.strictObject({
  data: base64.optional(),
  file: file.optional(),
  mimeType: mimeType
    .optional()
    .describe('MIME type; required with `data`, guessed from the extension of `file`.'),
});

const EmbeddedResource = z
  .strictObject({
    uri,
    mimeType: mimeType.optional(),
    text: text.optional().describe('Text contents; {{param}} placeholders are filled in.'),
    data: base64.optional().describe('Binary contents (sent as a base64 blob).'),
    file: file.optional(),
  })
  .describe(
    'An embedded resource: `text`, binary `data`, or a `file` (text types as text, others as a blob).',
  );

const ResourceLink = z
  .strictObject({
    uri,
    name: z.string().min(1).max(200),
    title: z.string().max(200).optional(),
    description: z.string().max(2000).optional(),
    mimeType: mimeType.optional(),
  })
  .describe('A link to a resource the client may read.');

const ContentBlock = z
  .strictObject({
    text: text.optional().describe('A text block; {{param}} placeholders are filled in.'),
    image: Media.optional().describe('An image: base64 `data` and an image/* `mimeType`, or a `file`.'),
    audio: Media.optional().describe('Audio: base64 `data` and an audio/* `mimeType`, or a `file`.'),
    resource: EmbeddedResource.optional(),
    link: ResourceLink.optional(),
  })
  .describe('One content block: exactly one of text, image, audio, resource, link.');
type ContentBlock = z.infer<typeof ContentBlock>;
const BLOCK_KINDS = ['text', 'image', 'audio', 'resource', 'link'] as const;

export const StaticImpl = z.strictObject({
  text: text.optional().describe('Text returned by the tool; {{param}} placeholders are filled in.'),
  content: z
    .array(ContentBlock)
    .min(1)
    .max(100)
    .optional()
    .describe('Content blocks returned instead of `text`: text, image, audio, embedded resources, links.'),
});
export type StaticImpl = z.infer<typeof StaticImpl>;

// Same URI rule as runtime/content.ts (the runtime is self-contained, so it is stated twice).
const URI = /^[a-z][a-z0-9+.-]*:[^\s\u0000-\u001f\u007f]*$/i;

export const staticKind: ToolKind<'static', StaticImpl> = {
  name: 'static',
  schema: StaticImpl,
  authoring: {
    promptLine:
      'static: { text: "Hello {{name}}" } — or static: { content: [{ text }, { image: { data: <base64>, mimeType: image/png } }, { audio: {…} }, { resource: { uri, mimeType, text | data } }, { link: { uri, name } }] }',
  },

  check(impl, { tool, params, at, add }) {
    if ((impl.text === undefined) === (impl.content === undefined)) {
      add(
        impl.text === undefined ? 'SPEC_MISSING_FIELD' : 'SPEC_INVALID_VALUE',
        'a static tool has either `text` or `content`',
        at('static'),
        'Use `text: "…"` for plain text, `content: [...]` for images, audio or resources.',
      );
    }
    if (impl.text !== undefined) checkTemplate(impl.text, params, at('static', 'text'), add);
    if (impl.content === undefined) return;
    if (tool.returns)
      add(
        'SPEC_INVALID_VALUE',
        'a static tool with `content` blocks has no structured value, so it cannot declare `returns`',
        at('returns'),
        'Remove `returns`, or return `text`.',
      );
    let chars = 0;
    impl.content.forEach((block, i) => {
      chars += checkBlock(block, params, (...rest) => at('static', 'content', i, ...rest), add);
    });
    if (chars > MAX_STATIC_BASE64_CHARS)
      add(
        'SPEC_INVALID_VALUE',
        `the content blocks hold ${chars} characters of base64 data; a tool result may carry at most ${MAX_STATIC_BASE64_CHARS} (6 MiB decoded)`,
        at('static', 'content'),
        'Shrink the data, or serve large files from an http tool.',
      );
  },

  annotations: () => ({ readOnly: true, openWorld: false }),

  emit: (impl, { identifier, assetPath }) => {
    if (impl.content === undefined)
      return { handler: `(args) => renderText(${lit(impl.text ?? '')}, args)`, sync: true };
    const shipped = (path: string) => {
      if (!assetPath) throw new Error('the generator gave no asset path for a static `file`');
      return assetPath(path);
    };
    const blocks = lit(impl.content.map((b) => mcpBlock(b, shipped)));
    const files = impl.content.some(
      (b) => b.image?.file !== undefined || b.audio?.file !== undefined || b.resource?.file !== undefined,
    );
    // Blocks with files read them at call time (async, so the call gets the usual timeout).
    const fn = files ? 'renderContentFiles' : 'renderContent';
    const render = identifier(fn);
    return {
      handler: files
        ? `(args) => ${render}(${blocks}, args, runtime.projectRoot)`
        : `(args) => ${render}(${blocks}, args)`,
      imports: [`import { ${fn} as ${render} } from './runtime/content.js';`],
      ...(files ? {} : { sync: true }),
    };
  },

  label: (impl) =>
    impl.content === undefined
      ? 'static text'
      : `static content (${[...new Set(impl.content.map(kindOf))].join(', ')})`,
};

function kindOf(block: ContentBlock): string {
  return BLOCK_KINDS.find((k) => block[k] !== undefined) ?? 'empty';
}

/** Checks one block; returns the base64 characters of its inline data. */
function checkBlock(
  block: ContentBlock,
  params: ReadonlySet<string>,
  at: (...rest: PathSegment[]) => PathSegment[],
  add: AddIssue,
): number {
  const set = BLOCK_KINDS.filter((k) => block[k] !== undefined);
  if (set.length !== 1) {
    add(
      set.length ? 'SPEC_INVALID_VALUE' : 'SPEC_MISSING_FIELD',
      set.length ? `a content block has ${set.join(' and ')}; one per block` : 'a content block is empty',
      at(),
      `Give exactly one of ${BLOCK_KINDS.join(', ')}.`,
    );
    return 0;
  }
  // Inline data counts against the result's budget as sent (base64 characters).
  const data = (value: string, path: PathSegment[]): number =>
    checkBase64(value, path, add) ? value.length : 0;
  const mime = (value: string, path: PathSegment[], family?: string) =>
    checkMimeType(value, family, path, add);
  const link = (value: string, path: PathSegment[]) => {
    if (!URI.test(value))
      add(
        'SPEC_INVALID_VALUE',
        `${JSON.stringify(value.slice(0, 80))} is not an absolute URI`,
        path,
        'Use scheme:… without spaces or control characters, e.g. file:///report.pdf or https://example.com/a.png.',
      );
  };
  if (block.text !== undefined) checkTemplate(block.text, params, at('text'), add);
  const shipped = (path: string, where: PathSegment[]) => checkFileRef(path, where, add);
  for (const family of ['image', 'audio'] as const) {
    const media = block[family];
    if (!media) continue;
    if ((media.data === undefined) === (media.file === undefined)) {
      add(
        'SPEC_INVALID_VALUE',
        `an ${family} block has either \`data\` or \`file\``,
        at(family),
        'Use `data` (base64) with `mimeType`, or `file: path/to/file`.',
      );
      return 0;
    }
    if (media.mimeType !== undefined) mime(media.mimeType, at(family, 'mimeType'), family);
    if (media.file !== undefined) {
      shipped(media.file, at(family, 'file'));
      if (media.mimeType === undefined && !hasMediaExtension(media.file, family))
        add(
          'SPEC_MISSING_FIELD',
          `the ${family} type of ${JSON.stringify(media.file.slice(0, 200))} cannot be told from its extension`,
          at(family, 'mimeType'),
          `Add \`mimeType\` (an ${family}/… type), or use a .${MEDIA_EXTENSIONS[family].join(', .')} file.`,
        );
      return 0;
    }
    if (media.mimeType === undefined)
      add(
        'SPEC_MISSING_FIELD',
        `inline ${family} data needs a \`mimeType\``,
        at(family, 'mimeType'),
        `Add e.g. \`mimeType: ${family === 'image' ? 'image/png' : 'audio/wav'}\`.`,
      );
    return data(media.data ?? '', at(family, 'data'));
  }
  if (block.resource) {
    const r = block.resource;
    link(r.uri, at('resource', 'uri'));
    if (r.mimeType !== undefined) mime(r.mimeType, at('resource', 'mimeType'));
    if ([r.text, r.data, r.file].filter((v) => v !== undefined).length !== 1) {
      add(
        'SPEC_INVALID_VALUE',
        'an embedded resource has exactly one of `text`, `data` or `file`',
        at('resource'),
        'Use `text` for text contents, `data` (base64) for binary contents, `file` for a shipped file.',
      );
      return 0;
    }
    if (r.file !== undefined) shipped(r.file, at('resource', 'file'));
    if (r.text !== undefined) checkTemplate(r.text, params, at('resource', 'text'), add);
    return r.data === undefined ? 0 : data(r.data, at('resource', 'data'));
  }
  if (block.link) {
    link(block.link.uri, at('link', 'uri'));
    if (block.link.mimeType !== undefined) mime(block.link.mimeType, at('link', 'mimeType'));
  }
  return 0;
}

/** The block as MCP sends it (runtime/content.ts ContentBlock), or a FileBlock naming its shipped file. */
function mcpBlock(block: ContentBlock, shipped: (file: string) => string): Record<string, unknown> {
  for (const type of ['image', 'audio'] as const) {
    const media = block[type];
    if (!media) continue;
    const mime = media.mimeType ? { mimeType: media.mimeType } : {};
    return media.file !== undefined
      ? { type, file: shipped(media.file), ...mime }
      : { type, data: media.data, ...mime };
  }
  if (block.resource) {
    const { uri, mimeType, text, data, file } = block.resource;
    const contents =
      file !== undefined ? { file: shipped(file) } : data !== undefined ? { blob: data } : { text };
    return { type: 'resource', resource: { uri, ...(mimeType ? { mimeType } : {}), ...contents } };
  }
  if (block.link) return { type: 'resource_link', ...block.link };
  return { type: 'text', text: block.text ?? '' };
}
