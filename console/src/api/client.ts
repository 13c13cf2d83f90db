/**
 * The console's one way to talk to the factory's HTTP API: same-origin JSON with the session cookie, the CSRF
 * header on unsafe methods, and every failure turned into an ApiError carrying the API's stable code and hint.
 */

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly hint?: string;
  readonly path?: string;
  readonly details?: unknown;

  constructor(
    status: number,
    code: string,
    message: string,
    extra: { hint?: string; path?: string; details?: unknown } = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    if (extra.hint !== undefined) this.hint = extra.hint;
    if (extra.path !== undefined) this.path = extra.path;
    if (extra.details !== undefined) this.details = extra.details;
  }
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiInit {
  method?: Method;
  body?: unknown;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

export const CSRF_COOKIE = 'mcpf_csrf';
export const CSRF_HEADER = 'x-csrf-token';

/** The value of one cookie readable by scripts (the CSRF cookie; the session cookie is HttpOnly). */
export function readCookie(name: string, cookieHeader: string = document.cookie): string | undefined {
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** Listeners told when the API answers 401, so the shell can send the user back to sign in. */
const unauthorizedListeners = new Set<() => void>();
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/** JSON in/out, same-origin cookies, x-csrf-token on unsafe methods (read from the `mcpf_csrf` cookie), throws ApiError. */
export async function api<T>(path: string, init: ApiInit = {}): Promise<T> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') {
    const csrf = readCookie(CSRF_COOKIE);
    if (csrf) headers[CSRF_HEADER] = csrf;
  }
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      ...(init.signal ? { signal: init.signal } : {}),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'NETWORK', 'the factory did not answer', {
      hint: 'Check that `mcp-factory serve` is running and reachable, then retry.',
    });
  }
  if (response.status === 401) for (const listener of unauthorizedListeners) listener();
  const text = await response.text();
  const parsed = text ? parseJson(text) : undefined;
  if (!response.ok) throw errorFrom(response.status, parsed, text);
  return parsed as T;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The API answers `{ error: CODE, message, details: { hint, path?, issues? } }` (src/surfaces/http/errors.ts);
 * `{ error: { code, message, hint, path } }` is accepted too so that other factory processes (the gateway) fit.
 */
export function errorFrom(status: number, body: unknown, text = ''): ApiError {
  if (isRecord(body)) {
    const error = body.error;
    if (typeof error === 'string') {
      const details = isRecord(body.details) ? body.details : {};
      return new ApiError(status, error, stringOr(body.message, error), {
        ...optional('hint', details.hint),
        ...optional('path', details.path),
        details,
      });
    }
    if (isRecord(error) && typeof error.code === 'string') {
      return new ApiError(status, error.code, stringOr(error.message, error.code), {
        ...optional('hint', error.hint),
        ...optional('path', error.path),
        details: error,
      });
    }
  }
  const message = text && text.length < 200 ? text : `the factory answered HTTP ${status}`;
  return new ApiError(status, `HTTP_${status}`, message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' && value ? value : fallback;
}

function optional<K extends string>(key: K, value: unknown): Partial<Record<K, string>> {
  return typeof value === 'string' ? ({ [key]: value } as Record<K, string>) : {};
}

export interface StreamEvent {
  type: string;
  data: string;
  id?: string;
}

/**
 * Server-sent events (same-origin cookie auth): calls onEvent per event; returns a close function. Named events
 * are delivered too: the API names them (`log`, `progress`, `done` …), and EventSource only reports unnamed ones
 * to onmessage, so every event is read from the raw stream instead.
 */
export function streamEvents(
  path: string,
  onEvent: (event: StreamEvent) => void,
  onError?: (error: Error) => void,
): () => void {
  const controller = new AbortController();
  void (async () => {
    try {
      const response = await fetch(path, {
        headers: { accept: 'text/event-stream' },
        credentials: 'same-origin',
        cache: 'no-store',
        signal: controller.signal,
      });
      if (!response.ok || !response.body) {
        const text = await response.text();
        if (response.status === 401) for (const listener of unauthorizedListeners) listener();
        throw errorFrom(response.status, text ? parseJson(text) : undefined, text);
      }
      const parser = new EventStreamParser(onEvent);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.push(value);
      }
      parser.end();
    } catch (error) {
      if (controller.signal.aborted) return;
      onError?.(error instanceof Error ? error : new Error(String(error)));
    }
  })();
  return () => controller.abort();
}

/** The text/event-stream format (WHATWG HTML §9.2): fields per line, an empty line ends an event. */
export class EventStreamParser {
  private buffer = '';
  private type = '';
  private data: string[] = [];
  private id: string | undefined;

  constructor(private readonly onEvent: (event: StreamEvent) => void) {}

  push(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) return;
      // A lone \r at the very end may be the first half of \r\n: wait for the next chunk.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) return;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      this.line(line);
    }
  }

  end(): void {
    if (this.buffer) this.line(this.buffer);
    this.buffer = '';
    this.line('');
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0) {
        const event: StreamEvent = { type: this.type || 'message', data: this.data.join('\n') };
        if (this.id !== undefined) event.id = this.id;
        this.onEvent(event);
      }
      this.type = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.type = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.id = value;
  }
}
