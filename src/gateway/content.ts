/**
 * Prompts and resources of the upstreams, beside the tools: prompts under public names like tools
 * (`server__prompt`, names.ts), resources and resource templates under their own URIs (a URI names its
 * resource already; when two upstreams offer the same URI or template, the first upstream by name serves it and
 * the clash is reported). Descriptions are screened like tool descriptions. Lists are built on demand per
 * caller's visible upstreams and cached until the catalog changes (Gateway invalidates them with the tools).
 */
import { type GetPromptResult, type ReadResourceResult, UriTemplate } from '@modelcontextprotocol/client';
import { FactoryError } from '../core/errors/index.js';
import { screenText } from '../core/text/untrusted.js';
import { MAX_DESCRIPTION } from './catalog.js';
import { assignNames } from './names.js';
import type { Upstream } from './upstream.js';

export interface PromptEntry {
  name: string;
  upstream: string;
  prompt: { name: string; title?: string; description?: string; arguments?: unknown[] };
}

export interface ResourceEntry {
  upstream: string;
  resource: { uri: string; name: string; title?: string; description?: string; mimeType?: string };
}

export interface TemplateEntry {
  upstream: string;
  template: { uriTemplate: string; name: string; title?: string; description?: string; mimeType?: string };
  matcher: UriTemplate;
}

export interface ContentCatalog {
  prompts: PromptEntry[];
  resources: ResourceEntry[];
  templates: TemplateEntry[];
  clashes: string[];
}

const screened = (text: unknown) => screenText(text, MAX_DESCRIPTION).text;

async function settle<T>(run: () => Promise<T | undefined>): Promise<T | undefined> {
  try {
    return await run();
  } catch {
    return undefined; // an upstream that cannot list is left out, as for tools
  }
}

export async function buildContent(
  upstreams: readonly Upstream[],
  separator: string,
): Promise<ContentCatalog> {
  const sorted = [...upstreams].sort((a, b) => (a.name < b.name ? -1 : 1));
  const lists = await Promise.all(
    sorted.map(async (u) => ({
      upstream: u,
      prompts: await settle(() => u.request('prompts', (c) => c.listPrompts())),
      resources: await settle(() => u.request('resources', (c) => c.listResources())),
      templates: await settle(() => u.request('resources', (c) => c.listResourceTemplates())),
    })),
  );
  const promptPairs: Array<{ upstream: string; prompt: PromptEntry['prompt'] }> = [];
  const resources: ResourceEntry[] = [];
  const templates: TemplateEntry[] = [];
  const clashes: string[] = [];
  const seenUris = new Set<string>();
  for (const l of lists) {
    for (const p of l.prompts?.prompts ?? [])
      promptPairs.push({
        upstream: l.upstream.name,
        prompt: {
          name: p.name,
          ...(p.title ? { title: p.title } : {}),
          ...(screened(p.description) ? { description: screened(p.description)! } : {}),
          ...(p.arguments ? { arguments: p.arguments } : {}),
        },
      });
    for (const r of l.resources?.resources ?? []) {
      if (seenUris.has(r.uri)) {
        clashes.push(`${l.upstream.name}: ${r.uri}`);
        continue;
      }
      seenUris.add(r.uri);
      resources.push({
        upstream: l.upstream.name,
        resource: {
          uri: r.uri,
          name: r.name,
          ...(r.title ? { title: r.title } : {}),
          ...(screened(r.description) ? { description: screened(r.description)! } : {}),
          ...(r.mimeType ? { mimeType: r.mimeType } : {}),
        },
      });
    }
    for (const t of l.templates?.resourceTemplates ?? []) {
      if (seenUris.has(t.uriTemplate)) {
        clashes.push(`${l.upstream.name}: ${t.uriTemplate}`);
        continue;
      }
      seenUris.add(t.uriTemplate);
      let matcher: UriTemplate;
      try {
        matcher = new UriTemplate(t.uriTemplate);
      } catch {
        continue;
      }
      templates.push({
        upstream: l.upstream.name,
        matcher,
        template: {
          uriTemplate: t.uriTemplate,
          name: t.name,
          ...(t.title ? { title: t.title } : {}),
          ...(screened(t.description) ? { description: screened(t.description)! } : {}),
          ...(t.mimeType ? { mimeType: t.mimeType } : {}),
        },
      });
    }
  }
  const names = assignNames(
    promptPairs.map((p) => ({ server: p.upstream, tool: p.prompt.name })),
    { separator },
  );
  const prompts = promptPairs.map((p) => ({ ...p, name: names.get(`${p.upstream}/${p.prompt.name}`)! }));
  return { prompts, resources, templates, clashes };
}

/** The upstream and its own name for a public prompt name. */
export function findPrompt(content: ContentCatalog, name: string): PromptEntry | undefined {
  return content.prompts.find((p) => p.name === name);
}

/** Which upstream serves a URI: a listed resource, else the first template that matches. */
export function findResource(content: ContentCatalog, uri: string): string | undefined {
  const fixed = content.resources.find((r) => r.resource.uri === uri);
  if (fixed) return fixed.upstream;
  return content.templates.find((t) => t.matcher.match(uri) !== null)?.upstream;
}

export function notFoundContent(kind: 'prompt' | 'resource', name: string): FactoryError {
  return new FactoryError(
    'GATEWAY_TOOL_NOT_FOUND',
    `no ${kind} "${name.slice(0, 200)}" behind this gateway`,
    {
      details: { [kind]: name.slice(0, 200) },
    },
  );
}

export type { GetPromptResult, ReadResourceResult };
