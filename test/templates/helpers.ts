/** Shared by the template tests: build a template into a bundle, and a recording mock upstream on 127.0.0.1. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { expect } from 'vitest';
import { type CreateResult, createServerProject } from '../../src/build/create.js';
import { type ServerSpec, validateSpec } from '../../src/core/spec/index.js';
import { instantiateTemplate } from '../../src/sources/templates/index.js';
import { textOf } from '../helpers/mcp.js';

/** Representative non-default `--set` values for every template. */
export const REPRESENTATIVE: Record<string, Record<string, string>> = {
  postgres: { envVar: 'PG_URL', readOnly: 'false', maxRows: '50', timeoutMs: '2000' },
  mysql: { envVar: 'SHOP_DB_URL', readOnly: 'false' },
  'rest-api': {
    baseUrl: 'https://api.example.com/v2',
    auth: 'api_key',
    apiKeyHeader: 'X-Key',
    readOnly: 'true',
  },
  graphql: { endpoint: 'https://api.example.com/graphql', auth: 'bearer', readOnly: 'true' },
  filesystem: { root: '/srv/shared', writable: 'true', maxFileBytes: '4096' },
  slack: { defaultChannel: 'C0123456789', readOnly: 'true' },
  email: { allowedDomains: 'example.com, example.org' },
  webhook: { signatureHeader: 'X-Hub-Signature-256', requireSignature: 'true' },
  github: { owner: 'octocat', repo: 'hello-world', readOnly: 'true' },
  jira: { baseUrl: 'https://acme.atlassian.net', projectKey: 'OPS', issueType: 'Bug', readOnly: 'true' },
  'ci-trigger': { project: 'group/app', ref: 'release' },
  embeddings: { model: 'nomic-embed-text', auth: 'none' },
  'vector-search': { collection: 'docs', auth: 'api_key', readOnly: 'true' },
  custom: {},
};

export interface BuiltTemplate {
  spec: ServerSpec;
  bundle: string;
  result: CreateResult;
}

/** Instantiate → validateSpec → createServerProject (type-check, security scan, bundle; generated tests optional). */
export async function buildTemplate(
  template: string,
  set: Record<string, string>,
  work: string,
  options: { runTests?: boolean; dir?: string } = {},
): Promise<BuiltTemplate> {
  const input = instantiateTemplate(template, { name: `tpl-${template}`, set });
  const validated = validateSpec(input);
  expect(validated.issues, `${template} ${JSON.stringify(set)}`).toEqual([]);
  const spec = validated.spec!;
  const result = await createServerProject({
    spec,
    specDir: work,
    outDir: join(work, options.dir ?? template),
    runTests: options.runTests ?? false,
    // Generated tests run with an empty environment on top of this process's: what a user gets out of the box.
    testEnv: {},
  });
  // Templates produce clean code: no security findings at any severity.
  expect(result.security.findings, template).toEqual([]);
  return { spec, bundle: result.bundle.file, result };
}

export interface Seen {
  method: string;
  /** Path and query as received. */
  url: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

export type MockHandler = (req: Seen, res: ServerResponse) => void;

export interface Mock {
  url: string;
  seen: Seen[];
  /** The last request whose path starts with `prefix`. */
  last(prefix: string): Seen;
  close(): Promise<void>;
}

export async function startMock(handler: MockHandler): Promise<Mock> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://mock');
      const entry: Seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(entry);
      try {
        handler(entry, res);
      } catch (error) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    last(prefix) {
      const found = [...seen].reverse().find((s) => s.path.startsWith(prefix));
      if (!found)
        throw new Error(`no request to ${prefix}; saw ${seen.map((s) => `${s.method} ${s.url}`).join(', ')}`);
      return found;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(
  res: ServerResponse,
  status: number,
  data: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(data));
}

/** Call a tool and return it; `ok` asserts it did not fail (showing the error text if it did). */
export async function call(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<Awaited<ReturnType<Client['callTool']>> & { text: string }> {
  const result = await client.callTool({ name, arguments: args });
  return Object.assign(result, { text: textOf(result) });
}

export async function ok(client: Client, name: string, args: Record<string, unknown> = {}): Promise<unknown> {
  const result = await call(client, name, args);
  expect(result.isError, `${name}: ${result.text}`).toBeFalsy();
  return result.structuredContent;
}

export async function fails(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<string> {
  const result = await call(client, name, args);
  expect(result.isError, `${name} should fail: ${result.text}`).toBe(true);
  return result.text;
}
