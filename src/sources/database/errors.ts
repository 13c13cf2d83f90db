/** Driver failures as FactoryErrors with stable codes, specific hints, and no secrets in the text. */
import { FactoryError } from '../../core/errors/index.js';
import { scrubSecrets } from './url.js';

interface DriverError {
  message?: string;
  code?: string | number;
  errno?: number;
}

function hintFor(error: DriverError, redacted: string): string {
  const code = String(error.code ?? '');
  const message = error.message ?? '';
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(message))
    return `Nothing accepts connections at ${redacted}: start the database or fix the host and port.`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'The host name does not resolve; check the URL.';
  if (code === 'ETIMEDOUT' || /timeout/i.test(message))
    return 'The server did not answer in time; check the host, port and firewall.';
  if (
    code === '28P01' ||
    code === '28000' ||
    code === 'ER_ACCESS_DENIED_ERROR' ||
    code === 'ER_NOT_SUPPORTED_AUTH_MODE'
  )
    return 'The server refused the credentials: check the user name and password in the URL.';
  if (code === '3D000' || code === 'ER_BAD_DB_ERROR')
    return 'The database named in the URL does not exist; create it or fix the name.';
  if (code === 'SQLITE_CANTOPEN' || /unable to open|does not exist|directory does not exist/i.test(message))
    return 'The SQLite file does not exist or cannot be opened; check the path after sqlite:.';
  if (code === 'SQLITE_NOTADB' || /not a database/i.test(message))
    return 'The file is not a SQLite database.';
  return 'Check that the URL points at a running database the user may read.';
}

export function connectFailed(error: unknown, url: string, redacted: string): FactoryError {
  const e = (error ?? {}) as DriverError;
  const detail = scrubSecrets(e.message || String(error), url);
  const hint = hintFor(e, redacted);
  return new FactoryError('DB_CONNECT_FAILED', `cannot connect to ${redacted}: ${detail}`, {
    issues: [{ code: 'DB_CONNECT_FAILED', message: detail, path: '', hint }],
    details: { url: redacted, ...(e.code !== undefined ? { driverCode: String(e.code) } : {}) },
  });
}

export function introspectionFailed(error: unknown, url: string, redacted: string): FactoryError {
  if (error instanceof FactoryError) return error;
  const e = (error ?? {}) as DriverError;
  const detail = scrubSecrets(e.message || String(error), url);
  return new FactoryError('DB_INTROSPECTION_FAILED', `cannot read the schema of ${redacted}: ${detail}`, {
    issues: [
      {
        code: 'DB_INTROSPECTION_FAILED',
        message: detail,
        path: '',
        hint: 'The user needs read access to the system catalog (information_schema / pg_catalog).',
      },
    ],
    details: { url: redacted, ...(e.code !== undefined ? { driverCode: String(e.code) } : {}) },
  });
}
