/**
 * The microvm target: a server in its own QEMU microvm, on its own kernel, booted from an image holding only
 * that server, on a network that reaches nothing. The pure parts (QEMU's arguments, the cpio writer, the
 * environment script) always run; the VM tests run with MCP_FACTORY_TEST_MICROVM=1 (or in CI, where a skip
 * is a failure) and need qemu-system-x86, busybox-static and a guest kernel (linux-image-cloud-amd64).
 *
 * The escape corpus is checked by its effect: a code tool that reaches for the host finds no factory home and
 * no secret, writes nothing the host can see, connects to no loopback port of the host (a listener counts the
 * connections: 0), runs as an unprivileged uid on the guest's kernel; a memory bomb ends in the guest, and
 * the host's processes are as before.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerSpec } from '../../src/core/spec/index.js';
import { writeCpioFile } from '../../src/deploy/targets/microvm/cpio.js';
import type { MicroVmHost } from '../../src/deploy/targets/microvm/host.js';
import { envScript, guestInit } from '../../src/deploy/targets/microvm/image.js';
import { qemuArgs, vmRunning } from '../../src/deploy/targets/microvm/vmm.js';
import { REQUIRE_SERVICES } from '../helpers/services.js';
import {
  ensureBuilt,
  fastEnv,
  newHome,
  type TestHome,
  textToolsSpec,
  waitUntil,
} from '../supervisor/helpers.js';
import { microVmTestHost } from './microvm-host.js';

const enabled = process.env.MCP_FACTORY_TEST_MICROVM === '1' || REQUIRE_SERVICES;
const SECRET = `host-secret-${randomBytes(8).toString('hex')}`;
const FAKE_HOST: MicroVmHost = {
  qemu: '/usr/bin/qemu-system-x86_64',
  busybox: '/usr/bin/busybox',
  kernel: { image: '/boot/vmlinuz-x', release: 'x', modulesDir: '/lib/modules/x' },
  accel: 'tcg',
};

describe('microvm target: arguments, image format, environment', () => {
  it('forwards only 127.0.0.1:port into a guest network that reaches nothing', () => {
    const args = qemuArgs(FAKE_HOST, { server: 'a', bootImage: '/b', port: 4321, memoryMb: 256, cpus: 1 });
    const netdev = args[args.indexOf('-netdev') + 1];
    expect(netdev).toBe('user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:4321-10.0.2.15:4321');
    expect(args.join(' ')).toMatch(/-m 256 -smp 1 /);
    expect(args).toContain('-nodefaults');
    expect(args).toContain('-no-reboot');
    expect(args[args.indexOf('-name') + 1]).toBe('mcpf-a');
    // Under TCG the kernel is told the TSC rate instead of calibrating it (which hangs now and then).
    expect(args[args.indexOf('-append') + 1]).not.toMatch(/tsc_early_khz/);
    const tcg = qemuArgs(
      { ...FAKE_HOST, tscKhz: 2_596_122 },
      { server: 'a', bootImage: '/b', port: 1, memoryMb: 256, cpus: 1 },
    );
    expect(tcg[tcg.indexOf('-append') + 1]).toMatch(/ tsc_early_khz=2596122$/);
  });

  it('writes newc archives the kernel format allows, refusing names that leave the archive', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcpf-cpio-'));
    try {
      const src = join(dir, 'src.bin');
      const body = randomBytes(70_001);
      writeFileSync(src, body);
      const file = join(dir, 'a.cpio');
      writeCpioFile(file, [
        { kind: 'dir', name: 'etc', mode: 0o755 },
        { kind: 'data', name: 'etc/x', mode: 0o600, data: Buffer.from('hello') },
        { kind: 'file', name: 'etc/big', mode: 0o644, source: src },
        { kind: 'symlink', name: 'etc/link', target: 'x' },
      ]);
      // A second archive appended, as a boot image is made: the later entry wins when unpacked.
      writeCpioFile(file, [{ kind: 'data', name: 'etc/x', mode: 0o600, data: Buffer.from('second') }], 'a');
      const out = join(dir, 'out');
      mkdirSync(out);
      const busybox = ['/usr/bin/busybox', '/bin/busybox'].find((f) => existsSync(f));
      if (busybox) {
        // busybox cpio stops at the first trailer: unpack the two archives by offsets, as the kernel does.
        const unpack = spawnSync(busybox, ['cpio', '-i', '-d', '-u'], {
          cwd: out,
          input: readFileSync(file),
        });
        expect(unpack.status).toBe(0);
        expect(readFileSync(join(out, 'etc/big')).equals(body)).toBe(true);
        expect(readFileSync(join(out, 'etc/x'), 'utf8')).toBe('hello');
      }
      expect(() =>
        writeCpioFile(join(dir, 'bad.cpio'), [{ kind: 'dir', name: '../up', mode: 0o755 }]),
      ).toThrow(/stay inside/);
      expect(() =>
        writeCpioFile(join(dir, 'bad2.cpio'), [{ kind: 'dir', name: '/abs', mode: 0o755 }]),
      ).toThrow(/relative/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('quotes every environment value so the shell reads it back byte for byte, and drops non-shell names', () => {
    const values = {
      QUOTE: "it's '' \"x\"",
      SUBST: '$(touch /tmp/pwned-env) `id` ${HOME}',
      NEWLINE: 'a\nexport EVIL=1\nb',
      BACKSLASH: '\\\\n\\',
      EMPTY: '',
    };
    const script = envScript({ ...values, 'BAD-NAME': 'x', '1X': 'y' });
    expect(script).not.toMatch(/BAD-NAME|1X=/);
    const dir = mkdtempSync(join(tmpdir(), 'mcpf-env-'));
    try {
      writeFileSync(join(dir, 'env.sh'), script);
      const read = spawnSync(
        'sh',
        ['-c', `. ${join(dir, 'env.sh')}; node -e 'process.stdout.write(JSON.stringify(process.env))'`],
        { encoding: 'utf8', env: { PATH: process.env.PATH } },
      );
      const env = JSON.parse(read.stdout) as Record<string, string>;
      for (const [k, v] of Object.entries(values)) expect(env[k]).toBe(v);
      expect(env.EVIL).toBeUndefined();
      expect(existsSync('/tmp/pwned-env')).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starts the server as an unprivileged uid from a fixed init', () => {
    const init = guestInit();
    expect(init).toMatch(/process\.setuid\(1000\)/);
    expect(init).toMatch(/^#!\/bin\/busybox sh/);
    expect(init).not.toMatch(/\$\{/); // nothing of a spec or the environment is interpolated into PID 1
  });
});

describe.skipIf(!enabled)('microvm target: a server in its own VM', () => {
  let t: TestHome;
  let host: MicroVmHost | undefined;
  let listener: Server;
  let listenerPort = 0;
  let connections = 0;

  beforeAll(async () => {
    ensureBuilt();
    host = microVmTestHost();
    t = newHome('microvm', fastEnv('22200-22299'));
    listener = createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    listenerPort = (listener.address() as { port: number }).port;
  }, 60_000);

  afterAll(async () => {
    listener?.close();
    for (const name of ['vm-probe']) await t?.cp.stop(name, { actor: 'test' }).catch(() => undefined);
    await t?.cleanup();
  });

  it('deploys, answers MCP, contains a code tool that reaches for the host, and stops', {
    timeout: 300_000,
  }, async (ctx) => {
    if (!host) return ctx.skip();
    mkdirSync(join(t.home, 'secrets'), { recursive: true, mode: 0o700 });
    writeFileSync(join(t.home, 'secrets', 'other.env'), `TOKEN=${JSON.stringify(SECRET)}\n`, { mode: 0o600 });
    const attempt = `const out = {}; const attempt = async (k, f) => { try { out[k] = await f(); } catch (e) { out[k] = 'ERR ' + (e.code ?? e.message); } };`;
    const connect = (address: string) =>
      `() => new Promise((resolve, reject) => { const s = net.connect({ host: ${JSON.stringify(address)}, port: ${listenerPort} }); s.setTimeout(3000, () => { s.destroy(); reject(new Error('timeout')); }); s.on('connect', () => { s.destroy(); resolve('CONNECTED'); }); s.on('error', reject); })`;
    const spec: ServerSpec = {
      ...textToolsSpec('vm-probe'),
      tools: [
        {
          name: 'probe',
          description: 'reach for the host',
          parameters: {},
          code: {
            source: `const fs = await import('node:fs'); const net = await import('node:net'); ${attempt}
await attempt('kernel', () => fs.readFileSync('/proc/version', 'utf8'));
await attempt('uid', () => Number(/^Uid:\\s+(\\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]));
await attempt('secret', () => fs.readFileSync(${JSON.stringify(join(t.home, 'secrets', 'other.env'))}, 'utf8'));
await attempt('home', () => fs.readdirSync(${JSON.stringify(t.home)}).join(','));
await attempt('write', () => { fs.writeFileSync(${JSON.stringify(join(t.home, 'pwned'))}, 'x'); return 'WROTE'; });
await attempt('root', () => { fs.writeFileSync('/pwned', 'x'); return 'WROTE'; });
await attempt('loopback', ${connect('127.0.0.1')});
await attempt('gateway', ${connect('10.0.2.2')});
await attempt('dns', ${connect('10.0.2.3')});
return JSON.stringify(out);`,
            hostAccess: { modules: ['fs', 'net'], reason: 'escape corpus: the microVM must contain this' },
          },
        },
        {
          name: 'fork',
          description: 'spawn hundreds of processes',
          parameters: {},
          code: {
            source: `const cp = await import('node:child_process');
const kids = []; let errors = 0;
for (let i = 0; i < 300; i++) { try { const k = cp.spawn('/bin/sleep', ['30']); k.on('error', () => { errors++; }); kids.push(k); } catch { errors++; } }
await new Promise((r) => setTimeout(r, 1500));
const fs = await import('node:fs');
const seen = fs.readdirSync('/proc').filter((n) => /^[0-9]+$/.test(n)).length;
for (const k of kids) try { k.kill('SIGKILL'); } catch {}
return JSON.stringify({ errors, seen });`,
            hostAccess: {
              modules: ['child_process', 'fs'],
              reason: 'escape corpus: the microVM must contain this',
            },
          },
        },
        {
          name: 'flood',
          description: 'write 3 MB of output',
          parameters: {},
          code: {
            source: `const line = 'x'.repeat(1023); for (let i = 0; i < 3072; i++) console.error(line); return 'flooded';`,
          },
        },
        {
          name: 'bomb',
          description: 'take all memory',
          parameters: {},
          code: {
            source: `const keep = []; for (;;) keep.push(Buffer.alloc(16 * 1024 * 1024, 1));`,
          },
        },
      ] as unknown as ServerSpec['tools'],
    };
    await t.cp.create({
      spec,
      specDir: t.home,
      runTests: false,
      typecheck: false,
      actor: 'test',
      // The child_process import is the point of the fork tool; the VM, not the scan, must contain it.
      securityThreshold: 'critical',
    });
    const started = Date.now();
    const d = await t.cp.deploy({ name: 'vm-probe', target: 'microvm', actor: 'test' });
    const coldMs = Date.now() - started;
    process.stderr.write(`\n[microvm] accel ${host.accel}: cold deploy to healthy ${coldMs} ms\n`);
    expect(d.status).toBe('running');
    expect(vmRunning(d.processId, 'vm-probe')).toBe(true);

    const r = await t.cp.callTool('vm-probe', 'probe', {});
    expect(r.text).not.toContain(SECRET);
    const seen = JSON.parse(r.text) as Record<string, string | number>;
    expect(String(seen.kernel)).toContain(host.kernel.release); // the guest's kernel, not the host's
    expect(String(seen.kernel)).not.toContain(readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim());
    expect(seen.uid).toBe(1000);
    expect(seen.secret).toMatch(/^ERR ENOENT/);
    expect(seen.home).toMatch(/^ERR ENOENT/);
    expect(seen.write).toMatch(/^ERR /);
    expect(seen.root).toMatch(/^ERR /);
    for (const k of ['loopback', 'gateway', 'dns']) expect(seen[k]).toMatch(/^ERR /);
    expect(connections).toBe(0);
    expect(existsSync(join(t.home, 'pwned'))).toBe(false);
    expect(existsSync('/pwned')).toBe(false);

    // The environment reached the guest in the boot image (0600), never in QEMU's command line.
    const bootImage = join(t.home, 'servers', 'vm-probe', 'microvm', 'boot.cpio');
    expect(existsSync(bootImage)).toBe(true);
    const pid = Number(d.processId?.split(':')[0]);
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).not.toMatch(/TEXT_TOOLS|MCP_TRANSPORT/);

    // The console is the server's log (read before the flood below rotates it away).
    const logs: string[] = [];
    for await (const line of t.cp.logs('vm-probe', { tail: 200 })) logs.push(line);
    expect(logs.join('\n')).toMatch(/mcpf-guest: starting the server as uid 1000/);

    // A fork bomb stays in the guest: its processes are not the host's (QEMU has no children), and it ends.
    const hostPids = () => readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;
    const pidsBefore = hostPids();
    const fork = JSON.parse((await t.cp.callTool('vm-probe', 'fork', {})).text) as {
      errors: number;
      seen: number;
    };
    expect(fork.seen).toBeGreaterThan(300); // the guest saw its 300 children …
    expect(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim()).toBe(''); // … the host none
    expect(hostPids()).toBeLessThan(pidsBefore + 20);

    // A flood of output is cut at the log cap as it is written (1 MiB here, 2 files kept).
    await t.cp.callTool('vm-probe', 'flood', {});
    const logsDir = join(t.home, 'logs');
    await waitUntil(
      'the flood to reach the log',
      () => readdirSync(logsDir).filter((f) => f.startsWith('vm-probe.microvm.log')).length >= 2,
      60_000,
    );
    const logFiles = readdirSync(logsDir).filter((f) => f.startsWith('vm-probe.microvm.log'));
    expect(logFiles.length).toBeLessThanOrEqual(2);
    for (const f of logFiles) expect(statSync(join(logsDir, f)).size).toBeLessThanOrEqual(1024 * 1024);

    // A memory bomb ends inside the guest: the VM goes down, the host and its other processes do not.
    const before = process.memoryUsage().rss;
    await t.cp.callTool('vm-probe', 'bomb', {}).catch(() => undefined);
    expect(process.memoryUsage().rss).toBeLessThan(before + 256 * 1024 * 1024);
    await waitUntil('the VM to end', () => !vmRunning(d.processId, 'vm-probe'), 30_000);
    const after = (await t.cp.status('vm-probe')).deployments[0];
    expect(after?.health).toMatchObject({ health: 'unhealthy', runtime: { vm: 'not running' } });
    expect(String(after?.health?.detail)).toMatch(/VM has exited/);

    // Started again, it boots from the revision's image as before.
    await t.cp.start('vm-probe', { actor: 'test' });
    const again = (await t.cp.status('vm-probe')).deployments[0];
    expect(again?.status).toBe('running');
    expect(vmRunning(again?.processId, 'vm-probe')).toBe(true);
    expect(JSON.parse((await t.cp.callTool('vm-probe', 'probe', {})).text).uid).toBe(1000);

    await t.cp.stop('vm-probe', { actor: 'test' });
    expect(vmRunning(again?.processId, 'vm-probe')).toBe(false);
    expect(existsSync(bootImage)).toBe(false);
  });
});
