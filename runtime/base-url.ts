/**
 * Base URLs of http connections: the `baseUrlEnv` override the operator sets, checked once at start-up so a
 * wrong value stops the server with a message naming the variable instead of failing every call later.
 * A private or loopback address there is the operator's choice (their environment): allowed, with a warning.
 */
import { ToolError } from './errors.js';
import type { Logger } from './logger.js';
import { privateUrlReason } from './net/index.js';

interface BaseUrlSource {
  name: string;
  baseUrl?: string | undefined;
  baseUrlEnv?: string | undefined;
}

/** Why `value` of variable `env` cannot be a base URL, or undefined when it can. */
export function baseUrlProblem(env: string, value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${env} must be an absolute http(s) URL such as https://api.example.com/v1 (it is not a URL)`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `${env} must be an absolute http(s) URL such as https://api.example.com/v1 (it uses ${url.protocol})`;
  if (url.username || url.password)
    return `${env} must not contain a user name or password; set the credential variables instead`;
  return undefined;
}

/**
 * Checks every set `baseUrlEnv` override; returns the first problem (the caller stops the server with it).
 * Logs one warning per override that points at a private address.
 */
export function checkBaseUrlOverrides(connections: BaseUrlSource[], log: Logger): string | undefined {
  const warned = new Set<string>();
  for (const c of connections) {
    const env = c.baseUrlEnv;
    const value = env ? process.env[env] : undefined;
    if (!env || value === undefined || value === '') continue;
    const problem = baseUrlProblem(env, value);
    if (problem) return `connection ${c.name}: ${problem}`;
    const reason = privateUrlReason(value);
    if (reason && !warned.has(env)) {
      warned.add(env);
      log.warn('base URL override points at a non-public address; credentials of this connection go there', {
        variable: env,
        connection: c.name,
        address: reason,
      });
    }
  }
  return undefined;
}

/** The base URL a call uses: the override when set, else the spec's; a clear tool error when neither works. */
export function baseUrlOf(conn: BaseUrlSource): string {
  const env = conn.baseUrlEnv;
  const override = env ? process.env[env] : undefined;
  if (env && override) {
    const problem = baseUrlProblem(env, override);
    if (problem) throw new ToolError(problem);
    return override;
  }
  if (conn.baseUrl) return conn.baseUrl;
  throw new ToolError(
    `environment variable ${env ?? 'BASE_URL'} is not set; set it to the API's base URL where the server runs`,
  );
}
