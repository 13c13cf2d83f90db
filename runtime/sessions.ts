/**
 * Sessions for 2025-11-25 HTTP clients. The 2026-07-28 protocol is stateless, but a 2025 client's
 * notifications/cancelled, logging/setLevel and server→client requests (elicitation, sampling) only reach a
 * running call through the session that started it. Each session is one web-standard sessionful transport and
 * one server instance. Bounded: at most MCP_MAX_SESSIONS (default 1000); idle ones expire after
 * MCP_SESSION_IDLE_MS (default 30 min); when full, the least recently used idle session is evicted, and a new
 * one is refused (503) only when every session has a request in flight. Unknown or expired ids get 404 (the
 * spec's answer: the client starts a new session).
 */
import { randomUUID } from 'node:crypto';
import {
  type AuthInfo,
  isInitializeRequest,
  type McpServerFactory,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';

interface Session {
  transport: WebStandardStreamableHTTPServerTransport;
  /** Who opened it: a request from another OAuth client may not use it (session ids are not credentials). */
  owner: string | undefined;
  lastSeen: number;
  inFlight: number;
  /** Open POST streams by JSON-RPC request id: a cancelled request gets no answer, so its stream is closed here. */
  streams: Map<string, () => void>;
}

export interface SessionStore {
  /** Whether this request belongs to the session leg: it carries a session id or opens one (2025 initialize). */
  wants(req: Request, body: unknown): boolean;
  handle(req: Request, body: unknown, authInfo?: AuthInfo): Promise<Response>;
  readonly size: number;
  close(): Promise<void>;
}

function envInt(name: string, fallback: number): number {
  const n = Number(process.env[name]);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

export function createSessionStore(
  factory: McpServerFactory,
  onerror: (error: Error) => void,
  now: () => number = Date.now,
): SessionStore {
  const max = envInt('MCP_MAX_SESSIONS', 1000);
  const idleMs = envInt('MCP_SESSION_IDLE_MS', 30 * 60_000);
  const sessions = new Map<string, Session>();
  const jsonError = (status: number, message: string) =>
    new Response(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }), {
      status,
      headers: { 'content-type': 'application/json' },
    });
  const end = (id: string) => {
    const s = sessions.get(id);
    if (!s) return;
    sessions.delete(id);
    void s.transport.close().catch(onerror);
  };
  const sweep = () => {
    const cutoff = now() - idleMs;
    for (const [id, s] of sessions) if (s.inFlight === 0 && s.lastSeen < cutoff) end(id);
  };
  const timer = setInterval(sweep, Math.min(idleMs, 60_000));
  timer.unref();

  /** Room for one more: expire idle ones, then evict the least recently used idle one. */
  const makeRoom = (): boolean => {
    sweep();
    if (sessions.size < max) return true;
    let oldest: [string, Session] | undefined;
    for (const entry of sessions)
      if (entry[1].inFlight === 0 && (!oldest || entry[1].lastSeen < oldest[1].lastSeen)) oldest = entry;
    if (!oldest) return false;
    end(oldest[0]);
    return true;
  };

  /**
   * A POST is in flight until its response stream ends (an SSE answer returns at once while the tool runs), so a
   * busy session is never evicted or expired. A GET stream does not count: an attacker holding GET streams open
   * must not be able to pin every slot.
   */
  const serve = async (s: Session, req: Request, body: unknown, authInfo?: AuthInfo) => {
    if (req.method !== 'POST') {
      s.lastSeen = now();
      return s.transport.handleRequest(req, { parsedBody: body, authInfo });
    }
    const messages = (Array.isArray(body) ? body : [body]) as Array<{
      id?: unknown;
      method?: unknown;
      params?: { requestId?: unknown };
    } | null>;
    for (const m of messages)
      if (m?.method === 'notifications/cancelled') s.streams.get(String(m.params?.requestId))?.();
    const ids = messages.flatMap((m) =>
      m && m.id !== undefined && typeof m.method === 'string' ? [String(m.id)] : [],
    );
    s.inFlight++;
    s.lastSeen = now();
    let done = false;
    let abandon = () => {};
    const finish = () => {
      if (done) return;
      done = true;
      for (const id of ids) s.streams.delete(id);
      s.inFlight--;
      s.lastSeen = now();
    };
    try {
      const res = await s.transport.handleRequest(req, { parsedBody: body, authInfo });
      if (!res.body) {
        finish();
        return res;
      }
      const reader = res.body.getReader();
      const tracked = new ReadableStream<Uint8Array>({
        start(controller) {
          abandon = () => {
            finish();
            controller.close();
            void reader.cancel().catch(() => {});
          };
          if (ids.length === 1) s.streams.set(ids[0]!, abandon);
        },
        async pull(controller) {
          try {
            const { done: end, value } = await reader.read();
            if (end) {
              finish();
              controller.close();
            } else controller.enqueue(value);
          } catch (error) {
            finish();
            controller.error(error);
          }
        },
        cancel(reason) {
          finish();
          return reader.cancel(reason);
        },
      });
      return new Response(tracked, { status: res.status, statusText: res.statusText, headers: res.headers });
    } catch (error) {
      finish();
      throw error;
    }
  };

  return {
    wants(req, body) {
      if (req.headers.has('mcp-session-id')) return true;
      const messages = Array.isArray(body) ? body : [body];
      return req.method === 'POST' && messages.some((m) => isInitializeRequest(m));
    },
    async handle(req, body, authInfo) {
      const id = req.headers.get('mcp-session-id');
      if (id) {
        const s = sessions.get(id);
        if (!s || now() - s.lastSeen > idleMs) {
          if (s && s.inFlight === 0) end(id);
          if (!s || s.inFlight === 0) return jsonError(404, 'Session not found');
        }
        if (s.owner !== authInfo?.clientId) return jsonError(404, 'Session not found');
        return serve(s, req, body, authInfo);
      }
      if (!makeRoom()) return jsonError(503, 'Too many sessions; try again later');
      const session: Session = {
        owner: authInfo?.clientId,
        lastSeen: now(),
        inFlight: 0,
        streams: new Map(),
        transport: undefined as never,
      };
      session.transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        onsessioninitialized: (sid) => {
          sessions.set(sid, session);
        },
        onsessionclosed: (sid) => {
          sessions.delete(sid);
        },
      });
      session.transport.onclose = () => {
        const sid = session.transport.sessionId;
        if (sid && sessions.get(sid) === session) sessions.delete(sid);
      };
      const server = await factory({ era: 'legacy', authInfo, requestInfo: req });
      await server.connect(session.transport);
      const res = await serve(session, req, body, authInfo);
      // A failed initialize leaves no session behind.
      if (!session.transport.sessionId || !sessions.has(session.transport.sessionId))
        void session.transport.close().catch(onerror);
      return res;
    },
    get size() {
      return sessions.size;
    },
    async close() {
      clearInterval(timer);
      const all = [...sessions.values()];
      sessions.clear();
      await Promise.all(all.map((s) => s.transport.close().catch(onerror)));
    },
  };
}
