/**
 * A local fake of the LLM provider HTTP APIs (loopback, port 0) that replays scripted answers, so the real
 * provider clients (@ai-sdk/*) run their whole path — HTTP, headers, error bodies, structured-output parsing —
 * without a model:
 *   POST …/chat/completions                 OpenAI and OpenAI-compatible (Ollama, vLLM, LM Studio) Chat Completions
 *   POST …/messages                         Anthropic Messages (text answer, or the SDK's forced "json" tool)
 *   POST …/models/{model}:generateContent   Google Gemini
 * One script (a queue of steps) serves all APIs; every request is recorded.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FakeStep =
  /** The model answers with this JSON value (rendered as the API's structured answer). */
  | { json: unknown; usage?: Usage; delayMs?: number }
  /** The model answers with raw text (malformed JSON, prose, fenced JSON). */
  | { text: string; usage?: Usage; delayMs?: number; finish?: 'stop' | 'length' }
  /** An HTTP error in the API's error format. */
  | { status: number; headers?: Record<string, string>; message?: string; delayMs?: number }
  /** Accept the request and never answer (a timeout). */
  | { hang: true }
  /** The provider's native refusal (OpenAI `refusal`, Anthropic stop_reason "refusal", Gemini SAFETY). */
  | { refusal: string }
  /** A content filter stopped the answer (finish_reason content_filter / stop_reason refusal / SAFETY). */
  | { contentFilter: true };

export interface Usage {
  in: number;
  out: number;
}

export type Api = 'openai' | 'anthropic' | 'google';

export interface RecordedRequest {
  api: Api;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
  /** The step that answered (undefined for auth failures). */
  step?: FakeStep;
  at: number;
}

export interface FakeProvider {
  /** http://127.0.0.1:PORT */
  url: string;
  requests: RecordedRequest[];
  push(...steps: FakeStep[]): void;
  /** Steps not consumed yet. */
  pending(): number;
  close(): Promise<void>;
}

export interface FakeProviderOptions {
  /** The key every request must carry (Bearer / x-api-key / x-goog-api-key); 401 otherwise. */
  apiKey?: string;
  script?: FakeStep[];
}

function apiOf(method: string, path: string): Api | undefined {
  if (method !== 'POST') return undefined;
  if (/\/chat\/completions$/.test(path)) return 'openai';
  if (/\/messages$/.test(path)) return 'anthropic';
  if (/\/models\/[^/]+:generateContent$/.test(path)) return 'google';
  return undefined;
}

function keyOf(api: Api, req: IncomingMessage): string | undefined {
  if (api === 'anthropic') return req.headers['x-api-key'] as string | undefined;
  if (api === 'google')
    return (
      (req.headers['x-goog-api-key'] as string | undefined) ??
      new URL(req.url ?? '', 'http://x').searchParams.get('key') ??
      undefined
    );
  const auth = req.headers.authorization;
  return auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function errorBody(api: Api, status: number, message: string): unknown {
  if (api === 'anthropic') {
    const type =
      status === 401
        ? 'authentication_error'
        : status === 403
          ? 'permission_error'
          : status === 429
            ? 'rate_limit_error'
            : status === 529
              ? 'overloaded_error'
              : status >= 500
                ? 'api_error'
                : 'invalid_request_error';
    return { type: 'error', error: { type, message } };
  }
  if (api === 'google') {
    const statusName =
      status === 401
        ? 'UNAUTHENTICATED'
        : status === 403
          ? 'PERMISSION_DENIED'
          : status === 429
            ? 'RESOURCE_EXHAUSTED'
            : status >= 500
              ? 'INTERNAL'
              : 'INVALID_ARGUMENT';
    return { error: { code: status, message, status: statusName } };
  }
  const type =
    status === 429 ? 'rate_limit_error' : status === 401 ? 'invalid_request_error' : 'server_error';
  return { error: { message, type, param: null, code: status === 401 ? 'invalid_api_key' : null } };
}

const DEFAULT_USAGE: Usage = { in: 1200, out: 800 };

function textOf(step: FakeStep): string | undefined {
  if ('json' in step) return JSON.stringify(step.json);
  if ('text' in step) return step.text;
  return undefined;
}

function success(api: Api, body: Record<string, unknown>, step: FakeStep): unknown {
  const usage = ('usage' in step && step.usage) || DEFAULT_USAGE;
  const model = String(body.model ?? 'fake-model');
  const refusal = 'refusal' in step ? step.refusal : undefined;
  const filtered = 'contentFilter' in step;
  const finishLength = 'finish' in step && step.finish === 'length';
  if (api === 'openai') {
    return {
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      created: 1_760_000_000,
      model,
      choices: [
        {
          index: 0,
          message:
            refusal !== undefined
              ? { role: 'assistant', content: null, refusal }
              : { role: 'assistant', content: textOf(step) ?? '', refusal: null },
          finish_reason: filtered ? 'content_filter' : finishLength ? 'length' : 'stop',
        },
      ],
      usage: { prompt_tokens: usage.in, completion_tokens: usage.out, total_tokens: usage.in + usage.out },
    };
  }
  if (api === 'anthropic') {
    const tools = Array.isArray(body.tools) ? (body.tools as Array<{ name?: string }>) : [];
    const jsonTool = tools.some((t) => t.name === 'json');
    let content: unknown[];
    let stop = finishLength ? 'max_tokens' : 'end_turn';
    if (refusal !== undefined || filtered) {
      content = refusal ? [{ type: 'text', text: refusal }] : [];
      stop = 'refusal';
    } else if (jsonTool && 'json' in step) {
      content = [{ type: 'tool_use', id: 'toolu_fake', name: 'json', input: step.json }];
      stop = 'tool_use';
    } else content = [{ type: 'text', text: textOf(step) ?? '' }];
    return {
      id: 'msg_fake',
      type: 'message',
      role: 'assistant',
      model,
      content,
      stop_reason: stop,
      stop_sequence: null,
      usage: { input_tokens: usage.in, output_tokens: usage.out },
    };
  }
  if (refusal !== undefined || filtered) {
    return {
      candidates: [{ finishReason: 'SAFETY', index: 0 }],
      usageMetadata: { promptTokenCount: usage.in, candidatesTokenCount: 0, totalTokenCount: usage.in },
    };
  }
  return {
    candidates: [
      {
        content: { role: 'model', parts: [{ text: textOf(step) ?? '' }] },
        finishReason: finishLength ? 'MAX_TOKENS' : 'STOP',
        index: 0,
      },
    ],
    usageMetadata: {
      promptTokenCount: usage.in,
      candidatesTokenCount: usage.out,
      totalTokenCount: usage.in + usage.out,
    },
    modelVersion: 'fake',
  };
}

export async function startFakeProvider(options: FakeProviderOptions = {}): Promise<FakeProvider> {
  const script: FakeStep[] = [...(options.script ?? [])];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const api = apiOf(req.method ?? '', path);
    if (!api) return send(res, 404, { error: { message: `fake provider: no route ${req.method} ${path}` } });
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    } catch {
      return send(res, 400, errorBody(api, 400, 'fake provider: body is not JSON'));
    }
    const record: RecordedRequest = { api, path, headers: req.headers, body, at: Date.now() };
    requests.push(record);
    if (options.apiKey !== undefined && keyOf(api, req) !== options.apiKey) {
      return send(res, 401, errorBody(api, 401, 'invalid x-api-key / Incorrect API key provided'));
    }
    const step = script.shift();
    if (!step) return send(res, 500, errorBody(api, 500, 'fake provider: the script is exhausted'));
    record.step = step;
    if ('hang' in step) return; // never answer; closed by the client's abort or by close()
    if ('delayMs' in step && step.delayMs) await new Promise((r) => setTimeout(r, step.delayMs));
    if ('status' in step) {
      return send(
        res,
        step.status,
        errorBody(api, step.status, step.message ?? `fake error ${step.status}`),
        step.headers,
      );
    }
    send(res, 200, success(api, body, step));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    push: (...steps) => {
      script.push(...steps);
    },
    pending: () => script.length,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close').catch(() => undefined);
    },
  };
}

/** The text of the last user message of a recorded request, whatever the API. */
export function lastUserText(request: RecordedRequest): string {
  const b = request.body as Record<string, unknown>;
  if (request.api === 'google') {
    const contents = (b.contents ?? []) as Array<{ role: string; parts: Array<{ text?: string }> }>;
    const last = [...contents].reverse().find((c) => c.role === 'user');
    return last?.parts.map((p) => p.text ?? '').join('') ?? '';
  }
  const messages = (b.messages ?? []) as Array<{ role: string; content: unknown }>;
  const last = [...messages].reverse().find((m) => m.role === 'user');
  const content = last?.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (p as { text?: string }).text ?? '').join('');
  return '';
}

/** The system prompt of a recorded request. */
export function systemText(request: RecordedRequest): string {
  const b = request.body as Record<string, unknown>;
  if (request.api === 'anthropic') {
    const s = b.system;
    if (typeof s === 'string') return s;
    if (Array.isArray(s)) return s.map((p) => (p as { text?: string }).text ?? '').join('');
    return '';
  }
  if (request.api === 'google') {
    const s = b.systemInstruction as { parts?: Array<{ text?: string }> } | undefined;
    return s?.parts?.map((p) => p.text ?? '').join('') ?? '';
  }
  const messages = (b.messages ?? []) as Array<{ role: string; content: unknown }>;
  const sys = messages.find((m) => m.role === 'system' || m.role === 'developer');
  return typeof sys?.content === 'string' ? sys.content : '';
}
