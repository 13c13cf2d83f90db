/**
 * An imported API whose credentials are ordinary parameters, as a generated, bundled server over stdio against
 * a local recording upstream: the bound values reach the upstream from the environment (never from the
 * arguments, never in the logs), a missing one fails the call naming the variable, and a wrong base-URL
 * override stops the server at start naming the variable.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { importOpenApi } from '../../src/sources/openapi/index.js';
import { newClient, textOf } from '../helpers/mcp.js';
import { type RecordingUpstream, type SeenRequest, startRecordingUpstream } from '../helpers/upstream.js';
import { expectValid, writeDoc } from '../importers/openapi/helpers.js';

const API_KEY = 'key-9f8e7d6c5b4a';
const TOKEN = 'tok-0a1b2c3d4e5f';
const SECRET = 'sec-aa11bb22cc33';
let seen: SeenRequest[] = [];
let upstream: RecordingUpstream | undefined;
let upstreamUrl: string;
let work: string;
let bundle: string;

const str = { type: 'string' };
const doc = {
  openapi: '3.0.3',
  info: { title: 'Vault Shop', version: '1.0.0' },
  servers: [{ url: 'https://api.vaultshop.example' }],
  paths: {
    '/items': {
      get: {
        operationId: 'listItems',
        parameters: [
          { name: 'api_key', in: 'query', required: true, schema: str },
          { name: 'X-Auth-Token', in: 'header', required: true, schema: str },
          { name: 'session', in: 'cookie', schema: { type: 'string', format: 'password' } },
          { name: 'q', in: 'query', schema: str },
        ],
        responses: {
          '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object' } } } },
        },
      },
    },
    '/oauth/revoke': {
      post: {
        operationId: 'revoke',
        requestBody: {
          required: true,
          content: {
            'application/x-www-form-urlencoded': {
              schema: {
                type: 'object',
                required: ['client_secret', 'what'],
                properties: { client_secret: str, what: str },
              },
            },
          },
        },
        responses: {
          '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object' } } } },
        },
      },
    },
  },
};

beforeAll(async () => {
  upstream = await startRecordingUpstream(() => ({ status: 200, json: { ok: true } }));
  upstreamUrl = upstream.url;
  seen = upstream.seen;
  work = mkdtempSync(join(tmpdir(), 'mcpf-openapi-cred-'));
  const source = writeDoc(doc);
  const { spec, report } = await importOpenApi(source, { dynamic: false });
  expect(report.credentials.map((c) => c.envVar)).toEqual([
    'VAULT_SHOP_API_KEY',
    'VAULT_SHOP_X_AUTH_TOKEN',
    'VAULT_SHOP_SESSION',
    'VAULT_SHOP_CLIENT_SECRET',
  ]);
  const created = await createServerProject({
    spec: expectValid(spec),
    specDir: dirname(source),
    outDir: join(work, 'server'),
    runTests: false,
  });
  expect(created.typecheck?.ok).toBe(true);
  bundle = created.bundle.file;
}, 240_000);

afterAll(() => {
  upstream?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Connects over stdio, keeping the server's stderr (its log) for inspection. */
async function connect(env: Record<string, string>) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [bundle, '--transport', 'stdio'],
    env: { ...(process.env as Record<string, string>), LOG_LEVEL: 'debug', ...env },
    stderr: 'pipe',
  });
  let log = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  const client = newClient('2026-07-28');
  await client.connect(transport);
  return { client, log: () => log };
}

/** Runs the server with `env` and no client: it must exit by itself. */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, '--transport', 'stdio'], {
      env: { ...process.env, LOG_LEVEL: 'info', ...env },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not exit; stderr: ${stderr}`));
    }, 15_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('credential parameters of an imported API', () => {
  it('are not tool arguments; their values reach the upstream from the environment, and are never logged', async () => {
    const { client, log } = await connect({
      VAULT_SHOP_BASE_URL: upstreamUrl,
      VAULT_SHOP_API_KEY: API_KEY,
      VAULT_SHOP_X_AUTH_TOKEN: TOKEN,
      VAULT_SHOP_CLIENT_SECRET: SECRET,
    });
    try {
      const { tools } = await client.listTools();
      const list = tools.find((t) => t.name === 'listItems')!;
      expect(Object.keys(list.inputSchema.properties ?? {})).toEqual(['q']);
      expect(list.inputSchema.required ?? []).toEqual([]);
      const revoke = tools.find((t) => t.name === 'revoke')!;
      expect(Object.keys(revoke.inputSchema.properties ?? {})).toEqual(['what']);

      seen.length = 0;
      const r1 = await client.callTool({ name: 'listItems', arguments: { q: 'lamp' } });
      expect(r1.isError, textOf(r1)).toBeFalsy();
      expect(seen).toHaveLength(1);
      const url = new URL(seen[0]!.url, 'http://x');
      expect(url.pathname).toBe('/items');
      expect(Object.fromEntries(url.searchParams)).toEqual({ api_key: API_KEY, q: 'lamp' });
      expect(seen[0]!.headers['x-auth-token']).toBe(TOKEN);
      expect(seen[0]!.headers.cookie).toBeUndefined(); // optional, and VAULT_SHOP_SESSION is unset

      // An argument named like the credential cannot replace it.
      seen.length = 0;
      const r2 = await client.callTool({ name: 'listItems', arguments: { q: 'x', api_key: 'forged' } });
      if (!r2.isError) expect(new URL(seen[0]!.url, 'http://x').searchParams.get('api_key')).toBe(API_KEY);

      seen.length = 0;
      const r3 = await client.callTool({ name: 'revoke', arguments: { what: 'all' } });
      expect(r3.isError, textOf(r3)).toBeFalsy();
      expect(seen[0]!.method).toBe('POST');
      expect(Object.fromEntries(new URLSearchParams(seen[0]!.body))).toEqual({
        client_secret: SECRET,
        what: 'all',
      });

      // The private upstream came from the operator's override: allowed, with one warning.
      await new Promise((r) => setTimeout(r, 100));
      expect(log().match(/non-public address/g)).toHaveLength(1);
      expect(log()).toContain('VAULT_SHOP_BASE_URL');
      for (const secret of [API_KEY, TOKEN, SECRET]) expect(log()).not.toContain(secret);
    } finally {
      await client.close();
    }
  });

  it('fail the call naming the variable when a required one is unset, without reaching the upstream', async () => {
    const { client } = await connect({ VAULT_SHOP_BASE_URL: upstreamUrl, VAULT_SHOP_API_KEY: API_KEY });
    try {
      seen.length = 0;
      const r = await client.callTool({ name: 'listItems', arguments: {} });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toContain('VAULT_SHOP_X_AUTH_TOKEN');
      expect(textOf(r)).not.toContain(API_KEY);
      expect(seen).toHaveLength(0);
    } finally {
      await client.close();
    }
  });
});

describe('the base-URL override', () => {
  it('stops the server at start, naming the variable, when it is not an absolute http(s) URL', async () => {
    for (const value of [
      'api.vaultshop.example',
      'ftp://files.example.com/',
      '/relative/path',
      'https://user:pw@api.example.com',
    ]) {
      const { code, stderr } = await runToExit({ VAULT_SHOP_BASE_URL: value });
      expect(code, value).toBe(2);
      expect(stderr, value).toContain('VAULT_SHOP_BASE_URL');
      expect(stderr, value).toMatch(/absolute http\(s\) URL|user name or password/);
      expect(stderr).not.toContain('pw@');
    }
  });
});
