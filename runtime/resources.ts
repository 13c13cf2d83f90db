/**
 * Resources and resource templates from data definitions (the generator emits them as literals): static text with
 * {{var}}, SQL rows as JSON, shipped files and inline base64. Text MIME types travel as `text`, others as `blob`.
 * A template read whose SQL returns no rows is "resource not found", like an unknown URI.
 */
import {
  type CompleteResult,
  type McpServer,
  ResourceNotFoundError,
  ResourceTemplate,
} from '@modelcontextprotocol/server';
import { contentsOf, mimeTypeOf, readAsset } from './assets.js';
import type { Runtime } from './runtime.js';
import type { SqlToolDefinition } from './sql.js';
import { renderText } from './template.js';

export interface ResourceDefinition {
  name: string;
  uri: string;
  /** The URI has {var} placeholders. */
  template?: boolean;
  title?: string;
  description?: string;
  mimeType?: string;
  text?: string;
  sql?: SqlToolDefinition;
  /** Project-relative path of a shipped file (assets/…). */
  file?: string;
  /** Inline base64 bytes. */
  blob?: string;
  /** Completion values per template variable: fixed, or a query (first column; `value` = what was typed). */
  complete?: Record<string, string[] | SqlToolDefinition>;
  /** SQL templates: a query whose rows fill the template's variables (by column) → resources/list entries. */
  list?: SqlToolDefinition;
  /** SQL resources: polled while subscribed (runtime/subscriptions.ts). */
  watch?: { intervalMs: number };
}

/** resources/list entries from the template's list query: at most this many. */
export const MAX_LISTED = 1000;

/** The template with each {var} replaced by the row's column of that name (percent-encoded). */
export function fillTemplate(uri: string, row: Record<string, unknown>): string | undefined {
  let missing = false;
  const filled = uri.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
    const value = row[name];
    if (value === undefined || value === null) missing = true;
    return encodeURIComponent(String(value));
  });
  return missing ? undefined : filled;
}

async function listed(rt: Runtime, def: ResourceDefinition) {
  const result = (await rt.sql(def.list!, {})) as { rows?: Array<Record<string, unknown>> };
  const resources = [];
  for (const row of (result?.rows ?? []).slice(0, MAX_LISTED)) {
    const uri = fillTemplate(def.uri, row);
    if (!uri) continue;
    const name = typeof row.name === 'string' && row.name ? row.name : `${def.name} ${uri}`;
    resources.push({ uri, name, mimeType: mimeTypeOfResource(def) });
  }
  return { resources };
}

export type ResourceContents =
  | { uri: string; mimeType: string; text: string }
  | { uri: string; mimeType: string; blob: string };

export function mimeTypeOfResource(def: ResourceDefinition): string {
  if (def.mimeType) return def.mimeType;
  if (def.file) return mimeTypeOf(def.file);
  return def.blob !== undefined ? 'application/octet-stream' : 'text/plain';
}

/** The contents of one read of `def` at `uri` with the template's variables. */
export async function readResource(
  rt: Runtime,
  def: ResourceDefinition,
  uri: string,
  vars: Record<string, unknown>,
): Promise<ResourceContents> {
  const mimeType = mimeTypeOfResource(def);
  if (def.sql) {
    const result = (await rt.sql(def.sql, vars)) as { rows?: unknown[] };
    if (def.template && Array.isArray(result?.rows) && result.rows.length === 0)
      throw new ResourceNotFoundError(uri);
    return { uri, mimeType, text: JSON.stringify(result, null, 2) };
  }
  if (def.text !== undefined) return { uri, mimeType, text: renderText(def.text, vars) };
  const bytes = def.file
    ? (await readAsset(rt.projectRoot, def.file, mimeType)).data
    : Buffer.from(def.blob ?? '', 'base64');
  return contentsOf(uri, mimeType, bytes);
}

function metadataOf(def: ResourceDefinition): Record<string, string> {
  return {
    ...(def.title ? { title: def.title } : {}),
    ...(def.description ? { description: def.description } : {}),
    mimeType: mimeTypeOfResource(def),
  };
}

/** Register every resource and template on `server`. */
export function registerResources(server: McpServer, rt: Runtime, defs: ResourceDefinition[]): void {
  for (const def of defs) {
    if (def.template) {
      server.registerResource(
        def.name,
        new ResourceTemplate(def.uri, { list: def.list ? () => listed(rt, def) : undefined }),
        metadataOf(def),
        async (uri, variables) => {
          const vars = Object.fromEntries(
            Object.entries(variables).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]),
          );
          return { contents: [await readResource(rt, def, uri.href, vars)] };
        },
      );
    } else {
      server.registerResource(def.name, def.uri, metadataOf(def), async (uri) => ({
        contents: [await readResource(rt, def, uri.href, {})],
      }));
    }
  }
}

/** Values starting with `prefix`, at most 100 (the protocol's cap per answer). */
export function completionOf(values: readonly string[], prefix: string): CompleteResult {
  const matching = values.filter((v) => v.startsWith(prefix));
  return {
    completion: { values: matching.slice(0, 100), total: matching.length, hasMore: matching.length > 100 },
  };
}

/** The values of a template variable's completion (a query's first column, at most 1000 distinct). */
export async function completionValues(
  rt: Runtime,
  source: string[] | SqlToolDefinition | undefined,
  value: string,
): Promise<string[]> {
  if (!source) return [];
  if (Array.isArray(source)) return source;
  const result = (await rt.sql(source, { value })) as { rows?: Array<Record<string, unknown>> };
  const values = new Set<string>();
  for (const row of result?.rows ?? []) {
    const first = Object.values(row)[0];
    if (first !== undefined && first !== null) values.add(String(first));
    if (values.size >= 1000) break;
  }
  return [...values];
}
