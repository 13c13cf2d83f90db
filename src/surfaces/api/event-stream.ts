/** Log lines as server-sent events: `data: <line>` per line, comment keepalives, `event: end` when the log ends. */
import { FactoryError } from '../../core/errors/index.js';

const KEEPALIVE_MS = 15_000;

/** The stream of a response; cancelling it (the client went away) aborts `stop` and ends the iterator. */
export function eventStream(lines: AsyncIterable<string>, stop: AbortController): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const iterator = lines[Symbol.asyncIterator]();
  let keepalive: NodeJS.Timeout | undefined;
  const finish = () => {
    if (keepalive) clearInterval(keepalive);
    keepalive = undefined;
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(': log stream\n\n'));
      keepalive = setInterval(() => {
        try {
          controller.enqueue(encoder.encode(': keepalive\n\n'));
        } catch {
          finish();
        }
      }, KEEPALIVE_MS);
      keepalive.unref?.();
    },
    async pull(controller) {
      try {
        const { done, value } = await iterator.next();
        if (done) {
          finish();
          controller.enqueue(encoder.encode('event: end\ndata: \n\n'));
          controller.close();
          return;
        }
        const data = String(value)
          .split(/\r\n|\r|\n/)
          .map((l) => `data: ${l}`)
          .join('\n');
        controller.enqueue(encoder.encode(`${data}\n\n`));
      } catch (error) {
        finish();
        if (stop.signal.aborted) {
          controller.close();
          return;
        }
        const message = error instanceof Error ? error.message : String(error);
        const code = error instanceof FactoryError ? error.code : 'INTERNAL';
        controller.enqueue(
          encoder.encode(`event: error\ndata: ${JSON.stringify({ error: code, message })}\n\n`),
        );
        controller.close();
      }
    },
    async cancel() {
      finish();
      stop.abort();
      await iterator.return?.();
    },
  });
}
