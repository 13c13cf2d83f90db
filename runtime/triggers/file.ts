/**
 * File trigger source (chokidar): watches a folder inside the file root (MCP_TRIGGER_FILE_ROOT, else the project
 * root) and fires for `events` on paths matching the optional glob, once per path after `debounceMs` of quiet.
 * Confinement: the spec's path must be relative without `..` (checked by the spec check and again here), the
 * watched folder's real path must stay inside the root's, symlinks are not followed, and an event whose real
 * path leaves the watched folder (a symlink pointing outside) is ignored. Event id = path + mtime + size.
 */
import { existsSync, lstatSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import type { Logger } from '../logger.js';
import type { FileDefinition } from './definitions.js';
import type { TriggerDeliver, TriggerSource } from './types.js';

export const DEFAULT_FILE_DEBOUNCE_MS = 200;

/** A glob (`*` within a segment, `**` across segments, `?` one character) as an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      out += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

const inside = (parent: string, child: string) => child === parent || child.startsWith(parent + sep);

/** The watched folder's real path, refusing anything that leaves `root` (lexically or through a symlink). */
export function confinedFolder(root: string, path: string): string {
  if (isAbsolute(path) || path.split(/[\\/]/).includes('..'))
    throw new Error(`file trigger path "${path}" must be relative to the file root and must not contain ..`);
  const realRoot = realpathSync(root);
  const target = resolve(realRoot, path);
  if (!inside(realRoot, target)) throw new Error(`file trigger path "${path}" leaves the file root`);
  // Before creating anything: the deepest existing ancestor must not lead outside (a symlinked parent would make
  // mkdir create folders wherever it points).
  let existing = target;
  while (!existsSync(existing)) existing = dirname(existing);
  if (!inside(realRoot, realpathSync(existing)))
    throw new Error(`file trigger path "${path}" resolves outside the file root (symlink)`);
  mkdirSync(target, { recursive: true });
  const real = realpathSync(target);
  if (!inside(realRoot, real))
    throw new Error(`file trigger path "${path}" resolves outside the file root (symlink)`);
  return real;
}

export function fileSource(definition: FileDefinition, root: string, log: Logger): TriggerSource {
  const debounceMs = definition.debounceMs ?? DEFAULT_FILE_DEBOUNCE_MS;
  const matcher = definition.glob ? globToRegExp(definition.glob) : undefined;
  const timers = new Map<string, NodeJS.Timeout>();
  const running = new Set<Promise<unknown>>();
  let watcher: FSWatcher | undefined;

  const fire = (deliver: TriggerDeliver, folder: string, full: string, kind: 'add' | 'change' | 'unlink') => {
    const rel = relative(folder, full).split(sep).join('/');
    let facts: { size: number; mtime: string } | undefined;
    if (kind !== 'unlink') {
      try {
        // The real path must stay inside the watched folder: a symlink pointing outside is never reported.
        if (lstatSync(full).isSymbolicLink() || !inside(folder, realpathSync(full))) {
          log.warn('file trigger ignored a path that leaves its folder', { path: rel });
          return;
        }
        const stats = statSync(full);
        if (!stats.isFile()) return;
        facts = { size: stats.size, mtime: stats.mtime.toISOString() };
      } catch {
        return; // gone again before the quiet time ended
      }
    }
    const id = facts ? `${rel}:${facts.mtime}:${facts.size}` : `${rel}:unlink:${Date.now()}`;
    const run = deliver({
      id,
      payload: { path: rel, fullPath: full, event: kind, ...facts },
      meta: { path: rel, event: kind },
      receivedAt: Date.now(),
    })
      .catch((error: unknown) =>
        log.warn('file event not run', { path: rel, error: (error as Error).message }),
      )
      .finally(() => running.delete(run));
    running.add(run);
  };

  return {
    type: 'file',
    async start(deliver) {
      const folder = confinedFolder(root, definition.path);
      const w = watch(folder, { ignoreInitial: true, followSymlinks: false, persistent: true });
      watcher = w;
      const on = (kind: 'add' | 'change' | 'unlink') => (full: string) => {
        if (!definition.events.includes(kind)) return;
        const rel = relative(folder, full).split(sep).join('/');
        if (rel.startsWith('..') || (matcher && !matcher.test(rel))) return;
        const key = `${kind}\u0000${full}`;
        clearTimeout(timers.get(key));
        timers.set(
          key,
          setTimeout(() => {
            timers.delete(key);
            fire(deliver, folder, join(folder, rel), kind);
          }, debounceMs),
        );
      };
      w.on('add', on('add')).on('change', on('change')).on('unlink', on('unlink'));
      w.on('error', (error) => log.warn('file watcher error', { error: String(error) }));
      await new Promise<void>((ready) => w.once('ready', () => ready()));
    },
    async stop() {
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      await watcher?.close();
      watcher = undefined;
      await Promise.allSettled([...running]);
    },
  };
}
