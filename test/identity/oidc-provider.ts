/**
 * A REAL local OIDC provider for tests (oidc-provider on a loopback port) and a browser stand-in that drives
 * its dev login and consent forms over HTTP, carrying cookies by hand.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

export interface Account {
  email?: string;
  email_verified?: boolean;
  preferred_username?: string;
}

export interface OidcClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
}

export interface FakeProvider {
  issuer: string;
  /** Identities by subject: add one before signing in as it. */
  accounts: Map<string, Account>;
  close(): Promise<void>;
}

export async function startOidcProvider(clients: readonly OidcClient[]): Promise<FakeProvider> {
  const accounts = new Map<string, Account>();
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const oidc = new Provider(issuer, {
    jwks: { keys: [jwk] },
    cookies: { keys: ['test-cookie-key-0123456789abcdef'] },
    clients: clients.map((c) => ({
      ...c,
      grant_types: ['authorization_code'],
      response_types: ['code'],
    })),
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['preferred_username'],
    },
    findAccount: async (_ctx: unknown, id: string) => {
      const account = accounts.get(id);
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...account }) };
    },
  });
  server.on('request', oidc.callback());
  return {
    issuer,
    accounts,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Cookies by name (paths ignored: every cookie goes to the provider; it ignores what it does not expect). */
export class Jar {
  readonly cookies = new Map<string, string>();
  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some(
        (a) => /^\s*expires=/i.test(a) && Date.parse(a.split('=')[1] ?? '') < Date.now(),
      );
      if (!value || expired || attributes.some((a) => /^\s*max-age=0\s*$/i.test(a)))
        this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** Drive the provider like a browser from an authorization URL: log in as `login`, consent; the redirect back. */
export async function authorize(issuer: string, url: string, login: string, jar = new Jar()): Promise<URL> {
  let next = new URL(url);
  for (let step = 0; step < 20; step++) {
    const res = await fetch(next, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.take(res);
    if (res.status >= 300 && res.status < 400) {
      const location = new URL(res.headers.get('location') ?? '', next);
      if (location.origin !== issuer) return location;
      next = location;
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`provider answered ${res.status}: ${html.slice(0, 300)}`);
    const action = /action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
    if (!action || !prompt) throw new Error(`no form in: ${html.slice(0, 300)}`);
    const fields: Record<string, string> =
      prompt === 'login' ? { prompt, login, password: 'anything' } : { prompt };
    const post = await fetch(new URL(action, next), {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    });
    jar.take(post);
    if (post.status < 300 || post.status >= 400) throw new Error(`form answered ${post.status}`);
    next = new URL(post.headers.get('location') ?? '', next);
  }
  throw new Error('too many steps at the provider');
}
