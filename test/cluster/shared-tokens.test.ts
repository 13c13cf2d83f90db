/**
 * API tokens in a shared PostgreSQL registry (identity/tokens-registry.ts): two instances — each its own home,
 * registry connection pool and HTTP API — accept the same tokens; a revocation on one is refused by the other
 * within about a second; quotas and the MCP endpoint's rate limit count per token across instances; a home's token file is imported once and kept
 * as a backup. Attack cases: values that are no token, a token name that is SQL, a hand-edited row that tries to
 * widen itself.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiTokens, TOKENS_FILE, TokenStore } from '../../src/identity/tokens.js';
import { openApiTokens, RegistryTokenStore } from '../../src/identity/tokens-registry.js';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { type Api, createApi } from '../../src/surfaces/api/index.js';
import { serveFactoryMcpHttp } from '../../src/surfaces/mcp/index.js';
import { FakeControlPlane } from '../api/fake-control-plane.js';
import { REQUIRE_SERVICES } from '../helpers/services.js';
import { type BackendHandle, createPgDatabase, pgGate } from '../registry/backends.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Instance {
  home: string;
  registry: Registry;
  tokens: ApiTokens;
  api: Api;
}

describe.skipIf(!pgGate.url && !REQUIRE_SERVICES)('API tokens shared by a cluster (PostgreSQL)', () => {
  let db: BackendHandle;
  let a: Instance;
  let b: Instance;
  let legacy: string;

  const open = async (home: string): Promise<Instance> => {
    const registry = await openRegistry({ ...db.options, home });
    const tokens = await openApiTokens({ home, registry });
    const api = createApi({ controlPlane: new FakeControlPlane(registry), registry, tokens });
    return { home, registry, tokens, api };
  };
  const get = (on: Instance, path: string, bearer: string) =>
    on.api.fetch(new Request(`http://127.0.0.1${path}`, { headers: { authorization: `Bearer ${bearer}` } }));
  const rowCount = async () =>
    Number(
      (await sql<{ n: number }>`SELECT count(*) AS n FROM mcpf_api_tokens`.execute(a.registry.kysely)).rows[0]
        ?.n,
    );

  beforeAll(async () => {
    if (!pgGate.url) throw new Error(pgGate.missing);
    db = await createPgDatabase(pgGate.url);
    // Instance A's home has a token file from before the registry held tokens.
    const homeA = mkdtempSync(join(tmpdir(), 'mcpf-shared-tokens-a-'));
    legacy = TokenStore.open({ home: homeA }).create({ name: 'legacy', maxServers: 3 }).token;
    a = await open(homeA);
    b = await open(mkdtempSync(join(tmpdir(), 'mcpf-shared-tokens-b-')));
  }, 30_000);

  afterAll(async () => {
    for (const i of [a, b]) {
      await i?.registry.close();
      if (i) rmSync(i.home, { recursive: true, force: true });
    }
    await db?.cleanup();
  });

  it('imports a home token file once, keeps it as a backup, and the old token works on every instance', async () => {
    expect(a.tokens).toBeInstanceOf(RegistryTokenStore);
    expect(existsSync(join(a.home, TOKENS_FILE))).toBe(false);
    expect(existsSync(join(a.home, `${TOKENS_FILE}.imported`))).toBe(true);
    expect((await b.tokens.verify(legacy))?.name).toBe('legacy');
    expect((await get(b, '/mcp/servers', legacy)).status).toBe(200);
    // The same file imported again (copied to another home) adds nothing.
    const again = mkdtempSync(join(tmpdir(), 'mcpf-shared-tokens-c-'));
    try {
      const file = TokenStore.open({ home: a.home, file: join(a.home, `${TOKENS_FILE}.imported`) });
      expect(file.list()).toHaveLength(1);
      const store = new RegistryTokenStore(a.registry.apiTokens);
      const { copyFileSync } = await import('node:fs');
      copyFileSync(join(a.home, `${TOKENS_FILE}.imported`), join(again, TOKENS_FILE));
      expect(await store.importFile(join(again, TOKENS_FILE))).toBe(0);
      expect(await rowCount()).toBe(1);
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  });

  it('a token created on A works on B; revoked on B it is refused by A within about a second', async () => {
    const { token } = await a.tokens.create({ name: 'ops' });
    expect((await get(b, '/mcp/servers', token)).status).toBe(200);
    expect((await get(a, '/mcp/servers', token)).status).toBe(200); // now in A's cache
    await expect(b.tokens.create({ name: 'ops' })).rejects.toMatchObject({ code: 'TOKEN_EXISTS' });
    const revokedAt = Date.now();
    await b.tokens.revoke('ops');
    expect((await get(b, '/mcp/servers', token)).status).toBe(401); // at once on the instance that revoked it
    let refusedAfter = -1;
    while (Date.now() - revokedAt < 5000) {
      if ((await get(a, '/mcp/servers', token)).status === 401) {
        refusedAfter = Date.now() - revokedAt;
        break;
      }
      await sleep(50);
    }
    expect(refusedAfter).toBeGreaterThanOrEqual(0);
    expect(refusedAfter).toBeLessThan(2000);
    // Revoked tokens stay listed (who had access), on both instances.
    const listed = await a.tokens.list({ includeRevoked: true });
    expect(listed.find((t) => t.name === 'ops')?.revokedAt).not.toBeNull();
    // The name is free again.
    expect((await b.tokens.create({ name: 'ops' })).info.name).toBe('ops');
  });

  it('an update on one instance and a server quota are shared', async () => {
    const { token, info } = await a.tokens.create({ name: 'narrow', maxServers: 1 });
    await b.tokens.update('narrow', { allowedServers: ['crm-*'] }, (before, after) => {
      expect(before.allowedServers).toBeNull();
      expect(after.allowedServers).toEqual(['crm-*']);
    });
    await sleep(1100);
    expect((await a.tokens.verify(token))?.allowedServers).toEqual(['crm-*']);
    // A refusing check writes nothing.
    await expect(
      a.tokens.update('narrow', { role: 'admin' }, () => {
        throw new Error('not allowed');
      }),
    ).rejects.toThrow('not allowed');
    expect((await b.tokens.get(info.id))?.role).toBe('service');
    await a.tokens.recordServer(info.id, 'crm-one');
    await b.tokens.recordServer(info.id, 'crm-two', new Set(['crm-two']));
    expect((await a.tokens.get(info.id))?.servers).toEqual(['crm-two']);
  });

  it('refuses what is no token, stores names as data, and never widens a hand-edited row', async () => {
    const before = await rowCount();
    for (const value of ['', 'mcpf_', "mcpf_' OR 1=1 --", `mcpf_${'A'.repeat(300)}`, 'Bearer mcpf_x', 'x'])
      expect(await a.tokens.verify(value)).toBeUndefined();
    await expect(a.tokens.create({ name: "x'; DROP TABLE mcpf_api_tokens; --" })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENTS',
    });
    await expect(a.tokens.revoke("' OR '1'='1")).rejects.toMatchObject({ code: 'TOKEN_NOT_FOUND' });
    expect(await rowCount()).toBe(before);
    // A row edited by hand to an unknown role and a bogus scope reads back with less, never more.
    const { token, info } = await a.tokens.create({ name: 'edited' });
    const row = await a.registry.apiTokens.byId(info.id);
    const edited = { ...JSON.parse(row!.record), role: 'root', scopes: ['everything'], allowedTools: 'all' };
    await sql`UPDATE mcpf_api_tokens SET record = ${JSON.stringify(edited)} WHERE id = ${info.id}`.execute(
      a.registry.kysely,
    );
    const seen = await b.tokens.verify(token);
    expect(seen).toMatchObject({ role: 'viewer', scopes: [], allowedTools: [] });
    // A row that is not JSON is refused with the store's error, not served.
    await sql`UPDATE mcpf_api_tokens SET record = ${'{'} WHERE id = ${info.id}`.execute(a.registry.kysely);
    await expect(b.tokens.list()).rejects.toMatchObject({ code: 'TOKEN_STORE_INVALID' });
    await sql`DELETE FROM mcpf_api_tokens WHERE id = ${info.id}`.execute(a.registry.kysely);
    expect((await get(a, '/health', '')).status).toBe(200);
  });

  it("shares the MCP endpoint's rate limit between instances", async () => {
    const [mcpA, mcpB] = await Promise.all(
      [a, b].map((i) =>
        serveFactoryMcpHttp({
          controlPlane: new FakeControlPlane(i.registry),
          registry: i.registry,
          tokens: i.tokens,
          port: 0,
        }),
      ),
    );
    try {
      // 1 request per minute: an MCP burst of 4, over both instances together.
      const { token } = await a.tokens.create({ name: 'tight', requestsPerMinute: 1 });
      const post = async (on: NonNullable<typeof mcpA>, id: number) => {
        const res = await fetch(`${on.url}/mcp`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            'mcp-protocol-version': '2025-11-25',
          },
          body: JSON.stringify({
            jsonrpc: '2.0',
            id,
            method: 'initialize',
            params: {
              protocolVersion: '2025-11-25',
              capabilities: {},
              clientInfo: { name: 't', version: '1' },
            },
          }),
        });
        await res.body?.cancel();
        return res.status;
      };
      expect([await post(mcpA, 1), await post(mcpB, 2), await post(mcpA, 3), await post(mcpB, 4)]).toEqual([
        200, 200, 200, 200,
      ]);
      expect(await post(mcpA, 5)).toBe(429);
    } finally {
      await mcpA?.close();
      await mcpB?.close();
    }
  });
});
