/**
 * `GET /health/detailed` as one caller may see it: the upstreams (health, circuit state) and the catalog report
 * (listed upstreams, flagged descriptions) left to those the caller sees — its registry servers and its token's
 * allow-list (`callerSees`), so a narrowed token does not learn the names of other upstreams. Tool counts are
 * the tools the caller may use (a tool outside its allow-list is not counted), and a flagged tool outside the
 * allow-list is left out like any other tool it may not see.
 */
import { allowsTool } from '../../core/text/patterns.js';
import { callerSees, type Gateway, type GatewayCaller } from '../../gateway/gateway.js';

export async function detailedHealth(gateway: Gateway, caller: GatewayCaller) {
  const catalog = await gateway.catalog();
  const usable = await gateway.listTools(caller);
  const perUpstream = new Map<string, number>();
  for (const tool of usable) perUpstream.set(tool.upstream, (perUpstream.get(tool.upstream) ?? 0) + 1);
  // Without a tool allow-list an upstream's own count is the caller's; with one, only the tools it covers.
  const narrowed = caller.allow?.tools !== undefined;
  const counted = <T extends { name: string; tools: number | null }>(u: T): T =>
    narrowed && u.tools !== null ? { ...u, tools: perUpstream.get(u.name) ?? 0 } : u;
  const sees = (upstream: string) => callerSees(caller, upstream);
  return {
    status: 'ok' as const,
    tools: usable.length,
    upstreams: gateway
      .health()
      .filter((h) => sees(h.name))
      .map(counted),
    report: {
      upstreams: catalog.report.upstreams.filter((u) => sees(u.name)).map(counted),
      flagged: catalog.report.flagged.filter(
        (f) => sees(f.upstream) && allowsTool(caller.allow, f.upstream, f.tool),
      ),
    },
  };
}
