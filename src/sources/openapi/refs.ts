/**
 * `$ref` resolution over the loaded documents: local pointers, references into other (already loaded)
 * documents, chains of references, and schemas expanded into finite trees — recursion is cut after
 * `recursionDepth` expansions and marked, nesting is cut at `maxSchemaDepth`, size at `maxNodes`.
 */
import type { DocumentEntry } from './load.js';
import { displayName } from './load.js';
import type { JsonSchema } from './model.js';
import { isUnsafeKey } from './names.js';

export class RefError extends Error {
  override name = 'RefError';
}

export interface Located<T = unknown> {
  value: T;
  /** URL of the document the value sits in: references inside it resolve against this. */
  base: string;
}

/** An object assembled from a `$ref` chain: `baseOf(key)` is the document the keyword was written in. */
export interface LocatedObject {
  value: Record<string, unknown>;
  /** The document of the chain's target. */
  base: string;
  baseOf(key: string): string;
}

export interface ResolverLimits {
  recursionDepth: number;
  maxSchemaDepth: number;
  maxNodes: number;
}

/** Per-schema bookkeeping: problems found and nodes produced. */
export interface SchemaContext {
  problems: Set<string>;
  nodes: number;
}

const MAX_CHAIN = 64;
const MAX_STRING = 20_000;
const MAX_ENUM = 1000;

/** Keywords copied as they are (values are checked again by the mapping). */
const SCALAR_KEYWORDS = [
  'type',
  'format',
  'title',
  'nullable',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'readOnly',
  'writeOnly',
  'deprecated',
  'contentEncoding',
  'contentMediaType',
  'default',
  'const',
  'example',
] as const;

/** Sibling keywords of a `$ref` that only annotate (they override the target's). */
const ANNOTATIONS = new Set([
  'description',
  'title',
  'summary',
  'default',
  'nullable',
  'readOnly',
  'writeOnly',
  'deprecated',
  'example',
  'examples',
]);

export class Resolver {
  constructor(
    private readonly docs: Map<string, DocumentEntry>,
    readonly limits: ResolverLimits,
  ) {}

  /** The document and pointer a `$ref` names, relative to `base`. */
  target(ref: string, base: string): { url: string; pointer: string; key: string } {
    let url: URL;
    try {
      url = new URL(ref, base);
    } catch {
      throw new RefError(`$ref "${clip(ref)}" is not a valid URI reference`);
    }
    const fragment = url.hash.startsWith('#') ? url.hash.slice(1) : url.hash;
    url.hash = '';
    let pointer: string;
    try {
      pointer = decodeURIComponent(fragment);
    } catch {
      throw new RefError(`$ref "${clip(ref)}" has a malformed fragment`);
    }
    if (pointer !== '' && !pointer.startsWith('/')) {
      throw new RefError(
        `$ref "${clip(ref)}" uses an anchor (#${clip(pointer, 60)}); only JSON pointers are supported`,
      );
    }
    return { url: url.href, pointer, key: `${url.href}#${pointer}` };
  }

  private document(url: string, ref: string): unknown {
    const entry = this.docs.get(url);
    if (!entry) throw new RefError(`$ref "${clip(ref)}": ${displayName(url)} was not loaded`);
    if ('error' in entry) throw new RefError(`$ref "${clip(ref)}": ${entry.error}`);
    return entry.data;
  }

  /** The value a `$ref` points at (one step: the value may itself be a reference). */
  lookup(ref: string, base: string): Located & { key: string } {
    const { url, pointer, key } = this.target(ref, base);
    let cur: Located = { value: this.document(url, ref), base: url };
    if (pointer === '') return { ...cur, key };
    const segments = pointer
      .slice(1)
      .split('/')
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    for (const segment of segments) {
      cur = this.follow(cur);
      const node = cur.value;
      if (Array.isArray(node) && /^(0|[1-9][0-9]*)$/.test(segment) && Number(segment) < node.length) {
        cur = { value: node[Number(segment)], base: cur.base };
      } else if (
        node !== null &&
        typeof node === 'object' &&
        !Array.isArray(node) &&
        Object.hasOwn(node, segment)
      ) {
        cur = { value: (node as Record<string, unknown>)[segment], base: cur.base };
      } else {
        throw new RefError(
          `$ref "${clip(ref)}" points to nothing: no "${clip(segment, 80)}" in ${displayName(url)}`,
        );
      }
    }
    return { ...cur, key };
  }

  /** Follow a chain of references to a value that is not one. */
  follow<T = unknown>(start: Located): Located<T> {
    return this.followWithSiblings(start).target as Located<T>;
  }

  /**
   * Follow a chain of references, keeping the keywords written next to each `$ref` on the way (nearest to
   * `start` first), each with the document it sits in. Structural objects reached this way (path items,
   * operations) lay these over the target: OpenAPI 3.1 allows summary/description there, and real documents
   * put more (tags, security) next to an operation `$ref`.
   */
  followWithSiblings(start: Located): { target: Located; siblings: Array<Located<Record<string, unknown>>> } {
    let cur = start;
    const seen: string[] = [];
    const siblings: Array<Located<Record<string, unknown>>> = [];
    while (isRef(cur.value)) {
      const record = cur.value as Record<string, unknown>;
      const ref = record.$ref as string;
      const next = this.lookup(ref, cur.base);
      if (seen.includes(next.key) || seen.length >= MAX_CHAIN) {
        throw new RefError(
          `$ref "${clip(ref)}" is circular: ${[...seen, next.key].map(shortKey).join(' → ')}`,
        );
      }
      seen.push(next.key);
      const own = Object.entries(record).filter(([k]) => k !== '$ref' && !isUnsafeKey(k));
      if (own.length > 0) siblings.push({ value: Object.fromEntries(own), base: cur.base });
      cur = { value: next.value, base: next.base };
    }
    return { target: cur, siblings };
  }

  /**
   * An object reached through `$ref`s (or given directly), the keywords next to each `$ref` laid over the
   * target (nearest wins), with the document each keyword came from: references inside a value resolve
   * against the file that value was written in. Throws RefError for a broken chain; `undefined` when the
   * target is not an object.
   */
  object(start: Located): LocatedObject | undefined {
    const { target, siblings } = this.followWithSiblings(start);
    if (target.value === null || typeof target.value !== 'object' || Array.isArray(target.value))
      return undefined;
    const value: Record<string, unknown> = { ...(target.value as Record<string, unknown>) };
    const bases = new Map<string, string>();
    for (const layer of siblings.reverse()) {
      for (const [k, v] of Object.entries(layer.value)) {
        value[k] = v;
        bases.set(k, layer.base);
      }
    }
    return { value, base: target.base, baseOf: (key) => bases.get(key) ?? target.base };
  }

  /** Resolve a schema into a finite tree. Problems go to `ctx`; this never throws for bad input. */
  schema(node: unknown, base: string, ctx: SchemaContext, stack: string[] = [], depth = 0): JsonSchema {
    ctx.nodes++;
    if (ctx.nodes > this.limits.maxNodes) {
      ctx.problems.add(`a schema is larger than ${this.limits.maxNodes} nodes; the rest is not expanded`);
      return { 'x-mcp-cut': 'size' };
    }
    if (node === true || node === undefined) return {};
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return {};
    const record = node as Record<string, unknown>;
    if (typeof record.$ref === 'string') return this.refSchema(record, base, ctx, stack, depth);
    if (depth > this.limits.maxSchemaDepth) {
      ctx.problems.add(`schemas nested deeper than ${this.limits.maxSchemaDepth} levels are not expanded`);
      return typeof record.type === 'string'
        ? { type: record.type, 'x-mcp-cut': 'depth' }
        : { 'x-mcp-cut': 'depth' };
    }
    const out: JsonSchema = {};
    for (const k of SCALAR_KEYWORDS) if (record[k] !== undefined) out[k] = record[k];
    if (record['x-nullable'] === true) out.nullable = true;
    if (typeof record.description === 'string') out.description = capString(record.description);
    if (Array.isArray(record.enum)) {
      if (record.enum.length <= MAX_ENUM) out.enum = record.enum;
      else ctx.problems.add(`an enum with ${record.enum.length} values was dropped (more than ${MAX_ENUM})`);
    }
    if (Array.isArray(record.required)) out.required = record.required.filter((r) => typeof r === 'string');
    // `properties: { $ref: … }` (the whole map by reference) is not JSON Schema, but split documents use it.
    let props = record.properties;
    let propsBase = base;
    if (isRef(props) && typeof (props as { $ref: unknown }).$ref === 'string') {
      try {
        ({ value: props, base: propsBase } = this.follow({ value: props, base }));
      } catch (error) {
        ctx.problems.add(`properties: ${(error as Error).message}`);
        props = undefined;
      }
    }
    if (props !== null && typeof props === 'object' && !Array.isArray(props)) {
      const resolved: Record<string, JsonSchema> = {};
      for (const [name, sub] of Object.entries(props)) {
        if (isUnsafeKey(name)) {
          ctx.problems.add(`a property named "${name}" was dropped`);
          continue;
        }
        resolved[name] = this.schema(sub, propsBase, ctx, stack, depth + 1);
      }
      out.properties = resolved;
    }
    const additional = record.additionalProperties;
    if (typeof additional === 'boolean') out.additionalProperties = additional;
    else if (additional !== null && typeof additional === 'object')
      out.additionalProperties = this.schema(additional, base, ctx, stack, depth + 1);
    else if (record.patternProperties !== null && typeof record.patternProperties === 'object')
      out.additionalProperties = true;
    const items = record.items;
    if (Array.isArray(items)) {
      if (items.length > 0) out.items = this.schema(items[0], base, ctx, stack, depth + 1);
    } else if (items !== null && typeof items === 'object')
      out.items = this.schema(items, base, ctx, stack, depth + 1);
    for (const k of ['allOf', 'oneOf', 'anyOf'] as const) {
      const list = record[k];
      if (Array.isArray(list))
        out[k] = list.slice(0, 100).map((s) => this.schema(s, base, ctx, stack, depth + 1));
    }
    return out;
  }

  private refSchema(
    record: Record<string, unknown>,
    base: string,
    ctx: SchemaContext,
    stack: string[],
    depth: number,
  ): JsonSchema {
    const ref = record.$ref as string;
    let target: Located & { key: string };
    try {
      target = this.lookup(ref, base);
    } catch (error) {
      const message = (error as Error).message;
      ctx.problems.add(message);
      return { 'x-mcp-cut': 'unresolved', 'x-mcp-error': message };
    }
    const occurrences = stack.filter((k) => k === target.key).length;
    let resolved: JsonSchema;
    if (occurrences >= this.limits.recursionDepth) {
      const type = peekType(target.value);
      ctx.problems.add(
        `recursive schema ${shortKey(target.key)} cut after ${this.limits.recursionDepth} expansion(s)`,
      );
      resolved = { ...(type ? { type } : {}), 'x-mcp-cut': 'recursion', 'x-mcp-ref': shortKey(target.key) };
    } else if (stack.length >= MAX_CHAIN * 4) {
      ctx.problems.add('references nested too deeply');
      resolved = { 'x-mcp-cut': 'depth' };
    } else {
      stack.push(target.key);
      try {
        resolved = this.schema(target.value, target.base, ctx, stack, depth);
      } finally {
        stack.pop();
      }
    }
    const siblings = Object.keys(record).filter((k) => k !== '$ref' && !k.startsWith('x-'));
    if (siblings.length === 0) return resolved;
    if (siblings.every((k) => ANNOTATIONS.has(k))) {
      const own = this.schema(
        Object.fromEntries(siblings.map((k) => [k, record[k]])),
        base,
        ctx,
        stack,
        depth,
      );
      return { ...resolved, ...own };
    }
    // OpenAPI 3.1 / JSON Schema 2020-12: keywords next to $ref apply together with it.
    const rest = Object.fromEntries(siblings.map((k) => [k, record[k]]));
    return { allOf: [resolved, this.schema(rest, base, ctx, stack, depth)] };
  }
}

export function isRef(value: unknown): boolean {
  return (
    value !== null && typeof value === 'object' && typeof (value as { $ref?: unknown }).$ref === 'string'
  );
}

function peekType(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const type = (value as { type?: unknown }).type;
  if (typeof type === 'string') return type;
  if ((value as { properties?: unknown }).properties) return 'object';
  return undefined;
}

function capString(text: string): string {
  return text.length > MAX_STRING ? text.slice(0, MAX_STRING) : text;
}

function clip(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** `file:///x/petstore.yaml#/components/schemas/Pet` → `petstore.yaml#/components/schemas/Pet`. */
export function shortKey(key: string): string {
  const hash = key.indexOf('#');
  const url = hash >= 0 ? key.slice(0, hash) : key;
  const name = url.slice(url.lastIndexOf('/') + 1);
  return `${name}${hash >= 0 ? key.slice(hash) : ''}`;
}
