/**
 * What a person in a browser sees when an OIDC sign-in fails at `/auth/oidc/callback`: a small HTML page that
 * says what went wrong and links back to the console's sign-in, instead of the API's JSON error. API callers
 * (no `text/html` in Accept) keep the JSON answer. The provider's `error` and `error_description` come from the
 * request: they only ever reach the page escaped (console/static.ts messagePage), under the console's CSP.
 */
import type { FactoryError } from '../../core/errors/index.js';
import { CONSOLE_PREFIX, messagePage } from '../console/static.js';
import { statusOf } from '../http/errors.js';

/** A browser navigation asks for HTML; fetch, curl and SDKs do not (they send * / * or JSON). */
export function wantsHtml(request: Request): boolean {
  return /\btext\/html\b/i.test(request.headers.get('accept') ?? '');
}

/** What each failure (AUTH_OIDC_FAILED's details.reason, oidc-login.ts) means to the person signing in. */
function explain(reason: unknown, message: string): string {
  switch (reason) {
    case 'provider':
      return /: access_denied\b/.test(message)
        ? 'The sign-in was declined at the identity provider.'
        : 'The identity provider refused the sign-in.';
    case 'missing state':
    case 'bad state':
    case 'expired state':
    case 'state':
    case 'replayed':
      return 'This sign-in does not belong to this browser session: it expired, was already used, or was started elsewhere. Start it again from the console.';
    case 'exchange':
      return "The identity provider's answer could not be verified.";
    case 'unknown identity':
      return 'No factory user may sign in with this identity. Ask an administrator to add or link your account.';
    case 'disabled':
      return 'Your factory user is disabled. Ask an administrator.';
    default:
      return 'The sign-in could not be completed.';
  }
}

export function oidcFailurePage(error: FactoryError, headers: Record<string, string>): Response {
  return messagePage(
    statusOf(error.code),
    'Sign-in failed',
    [explain(error.details?.reason, error.message), `Details (${error.code}): ${error.message}`],
    { link: { href: `${CONSOLE_PREFIX}/`, label: 'Back to the sign-in page' }, headers },
  );
}
