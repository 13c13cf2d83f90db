/**
 * Authentication schemes of the HTTP transport that live in their own module (OAuth pulls in jose): the module
 * registers itself when the generated server imports it, and the HTTP core asks here for the scheme the spec
 * names. A spec naming a scheme whose module was not imported fails at start, not per request.
 */
import type { ServerSettings } from './settings.js';

/** What the HTTP core gets from a token-checking scheme. */
export interface HttpAuthGuard {
  /** A response for the scheme's own documents (protected-resource metadata), when `req` asks for one. */
  metadata(req: Request): Response | undefined;
  /** The caller's identity, or the 401/403 response to send (and, for the log, why). */
  authenticate(req: Request): Promise<
    | {
        ok: true;
        authInfo: {
          token: string;
          clientId: string;
          scopes: string[];
          expiresAt?: number;
          extra: Record<string, unknown>;
        };
      }
    | { ok: false; response: Response; reason?: string }
  >;
  /** A 403 when the token's scopes do not cover the tool being called; undefined to let the call through. */
  forbidTool(req: Request, tool: string, scopes: string[]): Response | undefined;
}

/** Quoted-string for an auth-param of a challenge (RFC 9110 §11.2). */
export function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

type GuardFactory = (settings: ServerSettings) => HttpAuthGuard;

const schemes = new Map<string, GuardFactory>();

export function registerHttpAuth(type: string, factory: GuardFactory): void {
  schemes.set(type, factory);
}

export function httpAuthGuard(settings: ServerSettings): HttpAuthGuard {
  const factory = schemes.get(settings.auth.type);
  if (!factory)
    throw new Error(
      `HTTP auth ${settings.auth.type} is not built into this server (regenerate it from its spec)`,
    );
  return factory(settings);
}
