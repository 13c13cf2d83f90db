/**
 * What a server must reach, derived from its spec (and, when given, its environment values): DNS, every
 * database and HTTP connection, OAuth token/issuer URLs, and queue brokers. A NetworkPolicy cannot name hosts,
 * so a literal IP address becomes an ipBlock /32 (/128) and a host name opens the port to any address (the host
 * is kept in the rule's description for reviewers). A server that reaches nothing gets no egress at all, not
 * even DNS. Pure: no I/O.
 */
import { isIP } from 'node:net';
import type { ServerSpec } from '../../../core/spec/model.js';

export interface EgressRule {
  /** Host name or address the port is opened for (`*` when only the env value could tell). */
  host: string;
  port: number;
  protocol: 'TCP' | 'UDP';
  /** Why: the spec element it comes from. */
  reason: string;
}

const DEFAULT_PORTS: Record<string, number> = {
  postgresql: 5432,
  postgres: 5432,
  mysql: 3306,
  mariadb: 3306,
  http: 80,
  https: 443,
  redis: 6379,
  rediss: 6379,
  amqp: 5672,
  amqps: 5671,
  rabbitmq: 5672,
  nats: 4222,
  tls: 4222,
  mqtt: 1883,
  mqtts: 8883,
};

/** Host and port of a URL (default port by scheme, else `fallbackPort`); undefined when it is not a URL. */
function endpointOf(url: string, fallbackPort: number): { host: string; port: number } | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const scheme = parsed.protocol.replace(/:$/, '');
  const port = parsed.port ? Number(parsed.port) : (DEFAULT_PORTS[scheme] ?? fallbackPort);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  return host ? { host, port } : undefined;
}

/** Egress needs of a spec; `env` (the deployment's values) narrows URLs that live in environment variables. */
export function egressRules(spec: ServerSpec, env: Record<string, string> = {}): EgressRule[] {
  const rules: EgressRule[] = [];
  const fromUrl = (url: string | undefined, fallbackPort: number, reason: string) => {
    const endpoint = url === undefined ? undefined : endpointOf(url, fallbackPort);
    rules.push(
      endpoint
        ? { ...endpoint, protocol: 'TCP', reason }
        : { host: '*', port: fallbackPort, protocol: 'TCP', reason },
    );
  };
  for (const c of spec.connections) {
    if (c.type === 'postgresql' || c.type === 'mysql' || c.type === 'mariadb')
      fromUrl(env[c.envVar], DEFAULT_PORTS[c.type] ?? 5432, `connection ${c.name} (${c.type})`);
    if (c.type === 'http') {
      const base = (c.baseUrlEnv ? env[c.baseUrlEnv] : undefined) ?? c.baseUrl;
      fromUrl(base, 443, `connection ${c.name} (http)`);
      if (c.auth?.type === 'oauth2_client_credentials')
        fromUrl(c.auth.tokenUrl, 443, `connection ${c.name} (token URL)`);
    }
  }
  for (const t of spec.triggers) {
    if (t.type === 'queue')
      fromUrl(env[t.urlEnv], DEFAULT_PORTS[t.broker] ?? 443, `queue trigger (${t.broker})`);
  }
  if (spec.auth?.type === 'oauth') {
    for (const url of [spec.auth.issuer, spec.auth.jwksUri])
      if (url !== undefined) fromUrl(url, 443, 'server auth (OAuth issuer)');
    if (spec.auth.issuer === undefined && spec.auth.jwksUri === undefined)
      rules.push({ host: '*', port: 443, protocol: 'TCP', reason: 'server auth (OAuth issuer)' });
  }
  const unique = new Map(rules.map((r) => [`${r.host}|${r.port}|${r.protocol}`, r]));
  return [...unique.values()];
}

/** The ipBlock of a literal address, or the whole address space for a host name (resolved at run time). */
export function cidrOf(host: string): { cidr: string } | undefined {
  const family = isIP(host);
  if (family === 4) return { cidr: `${host}/32` };
  if (family === 6) return { cidr: `${host}/128` };
  return undefined;
}
