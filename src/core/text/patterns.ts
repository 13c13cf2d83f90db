/**
 * Name patterns: an exact name, or one with `*` wildcards (any run of characters; never a line break). The one
 * matcher of the codebase — the gateway's tool rules, result cache and rate limits use it, and so do the
 * per-token allow-lists of servers and tools (`AllowList`, below), which is why it lives in core.
 *
 * Matching is linear in practice (the classic wildcard walk with one backtrack point), never a regular
 * expression built from the pattern, so a pattern with many stars cannot make a long name cost exponential time.
 */

/** Line terminators: `*` does not match them (as `.` in a regular expression does not). */
const LINE_BREAK = /[\n\r\u2028\u2029]/;

/** `name` matches a pattern: exact, or with `*` wildcards. */
export function matchesPattern(pattern: string, name: string): boolean {
  if (!pattern.includes('*')) return pattern === name;
  // A line break in the name must be matched by a literal one in the pattern: rare enough for the slow path.
  if (LINE_BREAK.test(name)) return LINE_BREAK.test(pattern) && slowMatch(pattern, name);
  let p = 0;
  let n = 0;
  let star = -1;
  let mark = 0;
  while (n < name.length) {
    if (p < pattern.length && pattern[p] !== '*' && pattern[p] === name[n]) {
      p++;
      n++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = n;
    } else if (star >= 0) {
      p = star + 1;
      n = ++mark;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

function slowMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(name);
}

/** Whether any of the patterns matches the name. */
export function matchesAny(patterns: readonly string[], name: string): boolean {
  return patterns.some((p) => matchesPattern(p, name));
}

/**
 * What a restricted caller may use, on top of (never instead of) what its role allows: `servers` are patterns of
 * server names, `tools` patterns of tool names. Absent: no restriction on that dimension; an empty list:
 * nothing.
 *
 * A tool pattern matches a tool when it matches either its qualified name `<server>__<tool>` (the upstream
 * server's name and the tool's own name, joined by `__` whatever separator a gateway uses for its public names,
 * and not affected by a gateway's renames or hashed names) or its plain name `<tool>` (then on any allowed
 * server). `crm__get_*` allows the get_ tools of crm; `get_*` the get_ tools of every allowed server.
 */
export interface AllowList {
  servers?: readonly string[] | undefined;
  tools?: readonly string[] | undefined;
}

/** The separator of qualified tool names in allow-lists (fixed: independent of any gateway's config). */
export const QUALIFIED_SEPARATOR = '__';

/** Whether the allow-list (absent: no restriction) lets its holder use server `server`. */
export function allowsServer(allow: AllowList | undefined, server: string): boolean {
  return !allow?.servers || matchesAny(allow.servers, server);
}

/** Whether the allow-list lets its holder use tool `tool` of server `server` (the server must be allowed too). */
export function allowsTool(allow: AllowList | undefined, server: string, tool: string): boolean {
  if (!allowsServer(allow, server)) return false;
  if (!allow?.tools) return true;
  const qualified = `${server}${QUALIFIED_SEPARATOR}${tool}`;
  return allow.tools.some((p) => matchesPattern(p, qualified) || matchesPattern(p, tool));
}

/**
 * Whether every name `inner` matches is matched by `outer` too. `inner` is matched as a name whose `*`s only a `*`
 * of `outer` can cover (a literal character of a pattern is never `*`): sound — true means contained — but not
 * complete, so a caller that must not widen treats false as "not proven narrower" (`a*` within `*`, `ab*` within
 * `a*`, `crm` within `c*m`; `a*` not within `ab*`).
 */
export function patternWithin(inner: string, outer: string): boolean {
  return matchesPattern(outer, inner);
}

/**
 * Whether the allow-list `inner` allows no more than `outer` (null: no restriction): each of its patterns is
 * within one of `outer`'s. Checked per pattern, so a pattern covered only by several of `outer`'s together
 * counts as wider.
 */
export function allowListWithin(inner: readonly string[] | null, outer: readonly string[] | null): boolean {
  if (outer === null) return true;
  if (inner === null) return false;
  return inner.every((i) => outer.some((o) => patternWithin(i, o)));
}
