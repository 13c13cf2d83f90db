/**
 * The guest image of a server revision: one initramfs holding only what the server needs — a static busybox and
 * the init below, the kernel's virtio modules, Node.js with the shared libraries it and the server's native
 * addons link (read off `ldd`), and the generated project's dist/, data/, assets/ and package.json. Nothing of
 * the factory home, no other server, no host file system: what is not in the archive does not exist in the VM.
 *
 * Environment values never go into the cached image: each start appends a small second archive holding
 * /etc/mcpf/env.sh to a copy of it (0600, in the server's own directory), and the kernel unpacks both.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { type CpioEntry, writeCpioFile } from './cpio.js';
import { GUEST_MODULES, type MicroVmHost } from './host.js';

/** The guest's network, QEMU user-mode networking's defaults: the server listens on GUEST_IP. */
export const GUEST_IP = '10.0.2.15';
/** The uid and gid the server runs as inside the guest (root only sets the guest up). */
export const GUEST_UID = 1000;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The first part of the guest's PID 1: mount, load the network modules, bring up eth0. */
export function guestSetup(): string {
  const modules = GUEST_MODULES.map((m) => basename(m, '.ko')).join(' ');
  return `#!/bin/busybox sh
/bin/busybox mkdir -p /usr/bin /sbin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs -o size=64m,mode=1777,nosuid,nodev tmp /tmp
for m in ${modules}; do insmod /lib/modules/$m.ko || echo "mcpf-guest: loading $m failed"; done
ip link set lo up
ip addr add ${GUEST_IP}/24 dev eth0
ip link set eth0 up
`;
}

/** The last part of the guest's PID 1: read the environment, drop to GUEST_UID, run the server in /app. */
export function guestStart(): string {
  const start = [
    'process.setgroups([]);',
    `process.setgid(${GUEST_UID});`,
    `process.setuid(${GUEST_UID});`,
    "await import('/app/dist/server.mjs');",
  ].join(' ');
  return `chown -R ${GUEST_UID}:${GUEST_UID} /app/data /tmp 2>/dev/null
[ -f /etc/mcpf/env.sh ] && . /etc/mcpf/env.sh
cd /app
echo "mcpf-guest: starting the server as uid ${GUEST_UID}"
exec /bin/node --input-type=module -e "${start}"
`;
}

/** The guest's PID 1 of a server image: set up, then run the server. */
export function guestInit(): string {
  return guestSetup() + guestStart();
}

/** `export NAME='value'` lines; a name that is not a shell name is left out (the secret store refuses them). */
export function envScript(env: Record<string, string>): string {
  return Object.entries(env)
    .filter(([name]) => ENV_NAME.test(name))
    .map(([name, value]) => `export ${name}='${value.replaceAll("'", "'\\''")}'\n`)
    .join('');
}

/** Absolute paths of the shared libraries `file` links (with the dynamic loader), via ldd. */
export function linkedLibraries(file: string): string[] {
  const out = spawnSync('ldd', [file], { encoding: 'utf8', timeout: 10_000 });
  if (out.status !== 0) return []; // "not a dynamic executable" (static, or a script)
  const libs = new Set<string>();
  for (const line of out.stdout.split('\n')) {
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m?.[1]) libs.add(m[1]);
  }
  return [...libs];
}

function walk(dir: string, onFile: (file: string) => void, onDir: (dir: string) => void): void {
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    const st = statSync(full);
    if (st.isDirectory()) {
      onDir(full);
      walk(full, onFile, onDir);
    } else if (st.isFile()) onFile(full);
  }
}

/** Entries of a directory tree for `prefix` in the archive, parents first. */
export class Tree {
  readonly entries: CpioEntry[] = [];
  readonly #dirs = new Set<string>(['']);

  dir(name: string, mode = 0o755): void {
    const parts = name.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const path = parts.slice(0, i).join('/');
      if (this.#dirs.has(path)) continue;
      this.#dirs.add(path);
      this.entries.push({ kind: 'dir', name: path, mode });
    }
  }

  file(name: string, source: string, mode: number): void {
    this.dir(dirname(name));
    this.entries.push({ kind: 'file', name, source, mode });
  }

  data(name: string, data: string, mode: number): void {
    this.dir(dirname(name));
    this.entries.push({ kind: 'data', name, data: Buffer.from(data, 'utf8'), mode });
  }
}

/** A library at its own path in the guest (and at the path its symlink chain starts from). */
export function addLibrary(tree: Tree, lib: string): void {
  const real = realpathSync(lib);
  tree.file(lib.slice(1), real, 0o755);
}

/** The base every guest image holds: directories, busybox, the virtio modules, Node.js and its libraries. */
export function addGuestBase(tree: Tree, host: MicroVmHost): Set<string> {
  for (const d of ['dev', 'proc', 'sys', 'tmp', 'etc/mcpf', 'lib/modules']) tree.dir(d);
  tree.file('bin/busybox', host.busybox, 0o755);
  for (const m of GUEST_MODULES)
    tree.file(`lib/modules/${basename(m)}`, join(host.kernel.modulesDir, m), 0o644);
  const node = realpathSync(process.execPath);
  tree.file('bin/node', node, 0o755);
  return new Set(linkedLibraries(node));
}

/**
 * The project's dist/, data/, assets/ and package.json under app/, and the libraries its native addons link
 * that `have` does not hold yet (added to it).
 */
export function addProject(tree: Tree, projectDir: string, have: Set<string>): void {
  const extra = new Set<string>();
  for (const top of ['package.json', 'dist', 'data', 'assets']) {
    const full = join(projectDir, top);
    if (!existsSync(full)) continue;
    const name = (f: string) => `app/${relative(projectDir, f)}`;
    if (statSync(full).isDirectory()) {
      tree.dir(name(full));
      walk(
        full,
        (f) => {
          tree.file(name(f), f, 0o644);
          // Native addons (better-sqlite3 …) link libraries of their own.
          if (f.endsWith('.node')) for (const lib of linkedLibraries(f)) if (!have.has(lib)) extra.add(lib);
        },
        (d) => tree.dir(name(d)),
      );
    } else tree.file(name(full), full, 0o644);
  }
  for (const lib of [...extra].sort()) {
    addLibrary(tree, lib);
    have.add(lib);
  }
}

/** Write `tree` to `out` atomically (a temporary file renamed into place); returns its size in bytes. */
export function writeTree(tree: Tree, out: string): number {
  const temp = `${out}.${process.pid}.tmp`;
  try {
    const size = writeCpioFile(temp, tree.entries);
    renameSync(temp, out);
    return size;
  } finally {
    rmSync(temp, { force: true });
  }
}

/**
 * Write the guest image of the project in `projectDir` to `out` (atomically: a temporary file renamed into
 * place). Returns its size in bytes.
 */
export function buildGuestImage(host: MicroVmHost, projectDir: string, out: string): number {
  const tree = new Tree();
  tree.data('init', guestInit(), 0o755);
  const libraries = addGuestBase(tree, host);
  for (const lib of [...libraries].sort()) addLibrary(tree, lib);
  addProject(tree, projectDir, libraries);
  return writeTree(tree, out);
}

/** The initramfs of one start: a copy of the cached image with the environment appended (0600). */
export function writeBootImage(image: string, env: Record<string, string>, out: string): void {
  writeStartImage(
    image,
    [{ kind: 'data', name: 'etc/mcpf/env.sh', data: Buffer.from(envScript(env)), mode: 0o600 }],
    out,
  );
}

/** A copy of `image` with a second archive of `entries` appended (0600: it may hold secrets). */
export function writeStartImage(image: string, entries: CpioEntry[], out: string): void {
  const temp = `${out}.${process.pid}.tmp`;
  try {
    copyFileSync(image, temp);
    writeCpioFile(temp, entries, 'a');
    renameSync(temp, out);
  } finally {
    rmSync(temp, { force: true });
  }
}
