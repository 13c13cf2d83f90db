/** Names in the generated spec: tool names, parameter names and the server name, sanitised and unique. */
import { shortHash, transliterate } from './translit.js';

const PARAM_MAX = 64;
/** Tool names: many clients (and some model APIs) refuse longer ones. */
export const TOOL_NAME_MAX = 64;

/** Words the generated tools use for their own parameters; columns with these names are renamed. */
export const RESERVED_PARAMETERS = ['limit', 'cursor', 'sort', 'direction', 'query', 'sql', 'params'];

/**
 * A parameter name (`^[A-Za-z_][A-Za-z0-9_]{0,63}$`) for a column name; valid names stay as they are. Other
 * scripts are transliterated; characters without a mapping leave a hash of the name (`顧客` → `column_5e1c2a`).
 */
export function parameterBase(column: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]{0,59}$/.test(column)) return column;
  const { ascii, lossy } = transliterate(column);
  let s = ascii.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  if (s === '' && !lossy) s = 'column';
  if (/^[0-9]/.test(s)) s = `c_${s}`;
  if (lossy) s = `${s === '' ? 'column' : s.slice(0, PARAM_MAX - 12)}_${shortHash(column)}`;
  return s.slice(0, PARAM_MAX - 4);
}

/** Hands out names that are unique within one scope (case-insensitively, as clients may fold case). */
export class NameAllocator {
  private readonly used = new Set<string>();

  constructor(
    reserved: Iterable<string> = [],
    private readonly maxLength = PARAM_MAX,
  ) {
    for (const r of reserved) this.used.add(r.toLowerCase());
  }

  take(base: string): string {
    // Too long: cut, and keep a hash of the whole name so two long names that share a prefix stay distinct.
    let name =
      base.length > this.maxLength ? `${base.slice(0, this.maxLength - 7)}_${shortHash(base)}` : base;
    base = name;
    for (let n = 2; this.used.has(name.toLowerCase()); n++) {
      const suffix = `_${n}`;
      name = `${base.slice(0, this.maxLength - suffix.length)}${suffix}`;
    }
    this.used.add(name.toLowerCase());
    return name;
  }

  has(name: string): boolean {
    return this.used.has(name.toLowerCase());
  }
}

/**
 * `InvoiceLine` → `invoice_line`, `Order Details` → `order_details`, `Заказы` → `zakazy`; only `[a-z0-9_]`
 * remain. Characters without a transliteration leave a hash of the name: `顧客` → `table_5e1c2a`.
 */
export function snakeSlug(name: string): string {
  const { ascii, lossy } = transliterate(name);
  const s = ascii
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (lossy) return `${s === '' ? 'table' : s.slice(0, 40)}_${shortHash(name)}`;
  return s === '' ? 'table' : s.slice(0, 100);
}

/** A server name matching `^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$`. */
export function serverName(database: string): string {
  const base = database
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '')
    .slice(0, 55)
    .replace(/[^a-z0-9]+$/, '');
  return base ? `${base}-mcp` : 'database-mcp';
}
