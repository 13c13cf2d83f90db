/**
 * A factory API with OIDC sign-in against a REAL local provider (oidc-provider.ts), for the tests of the console's
 * sign-in: one client `factory` whose redirect is BASE's callback, the given accounts, a fresh home and registry.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessControl } from '../../src/identity/access.js';
import type { OidcSettings } from '../../src/identity/oidc-login.js';
import { Sessions } from '../../src/identity/sessions.js';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { type Api, createApi, TokenStore } from '../../src/surfaces/api/index.js';
import { FakeControlPlane } from '../api/fake-control-plane.js';
import { type FakeProvider, startOidcProvider } from './oidc-provider.js';

export const BASE = 'http://127.0.0.1:8080';
export const REDIRECT = `${BASE}/auth/oidc/callback`;

export interface OidcApi {
  provider: FakeProvider;
  home: string;
  registry: Registry;
  api: Api;
  /** GET a path (or a whole URL) of the API with these headers. */
  call(path: string, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

export async function startOidcApi(options: {
  prefix: string;
  accounts: Record<string, Record<string, unknown>>;
  settings?: Partial<OidcSettings>;
}): Promise<OidcApi> {
  const provider = await startOidcProvider([
    { client_id: 'factory', client_secret: 'factory-secret-0123456789', redirect_uris: [REDIRECT] },
  ]);
  for (const [sub, claims] of Object.entries(options.accounts)) provider.accounts.set(sub, claims as never);
  const home = mkdtempSync(join(tmpdir(), `mcpf-${options.prefix}-`));
  const registry = await openRegistry({ home });
  const tokens = TokenStore.open({ home });
  const api = createApi({
    controlPlane: new FakeControlPlane(registry),
    registry,
    tokens,
    access: new AccessControl({
      tokens,
      registry,
      limits: { requestsPerMinute: 100_000, burst: 10_000 },
      sessions: new Sessions(registry),
    }),
    oidc: {
      issuer: provider.issuer,
      clientId: 'factory',
      clientSecret: 'factory-secret-0123456789',
      redirectUri: REDIRECT,
      ...options.settings,
    },
  });
  return {
    provider,
    home,
    registry,
    api,
    call: (path, headers = {}) =>
      api.fetch(new Request(path.startsWith('http') ? path : `${BASE}${path}`, { headers })),
    close: async () => {
      await registry.close();
      await provider.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
