/**
 * The host agent's own policy file (YAML or JSON, validated with zod) and its key file. The policy is the
 * authority over what runs on this host: allowed programs (looked up in its searchPath), denied argument
 * patterns, the roots every path-like argument and the working directory must stay inside, the maximum
 * limits (a request's limits are capped at them), network on/off, the user commands run as and the local
 * backend (native or bwrap). The key file holds `<key id> <secret>` lines and must be readable by its owner
 * only (a group- or world-readable file is refused).
 */
import { closeSync, fstatSync, openSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { FactoryError } from '../../core/errors/index.js';
import { RunAs } from '../../core/kinds/command.js';
import { REFUSED_PROGRAMS } from '../../core/kinds/command-check.js';

const absolutePath = z
  .string()
  .min(1)
  .max(4096)
  .refine(
    (p) => isAbsolute(p) && !p.includes('\0') && !p.split('/').includes('..'),
    'must be an absolute path without ".."',
  );

const regexSource = z
  .string()
  .min(1)
  .max(1000)
  .refine((source) => {
    try {
      new RegExp(source, 'u');
      return true;
    } catch {
      return false;
    }
  }, 'must be a regular expression');

const programName = z
  .string()
  .min(1)
  .max(4096)
  .refine(
    (p) => !p.includes('\0') && (isAbsolute(p) || !p.includes('/')),
    'must be a name or an absolute path',
  )
  .refine(
    (p) => !REFUSED_PROGRAMS.has(p.slice(p.lastIndexOf('/') + 1)),
    'is a shell or launcher (it would run code from its arguments)',
  );

const MaxLimits = z.strictObject({
  cpuSeconds: z.number().int().min(1).max(86_400).default(10),
  memoryBytes: z
    .number()
    .int()
    .min(16 * 1024 * 1024)
    .default(512 * 1024 * 1024),
  processes: z.number().int().min(1).max(4096).default(32),
  fileBytes: z
    .number()
    .int()
    .min(0)
    .default(16 * 1024 * 1024),
});

export const AgentPolicySchema = z.strictObject({
  backend: z.enum(['native', 'bwrap']).default('bwrap').describe('Where commands run on this host.'),
  allowedPrograms: z.array(programName).min(1).max(256),
  searchPath: z.array(absolutePath).min(1).max(16).default(['/usr/local/bin', '/usr/bin', '/bin']),
  deniedArgs: z.array(regexSource).max(256).default([]),
  roots: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/),
      z.strictObject({ path: absolutePath, writable: z.boolean().default(false) }),
    )
    .refine((roots) => Object.keys(roots).length > 0, 'at least one root is needed'),
  network: z.boolean().default(false),
  runAs: RunAs.optional().describe('Never root; default when the agent runs as root: nobody.'),
  maxLimits: MaxLimits.prefault({}),
  maxTimeoutMs: z.number().int().min(100).max(3_600_000).default(60_000),
  maxOutputBytes: z
    .number()
    .int()
    .min(1)
    .max(256 * 1024 * 1024)
    .default(1024 * 1024),
  maxBodyBytes: z
    .number()
    .int()
    .min(1024)
    .max(16 * 1024 * 1024)
    .default(1024 * 1024),
  maxConcurrentRuns: z.number().int().min(1).max(1024).default(8),
  clockSkewSeconds: z.number().int().min(1).max(600).default(60),
});
export type AgentPolicyInput = z.input<typeof AgentPolicySchema>;

/** A loaded policy: roots as real directories. */
export type AgentPolicy = Omit<z.infer<typeof AgentPolicySchema>, 'roots'> & {
  roots: Array<{ name: string; path: string; writable: boolean }>;
};

function invalid(path: string, message: string, cause?: unknown): FactoryError {
  return new FactoryError('HOST_AGENT_CONFIG_INVALID', `${path}: ${message}`, {
    details: { path },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Validates a policy object (`where` names it in errors); roots must be existing directories. */
export function agentPolicy(input: unknown, where = 'policy'): AgentPolicy {
  const parsed = AgentPolicySchema.safeParse(input);
  if (!parsed.success)
    throw invalid(
      where,
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
    );
  const roots = Object.entries(parsed.data.roots).map(([name, root]) => {
    let real: string;
    try {
      real = realpathSync(root.path);
    } catch (error) {
      throw invalid(where, `root "${name}" (${root.path}) does not exist`, error);
    }
    if (!statSync(real).isDirectory())
      throw invalid(where, `root "${name}" (${root.path}) is not a directory`);
    return { name, path: real, writable: root.writable };
  });
  return { ...parsed.data, roots };
}

/** Reads and validates the policy file (YAML or JSON). */
export function loadAgentPolicy(file: string): AgentPolicy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw invalid(file, 'cannot be read', error);
  }
  let input: unknown;
  try {
    input = parseYaml(text);
  } catch (error) {
    throw invalid(file, `is not valid YAML or JSON: ${(error as Error).message}`, error);
  }
  return agentPolicy(input, file);
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** 32 characters of a random secret (e.g. `openssl rand -hex 32`) at least. */
const SECRET = /^[\x21-\x7e]{32,1024}$/;

/**
 * The shared keys by id, from a file readable by its owner only. Checked on the open descriptor (no swap
 * between the check and the read).
 */
export function loadAgentKeys(file: string): Map<string, string> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    throw invalid(file, 'cannot be read', error);
  }
  let text: string;
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw invalid(file, 'is not a regular file');
    if ((stat.mode & 0o077) !== 0)
      throw new FactoryError(
        'HOST_AGENT_KEY_EXPOSED',
        `${file} has mode ${(stat.mode & 0o777).toString(8)}: other users could read the key`,
        { details: { path: file } },
      );
    text = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  const keys = new Map<string, string>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [id, secret, ...rest] = line.split(/\s+/);
    if (!id || !secret || rest.length > 0 || !KEY_ID.test(id) || !SECRET.test(secret))
      throw invalid(file, `line ${i + 1} is not "<key id> <secret of 32+ characters>"`);
    if (keys.has(id)) throw invalid(file, `line ${i + 1}: key id "${id}" appears twice`);
    keys.set(id, secret);
  });
  if (keys.size === 0) throw invalid(file, 'holds no key');
  return keys;
}
