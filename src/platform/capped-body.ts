/**
 * Read a web-standard body (a Request's or a Response's) up to a byte cap: the one bounded reader of the
 * factory's HTTP paths (API request bodies, OAuth and embeddings provider answers). A body larger than the cap,
 * by its declared content-length or as it streams, is cancelled as soon as that is known and yields null, so a
 * caller never parses half of one. An incoming request's body declared too large is left unread
 * (`cancelDeclaredTooLarge: false`): Node's request-to-web adapter throws an uncaught error when its stream is
 * cancelled before it flowed, and the server answers and closes that connection anyway.
 */
export async function readCappedBody(
  message: { body: ReadableStream<Uint8Array> | null; headers: Headers },
  maxBytes: number,
  options: { cancelDeclaredTooLarge?: boolean } = {},
): Promise<Uint8Array | null> {
  const declared = message.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) {
    if (options.cancelDeclaredTooLarge !== false) await message.body?.cancel().catch(() => undefined);
    return null;
  }
  if (!message.body) return new Uint8Array();
  const reader = message.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}
