/** Connection URLs: which dialect they name, and a form that is safe to print (never a password). */
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FactoryError } from '../../core/errors/index.js';
import type { SqlDialectName } from './types.js';

export interface ParsedDatabaseUrl {
  dialect: SqlDialectName;
  /** `mariadb://` says MariaDB up front; otherwise the server version decides. */
  scheme: string;
  /** SQLite: absolute file path. */
  file?: string;
  /** PostgreSQL/MySQL: the database named in the path, if any. */
  database?: string;
  /** The URL with any password replaced by `***` (SQLite: the path). */
  redacted: string;
}

const SUPPORTED = 'postgres://, postgresql://, mysql://, mariadb://, sqlite:<path> or file:<path>';

/** Replace the password (and secret-looking query parameters) of a URL; text that is not a URL is kept short. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const key of [...u.searchParams.keys()]) {
      if (/pass|secret|token|key|sslcert|sslkey/i.test(key)) u.searchParams.set(key, '***');
    }
    return u.toString();
  } catch {
    // user:password@ in something that is not a parseable URL
    return url.replace(/\/\/([^/@:]*):[^/@]*@/, '//$1:***@').slice(0, 200);
  }
}

/** Replace every occurrence of the URL's password in a message (drivers sometimes echo the URL). */
export function scrubSecrets(message: string, url: string): string {
  let out = message;
  try {
    const u = new URL(url);
    if (u.password) {
      for (const secret of new Set([u.password, decodeURIComponent(u.password)]))
        if (secret.length > 0) out = out.split(secret).join('***');
    }
  } catch {
    /* not a URL: nothing to scrub beyond the generic pattern */
  }
  return out.replace(/\/\/([^/@:\s]*):[^/@\s]*@/g, '//$1:***@');
}

export function parseDatabaseUrl(url: string, cwd: string = process.cwd()): ParsedDatabaseUrl {
  const trimmed = url.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql' || scheme === 'mysql' || scheme === 'mariadb') {
    let u: URL;
    try {
      u = new URL(trimmed);
    } catch {
      throw unsupported(trimmed, 'the URL cannot be parsed');
    }
    const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || undefined;
    return {
      dialect: scheme === 'postgres' || scheme === 'postgresql' ? 'postgresql' : 'mysql',
      scheme,
      ...(database ? { database } : {}),
      redacted: redactUrl(trimmed),
    };
  }
  if (scheme === 'sqlite' || scheme === 'sqlite3' || scheme === 'file') {
    let path: string;
    if (/^file:\/\//i.test(trimmed)) {
      try {
        path = fileURLToPath(trimmed.replace(/\?.*$/, ''));
      } catch {
        throw unsupported(trimmed, 'the file URL cannot be parsed');
      }
    } else {
      path = trimmed.slice(scheme.length + 1).replace(/\?.*$/, '');
      // sqlite:///abs/path and sqlite://./rel: the authority part is empty or a path start
      if (path.startsWith('//')) path = path.slice(2);
    }
    if (path === '' || path === ':memory:') throw unsupported(trimmed, 'an in-memory database has no schema');
    const file = isAbsolute(path) ? path : resolve(cwd, path);
    return { dialect: 'sqlite', scheme, file, redacted: `sqlite:${file}` };
  }
  throw unsupported(trimmed, scheme ? `the scheme "${scheme}:" is not supported` : 'it is not a URL');
}

function unsupported(url: string, why: string): FactoryError {
  return new FactoryError('DB_UNSUPPORTED_URL', `cannot import ${redactUrl(url)}: ${why}`, {
    issues: [
      {
        code: 'DB_UNSUPPORTED_URL',
        message: why,
        path: '',
        hint: `Use one of: ${SUPPORTED}; e.g. postgres://user@127.0.0.1:5432/shop or sqlite:./data/app.db.`,
      },
    ],
  });
}
