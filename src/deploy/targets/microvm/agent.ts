/**
 * The guest agent of a warm-pool VM (pool.ts): a VM booted ahead of time from a generic image (no server in it)
 * waits in its agent for one hand-over — the server's project and environment as a cpio archive, authenticated
 * by the VM's one-time secret — writes it to / and exits; the init then starts the server exactly as a server
 * image's init does (image.ts guestStart). The secret reaches the guest in a second initramfs archive
 * (/etc/mcpf/agent.json, 0600), never on QEMU's command line; the agent deletes it once read.
 *
 * One hand-over, then the agent is gone: a wrong secret, a broken archive or a dropped upload ends the agent
 * with an error and the init powers the VM off (it is never reused); a second caller finds the server, not the
 * agent. `GET /ready` (no secret: it says only that the agent listens) is how the host sees that a VM booted.
 */
import { createHash } from 'node:crypto';
import { createReadStream, realpathSync, statSync } from 'node:fs';
import { request } from 'node:http';
import type { MicroVmHost } from './host.js';
import {
  addGuestBase,
  addLibrary,
  addProject,
  envScript,
  guestSetup,
  guestStart,
  linkedLibraries,
  Tree,
  writeTree,
} from './image.js';

/** Where the agent lives in the generic image. */
const AGENT_FILE = 'sbin/mcpf-agent.mjs';

/** The agent (plain JavaScript, run as root by the init; needs nothing but Node's own modules and busybox). */
export const AGENT_SOURCE = `import { createServer } from 'node:http';
import { readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createHash, timingSafeEqual } from 'node:crypto';
const conf = JSON.parse(readFileSync('/etc/mcpf/agent.json', 'utf8'));
rmSync('/etc/mcpf/agent.json', { force: true });
const want = createHash('sha256').update(String(conf.secret)).digest();
const MAX = 512 * 1024 * 1024;
let taken = false;
const end = (res, code, text, exitCode) => {
  res.statusCode = code;
  res.setHeader('connection', 'close');
  res.end(text + '\\n', () => { console.log('mcpf-agent: ' + text); process.exit(exitCode); });
};
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/ready') return void res.end('ready\\n');
  if (req.method !== 'POST' || req.url !== '/handover') { res.statusCode = 404; return void res.end(); }
  if (taken) { res.statusCode = 409; return void res.end('taken\\n'); }
  taken = true;
  const given = createHash('sha256').update(String(req.headers['x-mcpf-secret'] ?? '')).digest();
  if (!timingSafeEqual(given, want)) return end(res, 403, 'hand-over refused: wrong secret', 1);
  const chunks = [];
  let size = 0;
  req.on('data', (c) => { size += c.length; if (size > MAX) req.destroy(); else chunks.push(c); });
  req.on('error', () => process.exit(1));
  req.on('close', () => { if (!req.complete) { console.log('mcpf-agent: hand-over cut off'); process.exit(1); } });
  req.on('end', () => {
    const unpack = spawnSync('/bin/busybox', ['cpio', '-i', '-d', '-u'], { cwd: '/', input: Buffer.concat(chunks) });
    if (unpack.status !== 0) return end(res, 500, 'hand-over failed: ' + String(unpack.stderr).slice(0, 200), 1);
    server.close();
    end(res, 200, 'hand-over done', 0);
  });
});
server.listen(Number(conf.port), '0.0.0.0', () => console.log('mcpf-agent: ready'));
`;

/** PID 1 of a pool VM: set up, run the agent (power off unless it took a hand-over), then start the server. */
export function poolInit(): string {
  return `${guestSetup()}/bin/node /${AGENT_FILE} || { echo "mcpf-guest: no hand-over, powering off"; poweroff -f; }
${guestStart()}`;
}

/** What the generic image depends on: a change to any of them is a new image file. */
export function poolImageKey(host: MicroVmHost): string {
  const node = statSync(process.execPath);
  const kernel = statSync(host.kernel.image);
  return createHash('sha256')
    .update(
      JSON.stringify([
        process.execPath,
        process.version,
        node.size,
        node.mtimeMs,
        host.kernel.image,
        host.kernel.release,
        kernel.size,
        kernel.mtimeMs,
        host.busybox,
        poolInit(),
        AGENT_SOURCE,
      ]),
    )
    .digest('hex')
    .slice(0, 16);
}

/** Write the generic guest image (busybox, modules, Node.js, the agent; no server) to `out`. */
export function buildPoolImage(host: MicroVmHost, out: string): number {
  const tree = new Tree();
  tree.data('init', poolInit(), 0o755);
  tree.data(AGENT_FILE, AGENT_SOURCE, 0o700);
  for (const lib of [...addGuestBase(tree, host)].sort()) addLibrary(tree, lib);
  return writeTree(tree, out);
}

/**
 * The hand-over archive of a server: what a server image adds to the base (image.ts addProject: /app and the
 * libraries of native addons) plus /etc/mcpf/env.sh (0600). Written to `out` (0600), sent, then removed.
 */
export function writeHandover(projectDir: string, env: Record<string, string>, out: string): number {
  const tree = new Tree();
  addProject(tree, projectDir, new Set(linkedLibraries(realpathSync(process.execPath))));
  tree.data('etc/mcpf/env.sh', envScript(env), 0o600);
  return writeTree(tree, out);
}

/** Send the archive `file` to the agent on 127.0.0.1:`port`; resolves when it took it, else throws. */
export function handOver(port: number, secret: string, file: string, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/handover',
        method: 'POST',
        headers: { 'x-mcpf-secret': secret, 'content-length': statSync(file).size },
        timeout: timeoutMs,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () =>
          res.statusCode === 200
            ? resolve()
            : reject(new Error(`the pool VM refused the hand-over (${res.statusCode}: ${text.trim()})`)),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from the pool VM within ${timeoutMs} ms`)));
    req.on('error', reject);
    createReadStream(file).pipe(req);
  });
}

/** Whether the agent on 127.0.0.1:`port` is up (a booting VM's forward resets the connection). */
export function agentReady(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/ready', method: 'GET', timeout: timeoutMs },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve(res.statusCode === 200 && text.trim() === 'ready'));
        res.on('error', () => resolve(false));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
