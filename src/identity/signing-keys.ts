/**
 * The factory's JWT signing keys (Ed25519), kept in the registry so every process of one factory (API, MCP
 * endpoint, CLI) signs and verifies with the same keys. The newest key that is not retired signs; every stored
 * key verifies (a rotated-out key keeps verifying the access tokens it signed, which live minutes). A token
 * naming a key this process has not seen makes it re-read the keys, at most ten times a second.
 */
import { randomBytes } from 'node:crypto';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTHeaderParameters,
} from 'jose';
import type { Registry } from '../store/index.js';

export const SIGNING_ALG = 'EdDSA';

interface LoadedKey {
  kid: string;
  /** Signs. */
  key: CryptoKey;
  /** Verifies. */
  verifier: CryptoKey;
  publicJwk: JWK;
  retired: boolean;
}

export class SigningKeys {
  readonly #registry: Registry;
  #keys: LoadedKey[] | undefined;
  #loading: Promise<LoadedKey[]> | undefined;
  #loadedAt = 0;

  constructor(registry: Registry) {
    this.#registry = registry;
  }

  /** The key to sign with (made and stored on first use). */
  async signer(): Promise<{ kid: string; key: CryptoKey }> {
    let keys = await this.#all();
    let current = keys.find((k) => !k.retired);
    if (!current) {
      await this.rotate(false);
      keys = await this.#all(true);
      current = keys.find((k) => !k.retired);
      if (!current) throw new Error('no signing key after creating one');
    }
    return { kid: current.kid, key: current.key };
  }

  /** Make a new signing key; with `retireOthers`, older keys stop signing (they still verify). */
  async rotate(retireOthers = true): Promise<string> {
    const { privateKey } = await generateKeyPair(SIGNING_ALG, { crv: 'Ed25519', extractable: true });
    const jwk = await exportJWK(privateKey);
    const kid = `${(await calculateJwkThumbprint(jwk)).slice(0, 16)}${randomBytes(2).toString('hex')}`;
    await this.#registry.identity.addSigningKey(
      kid,
      JSON.stringify({ ...jwk, kid, alg: SIGNING_ALG }),
      retireOthers,
    );
    this.#keys = undefined;
    return kid;
  }

  /** jose's key resolver: the key named by the token's `kid` (re-reading the store for an unknown one). */
  resolver = async (header: JWTHeaderParameters): Promise<CryptoKey> => {
    if (header.alg !== SIGNING_ALG || typeof header.kid !== 'string') throw new Error('unexpected key');
    let found = (await this.#all()).find((k) => k.kid === header.kid);
    if (!found && Date.now() - this.#loadedAt > 100)
      found = (await this.#all(true)).find((k) => k.kid === header.kid);
    if (!found) throw new Error('unknown key');
    return found.verifier;
  };

  /** The public keys (a JWKS document). */
  async jwks(): Promise<{ keys: JWK[] }> {
    return { keys: (await this.#all()).map((k) => k.publicJwk) };
  }

  async #all(reload = false): Promise<LoadedKey[]> {
    if (this.#keys && !reload) return this.#keys;
    this.#loading ??= (async () => {
      try {
        const rows = await this.#registry.identity.signingKeys();
        const keys: LoadedKey[] = [];
        for (const row of rows) {
          const jwk = JSON.parse(row.privateJwk) as JWK;
          const { d: _d, ...publicJwk } = jwk;
          keys.push({
            kid: row.kid,
            key: (await importJWK(jwk, SIGNING_ALG)) as CryptoKey,
            verifier: (await importJWK(publicJwk, SIGNING_ALG)) as CryptoKey,
            publicJwk: { ...publicJwk, kid: row.kid, alg: SIGNING_ALG, use: 'sig' },
            retired: row.retiredAt !== null,
          });
        }
        this.#keys = keys;
        this.#loadedAt = Date.now();
        return keys;
      } finally {
        this.#loading = undefined;
      }
    })();
    return this.#loading;
  }
}
