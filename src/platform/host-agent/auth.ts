/**
 * Request authentication of the host agent: HMAC-SHA256 (shared key, by key id) over the canonical string of
 * src/core/exec/agent-protocol.ts, a timestamp within ±clockSkew seconds, a nonce never seen before within
 * that window (bounded cache: when it is full of live nonces the agent refuses new requests instead of
 * forgetting old ones), and a constant-time comparison. Only a correctly signed request enters the nonce
 * cache, so unauthenticated traffic cannot fill it.
 */
import { timingSafeEqual } from 'node:crypto';
import { AGENT_HEADERS, canonicalString, hmacHex, sha256Hex } from '../../core/exec/agent-protocol.js';

const NONCE = /^[0-9a-f]{32,128}$/;
const TIMESTAMP = /^\d{1,12}$/;
const SIGNATURE = /^[0-9a-f]{64}$/;

/** Nonces seen within the window, each kept until its timestamp leaves the window. */
export class NonceCache {
  private readonly expiries = new Map<string, number>();

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.expiries.size;
  }

  /** Records a nonce: 'fresh', 'replayed' (seen and still live), or 'full' (nothing could be evicted). */
  record(nonce: string, expiresAt: number, now: number): 'fresh' | 'replayed' | 'full' {
    const seen = this.expiries.get(nonce);
    if (seen !== undefined && seen > now) return 'replayed';
    if (this.expiries.size >= this.maxEntries) {
      for (const [key, expiry] of this.expiries) if (expiry <= now) this.expiries.delete(key);
      if (this.expiries.size >= this.maxEntries) return 'full';
    }
    this.expiries.set(nonce, expiresAt);
    return 'fresh';
  }
}

export type Verdict =
  | { ok: true; keyId: string }
  | { ok: false; status: 401 | 503; reason: string; keyId?: string | undefined };

export interface SignedRequest {
  method: string;
  path: string;
  headers: Headers;
  body: Uint8Array;
}

/** Checks one request's signature, freshness and nonce; the reason is for the audit, not the caller. */
export function verifyRequest(
  request: SignedRequest,
  keys: ReadonlyMap<string, string>,
  nonces: NonceCache,
  skewSeconds: number,
  now = Date.now(),
): Verdict {
  const keyId = request.headers.get(AGENT_HEADERS.keyId) ?? '';
  const timestamp = request.headers.get(AGENT_HEADERS.timestamp) ?? '';
  const nonce = request.headers.get(AGENT_HEADERS.nonce) ?? '';
  const signature = request.headers.get(AGENT_HEADERS.signature) ?? '';
  const refuse = (reason: string, status: 401 | 503 = 401): Verdict => ({
    ok: false,
    status,
    reason,
    ...(keyId ? { keyId: keyId.slice(0, 64) } : {}),
  });
  if (!keyId || !timestamp || !nonce || !signature) return refuse('missing authentication headers');
  if (!TIMESTAMP.test(timestamp) || !NONCE.test(nonce) || !SIGNATURE.test(signature))
    return refuse('malformed authentication headers');
  const key = keys.get(keyId);
  if (key === undefined) return refuse('unknown key id');
  const expected = hmacHex(
    key,
    canonicalString(request.method, request.path, timestamp, nonce, sha256Hex(request.body)),
  );
  if (!timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(signature, 'hex')))
    return refuse('bad signature');
  const signedAt = Number(timestamp) * 1000;
  if (Math.abs(now - signedAt) > skewSeconds * 1000) return refuse('timestamp outside the accepted window');
  // A nonce must be remembered as long as its timestamp would still be accepted.
  const outcome = nonces.record(`${keyId}:${nonce}`, signedAt + skewSeconds * 1000 + 1000, now);
  if (outcome === 'replayed') return refuse('replayed nonce');
  if (outcome === 'full') return refuse('too many requests in the replay window', 503);
  return { ok: true, keyId };
}
