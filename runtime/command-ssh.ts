/**
 * The ssh execution backend of command tools (ssh2): one connection per call, the server's host key checked
 * against a pinned SHA256 fingerprint (an unknown key is refused before authenticating), a private key from
 * the environment, and the argv sent as one remote shell line in which every argument is single-quoted — so
 * the remote shell sees only literal words. On the remote side the run is wrapped in `ulimit` (CPU, file
 * size, address space), `timeout -s KILL` (its whole process group) and `env -i` (only the allowed
 * environment). Importing this module registers the backend (servers without ssh tools do not bundle ssh2).
 */
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BACKENDS, type ExecBackend, type ExecOptions, type ExecResult } from './command-exec.js';
import { failedRun, outputCap } from './exec/backends.js';

export type { SshTarget } from './command-exec.js';

/** One argument for a POSIX shell: single-quoted, embedded quotes as '\''. Nothing inside is special. */
export function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The remote shell line: limits, then a killing timeout over a cleared environment, then the argv. */
export function remoteCommand(argv: string[], options: ExecOptions): string {
  const { limits } = options;
  const seconds = Math.max(1, Math.ceil(options.timeoutMs / 1000));
  const env = Object.entries(options.env).map(([k, v]) => shellQuote(`${k}=${v}`));
  const words = [
    'exec',
    'timeout',
    '-s',
    'KILL',
    String(seconds),
    'env',
    '-i',
    ...env,
    ...argv.map(shellQuote),
  ];
  return [
    `ulimit -t ${limits.cpuSeconds} -f ${Math.ceil(limits.fileBytes / 512)} -v ${Math.ceil(limits.memoryBytes / 1024)} || exit 126`,
    ...(options.cwd ? [`cd ${shellQuote(options.cwd)} || exit 126`] : []),
    words.join(' '),
  ].join('; ');
}

/** The SHA256 fingerprint of a raw host key, as OpenSSH prints it. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

export const sshBackend: ExecBackend = {
  name: 'ssh',
  async run(argv, options, signal) {
    const started = performance.now();
    const target = options.ssh;
    if (!target) return failedRun('the ssh backend needs a target', started);
    // ssh2's bundled poly1305 (emscripten) reads the CommonJS `__dirname`, which an ESM bundle lacks.
    const globals = globalThis as { __dirname?: string };
    globals.__dirname ??= dirname(fileURLToPath(import.meta.url));
    const { Client } = await import('ssh2');
    const pinned = target.hostKey.startsWith('SHA256:') ? target.hostKey : `SHA256:${target.hostKey}`;
    return new Promise<ExecResult>((resolveRun) => {
      const conn = new Client();
      let timedOut = false;
      let done = false;
      const finish = (result: Partial<ExecResult>) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        conn.end();
        resolveRun({
          exitCode: null,
          signal: null,
          stdout: output.stdout(),
          stderr: output.stderr(),
          truncated: output.truncated,
          timedOut,
          durationMs: Math.round(performance.now() - started),
          ...result,
        });
      };
      // Closing the connection hangs up the remote session; the remote `timeout` kills what is left.
      const stop = (why: Partial<ExecResult>) => finish({ exitCode: null, signal: 'SIGKILL', ...why });
      const output = outputCap(options.maxOutputBytes, () => stop({}));
      const timer = setTimeout(() => {
        timedOut = true;
        stop({});
      }, options.timeoutMs);
      const onAbort = () => stop({});
      if (signal?.aborted) return stop({});
      signal?.addEventListener('abort', onAbort, { once: true });
      conn.on('error', (error) => {
        const reason = /verification failed/i.test(error.message)
          ? `host key of ${target.host} does not match the pinned fingerprint`
          : error.message;
        finish({ ...failedRun(`ssh: ${reason}`, started), stdout: '', stderr: `ssh: ${reason}` });
      });
      conn.on('ready', () => {
        conn.exec(remoteCommand(argv, options), (error, stream) => {
          if (error) return finish({ exitCode: 255, stderr: `ssh: ${error.message}` });
          stream.on('data', output.sink('out'));
          stream.stderr.on('data', output.sink('err'));
          stream.on('close', (code: number | null, sig?: string) => {
            // `timeout -s KILL` reports a kill as 137 (128 + 9).
            finish(
              code === 137 ? { exitCode: null, signal: 'SIGKILL' } : { exitCode: code, signal: sig ?? null },
            );
          });
          if (options.stdin !== undefined) stream.end(options.stdin);
          else stream.end();
        });
      });
      conn.connect({
        host: target.host,
        port: target.port,
        username: target.user,
        privateKey: target.privateKey,
        readyTimeout: Math.min(options.timeoutMs, 20_000),
        // Refuse any key but the pinned one, before authenticating (no trust on first use).
        hostVerifier: (key: Buffer) => fingerprint(key) === pinned,
      });
    });
  },
};

BACKENDS.ssh = sshBackend;
