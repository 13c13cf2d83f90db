/**
 * The sandbox's other backend: a Docker container for one command, as a `docker run` command line (the CLI is
 * what speaks stdio to it; nothing here talks to the engine). What it confines, like policy.ts: no network
 * (`--network none`), a read-only root file system, only the bound paths (read-only, at the same path inside)
 * and a private /tmp, a non-root uid without capabilities or new privileges, memory, CPU and process limits,
 * and only the environment given. Chosen where an operator prefers containers to bubblewrap (the toolsmith's
 * policy `sandbox: docker`); the image must hold the Node.js the command names (`node`).
 */
import { randomBytes } from 'node:crypto';
import { FactoryError } from '../../core/errors/index.js';
import { findExecutable } from './detect.js';
import type { SandboxCommand } from './policy.js';

export interface ContainerPolicy {
  image: string;
  /** The command inside the container (`node` is looked up on the image's PATH). */
  command: [string, ...string[]];
  /** Host paths bound read-only at the same path inside. */
  readOnly: string[];
  /** The environment of the command: nothing else of the host's reaches it. */
  env: Record<string, string>;
  workdir: string;
  memoryMb: number;
  cpus: number;
  processes: number;
  tmpMb: number;
  /** The OCI runtime (`runsc`: gVisor) when the engine has it; default the engine's. */
  runtime?: string | undefined;
}

export interface ContainerCommand extends SandboxCommand {
  /** The container's name: `docker kill NAME` stops it. */
  name: string;
}

/** The `docker` CLI, or SANDBOX_UNAVAILABLE naming what is missing. */
export function dockerCli(env: NodeJS.ProcessEnv = process.env): string {
  const docker = findExecutable('docker', env);
  if (!docker)
    throw new FactoryError(
      'SANDBOX_UNAVAILABLE',
      'the sandbox policy asks for docker, and no docker CLI is on PATH',
      {
        details: { reason: 'docker not found' },
      },
    );
  return docker;
}

export function containerCommand(policy: ContainerPolicy, docker = dockerCli()): ContainerCommand {
  const name = `mcpf-sandbox-${randomBytes(6).toString('hex')}`;
  const args = [
    'run',
    '--rm',
    '-i',
    '--name',
    name,
    '--network',
    'none',
    '--read-only',
    '--tmpfs',
    `/tmp:rw,nosuid,nodev,size=${policy.tmpMb}m`,
    '--user',
    '1000:1000',
    '--cap-drop',
    'ALL',
    '--security-opt',
    'no-new-privileges',
    '--memory',
    `${policy.memoryMb}m`,
    '--memory-swap',
    `${policy.memoryMb}m`,
    '--cpus',
    String(policy.cpus),
    '--pids-limit',
    String(policy.processes),
    '--workdir',
    policy.workdir,
    ...(policy.runtime ? ['--runtime', policy.runtime] : []),
  ];
  for (const path of policy.readOnly) {
    // --mount is a comma-separated list: a comma or quote in a path would add options of its own.
    if (/[,"\n]/.test(path) || !path.startsWith('/'))
      throw new FactoryError('SANDBOX_UNAVAILABLE', `cannot bind ${JSON.stringify(path)} into a container`, {
        details: { reason: 'path with a comma, quote or newline, or not absolute' },
      });
    args.push('--mount', `type=bind,source=${path},target=${path},readonly`);
  }
  for (const [key, value] of Object.entries(policy.env)) args.push('--env', `${key}=${value}`);
  if (!/^[a-z0-9][a-z0-9._/:@-]*$/i.test(policy.image))
    throw new FactoryError('SANDBOX_UNAVAILABLE', `not an image reference: ${JSON.stringify(policy.image)}`, {
      details: { reason: 'invalid image' },
    });
  args.push(policy.image, ...policy.command);
  return { file: docker, args, name };
}
