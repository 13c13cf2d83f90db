/** Units of the API layer: status mapping, error bodies, token buckets, bearer parsing, the token store. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode, FactoryError } from '../../src/core/errors/index.js';
import { bearerToken, errorBody, statusOf, TokenBuckets, TokenStore } from '../../src/surfaces/api/index.js';

const dirs: string[] = [];
const tempHome = () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcpf-api-unit-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('statusOf', () => {
  it('gives every error code an HTTP error status', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const status = statusOf(code);
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
      if (ERROR_CODES[code].kind === 'internal') expect(status, code).toBeGreaterThanOrEqual(500);
    }
    expect(statusOf('API_UNAUTHORIZED')).toBe(401);
    expect(statusOf('API_RATE_LIMITED')).toBe(429);
    expect(statusOf('API_BODY_TOO_LARGE')).toBe(413);
    expect(statusOf('REGISTRY_NOT_FOUND')).toBe(404);
    expect(statusOf('SPEC_MISSING_FIELD')).toBe(422);
    expect(statusOf('NO_LLM_PROVIDER')).toBe(501);
    expect(statusOf('INTERNAL')).toBe(500);
  });
});

describe('errorBody', () => {
  it('carries code, message, hint and issues of a FactoryError', () => {
    const issue = {
      code: 'SPEC_MISSING_FIELD' as const,
      message: 'name is missing',
      path: 'name',
      hint: 'Add it.',
    };
    const body = errorBody(new FactoryError('SPEC_MISSING_FIELD', 'invalid spec', { issues: [issue] }));
    expect(body).toMatchObject({
      error: 'SPEC_MISSING_FIELD',
      message: 'invalid spec',
      details: { hint: ERROR_CODES.SPEC_MISSING_FIELD.hint, issues: [issue] },
    });
  });

  it('does not leak the text of unexpected errors', () => {
    const body = errorBody(new Error('connection string postgres://user:secret@db'));
    expect(body.error).toBe('INTERNAL');
    expect(JSON.stringify(body)).not.toContain('secret');
  });
});

describe('TokenBuckets', () => {
  it('allows a burst, then refills at the sustained rate', () => {
    let now = 0;
    const buckets = new TokenBuckets(() => now);
    for (let i = 0; i < 3; i++) expect(buckets.take('t', 3, 60)).toBe(0);
    expect(buckets.take('t', 3, 60)).toBe(1000); // one per second at 60/min
    now += 500;
    expect(buckets.take('t', 3, 60)).toBe(500);
    now += 500;
    expect(buckets.take('t', 3, 60)).toBe(0);
    expect(buckets.take('other', 3, 60)).toBe(0);
    now += 60_000;
    for (let i = 0; i < 3; i++) expect(buckets.take('t', 3, 60)).toBe(0);
    expect(buckets.take('t', 3, 60)).toBeGreaterThan(0);
  });
});

describe('bearerToken', () => {
  const req = (authorization?: string) =>
    new Request('http://127.0.0.1/', authorization ? { headers: { authorization } } : {});
  it('reads the Bearer scheme only', () => {
    expect(bearerToken(req())).toBeUndefined();
    expect(bearerToken(req('Bearer mcpf_abc'))).toBe('mcpf_abc');
    expect(bearerToken(req('bearer   mcpf_abc'))).toBe('mcpf_abc');
    expect(bearerToken(req('Basic abc'))).toBe('');
    expect(bearerToken(req('Bearer a b'))).toBe('');
  });
});

describe('TokenStore', () => {
  it('keeps the changes of two stores on one file (locked read-modify-write)', () => {
    const home = tempHome();
    const a = TokenStore.open({ home });
    const b = TokenStore.open({ home });
    const ta = a.create({ name: 'one' });
    const tb = b.create({ name: 'two' });
    expect(a.list().map((t) => t.name)).toEqual(['one', 'two']);
    expect(a.verify(tb.token)?.name).toBe('two');
    expect(b.verify(ta.token)?.name).toBe('one');
    expect(a.verify(`${ta.token}x`)).toBeUndefined();
    expect(a.verify('')).toBeUndefined();
  });

  it('validates names and limits', () => {
    const store = TokenStore.open({ home: tempHome() });
    expect(() => store.create({ name: '' })).toThrow(FactoryError);
    expect(() => store.create({ name: 'a b' })).toThrow(/invalid token name/);
    expect(() => store.create({ name: 'x', requestsPerMinute: 0 })).toThrow(/requestsPerMinute/);
    expect(() => store.create({ name: 'x', maxServers: -1 })).toThrow(/maxServers/);
    expect(store.create({ name: 'ci@example.org', maxServers: 0 }).info.maxServers).toBe(0);
  });

  it('reports a corrupt file as TOKEN_STORE_INVALID', () => {
    const home = tempHome();
    writeFileSync(join(home, 'api-tokens.json'), '{"tokens": [{"id": 1}]}');
    expect(() => TokenStore.open({ home })).toThrow(expect.objectContaining({ code: 'TOKEN_STORE_INVALID' }));
    writeFileSync(join(home, 'api-tokens.json'), 'not json');
    expect(() => TokenStore.open({ home })).toThrow(expect.objectContaining({ code: 'TOKEN_STORE_INVALID' }));
  });

  it('records created servers and drops removed ones', () => {
    const home = tempHome();
    const store = TokenStore.open({ home });
    const { info } = store.create({ name: 'ci' });
    store.recordServer(info.id, 'a');
    store.recordServer(info.id, 'b');
    store.recordServer(info.id, 'a');
    expect(store.get(info.id)?.servers).toEqual(['a', 'b']);
    store.recordServer(info.id, 'c', new Set(['b', 'c']));
    expect(store.get(info.id)?.servers).toEqual(['b', 'c']);
    expect(JSON.parse(readFileSync(join(home, 'api-tokens.json'), 'utf8')).tokens[0].servers).toEqual([
      'b',
      'c',
    ]);
  });
});
