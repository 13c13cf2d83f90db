/**
 * The jobs from the shell: `deploy --async` prints a job id and queues exactly that (refusing --env, whose
 * values would be stored), `jobs list|show` show it, `jobs cancel` cancels it, `jobs wait` reports it in plain
 * lines (no TTY) and exits non-zero for a job that did not succeed; `jobs work` (a child process running the
 * CLI bundled by esbuild from the sources) runs queued jobs and stops on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRegistry } from '../../src/store/index.js';
import type { CliIo } from '../../src/surfaces/cli/io.js';
import { runCli } from '../../src/surfaces/cli/main.js';
import { ROOT } from '../helpers/build.js';

let home: string;

async function cli(args: string[], isTTY = false) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
    isTTY,
  };
  const code = await runCli([...args, '--home', home], io);
  return { code, stdout, stderr };
}

async function storedJobs(): Promise<string> {
  const registry = await openRegistry({ home });
  try {
    return JSON.stringify(await registry.kysely.selectFrom('mcpf_jobs').selectAll().execute());
  } finally {
    await registry.close();
  }
}

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'mcpf-jobs-cli-'));
});

// The CLI bundled by esbuild from the sources, two levels under the project (it finds package.json at ../..),
// inside node_modules so the bundle's bare imports resolve from the project.
let bundleDir: string;

beforeAll(async () => {
  bundleDir = mkdtempSync(join(ROOT, 'node_modules', '.mcpf-jobs-cli-'));
  await build({
    stdin: {
      contents:
        "import { runCli } from './src/surfaces/cli/main.ts'; process.exitCode = await runCli(process.argv.slice(2));",
      resolveDir: ROOT,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile: join(bundleDir, 'cli.mjs'),
    logLevel: 'silent',
  });
}, 60_000);

afterAll(() => {
  rmSync(home, { recursive: true, force: true });
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
});

/** The bundled CLI in a child process on this home; `stop` sends SIGTERM and answers its exit code. */
function startCli(args: string[]) {
  const child = spawn(process.execPath, [join(bundleDir, 'cli.mjs'), ...args, '--home', home], {
    cwd: ROOT,
    env: { ...process.env, MCP_FACTORY_SUPERVISOR_AUTOSTART: 'off' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    stderr: () => stderr,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  log: () => string,
): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function jobState(id: string): Promise<string> {
  const registry = await openRegistry({ home });
  try {
    return (await registry.jobs.get(id)).state;
  } finally {
    await registry.close();
  }
}

describe('mcp-factory jobs', () => {
  it('queues a deployment with --async, lists, shows, cancels and waits for it', async () => {
    const queued = await cli(['deploy', 'ghost-desk', '--async']);
    expect(queued.code, queued.stderr).toBe(0);
    const id = queued.stdout.trim();
    expect(id).toMatch(/^job_[0-9a-f]{24}$/);
    expect(queued.stderr).toContain(`mcp-factory jobs wait ${id}`);

    const listed = await cli(['jobs', 'list']);
    expect(listed.stdout).toContain(`${id}  queued`);
    expect(listed.stdout).toContain('deploy_server');
    const shown = await cli(['jobs', 'show', id, '--format', 'json']);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id, state: 'queued', operation: 'deploy_server' });

    const cancelled = await cli(['jobs', 'cancel', id]);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toContain('cancelled');
    const waited = await cli(['jobs', 'wait', id, '--timeout', '5']);
    expect(waited.code).toBe(4);
    expect(waited.stderr).toMatch(new RegExp(`^${id}  cancelled`, 'm')); // a plain line, no bar, without a TTY
    expect(waited.stdout).toContain('JOB_CANCELLED');
    // On a terminal: a bar redrawn in place.
    const onTty = await cli(['jobs', 'wait', id, '--timeout', '5'], true);
    expect(onTty.stderr).toMatch(/^\r\[\.{30}\] {3}0% cancelled/);
  });

  it('refuses --async with environment values and stores nothing of them', async () => {
    const secret = 'sk-live-cli-never-stored-42';
    const refused = await cli(['deploy', 'ghost-desk', '--async', '--env', `API_KEY=${secret}`]);
    expect(refused.code).toBe(2);
    expect(await storedJobs()).not.toContain(secret);
  });

  it('answers an unknown or malformed id as not found', async () => {
    for (const id of ['job_000000000000000000000000', '../../etc/passwd', "job_' OR 1=1 --"]) {
      const shown = await cli(['jobs', 'show', id]);
      expect(shown.code, id).toBe(1);
      expect(shown.stderr).toContain('no job');
    }
  });

  it('runs queued jobs with `jobs work` in the foreground, until SIGTERM', async () => {
    // A deployment of a server that does not exist: the worker runs it, and it fails for good (a 404).
    const id = (await cli(['deploy', 'nowhere-desk', '--async'])).stdout.trim();
    const child = startCli(['jobs', 'work']);
    await until(`job ${id} to fail`, async () => (await jobState(id)) === 'failed', child.stderr);
    const shown = await cli(['jobs', 'show', id, '--format', 'json']);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      state: 'failed',
      attempts: 1,
      error: { code: 'REGISTRY_NOT_FOUND' },
    });
    expect(await child.stop()).toBe(0);
    expect(child.stderr()).toContain('Stopping (SIGTERM)');
  }, 60_000);

  it('runs jobs asked over HTTP in `mcp-factory serve` (Prefer: respond-async)', async () => {
    const token = (await cli(['token', 'create', 'jobs-e2e'])).stdout
      .trim()
      .split(/\s+/)
      .find((w) => w.startsWith('mcpf_'));
    expect(token).toBeDefined();
    const child = startCli(['serve', '--port', '0']);
    const url = await until(
      'the API to listen',
      async () => /listening on (http:\/\/\S+?) /.exec(child.stderr())?.[1],
      child.stderr,
    );
    const headers = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      prefer: 'respond-async',
    };
    const queued = await fetch(`${url}/mcp/deploy/nowhere-desk`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ target: 'local' }),
    });
    expect(queued.status).toBe(202);
    const location = queued.headers.get('location') as string;
    const job = await until(
      'the job to finish',
      async () => {
        const j = (await (await fetch(`${url}${location}`, { headers })).json()) as {
          finishedAt: string | null;
        };
        return j.finishedAt ? j : undefined;
      },
      child.stderr,
    );
    expect(job).toMatchObject({ state: 'failed', error: { code: 'REGISTRY_NOT_FOUND' } });
    expect(await child.stop()).toBe(0);
  }, 60_000);
});
