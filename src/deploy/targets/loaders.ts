/**
 * The deployment targets by name, each loaded on first use: a command that reads the registry and talks to the
 * local supervisor does not pay for the docker engine client or the MCP SDK. index.ts holds the same list with
 * static imports (TARGETS, createTargets); `Record<TargetName, …>` makes the compiler demand every name in both,
 * and test/cli-life/targets-lazy.test.ts checks that they build the same targets.
 */
import type { TargetFactory } from '../target.js';
import { TARGET_NAMES, type TargetName } from './names.js';

export const TARGET_LOADERS: Readonly<Record<TargetName, () => Promise<TargetFactory>>> = {
  local: async () => (await import('./local/target.js')).LocalTarget.create,
  docker: async () => (await import('./docker/target.js')).DockerDeploymentTarget.create,
  microvm: async () => (await import('./microvm/target.js')).MicroVmTarget.create,
  swarm: async () => (await import('./swarm/target.js')).SwarmTarget.create,
  kubernetes: async () => (await import('./kubernetes/target.js')).KubernetesTarget.create,
};

/** Whether `name` is one of TARGET_NAMES (a registry row or a request may carry anything). */
export function isTargetName(name: string): name is TargetName {
  return (TARGET_NAMES as readonly string[]).includes(name);
}

/** The names for a message: "a, b or c". */
export function describeTargetNames(): string {
  return TARGET_NAMES.length < 2
    ? TARGET_NAMES.join('')
    : `${TARGET_NAMES.slice(0, -1).join(', ')} or ${TARGET_NAMES[TARGET_NAMES.length - 1]}`;
}
