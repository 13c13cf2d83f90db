/**
 * Bearer tokens whose signature and claims were verified, remembered until they expire, so a repeated token
 * skips the signature check (what is checked per request — session state, linked user — stays per request).
 * Bounded: past `max` entries the memory is cleared (forged tokens never get in: only verified ones are kept).
 */
export class VerifiedTokens<T> {
  readonly #entries = new Map<string, { value: T; exp: number }>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly max = 10_000,
  ) {}

  /** The value remembered for `token`, unless it expired (`exp` in seconds, as in JWTs). */
  get(token: string): T | undefined {
    const hit = this.#entries.get(token);
    if (!hit) return undefined;
    if (hit.exp * 1000 <= this.now()) {
      this.#entries.delete(token);
      return undefined;
    }
    return hit.value;
  }

  remember(token: string, value: T, exp: number): void {
    if (this.#entries.size >= this.max) this.#entries.clear();
    this.#entries.set(token, { value, exp });
  }
}
