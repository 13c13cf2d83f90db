/** Calls to an upstream HTTP API for `http` tools: templated requests, env-based auth, timeouts, retries. */
import { requireEnv, ToolError } from './errors.js';
import { renderJson, renderText } from './template.js';

export type HeaderValue = string | { env: string };

export interface HttpConnectionConfig {
  name: string;
  baseUrl?: string;
  baseUrlEnv?: string;
  headers?: Record<string, HeaderValue>;
  auth?:
    | { type: 'bearer'; envVar: string }
    | { type: 'api_key'; in: 'header' | 'query'; name: string; envVar: string }
    | { type: 'basic'; usernameEnv: string; passwordEnv: string };
}

export interface HttpToolDefinition {
  connection: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: unknown;
  response?: 'json' | 'text';
}

export interface RetryPolicy {
  max: number;
  backoffMs: number;
}

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);

export async function callHttp(
  conn: HttpConnectionConfig,
  def: HttpToolDefinition,
  args: Record<string, unknown>,
  options: { signal?: AbortSignal; retry: RetryPolicy; userAgent: string },
): Promise<unknown> {
  const base = (conn.baseUrlEnv ? process.env[conn.baseUrlEnv] : undefined) || conn.baseUrl;
  if (!base) requireEnv(conn.baseUrlEnv ?? 'BASE_URL');
  const url = new URL(
    renderText(def.path, args, encodePathValue).replace(/^\/+/, ''),
    base!.endsWith('/') ? base : `${base}/`,
  );
  for (const [k, v] of Object.entries(def.query ?? {})) {
    const value = renderText(v, args);
    if (value !== '') url.searchParams.set(k, value);
  }
  const headers = new Headers({
    accept: 'application/json, text/plain;q=0.9, */*;q=0.5',
    'user-agent': options.userAgent,
  });
  for (const [k, v] of Object.entries(conn.headers ?? {}))
    headers.set(k, typeof v === 'string' ? v : requireEnv(v.env));
  for (const [k, v] of Object.entries(def.headers ?? {})) headers.set(k, headerValue(k, renderText(v, args)));
  applyAuth(conn, headers, url);
  let body: string | undefined;
  if (def.body !== undefined && def.method !== 'GET' && def.method !== 'HEAD') {
    body = JSON.stringify(renderJson(def.body, args));
    headers.set('content-type', 'application/json');
  }

  const attempts = IDEMPOTENT.has(def.method) ? options.retry.max + 1 : 1;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const res = await fetch(url, {
        method: def.method,
        headers,
        body,
        signal: options.signal,
        redirect: 'follow',
      });
      if (RETRYABLE_STATUS.has(res.status) && attempt < attempts) {
        await res.body?.cancel();
        await sleep(
          backoff(options.retry.backoffMs, attempt, res.headers.get('retry-after')),
          options.signal,
        );
        continue;
      }
      return await readResponse(res, def);
    } catch (error) {
      if (error instanceof ToolError || options.signal?.aborted || attempt >= attempts)
        throw toToolError(error, url);
      lastError = error;
      await sleep(backoff(options.retry.backoffMs, attempt, null), options.signal);
    }
  }
  throw toToolError(lastError, url);
}

/** A path value is one segment: `.` and `..` would let an argument walk out of the templated path. */
function encodePathValue(value: string): string {
  if (value === '.' || value === '..') throw new ToolError(`"${value}" is not allowed as a path value`);
  return encodeURIComponent(value);
}

function headerValue(name: string, value: string): string {
  if (/[\r\n\0]/.test(value))
    throw new ToolError(`the value for header ${name} contains a line break or NUL`);
  return value;
}

function applyAuth(conn: HttpConnectionConfig, headers: Headers, url: URL): void {
  const auth = conn.auth;
  if (!auth) return;
  if (auth.type === 'bearer') headers.set('authorization', `Bearer ${requireEnv(auth.envVar)}`);
  else if (auth.type === 'api_key') {
    if (auth.in === 'query') url.searchParams.set(auth.name, requireEnv(auth.envVar));
    else headers.set(auth.name, requireEnv(auth.envVar));
  } else {
    const token = Buffer.from(`${requireEnv(auth.usernameEnv)}:${requireEnv(auth.passwordEnv)}`).toString(
      'base64',
    );
    headers.set('authorization', `Basic ${token}`);
  }
}

async function readResponse(res: Response, def: HttpToolDefinition): Promise<unknown> {
  const type = res.headers.get('content-type') ?? '';
  const text = def.method === 'HEAD' ? '' : await res.text();
  const wantJson = def.response === 'json' || (def.response === undefined && /json/i.test(type));
  let data: unknown = text;
  if (wantJson && text !== '') {
    try {
      data = JSON.parse(text);
    } catch {
      if (def.response === 'json') throw new ToolError(`upstream returned invalid JSON (HTTP ${res.status})`);
    }
  }
  if (!res.ok) {
    const detail = typeof data === 'string' ? data.slice(0, 500) : JSON.stringify(data).slice(0, 500);
    throw new ToolError(
      `upstream responded HTTP ${res.status} ${res.statusText}${detail ? `: ${detail}` : ''}`,
    );
  }
  return def.method === 'HEAD' ? { status: res.status, headers: Object.fromEntries(res.headers) } : data;
}

function backoff(baseMs: number, attempt: number, retryAfter: string | null): number {
  const seconds = retryAfter ? Number(retryAfter) : Number.NaN;
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, 30_000);
  const exp = baseMs * 2 ** (attempt - 1);
  return Math.min(exp + Math.random() * baseMs, 30_000);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

function toToolError(error: unknown, url: URL): ToolError {
  if (error instanceof ToolError) return error;
  const e = error as { name?: string; message?: string; cause?: { code?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError')
    return new ToolError(`request to ${url.origin} timed out or was cancelled`);
  return new ToolError(`request to ${url.origin} failed: ${e?.cause?.code ?? e?.message ?? String(error)}`, {
    cause: error,
  });
}
