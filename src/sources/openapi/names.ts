/** Tool names, parameter identifiers, environment variable names: valid, unique, short and stable. */
import { createHash } from 'node:crypto';

export const MAX_TOOL_NAME = 64;
export const MAX_IDENTIFIER = 64;

/** Names that would shadow Object.prototype members when used as keys of plain objects at run time. */
const PROTOTYPE_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype).concat(['prototype']));
const PROTOTYPE_NAMES_LOWER = new Set([...PROTOTYPE_NAMES].map((n) => n.toLowerCase()));

/** Keys that must never be written into an object literal (`{"__proto__": …}` sets the prototype). */
export function isUnsafeKey(key: string): boolean {
  return key === '__proto__';
}

export function shortHash(text: string, length = 8): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

function asciiFold(text: string): string {
  return text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
}

/** Cut to `max` characters, replacing the tail by `_<hash>` of `hashSource` so distinct inputs stay distinct. */
export function limitLength(name: string, max: number, hashSource: string, trim: RegExp): string {
  if (name.length <= max) return name;
  const hash = shortHash(hashSource);
  return `${name.slice(0, max - hash.length - 1).replace(trim, '')}_${hash}`;
}

/** `[A-Za-z0-9_.-]`, no leading/trailing separators; '' when nothing usable is left. */
export function sanitizeToolName(raw: string): string {
  return asciiFold(raw)
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .replace(/_{2,}/g, '_')
    .replace(/^[._-]+|[._-]+$/g, '');
}

/** `get /pets/{petId}/photos` → `get_pets_petId_photos`. */
export function methodPathName(method: string, path: string): string {
  const rest = path
    .split('/')
    .map((segment) => segment.replace(/[{}]/g, ''))
    .filter(Boolean)
    .join('_');
  return `${method.toLowerCase()}_${rest || 'root'}`;
}

/**
 * Allocates unique tool names (case-insensitively, so clients that fold case see no duplicates), at most
 * 64 characters, `_2`, `_3`… on collision in the order names are requested.
 */
export class ToolNamer {
  private readonly used = new Set<string>();

  has(name: string): boolean {
    return this.used.has(name.toLowerCase());
  }

  /** `base` must already be sanitised; `hashSource` identifies the operation (stable between runs). */
  allocate(base: string, hashSource: string): string {
    let name = limitLength(base, MAX_TOOL_NAME, hashSource, /[._-]+$/);
    if (PROTOTYPE_NAMES_LOWER.has(name.toLowerCase())) name = `${name}_`;
    for (let n = 2; this.has(name); n++) {
      const suffix = `_${n}`;
      name = `${limitLength(base, MAX_TOOL_NAME - suffix.length, hashSource, /[._-]+$/)}${suffix}`;
    }
    this.used.add(name.toLowerCase());
    return name;
  }
}

/** A spec identifier (`^[A-Za-z_][A-Za-z0-9_]{0,63}$`): `X-Request-Id` → `X_Request_Id`, `page[size]` → `page_size`. */
export function toIdentifier(raw: string, fallback = 'param'): string {
  // Comparison suffixes (`StartTime<`, `date>=`) are common filter names: keep their meaning.
  const spelled = raw
    .replace(/<=/g, ' lte ')
    .replace(/>=/g, ' gte ')
    .replace(/!=/g, ' ne ')
    .replace(/</g, ' lt ')
    .replace(/>/g, ' gt ');
  let id = asciiFold(spelled)
    .split(/[^A-Za-z0-9_]+/)
    .filter(Boolean)
    .join('_');
  if (id === '') id = fallback;
  if (/^[0-9]/.test(id)) id = `_${id}`;
  id = limitLength(id, MAX_IDENTIFIER, raw, /_+$/);
  if (PROTOTYPE_NAMES.has(id)) id = `${id.slice(0, MAX_IDENTIFIER - 1)}_`;
  return id;
}

/** Unique identifiers within one tool; on collision the location is prefixed (`query_id`), then `_2`… */
export class IdentifierAllocator {
  private readonly used = new Set<string>();

  constructor(reserved: Iterable<string> = []) {
    for (const r of reserved) this.used.add(r);
  }

  has(id: string): boolean {
    return this.used.has(id);
  }

  allocate(raw: string, prefix?: string): string {
    const base = toIdentifier(raw);
    let id = base;
    if (this.used.has(id) && prefix) id = toIdentifier(`${prefix}_${base}`);
    for (let n = 2; this.used.has(id); n++) {
      const suffix = `_${n}`;
      id = `${limitLength(base, MAX_IDENTIFIER - suffix.length, raw, /_+$/)}${suffix}`;
    }
    this.used.add(id);
    return id;
  }
}

const TITLE_NOISE = new Set([
  'api',
  'apis',
  'openapi',
  'swagger',
  'rest',
  'restful',
  'http',
  'the',
  'service',
  'services',
  'spec',
  'specification',
  'definition',
  'public',
  'server',
  'web',
]);

/** Environment-variable prefix from an API title: `Swagger Petstore - OpenAPI 3.0` → `PETSTORE`, `Twilio - Api` → `TWILIO`. */
export function envPrefixFromTitle(title: string | undefined): string {
  const words = asciiFold(title ?? '')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w && !TITLE_NOISE.has(w.toLowerCase()) && !/^v?\d+$/i.test(w));
  let prefix = words.slice(0, 2).join('_').toUpperCase().slice(0, 40).replace(/_+$/, '');
  if (prefix === '') prefix = 'API';
  if (/^[0-9]/.test(prefix)) prefix = `API_${prefix}`;
  return prefix;
}

/** An environment variable name from any text (upper-case, `[A-Z0-9_]`, not starting with a digit). */
export function toEnvName(text: string): string {
  let name = asciiFold(text)
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (name === '') name = 'VALUE';
  if (/^[0-9]/.test(name)) name = `_${name}`;
  return name.slice(0, 120);
}
