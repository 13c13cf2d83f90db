/**
 * Which modules the body of a code tool may load with `await import('…')`: a few Node built-ins that only
 * compute (paths, URLs, crypto, buffers, streams, compression), the packages MCP Factory ships for code tools,
 * and — only with the spec's `hostAccess` opt-in — the built-ins that reach the host (processes, files,
 * sockets, workers, the VM and the module loader). Pure data.
 */

/** Packages MCP Factory ships that code tools may load with `await import('name')`. */
export const CODE_TOOL_PACKAGES = ['nodemailer'] as const;

/** Built-ins that compute without touching the host: always allowed (with or without `node:`). */
const PURE_BUILTINS = new Set([
  'assert',
  'assert/strict',
  'buffer',
  'crypto',
  'events',
  'path',
  'path/posix',
  'path/win32',
  'perf_hooks',
  'querystring',
  'stream',
  'stream/promises',
  'stream/web',
  'string_decoder',
  'timers',
  'timers/promises',
  'url',
  'util',
  'util/types',
  'zlib',
]);

/**
 * Built-ins that reach the host, by the name `hostAccess.modules` uses: each is a HIGH finding unless the
 * spec opts in. `fs` covers `fs/promises`; everything not listed here or above is refused outright.
 */
export const HOST_MODULES = [
  'child_process',
  'fs',
  'net',
  'dgram',
  'tls',
  'http',
  'https',
  'http2',
  'dns',
  'os',
  'worker_threads',
  'vm',
  'cluster',
  'inspector',
  'v8',
  'module',
  'process',
  'repl',
  'wasi',
  'async_hooks',
  'diagnostics_channel',
  'trace_events',
  'readline',
  'tty',
] as const;
export type HostModule = (typeof HOST_MODULES)[number];

const HOST = new Set<string>(HOST_MODULES);

export type ModuleClass =
  | { kind: 'pure' }
  | { kind: 'package' }
  | { kind: 'host'; module: HostModule }
  | { kind: 'unknown' };

/** What a module specifier is: `node:fs/promises` → host `fs`; `nodemailer` → package; `left-pad` → unknown. */
export function classifyModule(specifier: string): ModuleClass {
  const bare = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
  if (PURE_BUILTINS.has(bare)) return { kind: 'pure' };
  if (!specifier.startsWith('node:') && (CODE_TOOL_PACKAGES as readonly string[]).includes(bare))
    return { kind: 'package' };
  const root = bare.split('/')[0] ?? bare;
  if (HOST.has(root)) return { kind: 'host', module: root as HostModule };
  return { kind: 'unknown' };
}

/** Host names that are not also everyday words ("http", "os", "process" are), so a string equal to one is a sign. */
const DISTINCTIVE = new Set([
  'child_process',
  'worker_threads',
  'fs/promises',
  'dgram',
  'inspector',
  'v8',
  'vm',
  'wasi',
  'trace_events',
  'diagnostics_channel',
  'async_hooks',
]);

/** True when a string is a host module specifier (`node:fs`, `child_process`): a sign of a smuggled import. */
export function namesHostModule(text: string): boolean {
  if (text.startsWith('node:')) return classifyModule(text).kind === 'host';
  return DISTINCTIVE.has(text);
}
