/**
 * Execution backends of command tools, by name. native and bwrap are shared with the host agent
 * (./exec/backends.ts, from src/core/exec); docker lives here: a container per call (--network none,
 * --read-only, --cap-drop ALL, no-new-privileges, pids and memory limits), the roots mounted at the same
 * paths. ssh (command-ssh.ts) and agent (command-agent.ts) register themselves when imported.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  bwrapBackend,
  type ExecBackend,
  type ExecOptions,
  execute,
  failure,
  NOBODY,
  nativeBackend,
  systemTool,
} from './exec/backends.js';

export {
  type AgentTarget,
  bwrapArgs,
  bwrapBackend,
  type ExecBackend,
  type ExecOptions,
  type ExecResult,
  execute,
  NOBODY,
  nativeBackend,
  type SshTarget,
  systemTool,
} from './exec/backends.js';

/** The docker run command line for one call; `name` lets a timeout kill the container. */
export function dockerArgs(argv: string[], options: ExecOptions, name: string): string[] {
  const user = options.runAs ?? NOBODY;
  const { limits } = options;
  const args = [
    'run',
    '--rm',
    '-i',
    '--name',
    name,
    '--network',
    options.network ? 'bridge' : 'none',
    '--read-only',
    '--tmpfs',
    '/tmp:rw,noexec,nosuid,size=16m',
    '--pids-limit',
    String(limits.processes),
    '--memory',
    String(limits.memoryBytes),
    '--memory-swap',
    String(limits.memoryBytes),
    '--cpus',
    '1',
    '--ulimit',
    `cpu=${limits.cpuSeconds}:${limits.cpuSeconds}`,
    '--ulimit',
    `fsize=${limits.fileBytes}:${limits.fileBytes}`,
    '--user',
    `${user.uid}:${user.gid}`,
    '--cap-drop',
    'ALL',
    '--security-opt',
    'no-new-privileges',
    '--log-driver',
    'none',
  ];
  for (const r of options.roots)
    args.push('--mount', `type=bind,source=${r.path},target=${r.path}${r.writable ? '' : ',readonly'}`);
  // Values travel in the docker client's environment, never on its command line (ps shows argv).
  for (const key of Object.keys(options.env)) args.push('--env', key);
  args.push(
    '--workdir',
    options.cwd ?? '/tmp',
    '--entrypoint',
    argv[0]!,
    '--',
    options.image ?? '',
    ...argv.slice(1),
  );
  return args;
}

export const dockerBackend: ExecBackend = {
  name: 'docker',
  run(argv, options, signal) {
    if (!options.image)
      return Promise.resolve(failure(new Error('docker backend needs an image'), performance.now()));
    const name = `mcp-command-${randomBytes(8).toString('hex')}`;
    const clientEnv = { ...options.env, PATH: '/usr/local/bin:/usr/bin:/bin' };
    // The container's PATH comes from the image; the client's PATH only finds the docker CLI.
    const containerEnv = Object.fromEntries(Object.entries(options.env).filter(([k]) => k !== 'PATH'));
    return execute(
      {
        file: systemTool('docker'),
        args: dockerArgs(argv, { ...options, env: containerEnv }, name),
        env: { ...clientEnv, ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}) },
        kill: () => {
          spawn(systemTool('docker'), ['rm', '-f', name], { stdio: 'ignore', env: clientEnv }).on(
            'error',
            () => undefined,
          );
        },
      },
      options,
      signal,
    );
  },
};

/** Backends by name; command-ssh.ts and command-agent.ts add theirs when imported. */
export const BACKENDS: Record<string, ExecBackend> = {
  native: nativeBackend,
  bwrap: bwrapBackend,
  docker: dockerBackend,
};
