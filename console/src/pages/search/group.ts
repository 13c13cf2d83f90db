/** Tool matches grouped by server, best server first (a server ranks by its best match). Pure. */

export interface ToolMatch {
  server: string;
  revision: number;
  version: string;
  tool: string;
  title: string | null;
  description: string | null;
  annotations: Record<string, unknown>;
  score: number;
}

export interface ServerGroup {
  server: string;
  version: string;
  best: number;
  matches: ToolMatch[];
}

export function groupByServer(matches: readonly ToolMatch[]): ServerGroup[] {
  const groups = new Map<string, ServerGroup>();
  for (const match of matches) {
    const group = groups.get(match.server);
    if (group) {
      group.matches.push(match);
      group.best = Math.max(group.best, match.score);
    } else
      groups.set(match.server, {
        server: match.server,
        version: match.version,
        best: match.score,
        matches: [match],
      });
  }
  const sorted = [...groups.values()].sort((a, b) => b.best - a.best || a.server.localeCompare(b.server));
  for (const group of sorted) group.matches.sort((a, b) => b.score - a.score || a.tool.localeCompare(b.tool));
  return sorted;
}

/** The playground address of a server's tool (query parameters encoded). */
export function playgroundHref(server: string, tool?: string): string {
  const params = new URLSearchParams({ server });
  if (tool) params.set('tool', tool);
  return `/playground?${params.toString()}`;
}
