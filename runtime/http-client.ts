/**
 * Calls to an upstream HTTP API for `http` tools: templated requests, env-based auth, timeouts, retries.
 * Host names of the spec (base URL, token URL) that resolve to non-public addresses are refused at connect time
 * (safe-lookup.ts) unless the connection has `allowPrivateAddresses`; literal private addresses in the spec and
 * base URLs from the `baseUrlEnv` override are the author's or operator's explicit choice and are not checked.
 */
import { baseUrlOf } from './base-url.js';
import { binaryBlock, MAX_BINARY_BYTES, toolContent } from './content.js';
import { requireEnv, ToolError } from './errors.js';
import { privateUrlReason } from './net/index.js';
import { guardedFetch, type PrivateAddressError, privateAddressErrorOf } from './safe-lookup.js';
import { renderJson, renderText } from './template.js';

export type HeaderValue = string | { env: string };

export interface HttpConnectionConfig {
  name: string;
  baseUrl?: string;
  baseUrlEnv?: string;
  headers?: Record<string, HeaderValue>;
  auth?:
    | { type: 'bearer'; envVar: string }
    | { type: 'api_key'; in: 'header' | 'query' | 'cookie'; name: string; envVar: string }
    | { type: 'basic'; usernameEnv: string; passwordEnv: string }
    | {
        type: 'oauth2_client_credentials';
        tokenUrl: string;
        clientIdEnv: string;
        clientSecretEnv: string;
        scopes?: string[];
      };
  /** Per-request credential from the MCP request (HTTP transport), sent upstream as `target`. */
  passthrough?: { header: string; target: string };
  /** Spec host names may resolve to loopback/link-local/private addresses (import: --allow-private-base-url). */
  allowPrivateAddresses?: boolean;
}

/**
 * A request value read from the environment at call time (a credential the API declares as a parameter).
 * Never a tool argument, never logged; `optional`: left out when the variable is unset.
 */
export interface EnvValue {
  env: string;
  optional?: boolean;
}

export interface QueryParamStyle {
  param: string;
  style: 'form' | 'spaceDelimited' | 'pipeDelimited' | 'deepObject';
  explode?: boolean;
}

export interface HttpToolDefinition {
  connection: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  path: string;
  query?: Record<string, string | QueryParamStyle | EnvValue>;
  headers?: Record<string, string | EnvValue>;
  cookies?: Record<string, string | EnvValue>;
  bodyEncoding?: 'json' | 'form' | 'multipart' | 'text' | 'binary';
  contentType?: string;
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
  options: {
    signal?: AbortSignal | undefined;
    retry: RetryPolicy;
    userAgent: string;
    upstreamCredential?: string | undefined;
  },
): Promise<unknown> {
  const base = baseUrlOf(conn);
  const fromOverride = Boolean(conn.baseUrlEnv && process.env[conn.baseUrlEnv]);
  const url = new URL(
    renderText(def.path, args, encodePathValue).replace(/^\/+/, ''),
    base.endsWith('/') ? base : `${base}/`,
  );
  for (const [k, v] of Object.entries(def.query ?? {})) {
    if (isEnvValue(v)) {
      const value = envValue(v, `query parameter ${k}`);
      if (value !== undefined) url.searchParams.set(k, value);
    } else if (typeof v !== 'string') appendStyled(url.searchParams, k, args[v.param], v);
    else {
      const value = renderText(v, args);
      if (value !== '') url.searchParams.set(k, value);
    }
  }
  const headers = new Headers({
    accept: 'application/json, text/plain;q=0.9, */*;q=0.5',
    'user-agent': options.userAgent,
  });
  for (const [k, v] of Object.entries(conn.headers ?? {}))
    headers.set(k, typeof v === 'string' ? v : requireEnv(v.env));
  for (const [k, v] of Object.entries(def.headers ?? {})) {
    const value = isEnvValue(v) ? (envValue(v, `header ${k}`) ?? '') : renderText(v, args);
    if (value !== '') headers.set(k, headerValue(k, value)); // an optional header that was not given is not sent
  }
  const cookies = Object.entries(def.cookies ?? {})
    .map(([k, v]) => [k, isEnvValue(v) ? (envValue(v, `cookie ${k}`) ?? '') : renderText(v, args)] as const)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
  if (conn.passthrough && options.upstreamCredential) {
    headers.set(conn.passthrough.target, headerValue(conn.passthrough.target, options.upstreamCredential));
  } else await applyAuth(conn, headers, url, cookies, options.signal);
  if (cookies.length) headers.set('cookie', cookies.join('; '));
  let body: string | FormData | URLSearchParams | Uint8Array | undefined;
  if (def.body !== undefined && def.method !== 'GET' && def.method !== 'HEAD') {
    const rendered = renderJson(def.body, args);
    if (def.bodyEncoding === 'text') {
      body = typeof def.body === 'string' ? renderText(def.body, args) : String(rendered ?? '');
      headers.set('content-type', def.contentType ?? 'text/plain; charset=utf-8');
    } else if (def.bodyEncoding === 'binary') {
      const param = (def.body as { file?: string }).file ?? '';
      const content = args[param];
      if (typeof content !== 'string')
        throw new ToolError(`argument ${param} must be base64-encoded content`);
      body = new Uint8Array(Buffer.from(content, 'base64'));
      headers.set('content-type', def.contentType ?? 'application/octet-stream');
    } else if (def.bodyEncoding === 'form') body = formBody(rendered, def.body);
    else if (def.bodyEncoding === 'multipart') body = multipartBody(def.body, args);
    else {
      body = JSON.stringify(rendered);
      headers.set('content-type', 'application/json');
    }
  }

  const attempts = IDEMPOTENT.has(def.method) ? options.retry.max + 1 : 1;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const res = await fetchFollowingSameOrigin(
        url,
        { method: def.method, headers, body, signal: options.signal },
        guarded(conn, url, fromOverride),
      );
      if (RETRYABLE_STATUS.has(res.status) && attempt < attempts) {
        await res.body?.cancel();
        await sleep(
          backoff(options.retry.backoffMs, attempt, res.headers.get('retry-after')),
          options.signal,
        );
        continue;
      }
      return await readResponse(res, def, url);
    } catch (error) {
      const refused = privateAddressErrorOf(error);
      if (refused) throw privateRefusal(refused, url, conn);
      if (error instanceof ToolError || options.signal?.aborted || attempt >= attempts)
        throw toToolError(error, url);
      lastError = error;
      await sleep(backoff(options.retry.backoffMs, attempt, null), options.signal);
    }
  }
  throw toToolError(lastError, url);
}

/** Whether requests to `url` must not reach non-public addresses (see the header comment). */
function guarded(conn: HttpConnectionConfig, url: URL, fromOverride: boolean): boolean {
  return !conn.allowPrivateAddresses && !fromOverride && privateUrlReason(url) === undefined;
}

function privateRefusal(error: PrivateAddressError, url: URL, conn: HttpConnectionConfig): ToolError {
  const override = conn.baseUrlEnv ? `, or set ${conn.baseUrlEnv} to the URL where the server runs` : '';
  return new ToolError(
    `request to ${url.origin} refused before connecting: ${error.host} resolves to ${error.address}, ${error.reason}; connection ${conn.name} only reaches public addresses. If the API is meant to be there, set allowPrivateAddresses: true on the connection (mcp-factory create --allow-private-base-url when importing OpenAPI)${override}`,
  );
}

function isEnvValue(value: unknown): value is EnvValue {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { env?: unknown }).env === 'string'
  );
}

/** The value of an env-bound request value; undefined for an unset optional one. */
function envValue(ref: EnvValue, where: string): string | undefined {
  const value = process.env[ref.env];
  if (value !== undefined && value !== '') return value;
  if (ref.optional) return undefined;
  throw new ToolError(
    `environment variable ${ref.env} is not set (the ${where} of this request is read from it); set it where the server runs`,
  );
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

async function applyAuth(
  conn: HttpConnectionConfig,
  headers: Headers,
  url: URL,
  cookies: string[],
  signal?: AbortSignal,
): Promise<void> {
  const auth = conn.auth;
  if (!auth) return;
  if (auth.type === 'bearer') headers.set('authorization', `Bearer ${requireEnv(auth.envVar)}`);
  else if (auth.type === 'api_key') {
    if (auth.in === 'query') url.searchParams.set(auth.name, requireEnv(auth.envVar));
    else if (auth.in === 'cookie')
      cookies.push(`${auth.name}=${encodeURIComponent(requireEnv(auth.envVar))}`);
    else headers.set(auth.name, requireEnv(auth.envVar));
  } else if (auth.type === 'basic') {
    const token = Buffer.from(`${requireEnv(auth.usernameEnv)}:${requireEnv(auth.passwordEnv)}`).toString(
      'base64',
    );
    headers.set('authorization', `Basic ${token}`);
  } else {
    headers.set('authorization', `Bearer ${await clientCredentialsToken(conn, auth, signal)}`);
  }
}

const tokens = new Map<string, { token: string; expiresAt: number }>();

/** OAuth2 client credentials (RFC 6749 §4.4), cached until shortly before expiry. */
async function clientCredentialsToken(
  conn: HttpConnectionConfig,
  auth: { tokenUrl: string; clientIdEnv: string; clientSecretEnv: string; scopes?: string[] },
  signal?: AbortSignal,
): Promise<string> {
  const clientId = requireEnv(auth.clientIdEnv);
  const key = `${auth.tokenUrl}\u0000${clientId}`;
  const cached = tokens.get(key);
  if (cached && cached.expiresAt > Date.now()) return cached.token;
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (auth.scopes?.length) form.set('scope', auth.scopes.join(' '));
  const basic = Buffer.from(
    `${encodeURIComponent(clientId)}:${encodeURIComponent(requireEnv(auth.clientSecretEnv))}`,
  ).toString('base64');
  const tokenUrl = new URL(auth.tokenUrl);
  const res = await (guarded(conn, tokenUrl, false) ? guardedFetch : fetch)(tokenUrl, {
    method: 'POST',
    headers: {
      authorization: `Basic ${basic}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: form,
    ...(signal ? { signal } : {}),
  }).catch((error: unknown) => {
    const refused = privateAddressErrorOf(error);
    if (refused) throw privateRefusal(refused, tokenUrl, conn);
    throw new ToolError(`could not reach the token endpoint: ${(error as Error).message}`);
  });
  const data = (await res.json().catch(() => ({}))) as {
    access_token?: string;
    expires_in?: number;
    error?: string;
  };
  if (!res.ok || !data.access_token)
    throw new ToolError(`token request failed (HTTP ${res.status}${data.error ? `: ${data.error}` : ''})`);
  tokens.set(key, {
    token: data.access_token,
    expiresAt: Date.now() + Math.max((data.expires_in ?? 300) - 30, 0) * 1000,
  });
  return data.access_token;
}

/** OpenAPI query serialisation for array and object values. */
function appendStyled(params: URLSearchParams, name: string, value: unknown, style: QueryParamStyle): void {
  if (value === undefined || value === null) return;
  const explode = style.explode ?? (style.style === 'form' || style.style === 'deepObject');
  const text = (v: unknown) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));
  if (Array.isArray(value)) {
    if (style.style === 'form' && explode) for (const v of value) params.append(name, text(v));
    else
      params.set(
        name,
        value
          .map(text)
          .join(style.style === 'spaceDelimited' ? ' ' : style.style === 'pipeDelimited' ? '|' : ','),
      );
    return;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(
      ([, v]) => v !== undefined && v !== null,
    );
    if (style.style === 'deepObject') for (const [k, v] of entries) params.append(`${name}[${k}]`, text(v));
    else if (explode) for (const [k, v] of entries) params.append(k, text(v));
    else params.set(name, entries.flatMap(([k, v]) => [k, text(v)]).join(','));
    return;
  }
  params.set(name, text(value));
}

/** Form fields; a field whose template is { env } takes the variable's value (never templated). */
function formBody(rendered: unknown, template: unknown): URLSearchParams {
  const form = new URLSearchParams();
  const fields = (template ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries((rendered ?? {}) as Record<string, unknown>)) {
    if (isEnvValue(fields[k])) {
      const value = envValue(fields[k], `form field ${k}`);
      if (value !== undefined) form.set(k, value);
      continue;
    }
    if (v === undefined || v === null) continue;
    if (Array.isArray(v))
      for (const item of v) form.append(k, typeof item === 'object' ? JSON.stringify(item) : String(item));
    else form.set(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
  }
  return form;
}

/** multipart/form-data: templates as text fields; { file: param } fields carry base64 content from that argument. */
function multipartBody(template: unknown, args: Record<string, unknown>): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries((template ?? {}) as Record<string, unknown>)) {
    if (isEnvValue(v)) {
      const value = envValue(v, `multipart field ${k}`);
      if (value !== undefined) form.append(k, value);
      continue;
    }
    if (
      v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      typeof (v as { file?: unknown }).file === 'string'
    ) {
      const spec = v as { file: string; filename?: string; contentType?: string };
      const content = args[spec.file];
      if (content === undefined || content === null) continue;
      if (typeof content !== 'string')
        throw new ToolError(`argument ${spec.file} must be base64-encoded file content`);
      const blob = new Blob([Buffer.from(content, 'base64')], {
        type: spec.contentType ?? 'application/octet-stream',
      });
      form.append(k, blob, spec.filename ? renderText(spec.filename, args) : k);
      continue;
    }
    const rendered = renderJson(v, args);
    if (rendered === undefined || rendered === null) continue;
    form.append(k, typeof rendered === 'object' ? JSON.stringify(rendered) : String(rendered));
  }
  return form;
}

async function readResponse(res: Response, def: HttpToolDefinition, url: URL): Promise<unknown> {
  const type = res.headers.get('content-type') ?? '';
  // `response: text` (OpenAPI imports of non-JSON answers) still gets binary answers as content, not mojibake.
  if (res.ok && def.method !== 'HEAD' && def.response !== 'json' && isBinaryType(type)) {
    // Images and audio become content blocks a client can show; other binary answers an embedded blob.
    // The URI names the resource without userinfo or query (where credentials may travel).
    const bytes = await readCapped(res, MAX_BINARY_BYTES, type);
    return toolContent([binaryBlock(bytes, type, `${url.origin}${url.pathname}`)]);
  }
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
  if (def.method === 'HEAD') return { status: res.status, headers: Object.fromEntries(res.headers) };
  // 204 and other empty answers: say what happened instead of returning an empty text.
  return text === '' ? { status: res.status } : data;
}

/** Text, JSON, XML, YAML, form and script answers stay text; everything else (image/*, audio/*, PDF, …) is binary. */
const TEXT_TYPE =
  /^(text\/|application\/(json|xml|yaml|x-yaml|javascript|ecmascript|x-www-form-urlencoded|graphql|sql|x-ndjson|problem\+json|problem\+xml)\b)|[+/](json|xml|yaml)\b/i;

function isBinaryType(contentType: string): boolean {
  const type = contentType.split(';')[0]!.trim();
  return type !== '' && !TEXT_TYPE.test(type);
}

/** The body as bytes, refused (and the download stopped) past `cap` bytes. */
async function readCapped(res: Response, cap: number, type: string): Promise<Uint8Array> {
  const tooLarge = (size: string) =>
    new ToolError(
      `upstream answered ${size} bytes of ${type.split(';')[0]}: more than the ${cap} bytes a tool result may carry`,
    );
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > cap) {
    await res.body?.cancel();
    throw tooLarge(String(declared));
  }
  const reader = res.body?.getReader();
  if (!reader) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > cap) {
      await reader.cancel();
      throw tooLarge(`over ${size}`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/**
 * Redirects are followed only within the same origin: credentials travel in headers, cookies and bodies, and
 * must never be re-sent to another host. A redirect elsewhere is reported instead.
 */
async function fetchFollowingSameOrigin(
  url: URL,
  init: RequestInit & { method: string },
  guard: boolean,
): Promise<Response> {
  let current = url;
  let method = init.method;
  let body = init.body;
  for (let hop = 0; hop <= 5; hop++) {
    const res = await (guard ? guardedFetch : fetch)(current, { ...init, method, body, redirect: 'manual' });
    const location = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || res.status === 304 || !location) return res;
    await res.body?.cancel();
    const next = new URL(location, current);
    if (next.origin !== url.origin) {
      throw new ToolError(
        `upstream redirected to another host (${next.origin}); not followed, so credentials stay with ${url.origin}`,
      );
    }
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
      method = 'GET';
      body = undefined;
    }
    current = next;
  }
  throw new ToolError('too many redirects from upstream');
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
