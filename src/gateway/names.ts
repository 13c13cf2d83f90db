/**
 * Public tool names of the gateway: `<server><separator><tool>` (default separator `__`), made of the
 * characters MCP clients accept everywhere (A-Z a-z 0-9 _ - .), at most 64 long, and unique. A name that
 * would be too long or collide keeps a readable prefix and ends in a short hash of the server and tool, so the
 * same upstream tool always gets the same public name whatever else is in the catalog.
 */
import { createHash } from 'node:crypto';

export const MAX_NAME = 64;
export const DEFAULT_SEPARATOR = '__';

const clean = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');
const hashOf = (server: string, tool: string) =>
  createHash('sha256').update(`${server}\0${tool}`).digest('hex').slice(0, 8);

export function checkSeparator(separator: string): string {
  if (!/^[A-Za-z0-9_.-]{1,4}$/.test(separator))
    throw new Error(`invalid separator ${JSON.stringify(separator)}: 1-4 characters of A-Z a-z 0-9 _ . -`);
  return separator;
}

/** The stable hashed form of a name (used when the plain one is too long or taken). */
export function hashedName(server: string, tool: string, separator: string): string {
  const suffix = `${separator}${hashOf(server, tool)}`;
  return `${clean(`${server}${separator}${tool}`).slice(0, MAX_NAME - suffix.length)}${suffix}`;
}

/**
 * Assign public names to (server, tool) pairs, in a deterministic order: pairs are sorted, the plain name is
 * used when it is valid and free, otherwise the hashed one. `renames` (public name wanted, by `server/tool`)
 * are honoured when valid and free.
 */
export function assignNames(
  pairs: ReadonlyArray<{ server: string; tool: string }>,
  options: { separator?: string; renames?: ReadonlyMap<string, string> } = {},
): Map<string, string> {
  const separator = options.separator ?? DEFAULT_SEPARATOR;
  const sorted = [...pairs].sort((a, b) =>
    a.server === b.server ? (a.tool < b.tool ? -1 : a.tool > b.tool ? 1 : 0) : a.server < b.server ? -1 : 1,
  );
  const taken = new Set<string>();
  const out = new Map<string, string>();
  const valid = (n: string) => n.length > 0 && n.length <= MAX_NAME && /^[A-Za-z0-9_.-]+$/.test(n);
  // Renames first: an operator's explicit choice wins over a generated name.
  for (const { server, tool } of sorted) {
    const wanted = options.renames?.get(`${server}/${tool}`);
    if (wanted && valid(wanted) && !taken.has(wanted)) {
      taken.add(wanted);
      out.set(`${server}/${tool}`, wanted);
    }
  }
  for (const { server, tool } of sorted) {
    const key = `${server}/${tool}`;
    if (out.has(key)) continue;
    const plain = `${server}${separator}${tool}`;
    let name = valid(plain) && !taken.has(plain) ? plain : hashedName(server, tool, separator);
    for (let i = 2; taken.has(name); i++)
      name = `${hashedName(server, tool, separator).slice(0, MAX_NAME - 4)}-${i}`;
    taken.add(name);
    out.set(key, name);
  }
  return out;
}
