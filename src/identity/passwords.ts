/**
 * Passwords: argon2id (OWASP's recommended parameters: 19 MiB, 2 passes, 1 lane) through @node-rs/argon2, a
 * length rule (10 to 256 characters — longer inputs are refused before hashing, so a caller cannot make the
 * server hash megabytes), and a verify that costs the same for a user that does not exist.
 */
import { hash, verify } from '@node-rs/argon2';
import { FactoryError } from '../core/errors/index.js';

const OPTIONS = { algorithm: 2 /* Argon2id */, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
export const MIN_PASSWORD = 10;
export const MAX_PASSWORD = 256;

/** The reason a password is refused, if it is. */
export function passwordProblem(password: string): string | undefined {
  const length = [...password].length;
  if (length < MIN_PASSWORD) return `a password needs at least ${MIN_PASSWORD} characters`;
  if (length > MAX_PASSWORD) return `a password has at most ${MAX_PASSWORD} characters`;
  return undefined;
}

export async function hashPassword(password: string): Promise<string> {
  const problem = passwordProblem(password);
  if (problem)
    throw new FactoryError('AUTH_WEAK_PASSWORD', problem, {
      details: { min: MIN_PASSWORD, max: MAX_PASSWORD },
    });
  return hash(password, OPTIONS);
}

let dummy: Promise<string> | undefined;

/** Whether `password` matches `stored`; with no stored hash, the same work is done against a dummy one. */
export async function verifyPassword(stored: string | null | undefined, password: string): Promise<boolean> {
  if (password.length > MAX_PASSWORD * 4) return false;
  dummy ??= hash('not a password of anyone', OPTIONS);
  const against = stored ?? (await dummy);
  try {
    const ok = await verify(against, password);
    return ok && stored !== null && stored !== undefined;
  } catch {
    return false;
  }
}
