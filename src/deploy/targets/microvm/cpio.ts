/**
 * A writer of `newc` cpio archives, the format the Linux kernel unpacks as its initramfs. Entries are written in
 * the order given (a directory before what it holds); file contents are streamed from the host path in chunks,
 * so a 100 MB node binary is never held in memory. Several archives may be concatenated into one initramfs:
 * the kernel unpacks them in turn, a later entry replacing an earlier one of the same name.
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';

export type CpioEntry =
  | { kind: 'dir'; name: string; mode: number }
  | { kind: 'file'; name: string; mode: number; source: string }
  | { kind: 'data'; name: string; mode: number; data: Uint8Array }
  | { kind: 'symlink'; name: string; target: string };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const CHUNK = 1 << 20;

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

/** Write `entries` (and the trailer) to the open file descriptor `fd`; returns the bytes written. */
export function writeCpio(fd: number, entries: readonly CpioEntry[]): number {
  let written = 0;
  let ino = 1;
  const put = (bytes: Uint8Array) => {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    written += bytes.length;
  };
  const header = (name: string, mode: number, size: number) => {
    if (name.startsWith('/') || name.split('/').includes('..') || name.includes('\0')) {
      throw new Error(`cpio entry name ${JSON.stringify(name)} must be relative and stay inside the archive`);
    }
    const nameBytes = Buffer.from(`${name}\0`, 'utf8');
    const fields = [ino++, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, nameBytes.length, 0];
    const head = Buffer.from(`070701${fields.map(hex8).join('')}`, 'latin1');
    put(head);
    put(nameBytes);
    put(Buffer.alloc(pad4(head.length + nameBytes.length)));
  };
  for (const entry of entries) {
    if (entry.kind === 'dir') header(entry.name, S_IFDIR | (entry.mode & 0o7777), 0);
    else if (entry.kind === 'symlink') {
      const target = Buffer.from(entry.target, 'utf8');
      header(entry.name, S_IFLNK | 0o777, target.length);
      put(target);
      put(Buffer.alloc(pad4(target.length)));
    } else if (entry.kind === 'data') {
      header(entry.name, S_IFREG | (entry.mode & 0o7777), entry.data.length);
      put(entry.data);
      put(Buffer.alloc(pad4(entry.data.length)));
    } else {
      const src = openSync(entry.source, 'r');
      try {
        const size = fstatSync(src).size;
        header(entry.name, S_IFREG | (entry.mode & 0o7777), size);
        const buffer = Buffer.allocUnsafe(CHUNK);
        let left = size;
        while (left > 0) {
          const n = readSync(src, buffer, 0, Math.min(CHUNK, left), null);
          if (n === 0) throw new Error(`${entry.source} shrank while it was archived`);
          put(buffer.subarray(0, n));
          left -= n;
        }
        put(Buffer.alloc(pad4(size)));
      } finally {
        closeSync(src);
      }
    }
  }
  header('TRAILER!!!', 0, 0);
  return written;
}

/** An archive written to a new file (0600: an archive may hold secrets). */
export function writeCpioFile(file: string, entries: readonly CpioEntry[], flags = 'w'): number {
  const fd = openSync(file, flags, 0o600);
  try {
    return writeCpio(fd, entries);
  } finally {
    closeSync(fd);
  }
}
