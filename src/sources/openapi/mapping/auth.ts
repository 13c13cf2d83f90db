/**
 * Authentication: the supported security scheme most operations use becomes the connection's auth
 * (API key, bearer, basic or OAuth 2 client credentials, read from environment variables); other API-key
 * headers required together with it travel as connection headers. OAuth 2 flows that need a user
 * (authorization code, implicit, password) and OpenID Connect become a bearer token the operator obtains
 * and sets in an environment variable.
 */
import { describeSecretValue } from '../../../core/spec/secrets.js';
import type { ApiOperation, ApiSecurityScheme } from '../model.js';
import { toEnvName } from '../names.js';
import type { CredentialBinder } from './credentials.js';
import { type ConnectionInput, HEADER_TOKEN, type ReportAdd } from './model.js';

export interface AuthPlan {
  primary?: ApiSecurityScheme;
  auth?: Extract<ConnectionInput, { type: 'http' }>['auth'];
  headers: Record<string, { env: string }>;
  /** Schemes whose requirement the connection satisfies. */
  satisfied: Set<string>;
  /** (location, lower-cased name) of parameters the connection sends itself. */
  sentByConnection: Set<string>;
  /** Binds credential parameters to environment variables (absent: parameters stay arguments). */
  credentials?: CredentialBinder;
}

/** OAuth 2 without client credentials, and OpenID Connect: a token only a user can obtain. */
function needsUser(s: ApiSecurityScheme): boolean {
  return (s.type === 'oauth2' && !s.clientCredentials) || s.type === 'openIdConnect';
}

/** Why the scheme cannot be used, or undefined when it can. */
function supportedScheme(s: ApiSecurityScheme): string | undefined {
  switch (s.type) {
    case 'apiKey':
      if (!s.name || !s.in) return 'an apiKey scheme without name or location';
      if (describeSecretValue(s.name)) return 'the key name looks like a credential itself';
      if (s.in !== 'query' && !HEADER_TOKEN.test(s.name))
        return `"${s.name.slice(0, 60)}" is not a valid ${s.in} name`;
      return undefined;
    case 'http':
      return s.scheme === 'bearer' || s.scheme === 'basic'
        ? undefined
        : `HTTP "${s.scheme ?? ''}" authentication is not supported`;
    case 'oauth2':
      if (s.clientCredentials || s.otherFlows?.length) return undefined;
      return 'an OAuth 2 scheme without flows';
    case 'openIdConnect':
      return undefined;
    case 'mutualTLS':
      return 'mutual TLS is not supported';
    default:
      return 'the scheme is undefined or of an unknown type';
  }
}

/** Pick the connection's authentication for the selected operations. */
export function planAuth(ops: ApiOperation[], prefix: string, add: ReportAdd): AuthPlan {
  const plan: AuthPlan = { headers: {}, satisfied: new Set(), sentByConnection: new Set() };
  const score = new Map<string, { scheme: ApiSecurityScheme; count: number }>();
  const unsupported = new Map<string, string>();
  for (const op of ops) {
    const seen = new Set<string>();
    for (const requirement of op.security) {
      for (const { scheme } of requirement) {
        const problem = supportedScheme(scheme);
        if (problem) {
          unsupported.set(scheme.key, problem);
          continue;
        }
        if (seen.has(scheme.key)) continue;
        seen.add(scheme.key);
        const entry = score.get(scheme.key) ?? { scheme, count: 0 };
        entry.count++;
        score.set(scheme.key, entry);
      }
    }
  }
  for (const [key, problem] of unsupported) add('', `security scheme "${key}": ${problem}`, 'warning');
  // A scheme the server can use without a user signing in wins; then the most used one.
  const best = [...score.values()].sort(
    (a, b) => Number(needsUser(a.scheme)) - Number(needsUser(b.scheme)) || b.count - a.count,
  )[0];
  if (!best) return plan;
  const s = best.scheme;
  plan.primary = s;
  plan.satisfied.add(s.key);
  if (s.type === 'apiKey') {
    plan.auth = { type: 'api_key', in: s.in!, name: s.name!, envVar: `${prefix}_API_KEY` };
    plan.sentByConnection.add(`${s.in}\u0000${s.name!.toLowerCase()}`);
  } else if (s.type === 'http' && s.scheme === 'bearer') {
    plan.auth = { type: 'bearer', envVar: `${prefix}_TOKEN` };
  } else if (s.type === 'http') {
    plan.auth = { type: 'basic', usernameEnv: `${prefix}_USERNAME`, passwordEnv: `${prefix}_PASSWORD` };
  } else if (s.type === 'oauth2' && s.clientCredentials) {
    const scopes = new Set<string>();
    for (const op of ops)
      for (const r of op.security)
        for (const x of r) if (x.scheme.key === s.key) for (const sc of x.scopes) scopes.add(sc);
    plan.auth = {
      type: 'oauth2_client_credentials',
      tokenUrl: s.clientCredentials.tokenUrl,
      clientIdEnv: `${prefix}_CLIENT_ID`,
      clientSecretEnv: `${prefix}_CLIENT_SECRET`,
      ...(scopes.size ? { scopes: [...scopes].slice(0, 100) } : {}),
    };
  } else if (needsUser(s)) {
    plan.auth = { type: 'bearer', envVar: `${prefix}_ACCESS_TOKEN` };
    const how =
      s.type === 'openIdConnect' ? 'OpenID Connect' : `OAuth 2 (${s.otherFlows?.join(', ') || 'user'} flow)`;
    add(
      '',
      `security scheme "${s.key}": ${how} needs a user to sign in; the server sends a bearer token from ${prefix}_ACCESS_TOKEN (obtain one and set it; it is not refreshed)`,
      'warning',
    );
  }
  // Other apiKey headers required together with the primary scheme travel as connection headers.
  for (const op of ops) {
    for (const requirement of op.security) {
      if (!requirement.some((r) => r.scheme.key === s.key)) continue;
      for (const { scheme } of requirement) {
        if (scheme.key === s.key || plan.satisfied.has(scheme.key)) continue;
        if (scheme.type === 'apiKey' && scheme.in === 'header' && scheme.name && !supportedScheme(scheme)) {
          let env = `${prefix}_${toEnvName(scheme.name)}`;
          if (env === `${prefix}_API_KEY`) env = `${prefix}_${toEnvName(scheme.key)}`;
          plan.headers[scheme.name] = { env };
          plan.satisfied.add(scheme.key);
          plan.sentByConnection.add(`header\u0000${scheme.name.toLowerCase()}`);
        }
      }
    }
  }
  return plan;
}

/** The operation's security requirements, e.g. `a + b or none`. */
export function describeRequirement(op: ApiOperation): string {
  return op.security.map((r) => r.map((x) => x.scheme.key).join(' + ') || 'none').join(' or ');
}
