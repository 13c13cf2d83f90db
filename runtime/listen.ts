/**
 * MCP 2026-07-28 subscriptions/listen over HTTP (stdio: listen-stdio.ts, on the same bus). The SDK's handler (createMcpHandler) owns the wire: it acks each
 * listen stream with the honored filter, filters events per stream and tears streams down. It only sources events
 * from a ServerEventBus, and its bus listeners keep their filters to themselves. So this module supplies one
 * process-wide bus that learns what each stream asked for: the HTTP core runs a listen request's handling inside
 * `routeListen` (an AsyncLocalStorage context holding the request's filter), and the SDK registers the stream's
 * listener on this bus within that context. The registration starts polling of the stream's watched URIs (and of
 * watched template lists with `resourcesListChanged`) through runtime/subscriptions.ts, and the listener's removal
 * (stream closed by the client, cancelled, or the handler closed) releases it; the last release stops the poller.
 * A listener registered outside such a context (not through routeListen) cannot be attributed: it gets the watched
 * fixed-URI resources polled while it is open.
 * Limits: at most MAX_PER_CONNECTION resources named per listen stream (more is refused before the stream opens,
 * like the 101st resources/subscribe of a 2025 connection), MAX_PER_PROCESS subscriptions in all (shared with 2025
 * subscriptions), and the SDK's own cap of 1024 open listen streams per handler.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { InMemoryServerEventBus, type ServerEvent, type ServerEventBus } from '@modelcontextprotocol/server';
import { type ListenInterest, type ListenPublisher, listenRefusal, watchForListen } from './subscriptions.js';

const requested = new AsyncLocalStorage<ListenInterest>();

class InterestBus implements ServerEventBus {
  private readonly inner = new InMemoryServerEventBus();
  private readonly publisher: ListenPublisher = {
    updated: (uri) => this.publish({ kind: 'resource_updated', uri }),
    listChanged: () => this.publish({ kind: 'resources_list_changed' }),
  };

  publish(event: ServerEvent): void {
    this.inner.publish(event);
  }

  subscribe(listener: (event: ServerEvent) => void): () => void {
    const off = this.inner.subscribe(listener);
    const release = watchForListen(requested.getStore() ?? { listChanged: true }, this.publisher);
    return () => {
      off();
      release();
    };
  }

  /** Listen streams open now (tests, metrics). */
  get listenerCount(): number {
    return this.inner.listenerCount;
  }
}

/** The process's one change-event bus: every createMcpHandler of this process is given it. */
export const listenBus = new InterestBus();

/** What a subscriptions/listen request's params ask for (resource URIs and list changes). */
function interestOfParams(params: unknown): Required<ListenInterest> {
  const filter = ((params as { notifications?: unknown } | undefined)?.notifications ?? {}) as {
    resourceSubscriptions?: unknown;
    resourcesListChanged?: unknown;
  };
  const uris = Array.isArray(filter.resourceSubscriptions)
    ? filter.resourceSubscriptions.filter((u): u is string => typeof u === 'string')
    : [];
  return { uris, listChanged: filter.resourcesListChanged === true };
}

/** Why a subscriptions/listen request with these params is refused before its stream opens, if it is. */
export function listenRefusalOf(params: unknown): string | undefined {
  return listenRefusal(interestOfParams(params).uris);
}

/** Register `listener` on the bus for a stream that asked for `interest` (the stdio wire, listen-stdio.ts). */
export function subscribeListening(
  interest: ListenInterest,
  listener: (event: ServerEvent) => void,
): () => void {
  return requested.run(interest, () => listenBus.subscribe(listener));
}

/**
 * Serve one MCP POST (its parsed body) through `serve` (the SDK handler). A subscriptions/listen request naming
 * too many resources is answered with an in-band JSON-RPC error before any stream opens; any other listen request
 * is served inside the context that tells the bus what the stream asked for.
 */
export function routeListen(body: unknown, serve: () => Promise<Response>): Promise<Response> {
  const message =
    body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  if (message.method !== 'subscriptions/listen') return serve();
  const interest = interestOfParams(message.params);
  const refusal = listenRefusal(interest.uris);
  if (refusal) {
    const id = typeof message.id === 'string' || typeof message.id === 'number' ? message.id : null;
    // In band with HTTP 200, as the SDK answers its own pre-ack listen refusals; -32600 as for resources/subscribe.
    return Promise.resolve(
      Response.json({ jsonrpc: '2.0', id, error: { code: -32600, message: refusal } }, { status: 200 }),
    );
  }
  return requested.run(interest, serve);
}
