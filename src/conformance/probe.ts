/**
 * The probe: asks the server under test what it exposes (capabilities, tools, prompts, resources and
 * resource templates) over plain JSON-RPC on Streamable HTTP, in the handshake of the revision under test
 * (`server/discover` for 2026-07-28 and later, `initialize` before). Its answer is the evidence for "the
 * fixture X is missing"; a failed probe is recorded, never thrown.
 */
import type { ServerProbe } from './types.js';
import { messageOf } from './util.js';

interface RpcMessage {
  id?: unknown;
  result?: Record<string, unknown>;
  error?: unknown;
}

interface RpcReply {
  status: number;
  sessionId: string | null;
  msg: RpcMessage | null;
}

async function rpc(
  url: string,
  version: string,
  method: string,
  params: Record<string, unknown> | undefined,
  { id, sessionId }: { id?: number; sessionId?: string | null } = {},
): Promise<RpcReply> {
  const modern = version >= '2026-07-28';
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': version,
  };
  if (sessionId) headers['mcp-session-id'] = sessionId;
  let body: Record<string, unknown> & { params: Record<string, unknown> } = {
    jsonrpc: '2.0',
    method,
    params: params ?? {},
  };
  if (id !== undefined) body.id = id;
  if (modern) {
    headers['mcp-method'] = method;
    body = {
      ...body,
      params: {
        ...body.params,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': version,
          'io.modelcontextprotocol/clientInfo': { name: 'mcp-factory-conformance-probe', version: '1.0.0' },
          'io.modelcontextprotocol/clientCapabilities': {},
        },
      },
    };
  }
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10000),
  });
  const text = await res.text();
  let msg: RpcMessage | null = null;
  if ((res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    for (const line of text.split(/\r?\n/)) {
      if (!line.startsWith('data:')) continue;
      try {
        const m = JSON.parse(line.slice(5).trim()) as RpcMessage;
        if (m.id === id) msg = m;
      } catch {}
    }
  } else if (text) {
    try {
      msg = JSON.parse(text) as RpcMessage;
    } catch {}
  }
  return { status: res.status, sessionId: res.headers.get('mcp-session-id'), msg };
}

type ListKey = 'tools' | 'prompts' | 'resources' | 'resourceTemplates';

export async function probeServer(url: string, version: string): Promise<ServerProbe> {
  const probe: ServerProbe = {
    ok: false,
    capabilities: {},
    tools: [],
    prompts: [],
    resources: [],
    resourceTemplates: [],
  };
  try {
    let sessionId: string | null = null;
    let n = 1;
    if (version >= '2026-07-28') {
      const r = await rpc(url, version, 'server/discover', {}, { id: n++ });
      if (!r.msg?.result)
        throw new Error(`server/discover: HTTP ${r.status} ${JSON.stringify(r.msg?.error ?? null)}`);
      probe.capabilities = (r.msg.result.capabilities ?? {}) as Record<string, unknown>;
    } else {
      const r = await rpc(
        url,
        version,
        'initialize',
        {
          protocolVersion: version,
          capabilities: {},
          clientInfo: { name: 'mcp-factory-conformance-probe', version: '1.0.0' },
        },
        { id: n++ },
      );
      if (!r.msg?.result)
        throw new Error(`initialize: HTTP ${r.status} ${JSON.stringify(r.msg?.error ?? null)}`);
      probe.capabilities = (r.msg.result.capabilities ?? {}) as Record<string, unknown>;
      sessionId = r.sessionId;
      await rpc(url, version, 'notifications/initialized', {}, { sessionId });
    }
    const lists: Array<[capability: string, method: string, key: ListKey]> = [
      ['tools', 'tools/list', 'tools'],
      ['prompts', 'prompts/list', 'prompts'],
      ['resources', 'resources/list', 'resources'],
      ['resources', 'resources/templates/list', 'resourceTemplates'],
    ];
    for (const [cap, method, key] of lists) {
      if (!probe.capabilities[cap]) continue;
      let cursor: string | undefined;
      for (let page = 0; page < 50; page++) {
        const r = await rpc(url, version, method, cursor ? { cursor } : {}, { id: n++, sessionId });
        const result = r.msg?.result;
        if (!result) break;
        (probe[key] as unknown[]).push(...((result[key] as unknown[] | undefined) ?? []));
        cursor = result.nextCursor as string | undefined;
        if (!cursor) break;
      }
    }
    probe.ok = true;
    if (sessionId) {
      // end the probe's own session on sessionful servers
      await fetch(url, {
        method: 'DELETE',
        headers: { 'mcp-session-id': sessionId, 'mcp-protocol-version': version },
        signal: AbortSignal.timeout(5000),
      }).catch(() => {});
    }
  } catch (e) {
    probe.error = messageOf(e);
  }
  return probe;
}
