/**
 * MCP 2026-07-28 subscriptions/listen over stdio. serveStdio answers listen requests itself (ack, cancel, graceful
 * teardown) and only re-routes change notifications its pinned server instance sends, so it never tells the runtime
 * which resources a stream wants. This transport sits between serveStdio and the real stdio transport and watches
 * the wire: when serveStdio acknowledges a listen stream (the outbound notifications/subscriptions/acknowledged,
 * carrying the honored filter and the subscription id), the stream is registered on the process's event bus with
 * that filter (listen.ts), which polls its watched resources as for HTTP; each event the filter accepts is written
 * to the wire with the subscription id stamped. The stream, and the polling it holds, ends on the client's
 * notifications/cancelled for the listen id, on the listen's final response (serveStdio's graceful teardown), or
 * when the connection closes. A listen naming more than MAX_PER_CONNECTION resources is refused before it reaches
 * serveStdio, as over HTTP.
 */
import {
  type JSONRPCMessage,
  type MessageExtraInfo,
  type ServerEvent,
  SUBSCRIPTION_ID_META_KEY,
  type Transport,
  type TransportSendOptions,
} from '@modelcontextprotocol/server';
import { listenRefusalOf, subscribeListening } from './listen.js';

type Id = string | number;
interface Filter {
  resourceSubscriptions?: string[];
  resourcesListChanged?: boolean;
}

const record = (v: unknown): Record<string, unknown> | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

function accepts(filter: Filter, event: ServerEvent): boolean {
  if (event.kind === 'resource_updated') return filter.resourceSubscriptions?.includes(event.uri) ?? false;
  return event.kind === 'resources_list_changed' && filter.resourcesListChanged === true;
}

/** `inner` (the stdio transport) with subscriptions/listen streams fed from the event bus. */
export function listeningTransport(inner: Transport): Transport {
  const streams = new Map<Id, () => void>();
  const end = (id: unknown) => {
    if (typeof id !== 'string' && typeof id !== 'number') return;
    streams.get(id)?.();
    streams.delete(id);
  };
  const endAll = () => {
    for (const off of streams.values()) off();
    streams.clear();
  };
  const open = (id: Id, filter: Filter) => {
    end(id);
    const honored: Filter = {
      ...(Array.isArray(filter.resourceSubscriptions)
        ? { resourceSubscriptions: filter.resourceSubscriptions.filter((u) => typeof u === 'string') }
        : {}),
      ...(filter.resourcesListChanged === true ? { resourcesListChanged: true } : {}),
    };
    if (!honored.resourceSubscriptions?.length && !honored.resourcesListChanged) return;
    const interest = {
      uris: honored.resourceSubscriptions ?? [],
      listChanged: honored.resourcesListChanged === true,
    };
    const off = subscribeListening(interest, (event) => {
      if (!streams.has(id) || !accepts(honored, event)) return;
      const message: JSONRPCMessage =
        event.kind === 'resource_updated'
          ? {
              jsonrpc: '2.0',
              method: 'notifications/resources/updated',
              params: { uri: event.uri, _meta: { [SUBSCRIPTION_ID_META_KEY]: id } },
            }
          : {
              jsonrpc: '2.0',
              method: 'notifications/resources/list_changed',
              params: { _meta: { [SUBSCRIPTION_ID_META_KEY]: id } },
            };
      inner.send(message).catch((error: unknown) => wrapper.onerror?.(error as Error));
    });
    streams.set(id, off);
  };

  const wrapper: Transport = {
    start: () => inner.start(),
    close: () => inner.close(),
    async send(message: JSONRPCMessage, options?: TransportSendOptions) {
      const m = message as {
        method?: unknown;
        id?: unknown;
        params?: unknown;
        result?: unknown;
        error?: unknown;
      };
      if (m.method === 'notifications/subscriptions/acknowledged') {
        const params = record(m.params);
        const id = record(params?._meta)?.[SUBSCRIPTION_ID_META_KEY];
        if (typeof id === 'string' || typeof id === 'number')
          open(id, (record(params?.notifications) ?? {}) as Filter);
      } else if (m.method === undefined && (m.result !== undefined || m.error !== undefined)) end(m.id);
      return inner.send(message, options);
    },
  };
  inner.onmessage = (message: JSONRPCMessage, extra?: MessageExtraInfo) => {
    const m = message as { method?: unknown; id?: unknown; params?: unknown };
    if (m.method === 'subscriptions/listen' && (typeof m.id === 'string' || typeof m.id === 'number')) {
      const refusal = listenRefusalOf(m.params);
      if (refusal) {
        inner
          .send({ jsonrpc: '2.0', id: m.id, error: { code: -32600, message: refusal } })
          .catch((error: unknown) => wrapper.onerror?.(error as Error));
        return;
      }
    }
    if (m.method === 'notifications/cancelled') end(record(m.params)?.requestId);
    wrapper.onmessage?.(message, extra);
  };
  inner.onclose = () => {
    endAll();
    wrapper.onclose?.();
  };
  inner.onerror = (error: Error) => wrapper.onerror?.(error);
  return wrapper;
}
