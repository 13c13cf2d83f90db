/**
 * Spec checks of the command kind (./command.ts): refuse what the runtime could not enforce — shells and
 * launchers as programs, a program parameter without an allow-list, unknown or non-scalar parameters in
 * argv templates, path parameters without a root, a sandbox cwd outside the roots, ssh or agent with local
 * roots, an agent backend without its address.
 */

import { parseTemplate } from '../spec/template.js';
import type { CommandImpl } from './command.js';
import type { KindCheckContext } from './types.js';

/**
 * Programs that turn an argv back into code or another program's argv (shells, launchers, privilege
 * changers): allowing one would undo every argv rule.
 */
export const REFUSED_PROGRAMS = new Set([
  'sh',
  'bash',
  'dash',
  'zsh',
  'ksh',
  'mksh',
  'csh',
  'tcsh',
  'fish',
  'ash',
  'busybox',
  'env',
  'sudo',
  'su',
  'doas',
  'pkexec',
  'xargs',
  'nohup',
  'setsid',
  'nice',
  'ionice',
  'timeout',
  'chroot',
  'unshare',
  'nsenter',
  'script',
  'expect',
  'eval',
  'exec',
  'stdbuf',
  'setpriv',
  'runuser',
  'flock',
  'watch',
  'strace',
  'gdb',
]);

type Part = string | { param: string };

export function parts(template: string): Part[] {
  return parseTemplate(template).parts.map((p) =>
    p.variable !== undefined ? { param: p.variable } : p.literal!,
  );
}

export const programBase = (program: string): string => program.slice(program.lastIndexOf('/') + 1);

/** The parameters a template names. */
function templateParams(template: string): string[] {
  return parts(template).flatMap((p) => (typeof p === 'string' ? [] : [p.param]));
}

function checkTemplate(template: string, ctx: KindCheckContext, path: (string | number)[]): void {
  const { problems } = parseTemplate(template);
  for (const p of problems) ctx.add('SPEC_INVALID_TEMPLATE', p.message, ctx.at('command', ...path));
  for (const name of templateParams(template)) {
    if (!ctx.params.has(name)) {
      ctx.add(
        'SPEC_INVALID_TEMPLATE',
        `{{${name}}} names no declared parameter`,
        ctx.at('command', ...path),
        undefined,
        name,
      );
      continue;
    }
    const type = ctx.tool.parameters[name]?.type;
    if (type === 'array' || type === 'object')
      ctx.add(
        'SPEC_INVALID_VALUE',
        `parameter "${name}" is an ${type}: a command argument takes a string, number or boolean`,
        ctx.at('command', ...path),
        'Declare one parameter per argument; an argv entry is never split.',
      );
  }
}

function checkProgram(cmd: CommandImpl, ctx: KindCheckContext): void {
  const allowed = cmd.policy.allowedPrograms;
  const variables = templateParams(cmd.program);
  checkTemplate(cmd.program, ctx, ['program']);
  if (variables.length > 0) {
    if (parts(cmd.program).length !== 1)
      ctx.add(
        'SPEC_INVALID_VALUE',
        'a program from a parameter must be exactly "{{param}}"',
        ctx.at('command', 'program'),
      );
    if (!allowed)
      ctx.add(
        'SPEC_UNSAFE_COMMAND',
        'the program comes from a parameter but policy.allowedPrograms is not set',
        ctx.at('command', 'policy', 'allowedPrograms'),
        'List the programs the parameter may name.',
      );
  } else {
    checkProgramName(cmd.program, ctx, ['program']);
    if (allowed && !allowed.includes(cmd.program))
      ctx.add(
        'SPEC_UNSAFE_COMMAND',
        `program "${cmd.program}" is not in policy.allowedPrograms`,
        ctx.at('command', 'program'),
      );
  }
  (allowed ?? []).forEach((name, i) => {
    checkProgramName(name, ctx, ['policy', 'allowedPrograms', i]);
  });
}

function checkProgramName(name: string, ctx: KindCheckContext, path: (string | number)[]): void {
  if (name.includes('/') && !name.startsWith('/'))
    ctx.add(
      'SPEC_INVALID_VALUE',
      `program "${name}" must be a bare name or an absolute path`,
      ctx.at('command', ...path),
    );
  if (name.startsWith('/') && name.split('/').includes('..'))
    ctx.add('SPEC_INVALID_VALUE', `program "${name}" may not contain ".."`, ctx.at('command', ...path));
  if (REFUSED_PROGRAMS.has(programBase(name)))
    ctx.add(
      'SPEC_UNSAFE_COMMAND',
      `program "${name}" runs other programs or code from its arguments (a shell or launcher)`,
      ctx.at('command', ...path),
      'Run the program you need directly, with its arguments as separate args elements.',
    );
}

function checkPolicy(cmd: CommandImpl, ctx: KindCheckContext): void {
  const { policy } = cmd;
  cmd.policy.deniedArgs.forEach((source, i) => {
    try {
      new RegExp(source, 'u');
    } catch (error) {
      ctx.add(
        'SPEC_INVALID_VALUE',
        `not a regular expression: ${(error as Error).message}`,
        ctx.at('command', 'policy', 'deniedArgs', i),
      );
    }
  });
  for (const [name, root] of Object.entries(policy.roots))
    if ((root.path === undefined) === (root.env === undefined))
      ctx.add(
        'SPEC_INVALID_VALUE',
        `root "${name}" needs exactly one of path and env`,
        ctx.at('command', 'policy', 'roots', name),
      );
  if (policy.backend === 'ssh') {
    const at = ctx.at('command', 'policy', 'ssh');
    if (!policy.ssh) ctx.add('SPEC_MISSING_FIELD', 'the ssh backend needs policy.ssh', at);
    else if ((policy.ssh.hostKey === undefined) === (policy.ssh.hostKeyEnv === undefined))
      ctx.add(
        'SPEC_MISSING_FIELD',
        'the ssh backend needs exactly one of hostKey and hostKeyEnv (a pinned host key)',
        at,
        'Pin the fingerprint `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` prints on the host.',
      );
    if (Object.keys(policy.roots).length > 0 || Object.keys(cmd.paths).length > 0)
      ctx.add(
        'SPEC_INVALID_VALUE',
        'roots and path parameters are directories of this host; the ssh backend runs elsewhere',
        ctx.at('command', 'policy', 'roots'),
      );
  }
  checkAgent(cmd, ctx);
  if (policy.backend === 'docker' && !policy.docker)
    ctx.add(
      'SPEC_MISSING_FIELD',
      'the docker backend needs policy.docker.image',
      ctx.at('command', 'policy', 'docker'),
    );
  if (cmd.cwd && (policy.backend === 'bwrap' || policy.backend === 'docker')) {
    const inside =
      cmd.cwd === '/tmp' ||
      Object.values(policy.roots).some(
        (r) => r.path && (cmd.cwd === r.path || cmd.cwd!.startsWith(`${r.path}/`)),
      );
    if (!inside)
      ctx.add(
        'SPEC_INVALID_VALUE',
        `cwd must be /tmp or inside a root with a literal path for the ${policy.backend} backend`,
        ctx.at('command', 'cwd'),
      );
  }
}

/** The agent backend: where the agent is, and nothing that only means something on this host. */
function checkAgent(cmd: CommandImpl, ctx: KindCheckContext): void {
  const { policy } = cmd;
  if (policy.backend !== 'agent') {
    if (policy.agent)
      ctx.add(
        'SPEC_INVALID_VALUE',
        `policy.agent is only used by the agent backend (this tool uses ${policy.backend})`,
        ctx.at('command', 'policy', 'agent'),
      );
    return;
  }
  if (!policy.agent)
    ctx.add(
      'SPEC_MISSING_FIELD',
      'the agent backend needs policy.agent (urlEnv, keyIdEnv, keyEnv)',
      ctx.at('command', 'policy', 'agent'),
      'Name the variables that hold the agent URL, the key id and the shared key; never the values.',
    );
  if (Object.keys(policy.roots).length > 0 || Object.keys(cmd.paths).length > 0)
    ctx.add(
      'SPEC_INVALID_VALUE',
      'roots and path parameters are directories of this host; the host agent confines paths to its own roots',
      ctx.at('command', 'policy', 'roots'),
      'Declare the directories in the agent’s policy file (roots) instead.',
    );
  if (policy.docker || policy.ssh || policy.runAs)
    ctx.add(
      'SPEC_INVALID_VALUE',
      'docker, ssh and runAs do not apply to the agent backend (the agent’s policy sets its backend and user)',
      ctx.at('command', 'policy'),
    );
}

function checkParameterLists(cmd: CommandImpl, ctx: KindCheckContext): void {
  for (const [param, root] of Object.entries(cmd.paths)) {
    if (!ctx.params.has(param))
      ctx.add(
        'SPEC_UNDEFINED_REFERENCE',
        `paths names parameter "${param}", which is not declared`,
        ctx.at('command', 'paths', param),
      );
    else if (ctx.tool.parameters[param]?.type !== 'string')
      ctx.add(
        'SPEC_INVALID_VALUE',
        `path parameter "${param}" must be a string`,
        ctx.at('command', 'paths', param),
      );
    if (!Object.hasOwn(cmd.policy.roots, root))
      ctx.add(
        'SPEC_UNDEFINED_REFERENCE',
        `paths.${param} names root "${root}", which policy.roots does not define`,
        ctx.at('command', 'paths', param),
      );
  }
  const lists = { optionParameters: cmd.optionParameters, secretParameters: cmd.secretParameters } as const;
  for (const [field, names] of Object.entries(lists))
    names.forEach((name, i) => {
      if (!ctx.params.has(name))
        ctx.add(
          'SPEC_UNDEFINED_REFERENCE',
          `${field} names parameter "${name}", which is not declared`,
          ctx.at('command', field, i),
        );
    });
  if (cmd.stdin !== undefined)
    for (const name of templateParams(cmd.stdin))
      if (cmd.paths[name] !== undefined)
        ctx.add(
          'SPEC_INVALID_VALUE',
          `path parameter "${name}" can only be used in args`,
          ctx.at('command', 'stdin'),
        );
}

/** Every check of a command tool. */
export function checkCommand(cmd: CommandImpl, ctx: KindCheckContext): void {
  checkProgram(cmd, ctx);
  cmd.args.forEach((arg, i) => {
    checkTemplate(arg, ctx, ['args', i]);
  });
  if (cmd.stdin !== undefined) checkTemplate(cmd.stdin, ctx, ['stdin']);
  checkPolicy(cmd, ctx);
  checkParameterLists(cmd, ctx);
}
