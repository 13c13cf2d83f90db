/**
 * The local target's secret store: one file per deployed server, `<home>/secrets/<name>.env`, mode 0600 in a
 * 0700 directory, holding the environment values given at deploy time (`--env K=V`). The supervisor reads it
 * whenever it (re)starts the server — also after the supervisor itself restarted — so values survive without
 * ever entering the registry, which records only the variable names as secret references.
 *
 * Format: `NAME=<JSON string>` per line (JSON keeps newlines and quotes intact); `#` starts a comment.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { FactoryError } from '../core/errors/index.js';
import { ENV_VAR } from '../core/spec/name-patterns.js';

/** Names the supervisor sets itself; a deployment cannot override them. */
export const RESERVED_ENV = /^(?:MCP_FACTORY_.*|MCP_TRANSPORT|PORT|HOST)$/;

export function checkEnvName(name: string): string {
  if (!ENV_VAR.test(name)) {
    throw new FactoryError(
      'INVALID_ARGUMENTS',
      `${JSON.stringify(name)} is not an environment variable name (upper-case letters, digits and _)`,
    );
  }
  if (RESERVED_ENV.test(name)) {
    throw new FactoryError(
      'INVALID_ARGUMENTS',
      `${name} is set by the supervisor and cannot be given with --env (use --port for the port)`,
    );
  }
  return name;
}

export function readEnvFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const name = line.slice(0, eq);
    const raw = line.slice(eq + 1);
    try {
      const value: unknown = JSON.parse(raw);
      if (typeof value === 'string') env[name] = value;
    } catch {
      env[name] = raw;
    }
  }
  return env;
}

/** Replace the file atomically; it never exists with wider permissions than 0600, not even briefly. */
export function writeEnvFile(file: string, env: Record<string, string>): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const lines = [
    '# MCP Factory local secret store: environment of one deployment. Keep private (mode 0600).',
    ...Object.keys(env)
      .sort()
      .map((name) => `${checkEnvName(name)}=${JSON.stringify(env[name])}`),
  ];
  writePrivateFile(file, `${lines.join('\n')}\n`);
}

/**
 * Write `text` to `file` atomically (a new file in the same folder, synced, renamed over it: a reader sees the
 * old content or the new, and a symbolic link at `file` is replaced, never followed), mode 0600.
 */
export function writePrivateFile(file: string, text: string): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, file);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

export function removeEnvFile(file: string): void {
  rmSync(file, { force: true });
}

/**
 * Variables a server inherits from the supervisor: what programs need to run, nothing else — so a supervisor
 * started from a shell full of credentials does not hand them to every server.
 */
const INHERITED = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TMPDIR',
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
]);

export function inheritedEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && (INHERITED.has(k) || k.startsWith('LC_'))) out[k] = v;
  }
  return out;
}
