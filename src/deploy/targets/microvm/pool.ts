/**
 * The warm pool of the microvm target: VMs booted ahead of time from the generic image (agent.ts), kept at the
 * pool size per (memory, vCPUs) setting, each waiting in its agent for one server. Everything lives under
 * `<home>/microvm/`: the generic image `guest-<key>.cpio`, and per pool VM a state file `pool/vms/<id>.json`
 * (0600: it holds the VM's one-time secret) with its boot image `pool/vms/<id>.cpio` (the image plus the secret
 * archive). Claiming a VM is renaming its state file to `pool/claimed/` — atomic, so two processes (CLI,
 * supervisor) never take the same VM; the one whose rename fails tries the next.
 *
 * The size is `--pool N` of `deploy --target microvm` (stored in `pool/size`) or MCP_FACTORY_MICROVM_POOL.
 * The pool is refilled by the process that deploys, right after it claimed a VM (QEMU runs detached: a refill
 * only starts processes and returns); a pool VM that died is forgotten at the next look.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { FactoryError } from '../../../core/errors/index.js';
import type { HomeLayout } from '../../../platform/home.js';
import { freePort } from '../../../platform/ports.js';
import { configuredLimits } from '../local/logs.js';
import { isRunning, listPids, readCmdline, readStat, terminate } from '../local/proc.js';
import { agentReady, buildPoolImage, poolImageKey } from './agent.js';
import type { MicroVmHost } from './host.js';
import { GUEST_IP, writeStartImage } from './image.js';
import { monitorCommand, startVm, stopVm, vmRunning } from './vmm.js';

export interface PoolVm {
  id: string;
  /** The VM's server name for vmm.ts: `pool.<id>` (QEMU's `-name mcpf-pool.<id>`; no server name has a dot). */
  alias: string;
  processId: string;
  /** 127.0.0.1:port → the agent, later the server (the deployment's port). */
  port: number;
  secret: string;
  /** Its QEMU monitor socket (in the private pool directory): adds the deployment's port forward at claim. */
  monitor: string;
  memoryMb: number;
  cpus: number;
  /** The generic image's key (agent.ts poolImageKey). */
  image: string;
  createdAt: string;
}

export interface PoolSetting {
  memoryMb: number;
  cpus: number;
}

export function poolRoot(layout: HomeLayout): string {
  return join(layout.home, 'microvm');
}

const vmsDir = (layout: HomeLayout) => join(poolRoot(layout), 'pool', 'vms');
const claimedDir = (layout: HomeLayout) => join(poolRoot(layout), 'pool', 'claimed');
const sizeFile = (layout: HomeLayout) => join(poolRoot(layout), 'pool', 'size');

/** The console log of a pool VM (after a claim, the log of the server it runs). */
export function poolLogFile(layout: HomeLayout, alias: string): string {
  return layout.logFile(`microvm-${alias}`);
}

/** The pool size of this home: the last `--pool N`, else MCP_FACTORY_MICROVM_POOL. */
export function poolSize(layout: HomeLayout, configured: number): number {
  try {
    const n = Number(readFileSync(sizeFile(layout), 'utf8').trim());
    return Number.isInteger(n) && n >= 0 ? n : configured;
  } catch {
    return configured;
  }
}

export function setPoolSize(layout: HomeLayout, n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > 16) {
    throw new FactoryError('INVALID_ARGUMENTS', `--pool ${n}: an integer from 0 to 16`);
  }
  mkdirSync(join(poolRoot(layout), 'pool'), { recursive: true, mode: 0o700 });
  writeFileSync(sizeFile(layout), `${n}\n`, { mode: 0o600 });
}

function readVms(dir: string): Array<{ file: string; vm: PoolVm }> {
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: Array<{ file: string; vm: PoolVm }> = [];
  for (const name of names) {
    try {
      out.push({ file: join(dir, name), vm: JSON.parse(readFileSync(join(dir, name), 'utf8')) as PoolVm });
    } catch {
      // Half-written by a process that died: nothing runs from it that the next look could not find.
    }
  }
  return out.sort((a, b) => a.vm.createdAt.localeCompare(b.vm.createdAt));
}

const alive = (vm: PoolVm) => vmRunning(vm.processId, vm.alias);

/** Stop a pool VM that runs no server and forget it (its state file, boot image and console log). */
export async function discard(layout: HomeLayout, vm: PoolVm, file?: string): Promise<void> {
  await stopVm(vm.processId, vm.alias, 2000);
  rmSync(join(vmsDir(layout), `${vm.id}.cpio`), { force: true });
  rmSync(vm.monitor, { force: true });
  rmSync(poolLogFile(layout, vm.alias), { force: true });
  if (file) rmSync(file, { force: true });
}

/** The unclaimed pool VMs of this home, dead ones forgotten. */
export async function listPool(layout: HomeLayout): Promise<PoolVm[]> {
  const out: PoolVm[] = [];
  for (const { file, vm } of readVms(vmsDir(layout))) {
    if (alive(vm)) out.push(vm);
    else await discard(layout, vm, file);
  }
  return out;
}

/**
 * Take a booted VM of this setting and image: the oldest whose agent answers, claimed by renaming its state
 * file. Undefined when none is ready (the caller boots cold).
 */
export async function claimVm(
  layout: HomeLayout,
  setting: PoolSetting,
  image: string,
): Promise<PoolVm | undefined> {
  mkdirSync(claimedDir(layout), { recursive: true, mode: 0o700 });
  for (const vm of await listPool(layout)) {
    if (vm.memoryMb !== setting.memoryMb || vm.cpus !== setting.cpus || vm.image !== image) continue;
    if (!(await agentReady(vm.port))) continue; // still booting
    try {
      renameSync(join(vmsDir(layout), `${vm.id}.json`), join(claimedDir(layout), `${vm.id}.json`));
    } catch {
      continue; // another process took it first
    }
    rmSync(join(vmsDir(layout), `${vm.id}.cpio`), { force: true });
    return vm;
  }
  return undefined;
}

/**
 * Forward 127.0.0.1:`port` to the same port in a claimed VM (a deployment with a port of its own), through its
 * monitor, and drop the agent's forward.
 */
export async function forwardPort(vm: PoolVm, port: number): Promise<void> {
  chmodSync(vm.monitor, 0o600);
  const added = await monitorCommand(
    vm.monitor,
    `hostfwd_add net0 tcp:127.0.0.1:${port}-${GUEST_IP}:${port}`,
  );
  if (added !== '') throw new Error(`QEMU did not forward port ${port}: ${added}`);
  await monitorCommand(vm.monitor, `hostfwd_remove net0 tcp:127.0.0.1:${vm.port}`).catch(() => undefined);
}

/** The monitor socket a handed-over VM leaves behind, removed once that VM was stopped. */
export function removeMonitor(layout: HomeLayout, alias: string): void {
  if (/^pool\.[0-9a-f]+$/.test(alias)) rmSync(join(vmsDir(layout), `${alias.slice(5)}.mon`), { force: true });
}

/** A claimed VM is now a deployment's (or was killed): drop its claim file. */
export function releaseClaim(layout: HomeLayout, vm: PoolVm): void {
  rmSync(join(claimedDir(layout), `${vm.id}.json`), { force: true });
}

/** One refill at a time per home (a lock file naming its pid; a dead holder's lock is taken over). */
function withLock<T>(layout: HomeLayout, run: () => Promise<T>): Promise<T | undefined> {
  const lock = join(poolRoot(layout), 'pool', 'refill.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return run().finally(() => rmSync(lock, { force: true }));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(lock, 'utf8').trim());
      // A refill takes seconds: a lock older than 5 minutes is a dead holder's whose pid was reused.
      const fresh = Date.now() - statSync(lock).mtimeMs < 5 * 60_000;
      if (fresh && Number.isInteger(holder) && holder > 0 && isRunning(holder))
        return Promise.resolve(undefined);
      rmSync(lock, { force: true });
    }
  }
  return Promise.resolve(undefined);
}

/** The generic image for `host`, built when this host's node, kernel or agent changed. */
export function poolImage(layout: HomeLayout, host: MicroVmHost): { key: string; file: string } {
  const key = poolImageKey(host);
  const file = join(poolRoot(layout), `guest-${key}.cpio`);
  if (!existsSync(file)) {
    mkdirSync(poolRoot(layout), { recursive: true, mode: 0o700 });
    buildPoolImage(host, file);
    // Images of an earlier node or kernel are of no use any more.
    for (const n of readdirSync(poolRoot(layout)))
      if (/^guest-[0-9a-f]+\.cpio$/.test(n) && n !== `guest-${key}.cpio`)
        rmSync(join(poolRoot(layout), n), { force: true });
  }
  return { key, file };
}

/**
 * Keep `size` VMs of `setting` booted (or booting): start the missing ones, stop the extra ones and those of an
 * older image. VMs of other settings are left to the processes that use them (supervisor stop ends all).
 * Returns the VMs started.
 */
export async function refillPool(
  layout: HomeLayout,
  host: MicroVmHost,
  setting: PoolSetting,
  size: number,
): Promise<number> {
  mkdirSync(vmsDir(layout), { recursive: true, mode: 0o700 });
  const started = await withLock(layout, async () => {
    const image = size > 0 ? poolImage(layout, host) : undefined;
    const mine: PoolVm[] = [];
    for (const vm of await listPool(layout)) {
      const sameSetting = vm.memoryMb === setting.memoryMb && vm.cpus === setting.cpus;
      if (!sameSetting) continue;
      if (!image || vm.image !== image.key || mine.length >= size)
        await discard(layout, vm, join(vmsDir(layout), `${vm.id}.json`));
      else mine.push(vm);
    }
    if (!image) return 0;
    let n = 0;
    for (let i = mine.length; i < size; i++, n++) await bootPoolVm(layout, host, setting, image);
    return n;
  });
  return started ?? 0;
}

async function bootPoolVm(
  layout: HomeLayout,
  host: MicroVmHost,
  setting: PoolSetting,
  image: { key: string; file: string },
): Promise<void> {
  const id = randomBytes(6).toString('hex');
  const alias = `pool.${id}`;
  const secret = randomBytes(32).toString('hex');
  const port = await freePort();
  const boot = join(vmsDir(layout), `${id}.cpio`);
  const monitor = join(vmsDir(layout), `${id}.mon`);
  // The secret goes to the guest in the boot image (0600), never on QEMU's command line.
  writeStartImage(
    image.file,
    [
      {
        kind: 'data',
        name: 'etc/mcpf/agent.json',
        data: Buffer.from(JSON.stringify({ secret, port })),
        mode: 0o600,
      },
    ],
    boot,
  );
  const processId = startVm(
    host,
    { server: alias, bootImage: boot, port, ...setting, monitor },
    poolLogFile(layout, alias),
    configuredLimits(),
  );
  const vm: PoolVm = {
    id,
    alias,
    processId,
    port,
    secret,
    monitor,
    ...setting,
    image: image.key,
    createdAt: new Date().toISOString(),
  };
  const file = join(vmsDir(layout), `${id}.json`);
  writeFileSync(`${file}.tmp`, JSON.stringify(vm), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/**
 * Stop every VM of the pool, ready or claimed but not yet handed over (supervisor stop, pool size 0), and any
 * pool VM of this home whose state file was never written (its starter died in between): found by its name and
 * its boot image, still under this home's pool (a claim deletes it). Returns how many ran.
 */
export async function stopPool(layout: HomeLayout): Promise<number> {
  let n = 0;
  for (const dir of [vmsDir(layout), claimedDir(layout)]) {
    for (const { file, vm } of readVms(dir)) {
      if (alive(vm)) n++;
      await discard(layout, vm, file);
    }
  }
  for (const pid of listPids()) {
    const cmdline = readCmdline(pid) ?? [];
    const name = cmdline[cmdline.indexOf('-name') + 1] ?? '';
    const initrd = cmdline[cmdline.indexOf('-initrd') + 1] ?? '';
    if (!cmdline.includes('-name') || !/^mcpf-pool\.[0-9a-f]+$/.test(name)) continue;
    // A claimed VM's boot image is gone (claimVm): that VM is a deployment's now, not the pool's.
    if (!initrd.startsWith(`${vmsDir(layout)}/`) || !existsSync(initrd)) continue;
    const ticks = readStat(pid)?.startTicks;
    if (ticks === undefined) continue;
    n++;
    await terminate(pid, ticks, 2000);
    rmSync(initrd, { force: true });
  }
  return n;
}
