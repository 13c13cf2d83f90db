/**
 * The generated server's own identity: its name, its version and the identifier base for connection and
 * catalog names, derived from the mapping options and the API title.
 */
import { IDENTIFIER, SERVER_NAME } from '../../../core/spec/model.js';
import { describeSecretValue } from '../../../core/spec/secrets.js';
import type { ReportAdd } from './model.js';

/** Lower-case identifier form of the env prefix (`api` when nothing usable is left). */
export function toIdentifierLower(prefix: string): string {
  const id = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 40);
  return IDENTIFIER.test(id) ? id : 'api';
}

/** The server name option if valid, otherwise `<prefix-slug>-mcp`. */
export function serverNameOf(name: string | undefined, prefix: string, add: ReportAdd): string {
  if (name !== undefined) {
    if (SERVER_NAME.test(name)) return name;
    add(
      '',
      `server name "${name.slice(0, 80)}" is not valid (lower-case letters, digits, . _ -); a derived name is used`,
      'warning',
    );
  }
  const slug = prefix
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 58);
  const candidate = `${slug || 'api'}-mcp`;
  return SERVER_NAME.test(candidate) ? candidate : 'api-mcp';
}

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/** The API version as semver (`v1.2` → `1.2.0`); `0.1.0` when it is not one. */
export function versionOf(version: string | undefined, add: ReportAdd): string {
  if (version === undefined || version === '') return '0.1.0';
  const v = version.trim().replace(/^v/i, '');
  if (SEMVER.test(v) && v.length <= 64 && !describeSecretValue(v)) return v;
  const short = /^(\d+)(?:\.(\d+))?$/.exec(v);
  if (short) return `${short[1]}.${short[2] ?? '0'}.0`;
  add(
    '',
    `API version "${version.slice(0, 40)}" is not a semantic version; the server is versioned 0.1.0`,
    'info',
  );
  return '0.1.0';
}
