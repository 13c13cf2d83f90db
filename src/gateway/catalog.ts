/**
 * The gateway's catalog: every enabled tool of every upstream under one public name (names.ts), with the
 * operator's rules applied (include/exclude/disabled by the upstream's tool name, renames, description
 * overrides). Upstream descriptions are untrusted text: control and bidi characters are stripped, they are cut
 * to 2,000 characters, and prose that addresses the model (hidden instructions, "tool poisoning") is flagged in
 * the catalog report — and the tool left out when `blockFlagged` is set. An upstream that cannot be listed is
 * reported and left out; the rest of the catalog still builds.
 */
import { matchesPattern } from '../core/text/patterns.js';
import { screenText } from '../core/text/untrusted.js';
import { assignNames } from './names.js';
import type { Upstream, UpstreamTool } from './upstream.js';

export interface ToolRules {
  include?: string[] | undefined;
  exclude?: string[] | undefined;
  disabled?: string[] | undefined;
  rename?: Record<string, string> | undefined;
  describe?: Record<string, string> | undefined;
}

export interface CatalogEntry {
  /** Public name. */
  name: string;
  upstream: string;
  /** The tool as the upstream knows it (its name is what the gateway calls). */
  tool: UpstreamTool;
  description: string | undefined;
  readOnly: boolean;
}

export interface CatalogReport {
  upstreams: Array<{ name: string; tools: number; error?: string }>;
  flagged: Array<{ tool: string; upstream: string; flags: string[]; blocked: boolean }>;
}

export const MAX_DESCRIPTION = 2_000;

function allowed(rules: ToolRules | undefined, tool: string): boolean {
  if (!rules) return true;
  if (rules.include && !rules.include.some((p) => matchesPattern(p, tool))) return false;
  if (rules.exclude?.some((p) => matchesPattern(p, tool))) return false;
  if (rules.disabled?.includes(tool)) return false;
  return true;
}

export class Catalog {
  readonly entries: readonly CatalogEntry[];
  readonly report: CatalogReport;
  readonly #byName: Map<string, CatalogEntry>;

  constructor(entries: CatalogEntry[], report: CatalogReport) {
    this.entries = entries;
    this.report = report;
    this.#byName = new Map(entries.map((e) => [e.name, e]));
  }

  get(name: string): CatalogEntry | undefined {
    return this.#byName.get(name);
  }

  get size(): number {
    return this.entries.length;
  }
}

export async function buildCatalog(
  upstreams: readonly Upstream[],
  options: {
    separator: string;
    rules: (upstream: string) => ToolRules | undefined;
    blockFlagged?: boolean | undefined;
  },
): Promise<Catalog> {
  const report: CatalogReport = { upstreams: [], flagged: [] };
  const listed = await Promise.all(
    upstreams.map(async (u) => {
      try {
        return { upstream: u, tools: await u.tools() };
      } catch (error) {
        report.upstreams.push({
          name: u.name,
          tools: 0,
          error: error instanceof Error ? error.message : String(error),
        });
        return { upstream: u, tools: [] as UpstreamTool[] };
      }
    }),
  );
  const candidates: Array<{ upstream: string; tool: UpstreamTool; description: string | undefined }> = [];
  for (const { upstream, tools } of listed) {
    const rules = options.rules(upstream.name);
    let count = 0;
    for (const tool of tools) {
      if (!allowed(rules, tool.name)) continue;
      const override = rules?.describe?.[tool.name];
      const screened = screenText(override ?? tool.description, MAX_DESCRIPTION);
      // An operator's own description is trusted; the upstream's is screened.
      if (override === undefined && screened.flags.length) {
        const blocked = options.blockFlagged === true;
        report.flagged.push({ tool: tool.name, upstream: upstream.name, flags: screened.flags, blocked });
        if (blocked) continue;
      }
      candidates.push({ upstream: upstream.name, tool, description: screened.text });
      count++;
    }
    if (!report.upstreams.some((r) => r.name === upstream.name))
      report.upstreams.push({ name: upstream.name, tools: count });
  }
  const renames = new Map<string, string>();
  for (const u of upstreams)
    for (const [tool, name] of Object.entries(options.rules(u.name)?.rename ?? {}))
      renames.set(`${u.name}/${tool}`, name);
  const names = assignNames(
    candidates.map((c) => ({ server: c.upstream, tool: c.tool.name })),
    { separator: options.separator, renames },
  );
  const entries = candidates
    .map((c) => ({
      name: names.get(`${c.upstream}/${c.tool.name}`)!,
      upstream: c.upstream,
      tool: c.tool,
      description: c.description,
      readOnly: c.tool.annotations?.readOnlyHint === true,
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  report.upstreams.sort((a, b) => (a.name < b.name ? -1 : 1));
  return new Catalog(entries, report);
}
