/**
 * The commands of src/cli/serve.ts and src/cli/mcp.ts as a real process (bundled): token create/list/revoke,
 * `serve` (with the MCP endpoint mounted) and `mcp --transport http`, each stopped with SIGTERM.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHttp } from '../helpers/mcp.js';
import { removeCliBundle, runCli, startCli } from '../mcp-server/cli-bundle.js';

let home: string;

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'mcpf-api-cli-'));
});
afterAll(async () => {
  rmSync(home, { recursive: true, force: true });
  await removeCliBundle();
});

describe('mcp-factory token', () => {
  it('creates (plaintext once), lists (never the value) and revokes tokens', async () => {
    const created = await runCli(['token', 'create', 'ci-bot', '--max-servers', '3', '--home', home]);
    expect(created.code, created.err).toBe(0);
    const token = created.out.trim();
    expect(token).toMatch(/^mcpf_[A-Za-z0-9_-]{43}$/);
    expect(created.err).toContain('only time');
    expect(statSync(join(home, 'api-tokens.json')).mode & 0o777).toBe(0o600);

    const dup = await runCli(['token', 'create', 'ci-bot', '--home', home]);
    expect(dup.code).toBe(1);
    expect(dup.err).toContain('TOKEN_EXISTS');

    const list = await runCli(['token', 'list', '--format', 'json', '--home', home]);
    const tokens = JSON.parse(list.out);
    expect(tokens).toEqual([expect.objectContaining({ name: 'ci-bot', maxServers: 3, revokedAt: null })]);
    expect(list.out).not.toContain(token);
    expect(list.out).not.toContain('"hash"');
    const table = await runCli(['token', 'list', '--home', home]);
    expect(table.out).toMatch(/^NAME\s+ID\s+PREFIX/);
    expect(table.out).toContain('ci-bot');

    const revoked = await runCli(['token', 'revoke', 'ci-bot', '--home', home]);
    expect(revoked.code, revoked.err).toBe(0);
    expect((await runCli(['token', 'list', '--home', home])).out).toContain('No tokens');
    expect((await runCli(['token', 'list', '--all', '--home', home])).out).toContain('revoked');
    expect((await runCli(['token', 'revoke', 'ci-bot', '--home', home])).err).toContain('TOKEN_NOT_FOUND');
    expect((await runCli(['token', 'create', 'bad name', '--home', home])).code).toBe(1);
  });
});

describe('mcp-factory serve / mcp', () => {
  it('serves the API with the MCP endpoint mounted, and stops on SIGTERM', async () => {
    const token = (await runCli(['token', 'create', 'ops', '--home', home])).out.trim();
    const server = await startCli(
      ['serve', '--home', home, '--port', '0', '--mcp'],
      /listening on (http:\/\/127\.0\.0\.1:\d+)/,
      { MCP_FACTORY_REGISTRY_URL: '' },
    );
    const url = server.match[1]!;
    try {
      expect((await fetch(`${url}/health`)).status).toBe(200);
      expect((await fetch(`${url}/mcp/servers`)).status).toBe(401);
      const list = await fetch(`${url}/mcp/servers`, { headers: { authorization: `Bearer ${token}` } });
      expect(await list.json()).toEqual({ servers: [] });
      const client = await connectHttp(`${url}/mcp`, '2026-07-28', { authorization: `Bearer ${token}` });
      // The factory's ten tools, its four job tools and the toolsmith's six.
      expect((await client.listTools()).tools.length).toBe(20);
      await client.close();
    } finally {
      const stopped = await server.stop();
      expect(stopped.code, stopped.err).toBe(0);
      expect(stopped.err).toContain('Shutting down (SIGTERM)');
    }
  });

  it('serves MCP over HTTP alone (both eras)', async () => {
    const token = (await runCli(['token', 'create', 'agent', '--home', home])).out.trim();
    const server = await startCli(
      ['mcp', '--transport', 'http', '--home', home, '--port', '0'],
      /listening on (http:\/\/127\.0\.0\.1:\d+\/mcp)/,
      { MCP_FACTORY_REGISTRY_URL: '' },
    );
    try {
      for (const era of ['2025-11-25', '2026-07-28'] as const) {
        const client = await connectHttp(server.match[1]!, era, { authorization: `Bearer ${token}` });
        const result = await client.callTool({ name: 'list_servers', arguments: {} });
        expect(result.structuredContent).toEqual({ servers: [] });
        await client.close();
      }
    } finally {
      expect((await server.stop()).code).toBe(0);
    }
  });

  it('refuses a non-loopback address unless --allow-remote', async () => {
    const r = await runCli(['serve', '--home', home, '--host', '0.0.0.0', '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('loopback');
  });
});
