/**
 * A server's Kubernetes options kept in `<home>/servers/<name>/kubernetes.json`, read by deploy and export:
 * flags given on the command line override it key by key. The file is untrusted input like the flags: it must be
 * a regular file (a symbolic link is refused: it could point the factory at a file of someone else's choosing),
 * small, one JSON object with known keys only (an unknown key — `__proto__` included — is named in the error
 * rather than ignored), each of the right type, then the same checks as the flags (options.ts). Every refusal
 * is INVALID_ARGUMENTS with the file in `details.path` and an issue at the offending key.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FactoryError, makeIssue } from '../../../core/errors/index.js';
import type { HomeLayout } from '../../../platform/home.js';
import { writePrivateFile } from '../../../platform/secrets.js';
import { checkKubernetesOptions, type KubernetesOptions } from './options.js';

export const OPTIONS_FILE_NAME = 'kubernetes.json';
const MAX_FILE_BYTES = 64 * 1024;
const EXAMPLE = '{"namespace": "mcp", "replicas": 2, "hpa": {"min": 2, "max": 10, "cpuPercent": 80}}';

type Kind = 'string' | 'number' | 'object';
const KEYS: Record<keyof KubernetesOptions, Kind> = {
  namespace: 'string',
  replicas: 'number',
  imagePrefix: 'string',
  ingressHost: 'string',
  hpa: 'object',
  resources: 'object',
};
const HPA_KEYS = ['min', 'max', 'cpuPercent'] as const;
const RESOURCE_KEYS = ['cpuRequest', 'cpuLimit', 'memoryRequest', 'memoryLimit'] as const;

export function kubernetesOptionsFile(layout: HomeLayout, server: string): string {
  return join(layout.serverDir(server), OPTIONS_FILE_NAME);
}

function refused(file: string, message: string, key = '', hint = `e.g. ${EXAMPLE}`): FactoryError {
  const issue = { ...makeIssue('INVALID_ARGUMENTS', message, key, hint), file };
  return new FactoryError('INVALID_ARGUMENTS', `${file}: ${message}`, {
    issues: [issue],
    details: { path: file, ...(key ? { key } : {}), hint },
  });
}

/** The options in `file`, checked; `{}` when there is no file. */
export function readKubernetesOptionsFile(file: string): KubernetesOptions {
  let text: string;
  try {
    if (lstatSync(file).isSymbolicLink())
      throw refused(
        file,
        'is a symbolic link',
        '',
        'Keep the options in a regular file of the server folder.',
      );
    // O_NOFOLLOW: a link swapped in after the check above is refused by the open itself.
    const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile()) throw refused(file, 'is not a regular file');
      if (stat.size > MAX_FILE_BYTES)
        throw refused(file, `is larger than ${MAX_FILE_BYTES} bytes`, '', 'A few options fit in far less.');
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if (error instanceof FactoryError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return {};
    if (code === 'ELOOP') throw refused(file, 'is a symbolic link');
    throw refused(file, `cannot be read (${code ?? (error as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw refused(file, `is not valid JSON (${(error as Error).message.slice(0, 200)})`);
  }
  return checkedOptions(file, parsed);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Exactly these keys, each a finite number (hpa) or a string (resources). */
function nested(
  file: string,
  key: 'hpa' | 'resources',
  value: unknown,
  names: readonly string[],
  kind: 'number' | 'string',
): Record<string, unknown> {
  if (!isObject(value)) throw refused(file, `${key} must be an object`, key);
  const unknown = Object.keys(value).filter((k) => !names.includes(k));
  if (unknown.length)
    throw refused(file, `unknown ${key} keys: ${unknown.map((k) => JSON.stringify(k)).join(', ')}`, key);
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const v = value[name];
    if (typeof v !== kind || (kind === 'number' && !Number.isFinite(v)))
      throw refused(file, `${key}.${name} must be a ${kind}`, `${key}.${name}`);
    out[name] = v;
  }
  return out;
}

function checkedOptions(file: string, parsed: unknown): KubernetesOptions {
  if (!isObject(parsed)) throw refused(file, 'must hold one JSON object');
  const unknown = Object.keys(parsed).filter((k) => !Object.hasOwn(KEYS, k));
  if (unknown.length)
    throw refused(
      file,
      `unknown keys: ${unknown.map((k) => JSON.stringify(k)).join(', ')}`,
      unknown[0],
      `Known keys: ${Object.keys(KEYS).join(', ')}.`,
    );
  const options: KubernetesOptions = {};
  for (const [key, kind] of Object.entries(KEYS) as Array<[keyof KubernetesOptions, Kind]>) {
    const value = parsed[key];
    if (value === undefined) continue;
    const one: KubernetesOptions =
      key === 'hpa'
        ? { hpa: nested(file, key, value, HPA_KEYS, 'number') as KubernetesOptions['hpa'] }
        : key === 'resources'
          ? { resources: nested(file, key, value, RESOURCE_KEYS, 'string') as KubernetesOptions['resources'] }
          : { [key]: value };
    if (kind !== 'object' && typeof value !== kind) throw refused(file, `${key} must be a ${kind}`, key);
    // One key at a time, so that a refusal names the key it is about.
    try {
      checkKubernetesOptions(one);
    } catch (error) {
      if (!(error instanceof FactoryError)) throw error;
      const hint = typeof error.details?.hint === 'string' ? error.details.hint : undefined;
      throw refused(file, error.message, key, hint);
    }
    Object.assign(options, one);
  }
  return options;
}

/**
 * Write a server's options (checked ones: the caller checks them first, so a hostile value writes nothing),
 * atomically and mode 0600, replacing a symbolic link at `file` rather than following it.
 */
export function writeKubernetesOptionsFile(file: string, options: KubernetesOptions): void {
  writePrivateFile(file, `${JSON.stringify(options, null, 2)}\n`);
}

/** The file's options with every flag that was given (not undefined) in their place. */
export function mergeKubernetesOptions(
  fromFile: KubernetesOptions,
  flags: KubernetesOptions,
): KubernetesOptions {
  const given = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));
  return { ...fromFile, ...given };
}
