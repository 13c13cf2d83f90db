/**
 * The microVM host for the real-VM tests (microvm*.test.ts), with the environment they share: a 1 MiB log cap
 * (the target runs in the test process and reads it from there) and, under TCG, a 240 s start timeout.
 * Undefined (a visible skip) when the host has no QEMU, kernel or busybox — a failure instead in CI.
 */
import { findMicroVmHost, type MicroVmHost } from '../../src/deploy/targets/microvm/host.js';
import { REQUIRE_SERVICES } from '../helpers/services.js';

export function microVmTestHost(): MicroVmHost | undefined {
  let host: MicroVmHost | undefined;
  try {
    host = findMicroVmHost({ kernel: undefined, accel: 'auto' });
  } catch (error) {
    if (REQUIRE_SERVICES) throw error;
    process.stderr.write(`\n[skip] ${(error as Error).message}\n`);
  }
  process.env.MCP_FACTORY_LOG_MAX_BYTES = String(1024 * 1024);
  process.env.MCP_FACTORY_LOG_KEEP = '2';
  // Without KVM the guest is emulated (TCG): its boot takes tens of seconds, and more on a loaded CI machine.
  if (host?.accel === 'tcg') process.env.MCP_FACTORY_MICROVM_START_TIMEOUT_MS ??= '240000';
  return host;
}
