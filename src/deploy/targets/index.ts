/**
 * The one list of deployment targets: a factory per name of names.ts. The `Record<TargetName, …>` type makes
 * the compiler demand an entry for every name, so adding a target is its folder, its name and one line here.
 */
import { FactoryError } from '../../core/errors/index.js';
import type { DeploymentTarget, TargetFactory, TargetFactoryContext } from '../target.js';
import { DockerDeploymentTarget } from './docker/target.js';
import { KubernetesTarget } from './kubernetes/target.js';
import { LocalTarget } from './local/target.js';
import { MicroVmTarget } from './microvm/target.js';
import { TARGET_NAMES, type TargetName } from './names.js';
import { SwarmTarget } from './swarm/target.js';

export const TARGETS: Readonly<Record<TargetName, TargetFactory>> = {
  local: LocalTarget.create,
  docker: DockerDeploymentTarget.create,
  microvm: MicroVmTarget.create,
  swarm: SwarmTarget.create,
  kubernetes: KubernetesTarget.create,
};

/** Every target, built from one shared context, by name. */
export function createTargets(context: TargetFactoryContext): Record<TargetName, DeploymentTarget> {
  const targets = {} as Record<TargetName, DeploymentTarget>;
  for (const name of TARGET_NAMES) {
    const target = TARGETS[name](context);
    if (target.name !== name) {
      throw new FactoryError('INTERNAL', `the ${name} target factory built a target named ${target.name}`);
    }
    targets[name] = target;
  }
  return targets;
}

// One definition, shared with the lazily loaded list (loaders.ts).
export { describeTargetNames, isTargetName } from './loaders.js';
