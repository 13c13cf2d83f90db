/**
 * Connect-time address checks for upstream HTTP requests. A host NAME in the spec (base URL, OAuth2 token URL)
 * may resolve to a loopback, link-local or private address (`internal.example.com` → 10.0.0.5, or a DNS-rebinding
 * name → 127.0.0.1); credentials must not go there unless the connection allows private addresses.
 *
 * Contract: `guardedLookup` is a `lookup` for sockets (net/tls `connect`): it resolves every address of the
 * name and fails with `PrivateAddressError` (code EPRIVATEADDRESS) when ANY of them is non-public, so the check
 * and the connection use the same answer (no rebinding window) and nothing is sent. `guardedFetch` is `fetch`
 * through a dispatcher using that lookup. The classifier is the factory's own (net/, shared with src/core/net).
 */
import dns from 'node:dns';
import { privateAddressReason } from './net/index.js';

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** `dns.lookup` with `all: true`, or a stand-in (tests). */
export type Resolver = (
  hostname: string,
  options: { all: true; family?: number; hints?: number },
  callback: (error: NodeJS.ErrnoException | null, addresses: ResolvedAddress[]) => void,
) => void;

/** A name resolved to a non-public address: the connection was not made. */
export class PrivateAddressError extends Error {
  readonly code = 'EPRIVATEADDRESS';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly reason: string,
  ) {
    super(`${host} resolves to ${address}, ${reason}`);
    this.name = 'PrivateAddressError';
  }
}

/** The first non-public address among `addresses`, with why; undefined when all are public. */
export function firstPrivate(addresses: ResolvedAddress[]): { address: string; reason: string } | undefined {
  for (const { address } of addresses) {
    const reason = privateAddressReason(address.includes(':') ? `[${address}]` : address);
    if (reason) return { address, reason };
  }
  return undefined;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | ResolvedAddress[],
  family?: number,
) => void;

/** A socket `lookup` that refuses names resolving to any non-public address (resolver: `dns.lookup` by default). */
export function guardedLookup(resolver?: Resolver) {
  return (
    hostname: string,
    options: { family?: number | string; hints?: number; all?: boolean } | LookupCallback,
    maybeCallback?: LookupCallback,
  ): void => {
    const callback = (typeof options === 'function' ? options : maybeCallback) as LookupCallback;
    const opts = typeof options === 'function' ? {} : options;
    const family = opts.family === 'IPv4' ? 4 : opts.family === 'IPv6' ? 6 : Number(opts.family ?? 0) || 0;
    const resolve: Resolver =
      resolver ?? ((h, o, cb) => dns.lookup(h, o, (error, addresses) => cb(error, addresses ?? [])));
    resolve(
      hostname,
      { all: true, ...(family ? { family } : {}), ...(opts.hints ? { hints: opts.hints } : {}) },
      (error, addresses) => {
        if (error) return callback(error, []);
        const list = addresses ?? [];
        const bad = firstPrivate(list);
        if (bad) return callback(new PrivateAddressError(hostname, bad.address, bad.reason), []);
        if (opts.all) return callback(null, list);
        const first = list[0];
        if (!first) {
          const none = new Error(`${hostname} has no address`) as NodeJS.ErrnoException;
          none.code = 'ENOTFOUND';
          return callback(none, []);
        }
        callback(null, first.address, first.family);
      },
    );
  };
}

/** The PrivateAddressError behind a failed fetch (fetch wraps connect errors as `cause`), if that is what it was. */
export function privateAddressErrorOf(error: unknown): PrivateAddressError | undefined {
  for (let e = error, depth = 0; e && depth < 5; depth++) {
    if (e instanceof PrivateAddressError) return e;
    if ((e as { code?: unknown }).code === 'EPRIVATEADDRESS') return e as PrivateAddressError;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

type Dispatcher = object;
let dispatcher: Promise<Dispatcher | undefined> | undefined;

/**
 * An undici Agent (the one Node's fetch uses) whose sockets connect through `guardedLookup`. Node ships undici
 * but does not export it: the class is taken from the global dispatcher. Undefined when that is not a plain
 * Agent (a custom or proxy dispatcher): `guardedFetch` then checks the resolved addresses before the request.
 */
function guardedDispatcher(): Promise<Dispatcher | undefined> {
  dispatcher ??= (async () => {
    const key = Symbol.for('undici.globalDispatcher.1');
    const store = globalThis as unknown as Record<symbol, unknown>;
    if (!store[key]) await fetch('data:,').catch(() => undefined); // makes Node create its dispatcher
    const Agent = (store[key] as { constructor?: unknown } | undefined)?.constructor;
    if (typeof Agent !== 'function' || Agent.name !== 'Agent') return undefined;
    return new (Agent as new (options: unknown) => Dispatcher)({ connect: { lookup: guardedLookup() } });
  })();
  return dispatcher;
}

/** Checks the addresses of `hostname` now (the fallback without a guarded dispatcher). */
async function checkResolved(hostname: string): Promise<void> {
  const addresses = await dns.promises.lookup(hostname, { all: true }).catch(() => []);
  const bad = firstPrivate(addresses);
  if (bad) throw new PrivateAddressError(hostname, bad.address, bad.reason);
}

/** `fetch` whose connection is refused (PrivateAddressError, nothing sent) when the host resolves to a non-public address. */
export async function guardedFetch(url: URL | string, init: RequestInit = {}): Promise<Response> {
  const agent = await guardedDispatcher();
  if (!agent) {
    const host = new URL(url).hostname;
    if (!host.startsWith('[') && !/^[\d.]+$/.test(host)) await checkResolved(host);
    return fetch(url, init);
  }
  return fetch(url, { ...init, dispatcher: agent } as RequestInit);
}
