import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ApiError,
  api,
  EventStreamParser,
  errorFrom,
  onUnauthorized,
  readCookie,
  type StreamEvent,
} from '../../../console/src/api/client.ts';
import { actionRequest } from '../../../console/src/api/servers.ts';

describe('console API client', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('reads the API error shape (code, message, hint, path, issues)', () => {
    const error = errorFrom(422, {
      error: 'SPEC_INVALID',
      message: 'the spec has 1 problem',
      details: { hint: 'fix the spec', path: 'tools[0].name', issues: [{ code: 'X' }] },
      timestamp: '2026-01-01T00:00:00Z',
    });
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 422,
      code: 'SPEC_INVALID',
      message: 'the spec has 1 problem',
      hint: 'fix the spec',
      path: 'tools[0].name',
    });
    expect(error.details).toMatchObject({ issues: [{ code: 'X' }] });
  });

  it('reads the nested shape and falls back for non-JSON answers', () => {
    expect(errorFrom(502, { error: { code: 'GATEWAY_X', message: 'down', hint: 'retry' } })).toMatchObject({
      code: 'GATEWAY_X',
      message: 'down',
      hint: 'retry',
    });
    expect(errorFrom(500, undefined, 'Bad Gateway')).toMatchObject({
      code: 'HTTP_500',
      message: 'Bad Gateway',
    });
    // A long HTML error page is not shown as the message.
    expect(errorFrom(500, undefined, '<html>'.repeat(100)).message).toBe('the factory answered HTTP 500');
    // A hint that is not a string is ignored rather than rendered.
    expect(errorFrom(400, { error: 'X', message: 'm', details: { hint: { evil: 1 } } }).hint).toBeUndefined();
  });

  it('reads one cookie by exact name', () => {
    expect(readCookie('mcpf_csrf', 'a=1; mcpf_csrf=abc%3D; x_mcpf_csrf=no')).toBe('abc=');
    expect(readCookie('mcpf_csrf', 'x_mcpf_csrf=no')).toBeUndefined();
    expect(readCookie('mcpf_csrf', '')).toBeUndefined();
  });

  it('sends the CSRF header on unsafe methods only, and JSON bodies', async () => {
    const calls: Array<{ url: string; init: RequestInit }> = [];
    vi.stubGlobal('document', { cookie: 'mcpf_csrf=tok123' });
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(JSON.stringify({ ok: true }), { status: 200 });
    });
    await api('/mcp/servers');
    await api('/mcp/servers/x/stop', { method: 'POST', body: { a: 1 } });
    const headers = calls.map((c) => c.init.headers as Record<string, string>);
    expect(headers[0]!['x-csrf-token']).toBeUndefined();
    expect(headers[1]!['x-csrf-token']).toBe('tok123');
    expect(headers[1]!['content-type']).toBe('application/json');
    expect(calls[1]!.init.body).toBe('{"a":1}');
    expect(calls[1]!.init.credentials).toBe('same-origin');
  });

  it('throws ApiError on failures and tells listeners about 401', async () => {
    vi.stubGlobal('document', { cookie: '' });
    vi.stubGlobal(
      'fetch',
      async () =>
        new Response(
          JSON.stringify({ error: 'API_UNAUTHORIZED', message: 'sign in', details: { hint: 'h' } }),
          {
            status: 401,
          },
        ),
    );
    let told = 0;
    const stop = onUnauthorized(() => told++);
    await expect(api('/auth/me')).rejects.toMatchObject({ status: 401, code: 'API_UNAUTHORIZED', hint: 'h' });
    stop();
    await expect(api('/auth/me')).rejects.toBeInstanceOf(ApiError);
    expect(told).toBe(1);
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('fetch failed');
    });
    await expect(api('/x')).rejects.toMatchObject({ status: 0, code: 'NETWORK' });
  });

  it('maps each server action to its endpoint, escaping the name', () => {
    expect(actionRequest('inv', { kind: 'deploy', target: 'docker' })).toEqual({
      path: '/mcp/deploy/inv',
      method: 'POST',
      body: { target: 'docker' },
    });
    expect(
      actionRequest('inv', { kind: 'deploy', target: 'local', env: { API_KEY: 's3cret' } }).body,
    ).toEqual({
      target: 'local',
      env: { API_KEY: 's3cret' },
    });
    expect(actionRequest('inv', { kind: 'deploy', target: 'local', env: {} }).body).toEqual({
      target: 'local',
    });
    expect(actionRequest('inv', { kind: 'deploy', target: 'swarm', replicas: 3 }).body).toEqual({
      target: 'swarm',
      replicas: 3,
    });
    expect(actionRequest('a/b', { kind: 'stop' }).path).toBe('/mcp/servers/a%2Fb/stop');
    expect(actionRequest('inv', { kind: 'rollback', revision: 3 })).toEqual({
      path: '/mcp/servers/inv/rollback',
      method: 'POST',
      body: { revision: 3 },
    });
    expect(actionRequest('inv', { kind: 'remove' })).toEqual({ path: '/mcp/servers/inv', method: 'DELETE' });
  });
});

describe('server-sent events parser', () => {
  function parse(chunks: string[]): StreamEvent[] {
    const events: StreamEvent[] = [];
    const parser = new EventStreamParser((e) => events.push(e));
    for (const chunk of chunks) parser.push(chunk);
    parser.end();
    return events;
  }

  it('reads data, named events, ids and comments across arbitrary chunk boundaries', () => {
    const stream =
      ': log stream\n\ndata: line one\n\ndata: a\ndata: b\n\nevent: end\ndata: \n\nid: 7\nevent: progress\ndata: {"x":1}\n\n';
    const expected = [
      { type: 'message', data: 'line one' },
      { type: 'message', data: 'a\nb' },
      { type: 'end', data: '' },
      { type: 'progress', data: '{"x":1}', id: '7' },
    ];
    expect(parse([stream])).toEqual(expected);
    // Every split point gives the same events, including between \r and \n.
    const crlf = stream.replaceAll('\n', '\r\n');
    for (let i = 1; i < crlf.length; i++) expect(parse([crlf.slice(0, i), crlf.slice(i)])).toEqual(expected);
  });

  it('keeps markup in data as text and dispatches an unterminated last event at the end', () => {
    expect(parse(['data: <img src=x onerror=alert(1)>\n'])).toEqual([
      { type: 'message', data: '<img src=x onerror=alert(1)>' },
    ]);
    expect(parse(['data:no-space\n\n'])).toEqual([{ type: 'message', data: 'no-space' }]);
  });
});
