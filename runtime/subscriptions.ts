/**
 * Watched SQL resources (`watch: { intervalMs }`): one poller per resource URI (or template list) for the whole
 * process, running only while someone is interested; it hashes each read and notifies on change. Two kinds of
 * interest share the same pollers and the same caps (MAX_PER_CONNECTION per connection or listen stream,
 * MAX_PER_PROCESS in all):
 * - MCP 2025-11-25 resources/subscribe and resources/unsubscribe on a connection (stdio or an HTTP session):
 *   notifications/resources/updated goes to that URI's subscribers. A watched template with a `list` query: while
 *   a connection holds a subscription to one of its URIs, the list is polled the same way and a change sends
 *   notifications/resources/list_changed to such connections. This state lives on each connection's server
 *   instance, never in the shared registration tables.
 * - MCP 2026-07-28 subscriptions/listen streams over HTTP and stdio (runtime/listen.ts and listen-stdio.ts learn
 *   what each stream asked for): the watched URIs among its `resourceSubscriptions` are polled while the stream
 *   is open, and with `resourcesListChanged` the lists of watched templates too; changes are published once per
 *   poller to the process's event bus, which delivers them to the streams that asked.
 */
import { createHash } from 'node:crypto';
import { type McpServer, ProtocolError, ProtocolErrorCode, UriTemplate } from '@modelcontextprotocol/server';
import { type ResourceDefinition, readResource } from './resources.js';
import type { Runtime } from './runtime.js';

/** Subscriptions one connection may hold, and the whole process. */
export const MAX_PER_CONNECTION = 100;
export const MAX_PER_PROCESS = 10_000;

type Notify = (uri: string) => void;

interface Poller {
  subscribers: Set<Notify>;
  timer: NodeJS.Timeout;
  hash?: string;
  busy: boolean;
}

const pollers = new Map<string, Poller>();
/** Subscriptions held in the process: 2025 (connection, URI) pairs and 2026 (listen stream, URI) pairs. */
let total = 0;

/** The watched definitions, learned from the server instances (every one is built from the same literal). */
let watched: { rt: Runtime; defs: ResourceDefinition[] } | undefined;

/** Where 2026-07-28 listen streams get their events (runtime/listen.ts: the process's event bus). */
export interface ListenPublisher {
  updated(uri: string): void;
  listChanged(): void;
}
let publisher: ListenPublisher | undefined;
/** Open listen streams holding each poller key: the poller carries one publishing notify for all of them. */
const listenHolds = new Map<string, number>();
const publishUpdated: Notify = (uri) => publisher?.updated(uri);
const publishListChanged: Notify = () => publisher?.listChanged();

function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

const templates = new Map<string, UriTemplate>();

/** The watched definition serving `uri` and its template variables, if any. */
function watchedDefOf(
  defs: ResourceDefinition[],
  uri: string,
): { def: ResourceDefinition; vars: Record<string, unknown> } | undefined {
  for (const def of defs) {
    if (!def.watch) continue;
    if (!def.template) {
      if (def.uri === uri) return { def, vars: {} };
      continue;
    }
    let template = templates.get(def.uri);
    if (!template) {
      template = new UriTemplate(def.uri);
      templates.set(def.uri, template);
    }
    const match = template.match(uri);
    if (match) {
      const vars = Object.fromEntries(
        Object.entries(match).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]),
      );
      return { def, vars };
    }
  }
  return undefined;
}

async function hashRead(read: () => Promise<unknown>): Promise<string> {
  try {
    return hashOf(await read());
  } catch (error) {
    // A failed read (row gone, database down) is a state too: its change back is an update.
    return hashOf({ error: String((error as Error).message) });
  }
}

/** One poller per key (a resource URI, or a template's list): re-reads every interval, notifies on change. */
function join(key: string, intervalMs: number, read: () => Promise<unknown>, notify: Notify): void {
  let poller = pollers.get(key);
  if (!poller) {
    const p: Poller = {
      subscribers: new Set(),
      busy: false,
      timer: setInterval(async () => {
        if (p.busy) return;
        p.busy = true;
        try {
          const hash = await hashRead(read);
          if (p.hash !== undefined && hash !== p.hash) for (const n of p.subscribers) n(key);
          p.hash = hash;
        } finally {
          p.busy = false;
        }
      }, intervalMs),
    };
    p.timer.unref();
    // The first state, so that a change before the first tick is still seen.
    void hashRead(read).then((hash) => {
      p.hash ??= hash;
    });
    pollers.set(key, p);
    poller = p;
  }
  poller.subscribers.add(notify);
}

function leave(key: string, notify: Notify): boolean {
  const poller = pollers.get(key);
  if (!poller?.subscribers.delete(notify)) return false;
  if (poller.subscribers.size === 0) {
    clearInterval(poller.timer);
    pollers.delete(key);
  }
  return true;
}

function drop(uri: string, notify: Notify): void {
  if (leave(uri, notify)) total--;
}

const listKeyOf = (def: ResourceDefinition) => `list\u0000${def.name}`;

/** The poll of `uri` (a watched resource's read with its template variables), if it is watched. */
function resourcePoll(
  rt: Runtime,
  defs: ResourceDefinition[],
  uri: string,
): { def: ResourceDefinition; intervalMs: number; read: () => Promise<unknown> } | undefined {
  const found = watchedDefOf(defs, uri);
  if (!found) return undefined;
  const { def, vars } = found;
  return { def, intervalMs: def.watch!.intervalMs, read: () => readResource(rt, def, uri, vars) };
}

function holdForListen(key: string, intervalMs: number, read: () => Promise<unknown>, notify: Notify): void {
  const n = (listenHolds.get(key) ?? 0) + 1;
  listenHolds.set(key, n);
  if (n === 1) join(key, intervalMs, read, notify);
}

/** False when the key was not held (already released, or dropped by stopWatching). */
function releaseForListen(key: string, notify: Notify): boolean {
  const n = listenHolds.get(key);
  if (n === undefined) return false;
  if (n > 1) listenHolds.set(key, n - 1);
  else {
    listenHolds.delete(key);
    leave(key, notify);
  }
  return true;
}

/** What one subscriptions/listen stream asked for. `uris` undefined: unknown, so the watched fixed URIs. */
export interface ListenInterest {
  uris?: readonly string[];
  listChanged: boolean;
}

/**
 * Why a listen stream naming these URIs is refused before it opens, if it is: more than MAX_PER_CONNECTION URIs,
 * or its watched ones would take the process past MAX_PER_PROCESS.
 */
export function listenRefusal(uris: readonly string[]): string | undefined {
  const distinct = new Set(uris);
  if (distinct.size > MAX_PER_CONNECTION)
    return `a listen stream may name at most ${MAX_PER_CONNECTION} resources`;
  if (!watched) return undefined;
  let count = 0;
  for (const uri of distinct) if (watchedDefOf(watched.defs, uri)) count++;
  return count > 0 && total + count > MAX_PER_PROCESS ? 'too many resource subscriptions' : undefined;
}

/**
 * Poll what one open 2026-07-28 listen stream is interested in, publishing changes through `publish`. Returns the
 * release (idempotent) to call when the stream closes. Unwatched URIs cost nothing; at most MAX_PER_CONNECTION
 * watched URIs per stream and MAX_PER_PROCESS subscriptions in all are polled (listenRefusal refuses past them
 * before the stream opens; a race past the process cap leaves the extra URIs unpolled).
 */
export function watchForListen(interest: ListenInterest, publish: ListenPublisher): () => void {
  publisher = publish;
  if (!watched) return () => undefined;
  const { rt, defs } = watched;
  const uris = interest.uris ?? defs.filter((d) => d.watch && !d.template).map((d) => d.uri);
  const held: Array<[string, Notify]> = [];
  for (const uri of new Set(uris)) {
    if (held.length >= MAX_PER_CONNECTION || total >= MAX_PER_PROCESS) break;
    const poll = resourcePoll(rt, defs, uri);
    if (!poll) continue;
    holdForListen(uri, poll.intervalMs, poll.read, publishUpdated);
    held.push([uri, publishUpdated]);
    total++;
  }
  if (interest.listChanged)
    for (const def of defs) {
      if (!def.watch || !def.template || !def.list) continue;
      const list = def.list;
      holdForListen(listKeyOf(def), def.watch.intervalMs, () => rt.sql(list, {}), publishListChanged);
      held.push([listKeyOf(def), publishListChanged]);
    }
  let live = true;
  return () => {
    if (!live) return;
    live = false;
    for (const [key, notify] of held) if (releaseForListen(key, notify) && notify === publishUpdated) total--;
  };
}

/** Serve resources/subscribe and resources/unsubscribe on this connection's server instance. */
export function serveSubscriptions(server: McpServer, rt: Runtime, defs: ResourceDefinition[]): void {
  watched = { rt, defs };
  const mine = new Map<string, ResourceDefinition>();
  /** Subscribed URIs per template with a `list`: its list is watched while one is held. */
  const listHolds = new Map<ResourceDefinition, number>();
  const notify: Notify = (uri) => {
    server.server.sendResourceUpdated({ uri }).catch(() => undefined);
  };
  const listChanged: Notify = () => {
    server.server.sendResourceListChanged().catch(() => undefined);
  };
  const hold = (def: ResourceDefinition, delta: number) => {
    if (!def.template || !def.list) return;
    const n = (listHolds.get(def) ?? 0) + delta;
    const key = listKeyOf(def);
    if (delta > 0 && n === 1) join(key, def.watch!.intervalMs, () => rt.sql(def.list!, {}), listChanged);
    if (n <= 0) {
      listHolds.delete(def);
      leave(key, listChanged);
    } else listHolds.set(def, n);
  };
  server.server.setRequestHandler('resources/subscribe', (request) => {
    const uri = request.params.uri;
    if (mine.has(uri)) return {};
    const poll = resourcePoll(rt, defs, uri);
    if (!poll)
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `resource ${uri} cannot be subscribed to`);
    if (mine.size >= MAX_PER_CONNECTION || total >= MAX_PER_PROCESS)
      throw new ProtocolError(ProtocolErrorCode.InvalidRequest, 'too many resource subscriptions');
    join(uri, poll.intervalMs, poll.read, notify);
    mine.set(uri, poll.def);
    total++;
    hold(poll.def, 1);
    return {};
  });
  server.server.setRequestHandler('resources/unsubscribe', (request) => {
    const def = mine.get(request.params.uri);
    if (def) {
      mine.delete(request.params.uri);
      drop(request.params.uri, notify);
      hold(def, -1);
    }
    return {};
  });
  const previous = server.server.onclose;
  server.server.onclose = () => {
    for (const [uri, def] of mine) {
      drop(uri, notify);
      hold(def, -1);
    }
    mine.clear();
    previous?.();
  };
}

/** Stop every poller (shutdown). */
export function stopWatching(): void {
  for (const poller of pollers.values()) clearInterval(poller.timer);
  pollers.clear();
  listenHolds.clear();
  total = 0;
}

/** Pollers running now (tests, metrics). */
export function activePollers(): number {
  return pollers.size;
}
