/**
 * A factory API over a real registry (SQLite in a temp home) and the in-test control plane, with users of every
 * role: what the sign-in, tenancy and route × role tests share.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessControl } from '../../src/identity/access.js';
import type { SessionSettings } from '../../src/identity/sessions.js';
import { Sessions } from '../../src/identity/sessions.js';
import { UserAdmin } from '../../src/identity/users.js';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { type Api, createApi, TokenStore } from '../../src/surfaces/api/index.js';
import { FakeControlPlane } from '../api/fake-control-plane.js';

export const PASSWORD = 'correct horse battery';
export const BASE = 'http://127.0.0.1:8080';

export interface Sent {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: parsed JSON, checked by the assertions
  body: any;
  text: string;
}

export interface Factory {
  home: string;
  registry: Registry;
  tokens: TokenStore;
  cp: FakeControlPlane;
  api: Api;
  users: UserAdmin;
  send(
    method: string,
    path: string,
    options?: { token?: string | null; body?: unknown; on?: Api },
  ): Promise<Sent>;
  /** Sign in (password PASSWORD) and return the access and refresh tokens. */
  login(name: string, on?: Api): Promise<{ access: string; refresh: string }>;
  /** A second API process over the same registry file (its own caches). */
  second(settings?: Partial<SessionSettings>): Promise<{ api: Api; close(): Promise<void> }>;
  close(): Promise<void>;
}

export async function startFactory(settings: Partial<SessionSettings> = {}): Promise<Factory> {
  const home = mkdtempSync(join(tmpdir(), 'mcpf-auth-'));
  const registry = await openRegistry({ home });
  const tokens = TokenStore.open({ home });
  const cp = new FakeControlPlane(registry);
  const make = (reg: Registry, cpl: FakeControlPlane, s: Partial<SessionSettings>) =>
    createApi({
      controlPlane: cpl,
      registry: reg,
      tokens,
      access: new AccessControl({
        tokens,
        registry: reg,
        limits: { requestsPerMinute: 100_000, burst: 10_000 },
        sessions: new Sessions(reg, s),
      }),
    });
  const api = make(registry, cp, settings);
  const users = new UserAdmin(registry);
  const send: Factory['send'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const response = await (options.on ?? api).fetch(
      new Request(`${BASE}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) }),
    );
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  };
  const login: Factory['login'] = async (name, on) => {
    const r = await send('POST', '/auth/login', { body: { name, password: PASSWORD }, on });
    if (r.status !== 200) throw new Error(`login ${name}: ${r.status} ${r.text}`);
    return { access: r.body.accessToken, refresh: r.body.refreshToken };
  };
  const seconds: Registry[] = [];
  return {
    home,
    registry,
    tokens,
    cp,
    api,
    users,
    send,
    login,
    async second(s = settings) {
      const reg = await openRegistry({ home });
      seconds.push(reg);
      return { api: make(reg, new FakeControlPlane(reg), s), close: () => reg.close() };
    },
    async close() {
      for (const r of seconds) await r.close().catch(() => undefined);
      await registry.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export const LOCAL = { kind: 'local', name: 'test' } as const;

export const spec = (name: string) => ({
  name,
  version: '1.0.0',
  tools: [{ name: 'greet', description: 'Say hello', static: { text: 'hello' } }],
});
