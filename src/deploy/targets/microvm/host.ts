/**
 * What the microVM target needs from the host, found once per deploy: QEMU (`qemu-system-x86_64`, its `microvm`
 * machine), a guest kernel with its virtio modules, a static busybox for the guest's init, and the accelerator.
 * Nothing is downloaded: the kernel is Debian's (`linux-image-cloud-amd64`), busybox is `busybox-static`.
 *
 * Accelerator: KVM when /dev/kvm can be opened and is a full hypervisor; TCG (QEMU's own emulation) otherwise.
 * A host whose KVM is PVM (`kvm_pvm`, a paravirtual nested hypervisor found on some cloud sandboxes) runs only
 * guest kernels built for it, and Debian's is not: there `auto` picks TCG. Isolation is the same either way
 * (the server runs on its own kernel behind QEMU's device model); TCG is slower.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FactoryError } from '../../../core/errors/index.js';
import { findExecutable } from '../../../platform/sandbox/detect.js';

export type Accelerator = 'kvm' | 'tcg';

export interface GuestKernel {
  /** The kernel image QEMU boots (`-kernel`). */
  image: string;
  /** `uname -r` of that kernel: its modules are under /lib/modules/<release>. */
  release: string;
  modulesDir: string;
}

export interface MicroVmHost {
  qemu: string;
  busybox: string;
  kernel: GuestKernel;
  accel: Accelerator;
  /**
   * TCG only: the host's TSC rate in kHz, handed to the guest kernel (`tsc_early_khz`). Under emulation its
   * own calibration against the PIT fails now and then, and the kernel then hangs before init (seen in about
   * 1 boot in 10 here); with the rate given, 16 boots in 16 came up.
   */
  tscKhz?: number;
}

/** The guest modules the init loads, in dependency order (virtio-mmio transport, then the network device). */
export const GUEST_MODULES = [
  'kernel/drivers/virtio/virtio_ring.ko',
  'kernel/drivers/virtio/virtio.ko',
  'kernel/drivers/virtio/virtio_mmio.ko',
  'kernel/net/core/failover.ko',
  'kernel/drivers/net/net_failover.ko',
  'kernel/drivers/net/virtio_net.ko',
] as const;

const INSTALL_HINT =
  'Install QEMU, a guest kernel and a static busybox (Debian: apt-get install qemu-system-x86 linux-image-cloud-amd64 busybox-static), or deploy with --target local or docker.';

/** Compare kernel releases such as 6.1.0-57-cloud-amd64 by their numbers (newest last). */
function compareReleases(a: string, b: string): number {
  const nums = (r: string) => (r.match(/\d+/g) ?? []).map(Number);
  const [x, y] = [nums(a), nums(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.localeCompare(b);
}

/** A kernel given by path (its release read off the file name), or the newest /boot/vmlinuz-* with modules. */
export function findGuestKernel(explicit: string | undefined, boot = '/boot'): GuestKernel | undefined {
  const candidates: string[] = [];
  if (explicit) candidates.push(explicit);
  else {
    let names: string[] = [];
    try {
      names = readdirSync(boot).filter((n) => n.startsWith('vmlinuz-'));
    } catch {
      return undefined;
    }
    names.sort((a, b) => compareReleases(b.slice(8), a.slice(8)));
    candidates.push(...names.map((n) => join(boot, n)));
  }
  for (const image of candidates) {
    const release =
      image
        .split('/')
        .pop()
        ?.replace(/^vmlinuz-/, '') ?? '';
    const modulesDir = join('/lib/modules', release);
    if (existsSync(image) && GUEST_MODULES.every((m) => existsSync(join(modulesDir, m)))) {
      return { image, release, modulesDir };
    }
  }
  return undefined;
}

/** KVM that boots a stock kernel: /dev/kvm opens read-write and the host's KVM is not PVM. */
export function kvmUsable(): boolean {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return false;
  }
  return !existsSync('/sys/module/kvm_pvm');
}

/** QEMU knows the `microvm` machine (a build without it fails at start with a less clear message). */
function hasMicrovmMachine(qemu: string): boolean {
  const listed = spawnSync(qemu, ['-machine', 'help'], { encoding: 'utf8', timeout: 10_000 });
  return listed.status === 0 && /^microvm\s/m.test(listed.stdout);
}

/** Everything the target needs, or DEPLOY_TARGET_UNAVAILABLE saying what is missing and how to install it. */
export function findMicroVmHost(settings: {
  kernel: string | undefined;
  accel: 'auto' | Accelerator;
}): MicroVmHost {
  const missing: string[] = [];
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new FactoryError(
      'DEPLOY_TARGET_UNAVAILABLE',
      `the microvm target runs on x86-64 Linux hosts; this is ${process.platform}/${process.arch}`,
      { details: { hint: 'Deploy with --target local or docker.' } },
    );
  }
  const qemu = findExecutable('qemu-system-x86_64');
  if (!qemu) missing.push('qemu-system-x86_64');
  else if (!hasMicrovmMachine(qemu)) missing.push("QEMU's microvm machine");
  const busybox =
    ['/usr/bin/busybox', '/bin/busybox'].find((f) => existsSync(f)) ?? findExecutable('busybox');
  if (!busybox || !isStatic(busybox)) missing.push('a static busybox (busybox-static)');
  const kernel = findGuestKernel(settings.kernel);
  if (!kernel) {
    missing.push(
      settings.kernel
        ? `the kernel ${settings.kernel} with its virtio modules under /lib/modules`
        : 'a guest kernel (/boot/vmlinuz-*) with its virtio modules',
    );
  }
  if (missing.length || !qemu || !busybox || !kernel) {
    throw new FactoryError(
      'DEPLOY_TARGET_UNAVAILABLE',
      `the microvm target needs ${missing.join(', ')} on this host`,
      { details: { missing, hint: INSTALL_HINT } },
    );
  }
  let accel: Accelerator = settings.accel === 'auto' ? (kvmUsable() ? 'kvm' : 'tcg') : settings.accel;
  if (settings.accel === 'kvm' && !kvmUsable()) {
    throw new FactoryError(
      'DEPLOY_TARGET_UNAVAILABLE',
      'MCP_FACTORY_MICROVM_ACCEL=kvm, but /dev/kvm cannot be opened (or is a PVM hypervisor that boots only PVM kernels)',
      {
        details: {
          hint: 'Set MCP_FACTORY_MICROVM_ACCEL=auto (TCG where KVM is missing) or give this user /dev/kvm.',
        },
      },
    );
  }
  if (accel !== 'kvm') accel = 'tcg';
  const tscKhz = accel === 'tcg' ? hostTscKhz() : undefined;
  return { qemu, busybox, kernel, accel, ...(tscKhz ? { tscKhz } : {}) };
}

/** A dynamically linked busybox would need its libraries in the guest: only a static one is used. */
function isStatic(file: string): boolean {
  try {
    const head = readFileSync(file).subarray(0, 1 << 20);
    // Dynamic executables name their interpreter (PT_INTERP) near the start.
    return !head.includes('/lib64/ld-linux') && !head.includes('/lib/ld-linux');
  } catch {
    return false;
  }
}

/** The host CPU's rate in kHz as /proc/cpuinfo reports it (the TSC's on hosts with a constant TSC). */
export function hostTscKhz(cpuinfo = '/proc/cpuinfo'): number | undefined {
  try {
    const mhz = /^cpu MHz\s*:\s*([\d.]+)/m.exec(readFileSync(cpuinfo, 'utf8'))?.[1];
    const khz = mhz ? Math.round(Number(mhz) * 1000) : Number.NaN;
    return Number.isFinite(khz) && khz > 0 ? khz : undefined;
  } catch {
    return undefined;
  }
}
