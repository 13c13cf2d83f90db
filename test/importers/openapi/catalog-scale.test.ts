/**
 * A large merged OpenAPI document (eight copies of Twilio's 197 operations under their own path prefix and
 * operationIds, each copy with its own extra query parameter so that, as in a merge of different APIs, no two
 * operations have the same shape: 1,576 operations) → `create` with default options. Dynamic mode switches on by itself and the
 * catalog ships as data (src/catalogs.json → dist/catalogs.json), not as one typed literal in server.ts, which
 * the compiler refused (TS2590) at this size. The bundle then searches, describes and invokes against a local
 * recording upstream; a missing or corrupt catalog file stops the server at start with a clear message.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../../src/build/create.js';
import { importOpenApi } from '../../../src/sources/openapi/index.js';
import { connectStdio, textOf } from '../../helpers/mcp.js';
import { type RecordingUpstream, type SeenRequest, startRecordingUpstream } from '../../helpers/upstream.js';
import { expectValid, TWILIO, writeDoc } from './helpers.js';

const COPIES = 8;

/**
 * Twilio, COPIES times: paths under /r<k>, operationIds and tags prefixed R<k>, an `r<k>Region` query parameter
 * (components are shared). Without that parameter the copies would be one shape each to the compiler.
 */
function mergedDocument(): { doc: Record<string, unknown>; operations: number } {
  const twilio = JSON.parse(readFileSync(TWILIO, 'utf8')) as Record<string, unknown>;
  const paths: Record<string, unknown> = {};
  let operations = 0;
  for (let k = 1; k <= COPIES; k++) {
    for (const [path, item] of Object.entries(twilio.paths as Record<string, Record<string, unknown>>)) {
      const copy: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(item)) {
        if (!['get', 'put', 'post', 'delete', 'patch', 'head', 'options'].includes(key)) {
          copy[key] = value;
          continue;
        }
        const op = value as Record<string, unknown>;
        operations++;
        copy[key] = {
          ...op,
          operationId: `R${k}${op.operationId as string}`,
          tags: ((op.tags as string[] | undefined) ?? []).map((t) => `R${k}${t}`),
          parameters: [
            ...((op.parameters as unknown[] | undefined) ?? []),
            { name: `r${k}Region`, in: 'query', schema: { type: 'string' } },
          ],
        };
      }
      paths[`/r${k}${path}`] = copy;
    }
  }
  return { doc: { ...twilio, paths, tags: undefined }, operations };
}

let seen: SeenRequest[] = [];
let upstream: RecordingUpstream | undefined;
let upstreamUrl: string;
let work: string;
let bundle: string;
let outDir: string;
const env = () => ({ TWILIO_BASE_URL: upstreamUrl, TWILIO_USERNAME: 'AC0123', TWILIO_PASSWORD: 'tok' });

beforeAll(async () => {
  upstream = await startRecordingUpstream(() => ({ status: 201, json: { sid: 'SM777' } }));
  upstreamUrl = upstream.url;
  seen = upstream.seen;
  work = mkdtempSync(join(tmpdir(), 'mcpf-catalog-scale-'));

  const { doc, operations } = mergedDocument();
  expect(operations).toBeGreaterThanOrEqual(1500);
  const source = writeDoc(doc);
  const { spec, report } = await importOpenApi(source);
  expect(report.mode).toBe('dynamic');
  expect(report.counts.imported).toBe(operations);
  const started = performance.now();
  const result = await createServerProject({
    spec: expectValid(spec),
    specDir: dirname(source),
    outDir: join(work, 'merged'),
    runTests: false,
  });
  const ms = performance.now() - started;
  outDir = result.outDir;
  bundle = result.bundle.file;
  expect(result.typecheck?.ok).toBe(true);
  const serverTs = statSync(join(outDir, 'src/server.ts')).size;
  const catalogJson = statSync(join(outDir, 'dist/catalogs.json')).size;
  // Figures for the record (create time, what server.ts and the catalog weigh).
  console.info(
    `catalog-scale: ${operations} operations, create ${(ms / 1000).toFixed(1)} s, src/server.ts ${serverTs} bytes, dist/catalogs.json ${catalogJson} bytes`,
  );
  // The operations are data: server.ts stays small whatever the number of operations.
  expect(serverTs).toBeLessThan(20_000);
  expect(readFileSync(join(outDir, 'src/server.ts'), 'utf8')).not.toContain('R1CreateMessage');
  // The docker image and the npm package take dist/ whole, catalog included.
  expect(readFileSync(join(outDir, 'Dockerfile'), 'utf8')).toContain('COPY dist/ ./dist/');
  expect(JSON.parse(readFileSync(join(outDir, 'package.json'), 'utf8')).files).toContain('dist');
  expect(JSON.parse(readFileSync(join(outDir, 'dist/catalogs.json'), 'utf8'))).toEqual(
    JSON.parse(readFileSync(join(outDir, 'src/catalogs.json'), 'utf8')),
  );
}, 600_000);

afterAll(() => {
  upstream?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe(`a merged document of ${COPIES * 197} operations`, () => {
  it('searches, describes and invokes through the catalog loaded from dist/catalogs.json', async () => {
    const client = await connectStdio(bundle, '2026-07-28', env());
    try {
      const tools = await client.listTools();
      expect(tools.tools.map((t) => t.name)).toEqual([
        'search_operations',
        'describe_operation',
        'invoke_operation',
      ]);
      const found = await client.callTool({
        name: 'search_operations',
        arguments: { query: 'R5 send a message', limit: 5 },
      });
      expect(found.isError, textOf(found)).toBeFalsy();
      const names = (found.structuredContent as { operations: Array<{ name: string }> }).operations.map(
        (o) => o.name,
      );
      expect(names[0]).toBe('R5CreateMessage');

      const described = await client.callTool({
        name: 'describe_operation',
        arguments: { operation: 'R7CreateMessage' },
      });
      expect(described.structuredContent).toMatchObject({
        name: 'R7CreateMessage',
        method: 'POST',
        path: '/r7/2010-04-01/Accounts/{{AccountSid}}/Messages.json',
        inputSchema: { properties: { To: expect.any(Object), Body: expect.any(Object) } },
      });

      const sid = `AC${'1'.repeat(32)}`;
      seen.length = 0;
      const sent = await client.callTool({
        name: 'invoke_operation',
        arguments: {
          operation: 'R7CreateMessage',
          arguments: { AccountSid: sid, To: '+15551234567', From: '+15557654321', Body: 'scale' },
        },
      });
      expect(sent.isError, textOf(sent)).toBeFalsy();
      expect(textOf(sent)).toContain('SM777');
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ method: 'POST', url: `/r7/2010-04-01/Accounts/${sid}/Messages.json` });
      expect(Object.fromEntries(new URLSearchParams(seen[0]!.body))).toEqual({
        To: '+15551234567',
        From: '+15557654321',
        Body: 'scale',
      });

      const unknown = await client.callTool({
        name: 'invoke_operation',
        arguments: { operation: 'R9CreateMessage', arguments: {} },
      });
      expect(unknown.isError).toBe(true);
      expect(seen).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it('refuses to start without its catalog file, or with a corrupt one, and says which file', () => {
    const file = join(outDir, 'dist/catalogs.json');
    const saved = join(work, 'catalogs.json.saved');
    copyFileSync(file, saved);
    const start = () =>
      spawnSync(process.execPath, [bundle, '--transport', 'stdio'], {
        env: { ...process.env, ...env() },
        input: '',
        encoding: 'utf8',
        timeout: 30_000,
      });
    try {
      rmSync(file);
      let run = start();
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain('catalogs.json');
      expect(run.stderr).toMatch(/missing|cannot read|not found/i);

      writeFileSync(file, '{"twilio": {"operations": [{"name": 1}]}}');
      run = start();
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain('catalogs.json');
      expect(run.stderr).toMatch(/operations\[0\]/);

      writeFileSync(file, '{ not json');
      run = start();
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(/catalogs\.json.*JSON|JSON.*catalogs\.json/s);
    } finally {
      copyFileSync(saved, file);
    }
  });
});
