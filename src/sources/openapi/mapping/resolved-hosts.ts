/**
 * Import-time DNS check of the host NAMES the document gives (server and OAuth2 token URLs): a public-looking
 * name that resolves to a loopback, link-local or private address (`internal.example.com` → 10.0.0.5) is
 * refused with OPENAPI_PRIVATE_BASE_URL like a literal one, unless allowPrivateBaseUrl. Every address counts
 * (ANY private one refuses). A name that does not resolve (offline import) or takes longer than the timeout is
 * not an error, only reported (info: offline and online imports of a public API report alike). Names the user chose (the baseUrl option, the host the document came from) are
 * not refused; when they resolve privately, the connection gets `allowPrivateAddresses` so the generated server
 * (which re-checks at connect time, runtime/safe-lookup.ts) keeps reaching them.
 */
import { promises as dns } from 'node:dns';
import { FactoryError } from '../../../core/errors/index.js';
import { privateAddressReason } from '../../../core/net/index.js';
import type { MappingOptions, ReportEntry } from '../model.js';
import type { ConnectionInput } from './model.js';

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Every address of a host name (`dns.promises.lookup` with `all: true` by default). */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const RESOLVE_TIMEOUT_MS = 2000;

const systemResolver: HostResolver = (hostname) => dns.lookup(hostname, { all: true });

type Outcome = { addresses: ResolvedAddress[] } | { failure: string };

async function resolveWithin(resolver: HostResolver, host: string, ms: number): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ failure: `no answer within ${ms} ms` }), ms);
    timer.unref?.();
  });
  try {
    return await Promise.race([
      resolver(host).then(
        (addresses): Outcome => ({ addresses }),
        (error: unknown): Outcome => ({
          failure: (error as { code?: string }).code ?? (error as Error)?.message ?? String(error),
        }),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A host name to resolve: not an IP literal, not a name the literal check already judged (`localhost`). */
function nameOf(url: string): string | undefined {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return undefined;
  }
  if (host.startsWith('[') || /^[\d.]+$/.test(host) || privateAddressReason(host)) return undefined;
  return host.replace(/\.+$/, '').toLowerCase() || undefined;
}

function hostOf(url: string | undefined): string | undefined {
  try {
    return url ? new URL(url).hostname.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Resolves the host names of the http connections' base and token URLs; throws OPENAPI_PRIVATE_BASE_URL for a
 * document URL whose name resolves to a non-public address. Returns report entries (unresolved names, and
 * user-chosen names that resolve privately).
 */
export async function checkResolvedHosts(
  connections: ConnectionInput[],
  options: Pick<MappingOptions, 'allowPrivateBaseUrl' | 'documentUrl' | 'baseUrl'> & {
    resolveHost?: HostResolver;
    resolveTimeoutMs?: number;
  },
): Promise<ReportEntry[]> {
  if (options.allowPrivateBaseUrl) return [];
  const documentHost = hostOf(options.documentUrl);
  const targets: Array<{ connection: ConnectionInput & { type: 'http' }; url: string; what: string }> = [];
  for (const c of connections) {
    if (c.type !== 'http') continue;
    if (c.baseUrl) targets.push({ connection: c, url: c.baseUrl, what: 'server URL' });
    if (c.auth?.type === 'oauth2_client_credentials')
      targets.push({ connection: c, url: c.auth.tokenUrl, what: 'OAuth2 token URL' });
  }
  const names = [...new Set(targets.map((t) => nameOf(t.url)).filter((h): h is string => h !== undefined))];
  const resolver = options.resolveHost ?? systemResolver;
  const ms = options.resolveTimeoutMs ?? RESOLVE_TIMEOUT_MS;
  const outcomes = new Map(
    await Promise.all(names.map(async (h) => [h, await resolveWithin(resolver, h, ms)] as const)),
  );
  const entries: ReportEntry[] = [];
  const reported = new Set<string>();
  for (const { connection, url, what } of targets) {
    const host = nameOf(url);
    const outcome = host ? outcomes.get(host) : undefined;
    if (!host || !outcome) continue;
    if ('failure' in outcome) {
      if (!reported.has(host)) {
        reported.add(host);
        entries.push({
          operation: '',
          reason: `could not resolve ${host} (${outcome.failure}) to check that it is a public address; the generated server checks again when it connects`,
          // info, not warning: an offline import must report the same as an online one of a public API
          severity: 'info',
        });
      }
      continue;
    }
    const bad = outcome.addresses
      .map((a) => ({ address: a.address, reason: privateAddressReason(a.address) }))
      .find((a) => a.reason !== undefined);
    if (!bad) continue;
    const chosen = host === documentHost || (what === 'server URL' && options.baseUrl !== undefined);
    if (chosen) {
      connection.allowPrivateAddresses = true;
      entries.push({
        operation: '',
        reason: `${host} resolves to ${bad.address}, ${bad.reason}; you chose it, so connection "${connection.name}" may reach private addresses`,
        severity: 'info',
      });
      continue;
    }
    throw new FactoryError(
      'OPENAPI_PRIVATE_BASE_URL',
      `the ${what} ${url.slice(0, 200)} names ${host}, which resolves to ${bad.address}, ${bad.reason}: the generated server would send the API's credentials there (allowPrivateBaseUrl: true accepts it)`,
    );
  }
  return entries;
}
