/**
 * The argv of a command tool call, built from the spec's templates and the call's arguments — never a shell
 * string. Each template element becomes exactly one argv entry (a value is never split, quoted or expanded),
 * and the call is refused before anything runs when:
 * - the program is not on the allow-list, or does not resolve to an executable file on the allowed PATH;
 * - an entry whose first character comes from a parameter starts with '-' (option injection), unless it
 *   follows a literal '--' or the parameter is listed in `optionParameters`;
 * - an entry matches a denied pattern; a value holds a NUL byte;
 * - a path parameter does not resolve (realpath, after symlinks) inside its declared root.
 * Shared by generated servers (copied as src/runtime/exec/) and the host agent; a refusal is CommandRefused.
 */
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';

/** A call refused before anything ran; the message says why (runtime/ turns it into a tool error). */
export class CommandRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandRefused';
  }
}

/** A template: literal text and parameter references, in order. */
export type TemplatePart = string | { param: string };

export interface CommandRoot {
  /** The directory, written in the spec (absolute) or read from `env` when the command runs. */
  path?: string;
  env?: string;
  writable: boolean;
}

export interface CommandLimits {
  cpuSeconds: number;
  memoryBytes: number;
  processes: number;
  fileBytes: number;
}

export interface CommandPolicy {
  backend: 'native' | 'bwrap' | 'docker' | 'ssh' | 'agent';
  /** Program names (or absolute paths) the tool may run. */
  allowedPrograms: string[];
  /** Absolute directories a program name is looked up in (the server's own PATH is never used). */
  searchPath: string[];
  /** Regular expressions (sources) no argv entry may match. */
  deniedArgs: string[];
  roots: Record<string, CommandRoot>;
  network: boolean;
  limits: CommandLimits;
  runAs?: { uid: number; gid: number } | undefined;
  docker?: { image: string } | undefined;
  /** The remote host; `hostKey` (a SHA256 fingerprint) or `hostKeyEnv`, and the private key's variable. */
  ssh?:
    | {
        host: string;
        port: number;
        user: string;
        hostKey?: string;
        hostKeyEnv?: string;
        privateKeyEnv: string;
      }
    | undefined;
  /** The host agent: the variables that hold its URL, key id and key (never the values themselves). */
  agent?: { urlEnv: string; keyIdEnv: string; keyEnv: string } | undefined;
}

export interface CommandDefinition {
  tool: string;
  program: TemplatePart[];
  args: TemplatePart[][];
  cwd?: string | undefined;
  /** Variables passed through from the server's environment (when set there), and literal ones. */
  env: { pass: string[]; set: Record<string, string> };
  stdin?: TemplatePart[] | undefined;
  timeoutMs: number;
  maxOutputBytes: number;
  /** Parameter → root name: the value is a path that must resolve inside that root. */
  paths: Record<string, string>;
  /** Parameters whose values may start with '-'. */
  optionParameters: string[];
  /** Parameters whose values are redacted in the audit log. */
  secretParameters: string[];
  policy: CommandPolicy;
}

/** A call ready to run: the resolved program, its argv, and the checked environment. */
export interface PreparedCommand {
  program: string;
  /** argv without the program. */
  args: string[];
  /** The same argv with the values of secret parameters replaced, for the audit log. */
  auditArgs: string[];
  cwd: string | undefined;
  env: Record<string, string>;
  stdin: string | undefined;
  /** Root directories (real paths) and whether they are writable. */
  roots: Array<{ path: string; writable: boolean }>;
}

const REDACTED = '[redacted]';

function valueText(name: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    const text = String(value);
    if (text.includes('\0')) throw new CommandRefused(`parameter "${name}" may not contain a NUL byte`);
    return text;
  }
  throw new CommandRefused(`parameter "${name}" must be a string, number or boolean to be used in a command`);
}

/** The real directory of every root (a root that does not exist is refused: nothing can be confined to it). */
export function resolveRoots(policy: CommandPolicy): Record<string, { path: string; writable: boolean }> {
  const out: Record<string, { path: string; writable: boolean }> = {};
  for (const [name, root] of Object.entries(policy.roots)) {
    const declared = root.path ?? (root.env ? process.env[root.env] : undefined);
    if (!declared) throw new CommandRefused(`root "${name}": environment variable ${root.env} is not set`);
    if (!isAbsolute(declared)) throw new CommandRefused(`root "${name}" must be an absolute path`);
    let real: string;
    try {
      real = realpathSync(declared);
    } catch {
      throw new CommandRefused(`root "${name}" (${declared}) does not exist`);
    }
    if (!statSync(real).isDirectory())
      throw new CommandRefused(`root "${name}" (${declared}) is not a directory`);
    out[name] = { path: real, writable: root.writable };
  }
  return out;
}

export function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * The real path of `value` inside `root` (relative values are taken from the root). A path that does not exist
 * yet (an output file) is resolved through its parent directory, which must exist.
 */
export function confinePath(param: string, value: string, root: string): string {
  const candidate = resolve(root, value);
  let real: string;
  try {
    real = realpathSync(candidate);
  } catch {
    let parent: string;
    try {
      parent = realpathSync(dirname(candidate));
    } catch {
      throw new CommandRefused(`parameter "${param}": ${JSON.stringify(value)} does not exist`);
    }
    real = join(parent, basename(candidate));
  }
  if (!isInside(real, root))
    throw new CommandRefused(
      `parameter "${param}": ${JSON.stringify(value)} is outside the allowed directory`,
    );
  return real;
}

/** An executable regular file, or undefined. */
function executable(path: string): string | undefined {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile() ? path : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The program to run: a name on the allow-list looked up in the allowed PATH, or an allow-listed absolute
 * path. Names with a slash other than those are refused (no `../../bin/sh`). `lookup: false` (docker: the
 * program lives in the image) only checks the allow-list.
 */
export function resolveProgram(name: string, policy: CommandPolicy, lookup = true): string {
  if (name === '' || !policy.allowedPrograms.includes(name))
    throw new CommandRefused(`program ${JSON.stringify(name)} is not allowed for this tool`);
  if (!lookup) return name;
  if (isAbsolute(name)) {
    const found = executable(name);
    if (!found) throw new CommandRefused(`program ${name} is not an executable file`);
    return found;
  }
  if (name.includes('/'))
    throw new CommandRefused(`program ${JSON.stringify(name)} is not allowed for this tool`);
  for (const dir of policy.searchPath) {
    const found = executable(join(dir, name));
    if (found) return found;
  }
  throw new CommandRefused(`program ${name} was not found in ${policy.searchPath.join(':')}`);
}

function render(
  parts: TemplatePart[],
  args: Record<string, unknown>,
  transform?: (p: string, v: string) => string,
): string {
  return parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const text = valueText(part.param, args[part.param]);
      return transform ? transform(part.param, text) : text;
    })
    .join('');
}

/** Builds and checks the call; throws a CommandRefused (nothing has run) when any rule refuses it. */
export function prepareCommand(def: CommandDefinition, args: Record<string, unknown>): PreparedCommand {
  // Roots are directories of this host: a remote (ssh, agent) command has none (the spec check refuses them;
  // a host agent confines paths to its own roots).
  const remote = def.policy.backend === 'ssh' || def.policy.backend === 'agent';
  const roots = remote ? {} : resolveRoots(def.policy);
  const confine = (param: string, value: string): string => {
    const rootName = def.paths[param];
    if (rootName === undefined) return value;
    const root = roots[rootName];
    if (!root) throw new CommandRefused(`parameter "${param}" names an unknown root "${rootName}"`);
    return confinePath(param, value, root.path);
  };
  // docker, ssh, agent: the program lives in the image or on the remote host; only the allow-list applies here.
  const local = def.policy.backend === 'native' || def.policy.backend === 'bwrap';
  const program = resolveProgram(render(def.program, args), def.policy, local);
  const denied = def.policy.deniedArgs.map((source) => new RegExp(source, 'u'));
  const argv: string[] = [];
  const auditArgs: string[] = [];
  let afterDoubleDash = false;
  for (const template of def.args) {
    // An element that is only an absent optional parameter is left out (no empty argument).
    const only = template.length === 1 && typeof template[0] !== 'string' ? template[0] : undefined;
    if (only && (args[only.param] === undefined || args[only.param] === null)) continue;
    const entry = render(template, args, confine);
    const first = template[0];
    const leadingParam = first !== undefined && typeof first !== 'string' ? first.param : undefined;
    // The first character comes from a parameter when the template starts with one (or an empty literal).
    if (
      leadingParam !== undefined &&
      !afterDoubleDash &&
      entry.startsWith('-') &&
      !def.optionParameters.includes(leadingParam)
    )
      throw new CommandRefused(
        `parameter "${leadingParam}" may not start with "-" (it would be read as an option)`,
      );
    for (const pattern of denied)
      if (pattern.test(entry))
        throw new CommandRefused(
          `argument ${JSON.stringify(redactEntry(template, args, def))} is not allowed`,
        );
    if (template.length === 1 && template[0] === '--') afterDoubleDash = true;
    argv.push(entry);
    auditArgs.push(redactEntry(template, args, def));
  }
  const env: Record<string, string> = {};
  for (const name of def.env.pass) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, def.env.set);
  env.PATH = def.policy.searchPath.join(':');
  const stdin = def.stdin ? render(def.stdin, args) : undefined;
  if (def.cwd !== undefined && !isAbsolute(def.cwd)) throw new CommandRefused('cwd must be an absolute path');
  return {
    program,
    args: argv,
    auditArgs,
    cwd: def.cwd,
    env,
    stdin,
    roots: Object.values(roots),
  };
}

function redactEntry(
  template: TemplatePart[],
  args: Record<string, unknown>,
  def: CommandDefinition,
): string {
  return render(template, args, (param, value) => (def.secretParameters.includes(param) ? REDACTED : value));
}
