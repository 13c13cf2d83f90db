/**
 * Connections: one http connection per distinct base URL (the most used first; the baseUrl option
 * overrides them all), each with the planned authentication, and checks that credentials only travel
 * over https and to the API's own site.
 */
import { describeSecretValue } from '../../../core/spec/secrets.js';
import type { ApiOperation, MappingOptions } from '../model.js';
import { toEnvName } from '../names.js';
import type { AuthPlan } from './auth.js';
import type { ConnectionInput, ReportAdd } from './model.js';

export interface ConnectionPlan {
  list: ConnectionInput[];
  byOperation: Map<ApiOperation, string>;
}

function resolveServer(server: string, documentUrl: string | undefined): { url?: string; problem?: string } {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    if (documentUrl && /^https?:/i.test(documentUrl)) {
      try {
        url = new URL(server, documentUrl);
      } catch {
        return { problem: `server URL "${server.slice(0, 200)}" is not a valid URL` };
      }
    } else {
      return {
        problem: `server URL "${server.slice(0, 200)}" is relative and the document was not loaded from a URL`,
      };
    }
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { problem: `server URL "${server.slice(0, 200)}" is not http(s)` };
  let problem: string | undefined;
  if (url.username || url.password) {
    url.username = '';
    url.password = '';
    problem = 'the server URL contained credentials; they were removed';
  }
  url.hash = '';
  url.search = '';
  const href = url.href.replace(/\/+$/, '');
  if (describeSecretValue(href))
    return { problem: 'a server URL looks like it contains a credential and was not used' };
  return { url: href, ...(problem ? { problem } : {}) };
}

export function planConnections(
  ops: ApiOperation[],
  options: MappingOptions,
  prefix: string,
  baseName: string,
  auth: AuthPlan,
  add: ReportAdd,
): ConnectionPlan {
  const baseUrlEnv = options.baseUrlEnv ? toEnvName(options.baseUrlEnv) : `${prefix}_BASE_URL`;
  const make = (name: string, env: string, baseUrl: string | undefined): ConnectionInput => ({
    name,
    type: 'http',
    ...(baseUrl ? { baseUrl } : {}),
    baseUrlEnv: env,
    ...(Object.keys(auth.headers).length ? { headers: { ...auth.headers } } : {}),
    ...(auth.auth ? { auth: auth.auth } : {}),
  });
  const byOperation = new Map<ApiOperation, string>();
  if (options.baseUrl !== undefined) {
    const r = resolveServer(options.baseUrl, undefined);
    if (!r.url) add('', `the baseUrl option: ${r.problem}; set ${baseUrlEnv} at run time`, 'warning');
    for (const op of ops) byOperation.set(op, baseName);
    return { list: [make(baseName, baseUrlEnv, r.url)], byOperation };
  }
  // Group operations by their effective base URL; the most common one is the main connection.
  const groups = new Map<string, ApiOperation[]>();
  const reported = new Set<string>();
  for (const op of ops) {
    const server = op.servers[0];
    let key = '';
    if (server !== undefined) {
      const r = resolveServer(server, options.documentUrl);
      if (r.problem && !reported.has(r.problem)) {
        reported.add(r.problem);
        add('', `${r.problem}; set ${baseUrlEnv} to the API's base URL`, 'warning');
      }
      key = r.url ?? '';
    } else if (!reported.has('none')) {
      reported.add('none');
      add('', `the document declares no server; set ${baseUrlEnv} to the API's base URL`, 'warning');
    }
    const list = groups.get(key) ?? [];
    list.push(op);
    groups.set(key, list);
  }
  const ordered = [...groups.entries()].sort((a, b) => b[1].length - a[1].length);
  const list: ConnectionInput[] = [];
  ordered.forEach(([url, members], i) => {
    const name = i === 0 ? baseName : `${baseName}_${i + 1}`.slice(0, 64);
    const env = i === 0 ? baseUrlEnv : `${baseUrlEnv}_${i + 1}`;
    list.push(make(name, env, url || undefined));
    for (const op of members) byOperation.set(op, name);
  });
  if (list.length > 1)
    add(
      '',
      `operations use ${list.length} different base URLs: one connection each (${list.map((c) => c.name).join(', ')})`,
      'info',
    );
  return { list, byOperation };
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i;

function siteOf(host: string): string {
  return host.split('.').slice(-2).join('.').toLowerCase();
}

/**
 * Credentials go where the document says: check the OAuth2 token URL (resolved against the base URL when
 * relative) and warn when secrets would travel unencrypted or to a different site than the API.
 */
export function checkCredentialRoutes(
  list: ConnectionInput[],
  documentUrl: string | undefined,
  add: ReportAdd,
): void {
  for (const c of list) {
    if (c.type !== 'http' || !c.auth) continue;
    const base = c.baseUrl ? new URL(c.baseUrl) : undefined;
    if (c.auth.type === 'oauth2_client_credentials') {
      let token: URL | undefined;
      try {
        token = new URL(c.auth.tokenUrl, base ?? documentUrl);
      } catch {
        token = undefined;
      }
      if (
        !token ||
        (token.protocol !== 'https:' && token.protocol !== 'http:') ||
        describeSecretValue(token.href)
      ) {
        add(
          '',
          `OAuth2 token URL "${c.auth.tokenUrl.slice(0, 200)}" cannot be resolved to an http(s) URL; connection "${c.name}" has no authentication`,
          'warning',
        );
        delete c.auth;
        continue;
      }
      c.auth = { ...c.auth, tokenUrl: token.href };
      if (base && siteOf(token.hostname) !== siteOf(base.hostname))
        add(
          '',
          `the OAuth2 client secret is sent to ${token.origin}, another site than the API (${base.origin}): check the token URL`,
          'warning',
        );
      if (token.protocol === 'http:' && !LOOPBACK.test(token.hostname))
        add(
          '',
          `the OAuth2 token URL ${token.origin} is not https: the client secret would travel unencrypted`,
          'warning',
        );
    }
    if (base && base.protocol === 'http:' && !LOOPBACK.test(base.hostname))
      add(
        '',
        `the base URL ${base.origin} of connection "${c.name}" is not https: credentials would travel unencrypted`,
        'warning',
      );
  }
}
