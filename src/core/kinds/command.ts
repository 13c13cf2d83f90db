/**
 * The command kind: run one program with an argv built from templates — never a shell string — under a policy
 * (execution backend, allowed programs, denied arguments, path roots, network, resource limits, run-as user).
 * Each `args` element becomes exactly one argv entry. The runtime (runtime/command*.ts) enforces the policy on
 * every call; the checks here refuse specs that could not be enforced (shells, unknown parameters, object
 * values in argv, paths without a root, a cwd outside the sandbox).
 */
import { z } from 'zod';
import { lit } from '../codegen/literals.js';
import type { ServerSpec, Tool } from '../spec/model.js';
import { envVarName, identifier } from '../spec/primitives.js';
import { checkCommand, parts, programBase } from './command-check.js';
import type { KindEnvVar, ToolKind } from './types.js';

export { REFUSED_PROGRAMS } from './command-check.js';

const absolutePath = z
  .string()
  .min(1)
  .max(4096)
  .refine(
    (p) => p.startsWith('/') && !p.includes('\0') && !p.split('/').includes('..'),
    'must be an absolute path without ".."',
  );

const programName = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !p.includes('\0'), 'must not contain NUL');

/** A variable of the program's environment: not one that loads code into it or replaces its search path. */
const programEnvName = envVarName.refine(
  (name) => !/^(LD_|DYLD_)/.test(name) && !['PATH', 'BASH_ENV', 'ENV', 'IFS', 'NODE_OPTIONS'].includes(name),
  'may not be PATH (policy.searchPath sets it) or a variable that loads code (LD_*, BASH_ENV, NODE_OPTIONS…)',
);

const Root = z
  .strictObject({
    path: absolutePath.optional().describe('The directory.'),
    env: envVarName.optional().describe('Or: the variable that holds the directory when the server runs.'),
    writable: z.boolean().default(false).describe('Bound read-write in sandboxes (read-only otherwise).'),
  })
  .describe('A directory path parameters may point into; the only host directories a sandbox sees.');

/** A host user and group to run a program as: never root (uid/gid 0). */
export const RunAs = z.strictObject({
  uid: z
    .number()
    .int()
    .min(1)
    .max(2 ** 31),
  gid: z
    .number()
    .int()
    .min(1)
    .max(2 ** 31),
});

const Limits = z.strictObject({
  cpuSeconds: z.number().int().min(1).max(3600).default(10).describe('RLIMIT_CPU.'),
  memoryBytes: z
    .number()
    .int()
    .min(16 * 1024 * 1024)
    .max(64 * 1024 * 1024 * 1024)
    .default(512 * 1024 * 1024)
    .describe('Address space (RLIMIT_AS; docker: --memory).'),
  processes: z.number().int().min(1).max(4096).default(32).describe('RLIMIT_NPROC (docker: --pids-limit).'),
  fileBytes: z
    .number()
    .int()
    .min(0)
    .max(64 * 1024 * 1024 * 1024)
    .default(16 * 1024 * 1024)
    .describe('Largest file the program may write (RLIMIT_FSIZE).'),
});

const Policy = z.strictObject({
  backend: z
    .enum(['native', 'bwrap', 'docker', 'ssh', 'agent'])
    .default('bwrap')
    .describe(
      'native: the server host, limits by prlimit; bwrap: a bubblewrap sandbox; docker: a container per call; ssh: a remote host; agent: a host agent (mcp-factory host-agent) on another machine.',
    ),
  allowedPrograms: z
    .array(programName)
    .min(1)
    .max(64)
    .optional()
    .describe('Programs the tool may run (default: just `program`); needed when `program` is a parameter.'),
  searchPath: z
    .array(absolutePath)
    .min(1)
    .max(16)
    .default(['/usr/local/bin', '/usr/bin', '/bin'])
    .describe('Directories program names are looked up in (never the server’s PATH).'),
  deniedArgs: z
    .array(z.string().min(1).max(1000))
    .max(64)
    .default([])
    .describe('Regular expressions no argv entry may match (e.g. "^--output").'),
  roots: z.record(identifier, Root).default({}),
  network: z.boolean().default(false).describe('Let the program reach the network (bwrap, docker).'),
  limits: Limits.prefault({}),
  runAs: RunAs.optional().describe(
    'Host user the program runs as (default when the server is root: nobody, 65534). Never root.',
  ),
  docker: z
    .strictObject({
      image: z
        .string()
        .max(512)
        .regex(/^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/, 'must be an image reference such as registry/name:tag'),
    })
    .optional(),
  ssh: z
    .strictObject({
      host: z
        .string()
        .min(1)
        .max(253)
        .regex(/^[A-Za-z0-9.:_-]+$/, 'must be a host name or address'),
      port: z.number().int().min(1).max(65535).default(22),
      user: z
        .string()
        .min(1)
        .max(64)
        .regex(/^[a-z_][a-z0-9_.-]*$/i, 'must be a user name'),
      hostKey: z
        .string()
        .regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'must be a SHA256 fingerprint as ssh-keygen -lf prints it')
        .optional()
        .describe('The pinned host key fingerprint; any other key is refused.'),
      hostKeyEnv: envVarName.optional().describe('Or: the variable that holds the fingerprint.'),
      privateKeyEnv: envVarName.describe('The variable that holds the private key (OpenSSH or PEM).'),
    })
    .optional()
    .describe('The remote host of the ssh backend.'),
  agent: z
    .strictObject({
      urlEnv: envVarName.describe('The variable that holds the agent’s URL (http://host:port).'),
      keyIdEnv: envVarName.describe('The variable that holds the id of the shared key.'),
      keyEnv: envVarName.describe('The variable that holds the shared key (the secret).'),
    })
    .optional()
    .describe('The host agent of the agent backend; its address and key are read from the environment.'),
  destructive: z
    .boolean()
    .optional()
    .describe('The command changes or deletes things (default: true when a root is writable).'),
});

export const CommandImpl = z.strictObject({
  program: programName.describe('A program name looked up in searchPath, an absolute path, or "{{param}}".'),
  args: z
    .array(z.string().max(10_000))
    .max(256)
    .default([])
    .describe(
      'Argument templates: each element is exactly one argument; {{param}} inserts a value, never split.',
    ),
  cwd: absolutePath.optional().describe('Working directory (default: the first root, else /tmp).'),
  env: z
    .strictObject({
      pass: z.array(programEnvName).max(64).default([]).describe('Variables passed through from the server.'),
      set: z.record(programEnvName, z.string().max(10_000)).default({}),
    })
    .default({ pass: [], set: {} })
    .describe('The program’s whole environment (everything else of the server’s is withheld).'),
  stdin: z.string().max(1_000_000).optional().describe('Template written to standard input.'),
  timeoutMs: z.number().int().min(100).max(600_000).default(10_000),
  maxOutputBytes: z
    .number()
    .int()
    .min(1)
    .max(64 * 1024 * 1024)
    .default(1024 * 1024)
    .describe('stdout + stderr; more stops the program and sets `truncated`.'),
  paths: z
    .record(identifier, identifier)
    .default({})
    .describe('Parameter → root: the value is a path that must resolve (after symlinks) inside that root.'),
  optionParameters: z
    .array(identifier)
    .default([])
    .describe('Parameters whose values may start with "-" (options); others are refused unless after "--".'),
  secretParameters: z.array(identifier).default([]).describe('Parameters redacted in the audit log.'),
  policy: Policy.prefault({}),
});
export type CommandImpl = z.infer<typeof CommandImpl>;

/** The definition runtime/command.ts runs: templates pre-split, defaults resolved. */
export function commandDefinition(cmd: CommandImpl, tool: Tool): Record<string, unknown> {
  const { policy } = cmd;
  return {
    tool: tool.name,
    program: parts(cmd.program),
    args: cmd.args.map(parts),
    ...(cmd.cwd ? { cwd: cmd.cwd } : {}),
    env: cmd.env,
    ...(cmd.stdin !== undefined ? { stdin: parts(cmd.stdin) } : {}),
    timeoutMs: cmd.timeoutMs,
    maxOutputBytes: cmd.maxOutputBytes,
    paths: cmd.paths,
    optionParameters: cmd.optionParameters,
    secretParameters: cmd.secretParameters,
    policy: {
      backend: policy.backend,
      allowedPrograms: policy.allowedPrograms ?? [cmd.program],
      searchPath: policy.searchPath,
      deniedArgs: policy.deniedArgs,
      roots: policy.roots,
      network: policy.network,
      limits: policy.limits,
      ...(policy.runAs ? { runAs: policy.runAs } : {}),
      ...(policy.docker ? { docker: policy.docker } : {}),
      ...(policy.ssh ? { ssh: policy.ssh } : {}),
      ...(policy.agent ? { agent: policy.agent } : {}),
    },
  };
}

const RESULT_SCHEMA = {
  type: 'object',
  properties: {
    exitCode: { type: ['integer', 'null'], description: 'null when the program was killed by a signal' },
    signal: { type: ['string', 'null'] },
    stdout: { type: 'string' },
    stderr: { type: 'string' },
    truncated: { type: 'boolean', description: 'the output went over maxOutputBytes and was cut' },
    timedOut: { type: 'boolean' },
  },
  required: ['exitCode', 'signal', 'stdout', 'stderr', 'truncated', 'timedOut'],
};

export const commandKind: ToolKind<'command', CommandImpl, z.input<typeof CommandImpl>> = {
  name: 'command',
  schema: CommandImpl,
  fieldDescription:
    'Run one program — never a shell — with templated arguments on an execution backend (native, bwrap, docker, ssh, agent) under a policy (docs/commands.md).',
  // Not in `authoring`: running programs is opted into by writing a command tool, never suggested to the
  // natural-language path or offered in the "no implementation" hint.

  check: checkCommand,

  output: () => ({ schema: RESULT_SCHEMA, mode: 'object' }),

  annotations: (cmd) => ({
    readOnly: false,
    destructive: cmd.policy.destructive ?? Object.values(cmd.policy.roots).some((r) => r.writable),
    openWorld: cmd.policy.network,
  }),

  emit(cmd, { tool, identifier: fresh, spec: _spec }) {
    const run = fresh('runCommand');
    return {
      // The audit line goes to the server's log only (ctx.log would also send it to the calling client).
      handler: `(args, ctx) => ${run}(${lit(commandDefinition(cmd, tool))}, args, { ...ctx, log: runtime.log }, runtime.metrics)`,
      imports: [
        `import { runCommand as ${run} } from './runtime/command.js';`,
        // The ssh backend registers itself; only servers with ssh tools bundle ssh2.
        ...(cmd.policy.backend === 'ssh' ? ["import './runtime/command-ssh.js';"] : []),
        ...(cmd.policy.backend === 'agent' ? ["import './runtime/command-agent.js';"] : []),
      ],
    };
  },

  // The factory's own test sandbox cannot host another sandbox or reach docker.
  unreachable: (cmd) =>
    cmd.policy.backend === 'native'
      ? undefined
      : `runs on the ${cmd.policy.backend} backend, which cannot run inside the factory's test sandbox`,

  needsExample: () => 'a command depends on its arguments and the host: add `examples:` to test it',

  dependencies: (cmd) => (cmd.policy.backend === 'ssh' ? ['ssh2'] : []),

  environment: (cmd, tool): KindEnvVar[] => [
    ...(cmd.policy.agent
      ? [
          { name: cmd.policy.agent.urlEnv, purpose: `host agent URL of ${tool.name}`, secret: false },
          { name: cmd.policy.agent.keyIdEnv, purpose: `host agent key id of ${tool.name}`, secret: false },
          { name: cmd.policy.agent.keyEnv, purpose: `host agent key of ${tool.name}`, secret: true },
        ]
      : []),
    ...(cmd.policy.ssh
      ? [
          { name: cmd.policy.ssh.privateKeyEnv, purpose: `ssh private key of ${tool.name}`, secret: true },
          ...(cmd.policy.ssh.hostKeyEnv
            ? [
                {
                  name: cmd.policy.ssh.hostKeyEnv,
                  purpose: `pinned ssh host key of ${tool.name}`,
                  secret: false,
                },
              ]
            : []),
        ]
      : []),
    ...Object.entries(cmd.policy.roots).flatMap(([name, root]) =>
      root.env
        ? [{ name: root.env, purpose: `directory of root "${name}" of ${tool.name}`, secret: false }]
        : [],
    ),
  ],

  label: (cmd) => `command \`${programBase(cmd.program)}\` (${cmd.policy.backend})`,
};

/**
 * Whether a spec has command tools (on `backend`, if given): the generator copies the command runtime, and
 * runtime/command-ssh.ts with ssh2 (runtime/command-agent.ts), only then.
 */
export function usesCommands(spec: ServerSpec, backend?: string): boolean {
  return spec.tools.some((t) => {
    const cmd = (t as { command?: CommandImpl }).command;
    return cmd !== undefined && (backend === undefined || cmd.policy.backend === backend);
  });
}
