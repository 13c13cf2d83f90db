/**
 * The worker thread behind recorder.ts for a SQLite registry: better-sqlite3 writes (and fsyncs) synchronously,
 * so a batch of call metrics and audit entries written on the gateway's own thread stalled every call in flight
 * for tens of ms. Here they stall nobody. The worker opens its own connection to the same file (as another
 * process would) and answers each batch once it is committed, so the recorder knows what is durable.
 *
 * Messages in: { id, calls } (a batch; queued by the port until the registry is open) or { close: true }.
 * Out: { id } once a batch is written (best effort, as on the main thread: a failing write is dropped).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openRegistry } from '../store/index.js';
import { type GatewayCallRecord, writeCalls } from './recorder.js';

const port = parentPort;
if (!port) throw new Error('call-log-worker.ts runs as a worker thread');
const { file } = workerData as { file: string };
const registry = await openRegistry({ url: `sqlite:${file}` });
port.on('message', (message: { id: number; calls: GatewayCallRecord[] } | { close: true }) => {
  if ('close' in message) {
    void registry.close().finally(() => port.close());
    return;
  }
  void writeCalls(registry, message.calls).then(() => port.postMessage({ id: message.id }));
});
