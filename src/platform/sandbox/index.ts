/**
 * The sandbox for code MCP Factory generates: generated tests and locally deployed servers both run through
 * it (policy.ts says what is confined and how). Where no sandbox works, callers refuse with
 * SANDBOX_UNAVAILABLE unless the operator explicitly opted out (`--unsafe-no-sandbox`, CLI only): there is no
 * silent fallback.
 */
import { createHash, randomInt } from 'node:crypto';
import { FactoryError } from '../../core/errors/index.js';
import { detectSandbox, type SandboxSupport } from './detect.js';

export { type ContainerCommand, type ContainerPolicy, containerCommand, dockerCli } from './container.js';
export { copyOwnedBy } from './copy.js';
export { cgroupV2Delegation, detectSandbox, resetSandboxDetection, type SandboxSupport } from './detect.js';
export { LISTEN_FD, listenFdNodeArgs, openListener, type PassedListener } from './listen.js';
export {
  datasetBinds,
  isWithin,
  nodeHeapArgs,
  type SandboxCommand,
  type SandboxLimits,
  type SandboxPolicy,
  SERVER_LIMITS,
  sandboxCommand,
  specNeedsNetwork,
  sqliteBinds,
  TEST_LIMITS,
  testsNeedNetwork,
} from './policy.js';

/** What runs generated code: the sandbox, or nothing because the operator said so. */
export type SandboxChoice =
  | Extract<SandboxSupport, { available: true }>
  | { available: false; reason: string };

/**
 * The sandbox to use for `what`; throws SANDBOX_UNAVAILABLE when there is none and `unsafeNoSandbox` is not set.
 * With `unsafeNoSandbox` and no sandbox, returns the unavailable support (the caller runs unconfined and records it).
 */
export function requireSandbox(
  what: string,
  options: { unsafeNoSandbox?: boolean | undefined; env?: NodeJS.ProcessEnv | undefined } = {},
): SandboxChoice {
  const support = detectSandbox(options.env ?? process.env);
  if (support.available || options.unsafeNoSandbox) return support;
  throw new FactoryError('SANDBOX_UNAVAILABLE', `cannot run ${what} in a sandbox: ${support.reason}`, {
    details: { reason: support.reason },
  });
}

/**
 * Host uid of a sandbox in `setuid` mode, from a dedicated range: one per deployment of one home (RLIMIT_NPROC
 * counts per uid, so two servers sharing a uid would share one process budget — also across homes).
 */
export const SANDBOX_UID_BASE = 2_100_000_000;
const SERVER_UIDS = 100_000_000;
export function serverSandboxUid(home: string, deploymentId: number): number {
  const h = createHash('sha256').update(`${home}\0${deploymentId}`).digest();
  return SANDBOX_UID_BASE + (h.readUInt32BE(0) % SERVER_UIDS);
}
/** Generated tests: a uid of their own per run, above the servers' range. */
export function testSandboxUid(): number {
  return SANDBOX_UID_BASE + SERVER_UIDS + randomInt(10_000_000);
}
