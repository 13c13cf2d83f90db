/**
 * Loading: the root document from a file or URL, then every document it references through `$ref`
 * (relative files, and URLs only with `allowRemoteRefs`). Parsing is strict JSON or YAML with alias limits;
 * failures become `FactoryError`s with file, line and column.
 */
import { realpathSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';
import { ERROR_CODES, type ErrorCode, FactoryError, type Issue } from '../../core/errors/index.js';
import { shortMessage } from './text.js';

export const DEFAULT_MAX_DOCUMENT_BYTES = 50 * 1024 * 1024;
/** Split documents are large: DigitalOcean's has ~2,900 files (one per operation, response, example…). */
export const MAX_EXTERNAL_DOCUMENTS = 10_000;
/** All documents together may be this many times `maxDocumentBytes`. */
const TOTAL_BYTES_FACTOR = 4;

export type DocumentEntry = { data: unknown } | { error: string };

export interface LoadedDocuments {
  /** `file:///…` or `http(s)://…` of the root document (no fragment). */
  rootUrl: string;
  root: unknown;
  /** Every document reached, by URL without fragment (the root included). */
  docs: Map<string, DocumentEntry>;
  /** Size of all documents read, in bytes. */
  bytes: number;
}

export interface LoadOptions {
  allowRemoteRefs?: boolean;
  maxDocumentBytes?: number;
  fetchTimeoutMs?: number;
  refRoot?: string;
}

class ParseFailure extends Error {
  constructor(
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
  }
}

/** A path, `file:` URL or http(s) URL → the URL the document is known by. */
export function sourceUrl(source: string): URL {
  if (/^https?:\/\//i.test(source)) return new URL(source);
  if (/^file:/i.test(source)) return new URL(source);
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(source)) {
    throw new FactoryError('OPENAPI_LOAD_FAILED', `unsupported URL scheme in ${source}`, {
      issues: [issue('OPENAPI_LOAD_FAILED', `cannot load ${source}: only files and http(s) URLs`, source)],
    });
  }
  return pathToFileURL(resolve(source));
}

export function displayName(url: string): string {
  if (!url.startsWith('file:')) return url;
  const path = fileURLToPath(url);
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

function issue(code: ErrorCode, message: string, file?: string, extra: Partial<Issue> = {}): Issue {
  return {
    code,
    message,
    path: '',
    hint: ERROR_CODES[code].hint,
    ...(file ? { file } : {}),
    ...extra,
  };
}

/** Load the root document and everything it references. Throws `FactoryError` for the root and refusals. */
export async function loadDocuments(source: string, options: LoadOptions = {}): Promise<LoadedDocuments> {
  const url = sourceUrl(source);
  const rootUrl = withoutHash(url);
  const maxBytes = options.maxDocumentBytes ?? DEFAULT_MAX_DOCUMENT_BYTES;
  const timeoutMs = options.fetchTimeoutMs ?? 15_000;
  let bytes = 0;

  const fetchText = async (target: string): Promise<string> => {
    const text = target.startsWith('file:')
      ? await readLocal(target, maxBytes)
      : await readRemote(target, maxBytes, timeoutMs);
    bytes += Buffer.byteLength(text);
    return text;
  };

  let rootText: string;
  try {
    rootText = await fetchText(rootUrl);
  } catch (error) {
    throw new FactoryError(
      'OPENAPI_LOAD_FAILED',
      `cannot read ${displayName(rootUrl)}: ${shortMessage(error)}`,
      {
        issues: [issue('OPENAPI_LOAD_FAILED', shortMessage(error), displayName(rootUrl))],
        cause: error,
      },
    );
  }
  let root: unknown;
  try {
    root = parseText(rootText, rootUrl);
  } catch (error) {
    const f = error as ParseFailure;
    throw new FactoryError('OPENAPI_LOAD_FAILED', `${displayName(rootUrl)}: ${f.message}`, {
      issues: [
        issue('OPENAPI_LOAD_FAILED', f.message, displayName(rootUrl), {
          ...(f.line !== undefined ? { line: f.line } : {}),
          ...(f.column !== undefined ? { column: f.column } : {}),
          hint: 'Fix the syntax at the reported position; the document must be one JSON or YAML document.',
        }),
      ],
    });
  }

  const docs = new Map<string, DocumentEntry>([[rootUrl, { data: root }]]);
  const refRoot = options.refRoot
    ? resolve(options.refRoot)
    : rootUrl.startsWith('file:')
      ? dirname(fileURLToPath(rootUrl))
      : undefined;
  const refused: Issue[] = [];
  const queue: string[] = [rootUrl];
  while (queue.length > 0) {
    const docUrl = queue.shift()!;
    const entry = docs.get(docUrl);
    if (!entry || !('data' in entry)) continue;
    for (const { ref, pointer, optional } of collectRefs(entry.data)) {
      let target: URL;
      try {
        target = new URL(ref, docUrl);
      } catch {
        continue; // reported when the reference is resolved
      }
      const targetUrl = withoutHash(target);
      if (docs.has(targetUrl)) continue;
      const where = { file: displayName(docUrl), path: pointer };
      const refusal = checkPermission(docUrl, target, options.allowRemoteRefs === true, refRoot);
      // Not recorded in `docs`: a reference the importer does follow must still meet (and fail) the check.
      if (refusal && optional) continue;
      if (refusal) {
        if (refused.length < 20)
          refused.push(
            issue(refusal.code, `$ref "${clip(ref)}": ${refusal.message}`, where.file, {
              path: where.path,
              hint: refusal.hint,
            }),
          );
        docs.set(targetUrl, { error: refusal.message });
        continue;
      }
      if (docs.size > MAX_EXTERNAL_DOCUMENTS) {
        docs.set(targetUrl, { error: `more than ${MAX_EXTERNAL_DOCUMENTS} referenced documents` });
        continue;
      }
      if (bytes > maxBytes * TOTAL_BYTES_FACTOR) {
        docs.set(targetUrl, {
          error: `the referenced documents exceed ${mib(maxBytes * TOTAL_BYTES_FACTOR)} in total`,
        });
        continue;
      }
      try {
        const text = await fetchText(targetUrl);
        docs.set(targetUrl, { data: parseText(text, targetUrl) });
        queue.push(targetUrl);
      } catch (error) {
        const f = error as ParseFailure;
        const at = f.line !== undefined ? ` (line ${f.line}, column ${f.column ?? 1})` : '';
        docs.set(targetUrl, { error: `cannot load ${displayName(targetUrl)}: ${shortMessage(error)}${at}` });
      }
    }
  }
  if (refused.length > 0) {
    const code = refused[0]!.code;
    throw new FactoryError(code, `${displayName(rootUrl)}: ${refused.length} $ref(s) refused`, {
      issues: refused,
    });
  }
  return { rootUrl, root, docs, bytes };
}

function clip(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function withoutHash(url: URL): string {
  const copy = new URL(url.href);
  copy.hash = '';
  return copy.href;
}

interface Refusal {
  code: ErrorCode;
  message: string;
  hint: string;
}

function checkPermission(
  fromUrl: string,
  target: URL,
  allowRemote: boolean,
  refRoot: string | undefined,
): Refusal | undefined {
  const remote = target.protocol === 'http:' || target.protocol === 'https:';
  if (remote) {
    if (allowRemote) return undefined;
    return {
      code: 'OPENAPI_REMOTE_REF_REFUSED',
      message: `it points to the remote document ${target.origin}${target.pathname}, and remote references are off`,
      hint: 'Pass allowRemoteRefs: true (only for documents you trust: the importer would fetch these URLs), or bundle the referenced documents into one file.',
    };
  }
  if (target.protocol !== 'file:') {
    return {
      code: 'OPENAPI_REMOTE_REF_REFUSED',
      message: `the URL scheme ${target.protocol} is not supported`,
      hint: 'Use relative file references or http(s) URLs.',
    };
  }
  if (!fromUrl.startsWith('file:')) {
    return {
      code: 'OPENAPI_REMOTE_REF_REFUSED',
      message: 'a document loaded from a URL may not reference local files',
      hint: 'Download the documents and import the local copy.',
    };
  }
  if (refRoot !== undefined && !isInside(fileURLToPath(target), refRoot)) {
    return {
      code: 'OPENAPI_FILE_REF_REFUSED',
      message: `the file ${fileURLToPath(target)} lies outside ${refRoot}`,
      hint: 'Keep referenced files next to (or below) the root document, or pass refRoot with a wider directory.',
    };
  }
  return undefined;
}

function isInside(path: string, root: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  const file = real(path);
  const dir = real(root);
  return file === dir || file.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

async function readLocal(url: string, maxBytes: number): Promise<string> {
  const path = fileURLToPath(url);
  const info = await stat(path);
  if (!info.isFile()) throw new Error(`${path} is not a file`);
  if (info.size > maxBytes) throw new Error(`the file is ${mib(info.size)}; the maximum is ${mib(maxBytes)}`);
  return stripBom(await readFile(path, 'utf8'));
}

async function readRemote(url: string, maxBytes: number, timeoutMs: number): Promise<string> {
  const res = await fetch(url, {
    signal: AbortSignal.timeout(timeoutMs),
    redirect: 'follow',
    headers: { accept: 'application/json, application/yaml, text/yaml, */*;q=0.5' },
  });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
  }
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw new Error(`the document is ${mib(declared)}; the maximum is ${mib(maxBytes)}`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (res.body) {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > maxBytes) throw new Error(`the document is larger than the maximum of ${mib(maxBytes)}`);
      chunks.push(chunk);
    }
  }
  return stripBom(Buffer.concat(chunks).toString('utf8'));
}

function mib(n: number): string {
  return n >= 1048576
    ? `${(n / 1048576).toFixed(1)} MiB`
    : n >= 1024
      ? `${(n / 1024).toFixed(1)} KiB`
      : `${n} bytes`;
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Strict JSON when the text looks like JSON (or the name says .json), YAML otherwise. */
export function parseText(text: string, url: string): unknown {
  if (text.trim() === '') throw new ParseFailure('the document is empty');
  const looksJson = /^\s*[{[]/.test(text) || /\.json$/i.test(new URL(url).pathname);
  if (looksJson) {
    try {
      return JSON.parse(text);
    } catch (error) {
      if (/\.json$/i.test(new URL(url).pathname) || !/\.ya?ml$/i.test(new URL(url).pathname)) {
        const message = (error as Error).message;
        const at = /position (\d+)/.exec(message);
        const offset = at ? Number(at[1]) : text.length;
        const before = text.slice(0, offset).split('\n');
        throw new ParseFailure(
          `invalid JSON: ${message.replace(/ in JSON at position \d+.*$/s, '').replace(/^JSON\.parse: /, '')}`,
          before.length,
          (before[before.length - 1]?.length ?? 0) + 1,
        );
      }
    }
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const pos = lineCounter.linePos(first.pos[0]);
    throw new ParseFailure(`invalid YAML: ${first.message.split('\n')[0]}`, pos.line, pos.col);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 10_000 });
  } catch (error) {
    throw new ParseFailure(`invalid YAML: ${shortMessage(error)}`);
  }
  if (hasCycle(data)) throw new ParseFailure('a YAML alias refers to a node that contains it (a cycle)');
  return data;
}

/** Cycles can only come from YAML aliases; iterative so deep documents do not overflow the stack. */
function hasCycle(root: unknown): boolean {
  if (root === null || typeof root !== 'object') return false;
  const onPath = new Set<object>();
  const done = new Set<object>();
  const stack: Array<{ node: object; children?: unknown[]; index: number }> = [{ node: root, index: 0 }];
  onPath.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    top.children ??= Array.isArray(top.node) ? top.node : Object.values(top.node);
    if (top.index >= top.children.length) {
      stack.pop();
      onPath.delete(top.node);
      done.add(top.node);
      continue;
    }
    const child = top.children[top.index++];
    if (child === null || typeof child !== 'object' || done.has(child)) continue;
    if (onPath.has(child)) return true;
    onPath.add(child);
    stack.push({ node: child, index: 0 });
  }
  return false;
}

/** Keys whose values are data, not document structure: a `$ref` inside them is not a reference. */
const DATA_KEYS = new Set(['example', 'enum', 'default', 'const']);
/** Keys whose values are maps from names to structure: every member is walked, whatever its name. */
const NAME_MAPS = new Set([
  'properties',
  'patternProperties',
  'dependentSchemas',
  '$defs',
  'definitions',
  'schemas',
  'parameters',
  'responses',
  'requestBodies',
  'headers',
  'securitySchemes',
  'securityDefinitions',
  'pathItems',
  'paths',
  'callbacks',
  'webhooks',
  'content',
  'encoding',
  'links',
]);

export interface FoundRef {
  ref: string;
  /** JSON pointer of the object holding the `$ref`. */
  pointer: string;
  /**
   * The importer never follows it — it sits in an `x-` extension, or is an `example` value (data, by the
   * specification) — but the schema validator does: loaded when the access rules allow, else left out
   * instead of failing the import.
   */
  optional: boolean;
}

/**
 * Every `$ref` string of a document with the JSON pointer where it occurs (iterative walk). `examples` is a map
 * of Example Objects (OpenAPI) — each member may be a `$ref`, and is data otherwise — or, in a schema, a list of
 * data.
 */
export function collectRefs(root: unknown): FoundRef[] {
  const out: FoundRef[] = [];
  type Kind = 'structure' | 'names' | 'examples';
  interface Frame {
    node: unknown;
    key: string;
    parent: Frame | undefined;
    /** `names`: the keys are names, never keywords; `examples`: members are Example Objects or references. */
    kind: Kind;
    optional: boolean;
  }
  const pointerOf = (f: Frame | undefined): string => {
    const parts: string[] = [];
    for (let cur = f; cur?.parent; cur = cur.parent)
      parts.push(cur.key.replace(/~/g, '~0').replace(/\//g, '~1'));
    return `#/${parts.reverse().join('/')}`;
  };
  const seen = new Set<object>();
  const stack: Frame[] = [{ node: root, key: '', parent: undefined, kind: 'structure', optional: false }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const node = frame.node;
    if (node === null || typeof node !== 'object' || seen.has(node)) continue;
    seen.add(node);
    if (Array.isArray(node)) {
      if (frame.kind === 'examples') continue; // JSON Schema `examples`: a list of values
      for (let i = node.length - 1; i >= 0; i--)
        stack.push({
          node: node[i],
          key: String(i),
          parent: frame,
          kind: 'structure',
          optional: frame.optional,
        });
      continue;
    }
    const record = node as Record<string, unknown>;
    if (frame.kind === 'examples') {
      for (const [key, value] of Object.entries(record)) {
        if (
          value !== null &&
          typeof value === 'object' &&
          typeof (value as { $ref?: unknown }).$ref === 'string'
        )
          out.push({
            ref: (value as { $ref: string }).$ref,
            pointer: pointerOf({
              node: value,
              key,
              parent: frame,
              kind: 'structure',
              optional: frame.optional,
            }),
            optional: frame.optional,
          });
      }
      continue;
    }
    const isNameMap = frame.kind === 'names';
    // A name map given as a whole by `$ref` (`properties: { $ref: … }`) is common in split documents: a member
    // named "$ref" would have to be a schema, never a string.
    if (typeof record.$ref === 'string')
      out.push({ ref: record.$ref, pointer: pointerOf(frame), optional: frame.optional });
    for (const [key, value] of Object.entries(record)) {
      if (!isNameMap && key === 'example' && isRefObject(value))
        out.push({ ref: value.$ref, pointer: pointerOf({ ...frame, key, parent: frame }), optional: true });
      if (!isNameMap && (key === '$ref' || DATA_KEYS.has(key))) continue;
      if (value === null || typeof value !== 'object') continue;
      const kind: Kind = isNameMap
        ? 'structure'
        : NAME_MAPS.has(key)
          ? 'names'
          : key === 'examples'
            ? 'examples'
            : 'structure';
      stack.push({
        node: value,
        key,
        parent: frame,
        kind,
        optional: frame.optional || (!isNameMap && key.startsWith('x-')),
      });
    }
  }
  return out;
}

function isRefObject(value: unknown): value is { $ref: string } {
  return (
    value !== null && typeof value === 'object' && typeof (value as { $ref?: unknown }).$ref === 'string'
  );
}
