/**
 * Escape corpus against the sandbox of generated tests (build/verify/run-tests.ts): a project whose test file
 * tries to read the factory home and another server's secrets, write outside its project, reach an undeclared
 * loopback port, fork-bomb, memory-bomb and flood its output — all from top-level code and from a test. Each
 * attempt is checked by its effect on the host: marker files absent, the secret in no output, the listener
 * never reached, this process still fine.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGeneratedTests } from '../../src/build/verify/run-tests.js';
import { detectSandbox } from '../../src/platform/sandbox/index.js';
import { REQUIRE_SERVICES } from '../helpers/services.js';

const support = detectSandbox();
if (!support.available) process.stderr.write(`\n[skip] isolation tests need a sandbox: ${support.reason}\n`);

describe.skipIf(!support.available && !REQUIRE_SERVICES)('escape corpus: sandboxed generated tests', () => {
  let work: string;
  let home: string;
  let listener: Server;
  let port: number;
  let connections = 0;
  const secret = `s3cret-${randomBytes(12).toString('hex')}`;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'mcpf-isolation-'));
    home = join(work, 'home');
    mkdirSync(join(home, 'secrets'), { recursive: true, mode: 0o700 });
    writeFileSync(join(home, 'secrets', 'victim.env'), `TOKEN=${JSON.stringify(secret)}\n`, { mode: 0o600 });
    chmodSync(home, 0o700);
    listener = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    port = (listener.address() as { port: number }).port;
  });
  afterAll(() => {
    listener?.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** A project whose only test is `body` (top-level code), run by node --test in the sandbox. */
  function project(name: string, body: string): string {
    const dir = join(home, 'servers', name, 'rev');
    mkdirSync(join(dir, 'test'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
    writeFileSync(
      join(dir, 'test', 'attack.test.mjs'),
      `import { test } from 'node:test';\nimport fs from 'node:fs';\nimport net from 'node:net';\nimport cp from 'node:child_process';\nconst out = {};\nconst attempt = (k, f) => { try { out[k] = f(); } catch (e) { out[k] = 'ERR ' + e.code; } };\n${body}\ntest('attack', () => {});\n`,
    );
    return dir;
  }

  it('keeps the factory home, the secrets and the host file system out of reach', async () => {
    const victimEnv = join(home, 'secrets', 'victim.env');
    const dir = project(
      'reader',
      `attempt('secret', () => fs.readFileSync(${JSON.stringify(victimEnv)}, 'utf8'));
attempt('home', () => fs.readdirSync(${JSON.stringify(home)}).join(','));
attempt('rootHome', () => fs.readdirSync('/root').join(','));
attempt('shadow', () => fs.readFileSync('/etc/shadow', 'utf8'));
attempt('hostEnviron', () => fs.readFileSync('/proc/1/environ', 'utf8'));
attempt('procs', () => fs.readdirSync('/proc').filter((n) => /^\\d+$/.test(n)).length);
attempt('uid', () => process.getuid());
for (const p of [${JSON.stringify(join(home, 'pwned'))}, ${JSON.stringify(join(work, 'pwned'))}, '/tmp/../${'pwned-root'}', ${JSON.stringify(join(home, 'servers', 'reader', 'rev', 'pwned'))}]) attempt('write ' + p, () => { fs.writeFileSync(p, 'x'); return 'WROTE'; });
attempt('tmp', () => { fs.writeFileSync('/tmp/ok', 'x'); return 'ok'; });
console.log('RESULT:' + JSON.stringify(out));`,
    );
    const result = await runGeneratedTests(dir, { hide: [home] });
    expect(result.sandboxed).toBe(true);
    const seen = JSON.parse(/RESULT:(.*)/.exec(result.output)?.[1] ?? 'null') as Record<string, unknown>;
    expect(seen, result.output).not.toBeNull();
    expect(result.output).not.toContain(secret);
    expect(String(seen.secret)).toMatch(/^ERR /);
    expect(String(seen.rootHome)).toMatch(/^ERR /);
    expect(String(seen.shadow)).toMatch(/^ERR /);
    expect(String(seen.hostEnviron)).toMatch(/^ERR /);
    expect(seen.uid).not.toBe(0);
    expect(seen.procs).toBeLessThan(10); // its own PID namespace
    expect(seen.tmp).toBe('ok'); // a private, writable /tmp
    // By effect: nothing was written anywhere on the host.
    for (const p of [join(home, 'pwned'), join(work, 'pwned'), '/pwned-root', join(dir, 'pwned')])
      expect(existsSync(p), p).toBe(false);
  });

  it('gives no network: an undeclared loopback port is never reached', async () => {
    const dir = project(
      'connector',
      `await new Promise((resolve) => { const s = net.connect(${port}, '127.0.0.1'); s.on('connect', () => { out.connect = 'CONNECTED'; s.destroy(); resolve(); }); s.on('error', (e) => { out.connect = 'ERR ' + e.code; resolve(); }); });
console.log('RESULT:' + JSON.stringify(out));`,
    );
    const result = await runGeneratedTests(dir);
    expect(result.output).toMatch(/RESULT:.*"connect":"ERR /);
    expect(connections).toBe(0);
  });

  it('control: the same attempts succeed unconfined (--unsafe-no-sandbox), so the checks above can fail', async () => {
    const dir = project(
      'control',
      `attempt('secret', () => fs.readFileSync(${JSON.stringify(join(home, 'secrets', 'victim.env'))}, 'utf8'));
await new Promise((resolve) => { const s = net.connect(${port}, '127.0.0.1'); s.on('connect', () => { out.connect = 'CONNECTED'; s.destroy(); resolve(); }); s.on('error', (e) => { out.connect = 'ERR ' + e.code; resolve(); }); });
console.log('RESULT:' + JSON.stringify(out));`,
    );
    const before = connections;
    const result = await runGeneratedTests(dir, { unsafeNoSandbox: true, env: { PATH: '/nonexistent' } });
    expect(result.sandboxed).toBe(false);
    expect(result.output).toContain(secret);
    expect(result.output).toMatch(/"connect":"CONNECTED"/);
    await new Promise((r) => setTimeout(r, 100));
    expect(connections).toBe(before + 1);
    connections = before; // the later checks count from zero
  });

  it('contains a fork bomb (RLIMIT_NPROC) and a memory bomb (RLIMIT_DATA / heap)', async () => {
    const dir = project(
      'bomber',
      `const kids = [];
attempt('fork', () => { for (let i = 0; i < 600; i++) kids.push(cp.spawn('/bin/sleep', ['30'])); return 'SPAWNED ' + kids.length; });
let spawnErrors = 0; await new Promise((r) => { let n = 0; for (const k of kids) k.on('error', () => { spawnErrors++; if (++n === kids.length) r(); }).on('spawn', () => { if (++n === kids.length) r(); }); if (!kids.length) r(); });
out.spawnErrors = spawnErrors;
for (const k of kids) try { k.kill('SIGKILL'); } catch {}
attempt('memory', () => { const a = []; for (let i = 0; i < 1000; i++) a.push(Buffer.alloc(64 * 1024 * 1024, 1)); return 'ALLOCATED ' + a.length; });
console.log('RESULT:' + JSON.stringify(out));`,
    );
    const before = Date.now();
    const result = await runGeneratedTests(dir, { timeoutMs: 60_000 });
    const seen = JSON.parse(/RESULT:(.*)/.exec(result.output)?.[1] ?? 'null') as Record<string, unknown>;
    expect(seen, result.output).not.toBeNull();
    expect(Number(seen.spawnErrors)).toBeGreaterThan(300); // RLIMIT_NPROC (256, threads included) refused the rest
    expect(String(seen.memory)).toMatch(/^ERR /);
    expect(Date.now() - before).toBeLessThan(60_000);
  });

  it('stops a run that floods its output, keeping only a bounded tail', async () => {
    const dir = project(
      'flooder',
      `const line = 'x'.repeat(1 << 16) + '\\n'; for (;;) process.stdout.write(line);`,
    );
    const result = await runGeneratedTests(dir, { maxOutputBytes: 8 * 1024 * 1024, timeoutMs: 60_000 });
    // Stopped by the output cap, or (node --test buffers a test file's output) by the sandbox's memory limit:
    // either way the run fails, before the timeout, and the factory keeps a bounded tail only.
    expect(result.ok).toBe(false);
    expect(result.stopped ?? 'exited').not.toMatch(/timed out/);
    expect(result.output.length).toBeLessThanOrEqual(256 * 1024);
  });
});
