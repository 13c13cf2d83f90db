/**
 * When the schema check fails, the semantic checks still run on the parts that are valid on their own, so a
 * person sees every problem at once: items of the top-level lists (tools, connections, …) that parse are kept
 * (with their original indices), the rest of the document is filled with neutral values.
 */
import { checkSpec, type PathIssue } from './check.js';
import { ServerSpec } from './model.js';

const LISTS = ['connections', 'tools', 'resources', 'prompts', 'triggers', 'catalogs'] as const;
type ListName = (typeof LISTS)[number];

const elementSchema = (list: ListName) =>
  (
    ServerSpec.shape[list] as unknown as {
      unwrap(): { element: { safeParse(v: unknown): { success: boolean } } };
    }
  ).unwrap().element;

function namesIn(items: unknown): Set<string> {
  const names = new Set<string>();
  if (Array.isArray(items))
    for (const item of items)
      if (item && typeof item === 'object' && typeof (item as { name?: unknown }).name === 'string')
        names.add((item as { name: string }).name);
  return names;
}

/** Semantic issues of the valid parts of an invalid document (paths refer to the original document). */
export function salvageChecks(data: Record<string, unknown>): PathIssue[] {
  const partial: Record<string, unknown> = { name: 'salvaged', version: '0.0.0' };
  const indexMaps = new Map<string, number[]>();
  for (const list of LISTS) {
    const raw = data[list];
    if (!Array.isArray(raw)) continue;
    const kept: unknown[] = [];
    const map: number[] = [];
    raw.forEach((item, index) => {
      if (elementSchema(list).safeParse(item).success) {
        kept.push(item);
        map.push(index);
      }
    });
    partial[list] = kept;
    indexMaps.set(list, map);
  }
  const parsed = ServerSpec.safeParse(partial);
  if (!parsed.success) return [];
  // A reference to an item that exists but is itself invalid is not a second problem.
  const existing = new Set(LISTS.flatMap((list) => [...namesIn(data[list])]));
  const removed = LISTS.some(
    (list) =>
      Array.isArray(data[list]) && (data[list] as unknown[]).length !== (indexMaps.get(list)?.length ?? 0),
  );
  return checkSpec(parsed.data)
    .filter((issue) => {
      if (issue.code === 'SPEC_UNDEFINED_REFERENCE') {
        const named = /"([^"]+)"/.exec(issue.message)?.[1];
        if (named && existing.has(named)) return false;
      }
      // "declares no tools" when the tools exist but are invalid.
      return !(removed && issue.code === 'SPEC_MISSING_FIELD' && issue.path.length === 1);
    })
    .map((issue) => {
      const [list, index, ...rest] = issue.path;
      const map = typeof list === 'string' ? indexMaps.get(list) : undefined;
      return map && typeof index === 'number'
        ? { ...issue, path: [list!, map[index] ?? index, ...rest] }
        : issue;
    });
}
