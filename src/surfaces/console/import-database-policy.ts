/**
 * Which database hosts a remote caller may make the factory connect to (POST /mcp/import/database): none unless
 * the operator lists them in MCP_FACTORY_IMPORT_DB_HOSTS. The URL's host is resolved and must resolve to an
 * address of a listed host; the connection then goes to that very address (the URL is rewritten), so a name
 * that resolves differently a moment later (DNS rebinding) cannot redirect it. Only PostgreSQL and
 * MySQL/MariaDB URLs qualify: an SQLite URL would read a file of the factory's machine.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { FactoryError } from '../../core/errors/index.js';
import { loadConfig } from '../../platform/config.js';

const NETWORK_SCHEMES = new Set(['postgres:', 'postgresql:', 'mysql:', 'mariadb:']);

/** The operator's allow-list, lower-cased; empty: the API imports no database. */
export function importDatabaseHosts(env: NodeJS.ProcessEnv = process.env): string[] {
  return (loadConfig(env).importDatabaseHosts ?? '')
    .split(',')
    .map((h) => bare(h.trim().toLowerCase()))
    .filter((h) => h.length > 0);
}

/** `[::1]` → `::1`: URL hostnames keep IPv6 brackets, lists may or may not. */
function bare(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

async function addressesOf(host: string): Promise<string[]> {
  if (isIP(host)) return [host];
  try {
    return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch {
    return [];
  }
}

/**
 * The URL to connect with: the caller's URL with its host replaced by an allowed address. Throws
 * DB_UNSUPPORTED_URL for other schemes and DB_IMPORT_HOST_NOT_ALLOWED (before any connection) otherwise.
 * Messages never hold the URL, only the host.
 */
export async function allowedDatabaseUrl(url: string, allowed: readonly string[]): Promise<string> {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new FactoryError('DB_UNSUPPORTED_URL', 'the database URL cannot be parsed');
  }
  if (!NETWORK_SCHEMES.has(parsed.protocol))
    throw new FactoryError(
      'DB_UNSUPPORTED_URL',
      'the API imports PostgreSQL, MySQL and MariaDB databases only (postgres://, mysql://, mariadb://)',
      {
        details: {
          hint: 'Import an SQLite file with the CLI where it lies: mcp-factory create --db sqlite:PATH.',
        },
      },
    );
  const host = bare(parsed.hostname.toLowerCase());
  const refuse = () =>
    new FactoryError(
      'DB_IMPORT_HOST_NOT_ALLOWED',
      `the API does not import from database host ${host || '(none)'}`,
      {
        details: { host },
      },
    );
  if (allowed.length === 0 || host === '') throw refuse();
  const permitted = new Set((await Promise.all(allowed.map(addressesOf))).flat());
  const address = (await addressesOf(host)).find((a) => permitted.has(a));
  if (!address) throw refuse();
  parsed.hostname = isIP(address) === 6 ? `[${address}]` : address;
  return parsed.toString();
}
