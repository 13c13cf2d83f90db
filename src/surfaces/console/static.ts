/**
 * Serves the built web console (dist/console, `npm run build`) at /ui as web-standard Request → Response.
 * Paths without an extension fall back to index.html (the console routes in the browser); hashed assets are
 * cached for a year, index.html never. Every answer carries a strict CSP (no inline script or style, no eval)
 * and the usual anti-framing/sniffing headers. Only regular files whose real path lies inside the folder are
 * served: traversal, encoded slashes or backslashes, NUL bytes and symlinks that leave the folder answer 404.
 * A library: prints nothing.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import { FACTORY_ROOT } from '../../platform/factory-files.js';

export const CONSOLE_PREFIX = '/ui';

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** Vite names built assets `name-HASH.ext` (8+ url-safe characters). */
const HASHED = /-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

export const DEFAULT_CONSOLE_DIR = join(FACTORY_ROOT, 'dist', 'console');

export interface ConsoleHandler {
  /** Whether the path belongs to the console (/ui or /ui/…). */
  matches(pathname: string): boolean;
  handle(request: Request, url: URL): Promise<Response>;
}

export function createConsoleHandler(options: { dir?: string | undefined } = {}): ConsoleHandler {
  const dir = options.dir ?? DEFAULT_CONSOLE_DIR;
  let root: Promise<string | undefined> | undefined;
  // Resolved lazily and again after a miss, so a console built while the factory runs is picked up.
  const rootDir = async () => {
    root ??= realpath(dir).catch(() => undefined);
    const found = await root;
    if (!found) root = undefined;
    return found;
  };

  return {
    matches: (pathname) => pathname === CONSOLE_PREFIX || pathname.startsWith(`${CONSOLE_PREFIX}/`),
    async handle(request, url) {
      if (request.method !== 'GET' && request.method !== 'HEAD')
        return page(405, 'Method not allowed', 'The console is read with GET.', { allow: 'GET, HEAD' });
      const base = await rootDir();
      const index = base ? await regularFile(base, 'index.html') : undefined;
      if (!base || !index)
        return page(
          503,
          'The console is not built',
          'This factory has no built web console. Run `npm run build` in the factory checkout (it writes dist/console), then reload.',
        );
      const relative = relativePath(url.pathname);
      if (relative === undefined) return notFound();
      if (relative === '' || extname(relative) === '') return fileResponse(index, 'index.html');
      const file = await regularFile(base, relative);
      return file ? fileResponse(file, relative) : notFound();
    },
  };
}

/** The path under /ui as a relative file path, or undefined when it could name anything outside the folder. */
function relativePath(pathname: string): string | undefined {
  const rest = pathname.slice(CONSOLE_PREFIX.length).replace(/^\/+/, '');
  let decoded: string;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    return undefined;
  }
  // An encoded slash or backslash would let one segment span folders; a NUL byte truncates paths in C APIs.
  if (/%2f|%5c/i.test(rest) || decoded.includes('\\') || decoded.includes('\0')) return undefined;
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..')) return undefined;
  return segments.join('/');
}

/** The real path of a regular file inside base (symlinks resolved and checked), else undefined. */
async function regularFile(base: string, relative: string): Promise<string | undefined> {
  try {
    const real = await realpath(join(base, relative));
    if (real !== base && !real.startsWith(base + sep)) return undefined;
    return (await stat(real)).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

async function fileResponse(path: string, relative: string): Promise<Response> {
  const body = await readFile(path);
  const cacheControl =
    relative === 'index.html'
      ? 'no-cache'
      : HASHED.test(relative)
        ? 'public, max-age=31536000, immutable'
        : 'public, max-age=300';
  return new Response(body, {
    status: 200,
    headers: {
      ...SECURITY_HEADERS,
      'content-type': TYPES[extname(relative).toLowerCase()] ?? 'application/octet-stream',
      'cache-control': cacheControl,
    },
  });
}

function notFound(): Response {
  return page(404, 'Not found', 'No such file in the console. Open /ui/ to start from the console home.');
}

/** A small HTML page (escaped text, no script, no inline style: the CSP applies to it too). */
function page(status: number, title: string, text: string, extra: Record<string, string> = {}): Response {
  return messagePage(status, title, [text], { headers: extra });
}

/**
 * A small HTML page outside the console app (an error a browser lands on): every text escaped, an optional
 * link (a fixed path of ours, never one from the request), no script or inline style, the console's CSP.
 */
export function messagePage(
  status: number,
  title: string,
  paragraphs: readonly string[],
  options: { link?: { href: string; label: string }; headers?: Record<string, string> } = {},
): Response {
  const text = paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('');
  const link = options.link
    ? `<p><a href="${escapeHtml(options.link.href)}">${escapeHtml(options.link.label)}</a></p>`
    : '';
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} — MCP Factory</title></head><body><main><h1>${escapeHtml(title)}</h1>${text}${link}</main></body></html>`;
  return new Response(body, {
    status,
    headers: {
      ...SECURITY_HEADERS,
      ...options.headers,
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
    },
  });
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}
