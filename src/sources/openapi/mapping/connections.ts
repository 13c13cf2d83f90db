/**
 * Connections: one http connection per distinct base URL (the most used first; the baseUrl option
 * overrides them all), each with the planned authentication and a base-URL variable named after its host,
 * and checks that credentials only travel over https, to the API's own site, and never (unless allowed)
 * to loopback, link-local or private addresses a document names.
 */
import { FactoryError } from '../../../core/errors/index.js';
import { privateUrlReason } from '../../../core/net/index.js';
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

/**
 * Refuses a URL the document gives (server or OAuth2 token URL) on a non-public address, unless allowed or
 * on the host the document itself was loaded from (the user chose that host).
 */
export function refusePrivateUrl(
  url: string,
  what: string,
  options: Pick<MappingOptions, 'allowPrivateBaseUrl' | 'documentUrl'>,
): void {
  if (options.allowPrivateBaseUrl) return;
  const reason = privateUrlReason(url);
  if (!reason) return;
  if (options.documentUrl) {
    try {
      if (new URL(options.documentUrl).host === new URL(url).host) return;
    } catch {
      // not a URL: judge the server URL alone
    }
  }
  throw new FactoryError(
    'OPENAPI_PRIVATE_BASE_URL',
    `the ${what} ${url.slice(0, 200)} is ${reason}: the generated server would send the API's credentials there (allowPrivateBaseUrl: true accepts it)`,
  );
}

const GENERIC_SECOND_LEVEL = new Set(['co', 'com', 'org', 'net', 'gov', 'ac', 'edu', 'or', 'ne', 'go']);

/**
 * A base-URL variable named after the URL's host (`https://api.twilio.com` → `TWILIO_API_BASE_URL`),
 * made unique against `taken` with the port, the first path segment, then a number.
 */
export function baseUrlEnvFor(url: string, taken: ReadonlySet<string>): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    parsed = new URL('http://api.invalid/');
  }
  const host = parsed.hostname.replace(/\.+$/, '');
  let words: string[];
  if (/^[\d.]+$/.test(host) || host.startsWith('[')) words = ['HOST', host];
  else {
    const labels = host.split('.');
    if (labels.length > 1) labels.pop();
    if (labels.length > 1 && GENERIC_SECOND_LEVEL.has(labels.at(-1)!)) labels.pop();
    const rest = labels.filter((l) => l !== 'www');
    const site = rest.pop() ?? host;
    words = [site, ...rest];
  }
  const stem = toEnvName(words.join('_')).slice(0, 100);
  const segment = parsed.pathname.split('/').find(Boolean);
  const candidates = [
    stem,
    ...(parsed.port ? [`${stem}_${parsed.port}`] : []),
    ...(segment ? [`${stem}_${toEnvName(segment).slice(0, 20)}`] : []),
  ].map((c) => `${c}_BASE_URL`);
  for (const c of candidates) if (!taken.has(c)) return c;
  for (let n = 2; ; n++) if (!taken.has(`${stem}_${n}_BASE_URL`)) return `${stem}_${n}_BASE_URL`;
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
    // The generated server re-checks host names at connect time; an import that allowed private addresses
    // lets them through there too.
    ...(options.allowPrivateBaseUrl ? { allowPrivateAddresses: true } : {}),
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
      if (r.url) refusePrivateUrl(r.url, `server URL of ${op.key.slice(0, 200)}`, options);
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
  // Further connections' variables are named after their hosts: stable when servers are added or reordered.
  const taken = new Set<string>([baseUrlEnv, ...authEnvNames(auth)]);
  ordered.forEach(([url, members], i) => {
    const name = i === 0 ? baseName : `${baseName}_${i + 1}`.slice(0, 64);
    let env = baseUrlEnv;
    if (i > 0) {
      env = url ? baseUrlEnvFor(url, taken) : `${baseUrlEnv}_${i + 1}`;
      taken.add(env);
    }
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

function authEnvNames(plan: AuthPlan): string[] {
  const a = plan.auth;
  const names = Object.values(plan.headers).map((h) => h.env);
  if (a?.type === 'bearer' || a?.type === 'api_key') names.push(a.envVar);
  else if (a?.type === 'basic') names.push(a.usernameEnv, a.passwordEnv);
  else if (a) names.push(a.clientIdEnv, a.clientSecretEnv);
  return names;
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
  allowPrivateBaseUrl = false,
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
      refusePrivateUrl(token.href, 'OAuth2 token URL', { allowPrivateBaseUrl, documentUrl });
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
