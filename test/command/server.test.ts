/**
 * A generated server with command tools, created by the factory pipeline (typecheck, bundle, its own tests
 * in the factory sandbox) and called over MCP: stdio in both protocol eras, and HTTP for the audit lines the
 * server writes on stderr. native and bwrap tools side by side; attacks through the MCP surface are checked
 * by effect (nothing created, nothing outside the root read, the server still answering).
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { connectStdio, ERAS, type HttpServerProcess, startHttp, textOf } from '../helpers/mcp.js';

let work: string;
let bundle: string;
let dataDir: string;
const env = (): Record<string, string> => ({ CMD_DATA_DIR: dataDir, SERVER_SECRET: 'do-not-leak-42' });

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mcpf-cmd-server-'));
  chmodSync(work, 0o755);
  dataDir = join(work, 'data');
  mkdirSync(dataDir, { mode: 0o755 });
  writeFileSync(join(dataDir, 'notes.txt'), 'hello from notes\n', { mode: 0o644 });
  writeFileSync(join(work, 'secret.txt'), 'outside the root\n', { mode: 0o644 });
  const result = validateSpec({
    name: 'command-server',
    tools: [
      {
        name: 'say',
        description: 'Prints the text.',
        parameters: { text: { type: 'string', required: true } },
        command: { program: 'printf', args: ['%s\\n', '{{text}}'], policy: { backend: 'native' } },
        examples: [{ arguments: { text: 'hi there' }, expect: { contains: 'hi there' } }],
      },
      {
        name: 'show_env',
        description: 'The environment the program sees.',
        command: { program: 'printenv', env: { set: { GREETING: 'hello' } }, policy: { backend: 'native' } },
        examples: [{ arguments: {}, expect: { contains: 'GREETING=hello' } }],
      },
      {
        name: 'list_missing',
        description: 'Lists a directory that does not exist (exits 2).',
        command: { program: 'ls', args: ['/nonexistent-dir'], policy: { backend: 'native' } },
        examples: [{ arguments: {}, expect: { isError: true } }],
      },
      {
        name: 'flood',
        description: 'Writes y forever; the output cap stops it.',
        command: { program: 'yes', maxOutputBytes: 65536, policy: { backend: 'native' } },
      },
      {
        name: 'read_note',
        description: 'A file of the data directory.',
        parameters: { file: { type: 'string', required: true } },
        command: {
          program: 'cat',
          args: ['--', '{{file}}'],
          paths: { file: 'data' },
          policy: { backend: 'bwrap', roots: { data: { env: 'CMD_DATA_DIR' } } },
        },
      },
      {
        name: 'login',
        description: 'Echoes a user; the token is redacted in the audit log.',
        parameters: { user: { type: 'string', required: true }, token: { type: 'string', required: true } },
        command: {
          program: 'printf',
          args: ['%s\\n', '{{user}}', '--token={{token}}'],
          secretParameters: ['token'],
          policy: { backend: 'native' },
        },
      },
    ],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  const created = await createServerProject({
    spec: result.spec!,
    specDir: work,
    outDir: join(work, 'server'),
  });
  bundle = created.bundle.file;
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.each(ERAS)('command tools over stdio (%s)', (era) => {
  let client: Client;
  beforeAll(async () => {
    client = await connectStdio(bundle, era, env());
  }, 30_000);
  afterAll(async () => {
    await client?.close();
  });

  it('advertises the tools as not read-only with the structured result schema', async () => {
    const { tools } = await client.listTools();
    const say = tools.find((t) => t.name === 'say')!;
    expect(say.annotations?.readOnlyHint).toBe(false);
    expect(say.outputSchema?.required).toEqual(
      expect.arrayContaining(['exitCode', 'stdout', 'stderr', 'truncated']),
    );
  });

  it('runs a program and answers { exitCode, stdout, stderr, truncated }', async () => {
    const r = await client.callTool({ name: 'say', arguments: { text: 'a; touch /tmp/x $(id) `id`' } });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toMatchObject({
      exitCode: 0,
      stdout: 'a; touch /tmp/x $(id) `id`\n',
      truncated: false,
    });
  });

  it('a non-zero exit is an error result that keeps the structured output', async () => {
    const r = await client.callTool({ name: 'list_missing', arguments: {} });
    expect(r.isError).toBe(true);
    expect(r.structuredContent).toMatchObject({ exitCode: 2, truncated: false });
    expect(String((r.structuredContent as { stderr: string }).stderr)).toContain('nonexistent-dir');
  });

  it('an output flood is cut at the cap and the server keeps answering', async () => {
    const r = await client.callTool({ name: 'flood', arguments: {} });
    expect(r.isError).toBe(true);
    expect(r.structuredContent).toMatchObject({ truncated: true, timedOut: false });
    expect((r.structuredContent as { stdout: string }).stdout.length).toBe(65536);
    const next = await client.callTool({ name: 'say', arguments: { text: 'after the flood' } });
    expect(next.structuredContent).toMatchObject({ stdout: 'after the flood\n' });
  });

  it("the server's secret environment stays out of the program", async () => {
    const r = await client.callTool({ name: 'show_env', arguments: {} });
    expect(textOf(r)).toContain('GREETING=hello');
    expect(textOf(r)).not.toContain('do-not-leak-42');
  });

  it('reads inside the root under bwrap, and refuses traversal, symlink and option attacks', async () => {
    const ok = await client.callTool({ name: 'read_note', arguments: { file: 'notes.txt' } });
    expect(ok.structuredContent).toMatchObject({ exitCode: 0, stdout: 'hello from notes\n' });
    for (const file of ['../secret.txt', join(work, 'secret.txt'), '/etc/passwd', '-n']) {
      const r = await client.callTool({ name: 'read_note', arguments: { file } });
      expect(r.isError, file).toBe(true);
      expect(textOf(r)).not.toContain('outside the root');
      expect(textOf(r)).not.toContain('root:x:0');
    }
    const marker = join(work, `pwned-${era}`);
    const r = await client.callTool({ name: 'say', arguments: { text: `--help; touch ${marker}` } });
    expect(r.isError).toBe(true);
    expect(existsSync(marker)).toBe(false);
    expect(
      (await client.callTool({ name: 'say', arguments: { text: 'still here' } })).structuredContent,
    ).toMatchObject({ stdout: 'still here\n' });
  });
});

describe('audit over HTTP', () => {
  let http: HttpServerProcess;
  const stderr: string[] = [];
  beforeAll(async () => {
    http = await startHttp(bundle, env());
    http.child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  }, 30_000);
  afterAll(async () => {
    await http?.stop();
  });

  it('writes one audit line per run with argv (secrets redacted), exit, duration and bytes', async () => {
    const { Client, StreamableHTTPClientTransport } = await import('@modelcontextprotocol/client');
    const client = new Client({ name: 'audit-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(http.url)));
    const r = await client.callTool({ name: 'login', arguments: { user: 'ada', token: 's3cr3t-t0ken' } });
    expect(r.structuredContent).toMatchObject({ exitCode: 0 });
    expect(textOf(r)).toContain('s3cr3t-t0ken'); // the program got the value …
    await client.close();
    const deadline = Date.now() + 10_000;
    let line: Record<string, unknown> | undefined;
    while (!line && Date.now() < deadline) {
      line = stderr
        .join('')
        .split('\n')
        .filter((l) => l.includes('"msg":"command"'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.tool === 'login');
      if (!line) await new Promise((res) => setTimeout(res, 50));
    }
    expect(line).toMatchObject({
      backend: 'native',
      exitCode: 0,
      outcome: 'ok',
      argv: ['/usr/bin/printf', '%s\\n', 'ada', '--token=[redacted]'],
    });
    expect(typeof line!.durationMs).toBe('number');
    expect(line!.bytesOut).toBeGreaterThan(0);
    expect(stderr.join('')).not.toContain('s3cr3t-t0ken'); // … the log never did
  });
});
