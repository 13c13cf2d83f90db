/**
 * The host agent's own check of a run request: the agent trusts nothing the caller's spec decided. The
 * program must be on the agent's allow-list and resolve in its searchPath; no argument may match a denied
 * pattern, hold a ".." path segment, or — read as a path from the working directory, after symlinks — name
 * anything outside the agent's roots (an argument `--opt=value` is checked for its value too); the working
 * directory must be inside a root; the environment may not set variables that load code, and its PATH is
 * always the agent's searchPath. Limits,
 * timeout and output cap are capped at the agent's maxima; network is on only when both sides allow it.
 */
import { existsSync, lstatSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import type { AgentRunRequest } from '../../core/exec/agent-protocol.js';
import { type CommandPolicy, CommandRefused, isInside, resolveProgram } from '../../core/exec/argv.js';
import type { ExecOptions } from '../../core/exec/backends.js';
import type { AgentPolicy } from './policy.js';

const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !s.includes('\0'), 'may not contain a NUL byte');

const RunRequestSchema = z.strictObject({
  argv: z.array(text(100_000)).min(1).max(1024),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/), text(100_000)).default({}),
  cwd: text(4096).optional(),
  stdin: z
    .string()
    .max(16 * 1024 * 1024)
    .optional(),
  timeoutMs: z.number().int().min(1),
  maxOutputBytes: z.number().int().min(1),
  limits: z.strictObject({
    cpuSeconds: z.number().int().min(1),
    memoryBytes: z.number().int().min(1),
    processes: z.number().int().min(1),
    fileBytes: z.number().int().min(0),
  }),
  network: z.boolean(),
});

/** Variables that load code into the program (PATH is not refused: the agent replaces it with its own). */
const FORBIDDEN_ENV = /^(LD_.*|DYLD_.*|BASH_ENV|ENV|IFS|NODE_OPTIONS|PYTHONPATH|PERL5LIB|RUBYOPT)$/;

export interface CheckedRun {
  argv: string[];
  options: ExecOptions;
}

/**
 * The real path `path` names or would name: its nearest existing ancestor (a symlink counts as existing, even
 * dangling) resolved after symlinks, the rest appended. Undefined when that cannot be vouched for: a dangling
 * symlink could be followed out of the roots by a program that creates its target.
 */
function realPathOf(path: string): string | undefined {
  let existing = path;
  const rest: string[] = [];
  while (!lstatSync(existing, { throwIfNoEntry: false }) && existing !== dirname(existing)) {
    rest.unshift(basename(existing));
    existing = dirname(existing);
  }
  try {
    return join(realpathSync(existing), ...rest);
  } catch {
    return undefined;
  }
}

function insideRoots(path: string, policy: AgentPolicy): boolean {
  const real = realPathOf(path);
  return real !== undefined && policy.roots.some((root) => isInside(real, root.path));
}

function checkPathLike(value: string, cwd: string, policy: AgentPolicy): void {
  if (value.split('/').includes('..'))
    throw new CommandRefused(`argument ${JSON.stringify(value)} has a ".." path segment`);
  if (!insideRoots(resolve(cwd, value), policy))
    throw new CommandRefused(`argument ${JSON.stringify(value)} names a path outside the agent's roots`);
}

/** Parses and checks a request against the policy; throws CommandRefused (nothing has run) on any rule. */
export function checkRun(body: unknown, policy: AgentPolicy): CheckedRun {
  const parsed = RunRequestSchema.safeParse(body);
  if (!parsed.success)
    throw new CommandRefused(
      `malformed request: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  const request: AgentRunRequest = parsed.data;
  const [name, ...args] = request.argv as [string, ...string[]];
  const lookup: CommandPolicy = {
    backend: policy.backend,
    allowedPrograms: policy.allowedPrograms,
    searchPath: policy.searchPath,
    deniedArgs: policy.deniedArgs,
    roots: {},
    network: policy.network,
    limits: policy.maxLimits,
  };
  const program = resolveProgram(name, lookup);
  let cwd = policy.roots[0]!.path;
  if (request.cwd !== undefined) {
    if (!isAbsolute(request.cwd)) throw new CommandRefused('cwd must be an absolute path');
    if (request.cwd.split('/').includes('..') || !insideRoots(request.cwd, policy))
      throw new CommandRefused(`cwd ${JSON.stringify(request.cwd)} is not inside a root of the agent`);
    const real = realPathOf(request.cwd);
    if (real === undefined || !existsSync(real))
      throw new CommandRefused(`cwd ${JSON.stringify(request.cwd)} does not exist`);
    cwd = real;
  }
  const denied = policy.deniedArgs.map((source) => new RegExp(source, 'u'));
  for (const arg of args) {
    for (const pattern of denied)
      if (pattern.test(arg))
        throw new CommandRefused(`argument ${JSON.stringify(arg)} is denied by the agent`);
    checkPathLike(arg, cwd, policy);
    const eq = arg.indexOf('=');
    if (arg.startsWith('-') && eq > 0) checkPathLike(arg.slice(eq + 1), cwd, policy);
  }
  for (const key of Object.keys(request.env))
    if (FORBIDDEN_ENV.test(key)) throw new CommandRefused(`environment variable ${key} may not be set`);
  const max = policy.maxLimits;
  return {
    argv: [program, ...args],
    options: {
      env: { ...request.env, PATH: policy.searchPath.join(':') },
      cwd,
      stdin: request.stdin,
      timeoutMs: Math.min(request.timeoutMs, policy.maxTimeoutMs),
      maxOutputBytes: Math.min(request.maxOutputBytes, policy.maxOutputBytes),
      limits: {
        cpuSeconds: Math.min(request.limits.cpuSeconds, max.cpuSeconds),
        memoryBytes: Math.min(request.limits.memoryBytes, max.memoryBytes),
        processes: Math.min(request.limits.processes, max.processes),
        fileBytes: Math.min(request.limits.fileBytes, max.fileBytes),
      },
      roots: policy.roots.map(({ path, writable }) => ({ path, writable })),
      network: request.network && policy.network,
      runAs: policy.runAs,
    },
  };
}
