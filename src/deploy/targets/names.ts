/**
 * The one list of deployment target names. Every type, schema enum, CLI choice and API schema derives from it;
 * adding a target means adding its folder under deploy/targets/ and its entry here (and in the factory list).
 */
export const TARGET_NAMES = ['local', 'docker', 'microvm', 'swarm', 'kubernetes'] as const;

export type TargetName = (typeof TARGET_NAMES)[number];

/** The target a deployment uses when none is named. */
export const DEFAULT_TARGET: TargetName = 'local';
