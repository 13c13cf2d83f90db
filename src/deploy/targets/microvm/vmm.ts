/**
 * QEMU as the virtual machine monitor: the `microvm` machine (no PCI, no firmware tables beyond ACPI, virtio
 * over MMIO), one virtio-net device on user-mode networking with `restrict=on` — the guest reaches nothing, not
 * the host, not the outside; only the one forwarded port 127.0.0.1:<port> → guest:<port> comes in. Memory and
 * vCPUs are QEMU's own limits. The serial console (the guest's kernel and the server's output) goes to the
 * capped log writer of the local target. QEMU runs detached, in its own process group, and outlives the CLI.
 */
import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { startLogWriter } from '../local/log-writer.js';
import {
  formatProcessId,
  isRunning,
  parseProcessId,
  readCmdline,
  readStat,
  terminate,
} from '../local/proc.js';
import type { MicroVmHost } from './host.js';
import { GUEST_IP } from './image.js';

export interface VmLaunch {
  /** The server's name: the VM is named `mcpf-<server>` (how a process is told apart from a reused pid). */
  server: string;
  bootImage: string;
  /** Host port on 127.0.0.1, forwarded to the same port in the guest. */
  port: number;
  memoryMb: number;
  cpus: number;
  /** A QEMU monitor socket (pool VMs: a forward added at claim); the directory holding it must be private. */
  monitor?: string;
}

export function vmName(server: string): string {
  return `mcpf-${server}`;
}

/** QEMU's arguments for one VM (pure: tested as data). */
export function qemuArgs(host: MicroVmHost, launch: VmLaunch): string[] {
  return [
    '-name',
    vmName(launch.server),
    // pit/pic/rtc: a kernel under TCG calibrates its clock against them; with KVM they cost nothing.
    '-machine',
    'microvm,acpi=on,pit=on,pic=on,rtc=on',
    '-accel',
    // TCG's translation cache defaults to 1 GiB of host memory per VM; 128 MiB is plenty for one server.
    host.accel === 'kvm' ? 'kvm' : 'tcg,thread=multi,tb-size=128',
    '-cpu',
    host.accel === 'kvm' ? 'host' : 'max',
    '-m',
    String(launch.memoryMb),
    '-smp',
    String(launch.cpus),
    '-nodefaults',
    '-no-user-config',
    '-nographic',
    '-no-reboot',
    '-serial',
    'stdio',
    '-kernel',
    host.kernel.image,
    '-initrd',
    launch.bootImage,
    '-append',
    [
      'console=ttyS0 quiet pci=off panic=-1 rdinit=/init',
      ...(host.tscKhz ? [`tsc_early_khz=${host.tscKhz}`] : []),
    ].join(' '),
    '-netdev',
    `user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:${launch.port}-${GUEST_IP}:${launch.port}`,
    '-device',
    'virtio-net-device,netdev=net0',
    ...(launch.monitor ? ['-monitor', `unix:${launch.monitor},server=on,wait=off`] : []),
  ];
}

/** Run one command on a QEMU human monitor socket; resolves with its output (up to the next prompt). */
export function monitorCommand(socket: string, command: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const conn = createConnection(socket);
    let out = '';
    let sent = false;
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new Error(`QEMU's monitor did not answer ${JSON.stringify(command)} within ${timeoutMs} ms`));
    }, timeoutMs);
    conn.setEncoding('utf8');
    conn.on('data', (chunk: string) => {
      out += chunk;
      if (!out.includes('(qemu)')) return;
      if (!sent) {
        sent = true;
        out = '';
        conn.write(`${command}\n`);
        return;
      }
      clearTimeout(timer);
      conn.end();
      // The monitor echoes the command with terminal escapes: keep what follows the echoed line.
      resolve(
        out
          .slice(out.indexOf('\n') + 1)
          .replace('(qemu)', '')
          .trim(),
      );
    });
    conn.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Start the VM with its console going to `logFile` (capped); returns its process id as `pid:startTicks`. */
export function startVm(
  host: MicroVmHost,
  launch: VmLaunch,
  logFile: string,
  limits: { maxBytes: number; keep: number },
): string {
  const log = startLogWriter(logFile, limits);
  let pid: number | undefined;
  try {
    const child = spawn(host.qemu, qemuArgs(host, launch), {
      detached: true,
      stdio: ['ignore', log.writer.stdin ?? 'ignore', log.writer.stdin ?? 'ignore'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    child.on('error', () => undefined);
    child.unref();
    pid = child.pid;
  } finally {
    log.release();
  }
  if (pid === undefined) throw new Error(`${host.qemu} did not start`);
  return formatProcessId(pid, readStat(pid)?.startTicks ?? 0);
}

/**
 * Whether `processId` is this server's VM, still running (a reused pid or another program is not). `alias`: the
 * pool VM the server was handed to (pool.ts, named `mcpf-<alias>`), which is its VM too.
 */
export function vmRunning(processId: string | null | undefined, server: string, alias?: string): boolean {
  const id = parseProcessId(processId);
  if (!id || !isRunning(id.pid, id.startTicks)) return false;
  const cmdline = readCmdline(id.pid) ?? [];
  const at = cmdline.indexOf('-name');
  const name = at >= 0 ? cmdline[at + 1] : undefined;
  return name !== undefined && (name === vmName(server) || (alias !== undefined && name === vmName(alias)));
}

/** Stop this server's VM (SIGTERM: QEMU exits at once; SIGKILL after `graceMs`). */
export async function stopVm(
  processId: string | null | undefined,
  server: string,
  graceMs = 5000,
  alias?: string,
): Promise<void> {
  const id = parseProcessId(processId);
  if (!id || !vmRunning(processId, server, alias)) return;
  await terminate(id.pid, id.startTicks ?? readStat(id.pid)?.startTicks ?? 0, graceMs);
}
