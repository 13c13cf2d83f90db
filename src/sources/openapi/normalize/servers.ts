/**
 * Base URLs: OpenAPI 3 `servers` lists (variables replaced by their default or first enum value; a server with
 * a variable that has neither is left out with a note), and the Swagger 2.0 host + basePath + scheme.
 */
import { isObj, type Obj, stringList } from './common.js';

export function readServers(list: unknown, note: (reason: string) => void, pointer: string): string[] {
  if (!Array.isArray(list)) return [];
  const out: string[] = [];
  for (const server of list) {
    if (!isObj(server) || typeof server.url !== 'string') continue;
    const variables = isObj(server.variables) ? server.variables : {};
    let unresolved = false;
    const url = server.url.replace(/\{([^{}]+)\}/g, (whole, name: string) => {
      const v = variables[name];
      if (isObj(v) && (typeof v.default === 'string' || typeof v.default === 'number'))
        return String(v.default);
      if (isObj(v) && Array.isArray(v.enum) && typeof v.enum[0] === 'string') return v.enum[0];
      unresolved = true;
      return whole;
    });
    if (unresolved) {
      note(`server URL ${server.url} (${pointer}) has a variable without a default and was ignored`);
      continue;
    }
    out.push(url);
  }
  return out;
}

/** Swagger 2.0: https when offered, else the first scheme; no host means the base path alone (or `/`). */
export function swaggerServers(doc: Obj): string[] {
  const basePath = typeof doc.basePath === 'string' ? doc.basePath : '';
  const schemes = stringList(doc.schemes);
  const scheme = schemes.includes('https') ? 'https' : (schemes[0] ?? 'https');
  if (typeof doc.host === 'string' && doc.host !== '') return [`${scheme}://${doc.host}${basePath}`];
  return [basePath || '/'];
}
