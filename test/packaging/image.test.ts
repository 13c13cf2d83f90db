/**
 * The factory's own image, built for real by scripts/build-image.mjs (base imported from this machine's node,
 * nothing pulled) and run as the chart runs it: read-only root, no capabilities, the home on a volume. A token
 * made by `mcp-factory token create` in one container opens the API served by `serve` in another; /health,
 * /ready, /metrics and an authenticated call answer, a missing token and a foreign Host are refused (and the
 * API keeps answering), the process is uid 1000 and cannot write outside its home, and the HEALTHCHECK turns
 * healthy. Image, base, container and volume are removed afterwards.
 * Runs when MCP_FACTORY_TEST_DOCKER=1 (set by .ci/run after starting dockerd) and needs `npm run build`;
 * MCP_FACTORY_REQUIRE_SERVICES=1 turns a skip into a failure.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/conformance/server.js';
import { REQUIRE_SERVICES } from '../helpers/services.js';

const enabled = process.env.MCP_FACTORY_TEST_DOCKER === '1';
if (!enabled)
  process.stderr.write(
    '\n[skip] factory image test needs MCP_FACTORY_TEST_DOCKER=1 and a running dockerd (set by .ci/run)\n',
  );

const ROOT = join(import.meta.dirname, '..', '..');
const SUFFIX = randomBytes(4).toString('hex');
const TAG = `mcp-factory-image-test:${SUFFIX}`;
const BASE = `mcp-factory-image-test-base:${SUFFIX}`;
const VOLUME = `mcpf-image-test-${SUFFIX}`;
const HOME = '/var/lib/mcp-factory';
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** stdout and stderr of a container's multiplexed log stream. */
function demux(buffer: Buffer): { stdout: string; stderr: string } {
  const out = { stdout: '', stderr: '' };
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    const chunk = buffer.subarray(offset + 8, offset + 8 + size).toString('utf8');
    if (buffer[offset] === 2) out.stderr += chunk;
    else out.stdout += chunk;
    offset += 8 + size;
  }
  return out;
}

describe.skipIf(!enabled && !REQUIRE_SERVICES)('the factory image', () => {
  const docker = new Docker();
  const containers: Docker.Container[] = [];
  afterAll(async () => {
    for (const c of containers) await c.remove({ force: true, v: true }).catch(() => undefined);
    await docker
      .getVolume(VOLUME)
      .remove()
      .catch(() => undefined);
    for (const tag of [TAG, BASE, `${BASE}-node`])
      await docker
        .getImage(tag)
        .remove({ force: true })
        .catch(() => undefined);
  }, 120_000);

  /** Create (and remember, for cleanup) a container of the image with the chart's hardening. */
  async function container(
    cmd: string[],
    extra: Docker.ContainerCreateOptions = {},
  ): Promise<Docker.Container> {
    const created = await docker.createContainer({
      Image: TAG,
      Cmd: cmd,
      ...extra,
      HostConfig: {
        NetworkMode: 'host',
        ReadonlyRootfs: true,
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        Tmpfs: { '/tmp': 'rw,size=64m' },
        Mounts: [{ Type: 'volume', Source: VOLUME, Target: HOME }],
        ...extra.HostConfig,
      },
    });
    containers.push(created);
    return created;
  }

  /** Run a one-shot command of the image to its end: exit code and output. */
  async function runOnce(cmd: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const c = await container(cmd);
    await c.start();
    const { StatusCode } = (await c.wait()) as { StatusCode: number };
    const logs = (await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    return { code: StatusCode, ...demux(logs) };
  }

  async function exec(c: Docker.Container, cmd: string[]): Promise<{ code: number; stdout: string }> {
    const e = await c.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
    const stream = await e.start({});
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (d: Buffer) => chunks.push(d));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    const { ExitCode } = await e.inspect();
    return { code: ExitCode ?? -1, stdout: demux(Buffer.concat(chunks)).stdout };
  }

  it('builds offline, runs serve as uid 1000 on a read-only root, and answers with a token', {
    timeout: 900_000,
  }, async () => {
    expect(enabled, 'MCP_FACTORY_TEST_DOCKER=1 must be set when services are required').toBe(true);
    expect(existsSync(join(ROOT, 'dist', 'surfaces', 'cli', 'main.js')), 'run `npm run build` first').toBe(
      true,
    );

    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['scripts/build-image.mjs', '--local-node', '--base', BASE, '--tag', TAG, '--json'],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
    );
    const built = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      tag: string;
      seconds: number;
      sizeBytes: number;
    };
    process.stderr.write(
      `[image] built ${TAG}: ${Math.round(built.sizeBytes / 1e6)} MB in ${built.seconds} s\n`,
    );

    const image = await docker.getImage(TAG).inspect();
    expect(image.Config.User).toBe('1000:1000');
    expect(image.Config.Entrypoint).toEqual(['node', '/opt/mcp-factory/bin/mcp-factory.mjs']);
    expect(image.Config.Cmd?.[0]).toBe('serve');
    expect(image.Config.Env).toContain(`MCP_FACTORY_HOME=${HOME}`);
    expect(Object.keys(image.Config.Volumes ?? {})).toEqual([HOME]);
    expect(image.Config.Labels?.['org.opencontainers.image.version']).toBe(VERSION);
    expect(image.Config.Labels?.['org.opencontainers.image.title']).toBe('mcp-factory');
    expect(JSON.stringify(image.Config.Healthcheck?.Test)).toContain('/live');

    // A token made by the image's own CLI, in the home volume the API then reads.
    const created = await runOnce(['token', 'create', 'image-test', '--format', 'json']);
    expect(created.code, created.stderr).toBe(0);
    const token = (JSON.parse(created.stdout) as { token: string }).token;
    expect(token).toMatch(/^mcpf_/);

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const api = await container(
      ['serve', '--host', '127.0.0.1', '--port', String(port), '--allowed-host', '10.11.12.13'],
      {
        Env: [`HEALTH_URL=${base}/live`],
        // Every 2 s, not the image's 30 s, so the test sees the HEALTHCHECK's verdict; a loaded machine can take
        // many seconds to start the probe's node (durations in ns).
        Healthcheck: { Interval: 2e9, Timeout: 30e9, StartPeriod: 60e9, Retries: 10 },
      },
    );
    await api.start();
    const deadline = Date.now() + 120_000;
    let live: Response | undefined;
    while (!live?.ok && Date.now() < deadline) {
      live = await fetch(`${base}/live`).catch(() => undefined);
      if (!live?.ok) await new Promise((r) => setTimeout(r, 250));
    }
    if (!live?.ok) {
      const logs = demux((await api.logs({ stdout: true, stderr: true })) as unknown as Buffer);
      expect.fail(`serve did not answer /live in the container:\n${logs.stderr.slice(-3000)}`);
    }

    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', version: VERSION });
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', registry: { backend: 'sqlite' } });
    const auth = { authorization: `Bearer ${token}` };
    const servers = await fetch(`${base}/mcp/servers`, { headers: auth });
    expect(servers.status).toBe(200);
    const metrics = await fetch(`${base}/metrics`, { headers: auth });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain(
      'mcpf_api_requests_total{method="GET",route="/mcp/servers",status="200"} 1',
    );

    // Refused: no token, a wrong token, a Host that is not allowed (DNS rebinding); the pod-IP Host the chart
    // passes with --allowed-host is accepted. The API still answers afterwards.
    expect((await fetch(`${base}/mcp/servers`)).status).toBe(401);
    expect(
      (await fetch(`${base}/mcp/servers`, { headers: { authorization: 'Bearer mcpf_wrong' } })).status,
    ).toBe(401);
    const { request } = await import('node:http');
    const statusWithHost = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const r = request({ host: '127.0.0.1', port, path: '/live', headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        r.on('error', reject);
        r.end();
      });
    expect(await statusWithHost('attacker.example:80')).toBe(403);
    expect(await statusWithHost(`10.11.12.13:${port}`)).toBe(200);
    expect((await fetch(`${base}/mcp/servers`, { headers: auth })).status).toBe(200);

    // Non-root, and nothing outside the home (and /tmp) is writable.
    const whoami = await exec(api, [
      'node',
      '-e',
      'process.stdout.write(`${process.getuid()}:${process.getgid()}`)',
    ]);
    expect(whoami.stdout).toBe('1000:1000');
    const write = (path: string) =>
      exec(api, [
        'node',
        '-e',
        `try{require('fs').writeFileSync(${JSON.stringify(path)},'x');process.stdout.write('ok')}catch(e){process.stdout.write(e.code)}`,
      ]);
    expect((await write('/opt/mcp-factory/dist/injected.js')).stdout).toBe('EROFS');
    expect((await write('/etc/passwd')).stdout).toBe('EROFS');
    expect((await write(`${HOME}/probe`)).stdout).toBe('ok');

    let probe: { Status?: string; Log?: Array<{ ExitCode: number; Output: string }> } | undefined;
    const healthDeadline = Date.now() + 120_000;
    while (probe?.Status !== 'healthy' && Date.now() < healthDeadline) {
      probe = (await api.inspect()).State.Health as typeof probe;
      if (probe?.Status !== 'healthy') await new Promise((r) => setTimeout(r, 500));
    }
    expect(probe?.Status, JSON.stringify(probe?.Log?.slice(-3))).toBe('healthy');
  });
});
