/**
 * `filesystem`: one local directory with strict confinement. Every path is relative to the root: absolute paths,
 * `..` segments, percent-encoded dots/slashes, NUL and control characters are refused before touching the disk,
 * and the real path (symbolic links resolved) must still lie inside the real root.
 */
import { describeServer, flag, flagVariable, int, intVariable, lit } from './common.js';
import type { TemplateDefinition, TemplateEnvVar, TemplateVars, ToolInput } from './types.js';

function preludeSource(vars: TemplateVars): string {
  return `const fs = await import('node:fs/promises');
const nodePath = await import('node:path');
const { constants } = await import('node:fs');
const MAX_BYTES = ${int(vars, 'maxFileBytes')};
const rootSetting = process.env.FS_ROOT || ${lit(vars.root ?? '')};
if (!rootSetting) throw new Error('environment variable FS_ROOT is not set; set it to the directory this server may access');
let root: string;
try {
  root = await fs.realpath(nodePath.resolve(rootSetting));
} catch {
  throw new Error('the root directory (FS_ROOT) does not exist: ' + rootSetting);
}
if (!(await fs.stat(root)).isDirectory()) throw new Error('the root (FS_ROOT) is not a directory: ' + rootSetting);
function inside(p: string): boolean {
  return p === root || p.startsWith(root.endsWith(nodePath.sep) ? root : root + nodePath.sep);
}
function display(p: string): string {
  return nodePath.relative(root, p).split(nodePath.sep).join('/') || '.';
}
function lexical(rel: string): string {
  if (rel.includes('\\u0000')) throw new Error('path must not contain NUL bytes');
  if (/[\\u0001-\\u001f\\u007f]/.test(rel)) throw new Error('path must not contain control characters');
  if (/%(?:2e|2f|5c|00)/i.test(rel)) throw new Error('path must not contain percent-encoded dots, slashes or NUL');
  if (nodePath.isAbsolute(rel) || nodePath.win32.isAbsolute(rel) || /^[A-Za-z]:/.test(rel))
    throw new Error('path must be relative to the root directory, not absolute');
  if (rel.split(/[\\\\/]+/).includes('..')) throw new Error('path must not contain ".." segments');
  const full = nodePath.resolve(root, rel);
  if (!inside(full)) throw new Error('path leaves the root directory');
  return full;
}
function fsError(error: unknown, rel: string): Error {
  const code = (error as { code?: string }).code;
  if (code === 'ENOENT') return new Error('no such file or directory: ' + rel);
  if (code === 'ENOTDIR') return new Error('not a directory: ' + rel);
  if (code === 'EISDIR') return new Error('is a directory: ' + rel);
  if (code === 'EACCES' || code === 'EPERM') return new Error('permission denied: ' + rel);
  if (code === 'ELOOP') return new Error('refusing to follow a symbolic link: ' + rel);
  if (code === 'EEXIST') return new Error('already exists: ' + rel + ' (pass overwrite: true to replace it)');
  return new Error((code ? code + ': ' : '') + 'cannot access ' + rel);
}
async function existing(rel: string): Promise<string> {
  const full = lexical(rel);
  let real: string;
  try {
    real = await fs.realpath(full);
  } catch (error) {
    throw fsError(error, rel);
  }
  if (!inside(real)) throw new Error('path resolves through a symbolic link to outside the root directory: ' + rel);
  return real;
}
`;
}

/** The code check refuses host built-ins unless the spec says why it needs them (code-check/modules.ts). */
const HOST_ACCESS = {
  modules: ['fs' as const],
  reason: 'reads and writes files under FS_ROOT only; every path is confined to the real root before use',
};

const LIST_SOURCE = `const dir = await existing(args.path);
let entries: import('node:fs').Dirent[];
try {
  entries = await fs.readdir(dir, { withFileTypes: true });
} catch (error) {
  throw fsError(error, args.path);
}
entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
const limit = args.maxEntries;
const out: Array<{ name: string; type: string; size?: number }> = [];
for (const entry of entries.slice(0, limit)) {
  const type = entry.isDirectory() ? 'directory' : entry.isFile() ? 'file' : entry.isSymbolicLink() ? 'symlink' : 'other';
  if (type === 'file') {
    const st = await fs.lstat(nodePath.join(dir, entry.name)).catch(() => undefined);
    out.push({ name: entry.name, type, ...(st ? { size: st.size } : {}) });
  } else out.push({ name: entry.name, type });
}
return { path: display(dir), entries: out, truncated: entries.length > limit };`;

const READ_SOURCE = `const file = await existing(args.path);
let handle: import('node:fs/promises').FileHandle;
try {
  handle = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
} catch (error) {
  throw fsError(error, args.path);
}
try {
  const st = await handle.stat();
  if (!st.isFile()) throw new Error('not a regular file: ' + args.path);
  if (st.size > MAX_BYTES)
    throw new Error('file is ' + st.size + ' bytes; the limit is ' + MAX_BYTES + ' bytes');
  const buffer = Buffer.alloc(st.size);
  let read = 0;
  while (read < st.size) {
    const { bytesRead } = await handle.read(buffer, read, st.size - read, read);
    if (bytesRead === 0) break;
    read += bytesRead;
  }
  const data = buffer.subarray(0, read);
  if (args.encoding === 'base64') return { path: display(file), size: read, encoding: 'base64', content: data.toString('base64') };
  let content: string;
  try {
    content = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    throw new Error('the file is not UTF-8 text; read it with encoding "base64"');
  }
  return { path: display(file), size: read, encoding: 'text', content };
} finally {
  await handle.close();
}`;

const SEARCH_SOURCE = `const start = await existing(args.path);
if (!args.name && !args.contains) throw new Error('give a name pattern, a content substring, or both');
let nameRe: RegExp | undefined;
if (args.name) {
  const pattern = args.name.replace(/[.+^$(){}|[\\]\\\\]/g, '\\\\$&').replace(/\\*/g, '.*').replace(/\\?/g, '.');
  nameRe = new RegExp('^' + pattern + '$', 'i');
}
const needle = args.contains;
const max = args.maxResults;
const matches: Array<{ path: string; line?: number; text?: string }> = [];
let visited = 0;
let truncated = false;
const stack: Array<{ dir: string; depth: number }> = [{ dir: start, depth: 0 }];
walk: while (stack.length > 0) {
  const { dir, depth } = stack.pop()!;
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    continue;
  }
  entries.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
  for (const entry of entries) {
    if (ctx.signal.aborted) throw new Error('search cancelled');
    if (++visited > 20000) {
      truncated = true;
      break walk;
    }
    const full = nodePath.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) {
      if (depth < 20) stack.push({ dir: full, depth: depth + 1 });
      continue;
    }
    if (!entry.isFile() || (nameRe && !nameRe.test(entry.name))) continue;
    if (needle === undefined) {
      matches.push({ path: display(full) });
    } else {
      const st = await fs.lstat(full).catch(() => undefined);
      if (!st || st.size > MAX_BYTES) continue;
      const text = await fs.readFile(full).catch(() => undefined);
      if (!text || text.includes(0)) continue;
      const lines = text.toString('utf8').split(/\\r?\\n/);
      const lower = needle.toLowerCase();
      const index = lines.findIndex((l) => (args.caseSensitive ? l.includes(needle) : l.toLowerCase().includes(lower)));
      if (index === -1) continue;
      const line = lines[index] ?? '';
      matches.push({ path: display(full), line: index + 1, text: line.length > 200 ? line.slice(0, 200) + '...' : line });
    }
    if (matches.length >= max) {
      truncated = true;
      break walk;
    }
  }
}
matches.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
return { matches, truncated };`;

const WRITE_SOURCE = `const full = lexical(args.path);
if (full === root) throw new Error('path must name a file inside the root directory');
const data = args.encoding === 'base64' ? Buffer.from(args.content, 'base64') : Buffer.from(args.content, 'utf8');
if (data.length > MAX_BYTES) throw new Error('content is ' + data.length + ' bytes; the limit is ' + MAX_BYTES + ' bytes');
const parent = nodePath.dirname(full);
// The nearest existing ancestor must really be inside the root before anything is created below it.
let ancestor = parent;
for (;;) {
  try {
    await fs.lstat(ancestor);
    break;
  } catch {
    if (!args.createDirectories) throw new Error('the directory does not exist: ' + display(parent) + ' (pass createDirectories: true)');
    ancestor = nodePath.dirname(ancestor);
  }
}
const realAncestor = await fs.realpath(ancestor).catch((error: unknown) => {
  throw fsError(error, args.path);
});
if (!inside(realAncestor)) throw new Error('path resolves through a symbolic link to outside the root directory: ' + args.path);
if (ancestor !== parent)
  await fs.mkdir(parent, { recursive: true }).catch((error: unknown) => {
    throw fsError(error, args.path);
  });
const realParent = await fs.realpath(parent).catch((error: unknown) => {
  throw fsError(error, args.path);
});
if (!inside(realParent)) throw new Error('path resolves through a symbolic link to outside the root directory: ' + args.path);
const target = nodePath.join(realParent, nodePath.basename(full));
const before = await fs.lstat(target).catch(() => undefined);
if (before?.isSymbolicLink()) throw new Error('refusing to write through a symbolic link: ' + args.path);
if (before?.isDirectory()) throw new Error('is a directory: ' + args.path);
const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | (args.overwrite ? constants.O_TRUNC : constants.O_EXCL);
let handle: import('node:fs/promises').FileHandle;
try {
  handle = await fs.open(target, flags, 0o644);
} catch (error) {
  throw fsError(error, args.path);
}
try {
  await handle.writeFile(data);
} finally {
  await handle.close();
}
return { path: display(target), bytes: data.length, created: before === undefined };`;

const environment = (vars: TemplateVars): TemplateEnvVar[] => [
  {
    name: 'FS_ROOT',
    description: `directory the server may access${vars.root ? ` (default ${vars.root})` : ''}; nothing outside it is reachable`,
    required: !vars.root,
  },
];

export const filesystemTemplate: TemplateDefinition = {
  name: 'filesystem',
  title: 'Local files',
  category: 'files',
  description:
    'List, read and search files below one root directory (FS_ROOT), with strict path confinement (no absolute paths, "..", symbolic links out of the root); writable=true adds write_file.',
  variables: [
    {
      name: 'root',
      description:
        'Default root directory (FS_ROOT overrides it); relative paths resolve against the server’s working directory.',
      format: 'a directory path such as /srv/shared',
    },
    flagVariable('writable', 'Add the write_file tool (destructive).', false),
    intVariable(
      'maxFileBytes',
      'Largest file read_file returns (and write_file writes), in bytes.',
      1_048_576,
      1,
      104_857_600,
    ),
  ],
  environment,
  build(vars, serverName) {
    const prelude = preludeSource(vars);
    const path = (description: string, fallback?: string) => ({
      type: 'string' as const,
      maxLength: 4096,
      description,
      ...(fallback !== undefined ? { default: fallback } : { required: true, minLength: 1 }),
    });
    const tools: ToolInput[] = [
      {
        name: 'list_directory',
        title: 'List a directory',
        description:
          'List the entries of a directory below the root (name, type file/directory/symlink/other, size of files), sorted by name.',
        parameters: {
          path: path('Directory relative to the root ("." is the root).', '.'),
          maxEntries: { type: 'integer', minimum: 1, maximum: 10_000, default: 1000 },
        },
        annotations: { readOnly: true, idempotent: true, openWorld: false },
        code: { source: prelude + LIST_SOURCE, hostAccess: HOST_ACCESS },
        examples: [{ arguments: { path: '../' }, expect: { isError: true } }],
      },
      {
        name: 'read_file',
        title: 'Read a file',
        description: `Read a file below the root as UTF-8 text or base64 (binary files). Files over ${int(vars, 'maxFileBytes')} bytes are refused.`,
        parameters: {
          path: path('File relative to the root.'),
          encoding: { type: 'string', enum: ['text', 'base64'], default: 'text' },
        },
        annotations: { readOnly: true, idempotent: true, openWorld: false },
        code: { source: prelude + READ_SOURCE, hostAccess: HOST_ACCESS },
        examples: [{ arguments: { path: '/etc/passwd' }, expect: { isError: true } }],
      },
      {
        name: 'search_files',
        title: 'Search files',
        description:
          'Find files below a directory by name pattern (* and ? wildcards, case-insensitive, matched against the file name) and/or a content substring (first matching line per file). Symbolic links are not followed.',
        parameters: {
          path: path('Directory to search, relative to the root.', '.'),
          name: { type: 'string', maxLength: 500, description: 'File name pattern, e.g. *.md' },
          contains: {
            type: 'string',
            minLength: 1,
            maxLength: 1000,
            description: 'Text the file must contain.',
          },
          caseSensitive: {
            type: 'boolean',
            default: false,
            description: 'Match `contains` case-sensitively.',
          },
          maxResults: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
        },
        annotations: { readOnly: true, idempotent: true, openWorld: false },
        code: { source: prelude + SEARCH_SOURCE, hostAccess: HOST_ACCESS },
        examples: [{ arguments: { path: '..', name: '*' }, expect: { isError: true } }],
      },
    ];
    if (flag(vars, 'writable'))
      tools.push({
        name: 'write_file',
        title: 'Write a file',
        description:
          'Write a file below the root (UTF-8 text or base64). Refuses to replace an existing file unless overwrite is true, and never writes through symbolic links.',
        parameters: {
          path: path('File relative to the root.'),
          content: { type: 'string', required: true, maxLength: 150_000_000 },
          encoding: { type: 'string', enum: ['text', 'base64'], default: 'text' },
          overwrite: { type: 'boolean', default: false, description: 'Replace the file if it exists.' },
          createDirectories: {
            type: 'boolean',
            default: false,
            description: 'Create missing parent directories.',
          },
        },
        annotations: { readOnly: false, destructive: true, idempotent: true, openWorld: false },
        code: { source: prelude + WRITE_SOURCE, hostAccess: HOST_ACCESS },
        examples: [{ arguments: { path: '../escape.txt', content: 'x' }, expect: { isError: true } }],
      });
    return {
      name: serverName,
      version: '0.1.0',
      title: 'Local files',
      description: describeServer(
        `Access to the files below one root directory${flag(vars, 'writable') ? ' (read and write)' : ' (read-only)'}. Paths are relative to the root; anything outside it is refused.`,
        environment(vars),
      ),
      tools,
    };
  },
};
