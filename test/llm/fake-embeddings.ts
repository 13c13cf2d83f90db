/**
 * A local fake of the embeddings APIs (loopback, port 0):
 *   POST …/embeddings                              OpenAI and OpenAI-compatible ({ model, input } → data[].embedding)
 *   POST …/models/{model}:batchEmbedContents       Google Gemini (requests[] → embeddings[].values)
 * Vectors are deterministic and meaningful: a bag of words hashed into DIMS dimensions, where the words of a
 * SYNONYMS group share one dimension (so "meteorological prediction" is close to "weather forecast").
 * `mode` scripts failures; every request and input is counted.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export const DIMS = 64;

/** Words of one group embed alike. */
const SYNONYMS: string[][] = [
  ['weather', 'meteorological', 'climate'],
  ['forecast', 'prediction', 'outlook'],
  ['email', 'mail', 'correspondence', 'letter'],
  ['send', 'dispatch', 'deliver'],
  ['file', 'document', 'dossier'],
  ['read', 'peruse', 'open'],
];
const CANONICAL = new Map(SYNONYMS.flatMap((group) => group.map((w) => [w, group[0] as string])));
const STOP = new Set([
  'a',
  'an',
  'the',
  'of',
  'for',
  'to',
  'from',
  'and',
  'or',
  'in',
  'on',
  'with',
  'by',
  'i',
]);

function hash(word: string): number {
  let h = 2166136261;
  for (const ch of word) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h % DIMS;
}

/** The fake's vector of a text (not normalised: the client normalises). */
export function fakeVector(text: string): number[] {
  const v = new Array<number>(DIMS).fill(0);
  for (const raw of text.toLowerCase().match(/[a-z]+/g) ?? []) {
    const word = raw.endsWith('s') && raw.length > 3 ? raw.slice(0, -1) : raw;
    if (STOP.has(word)) continue;
    const canonical = CANONICAL.get(word) ?? word;
    v[hash(canonical)] = (v[hash(canonical)] as number) + 1;
  }
  // A text of stop words only still gets a vector (a constant direction).
  if (v.every((x) => x === 0)) v[0] = 1;
  return v;
}

export type FakeMode =
  | 'ok'
  /** HTTP 500. */
  | 'down'
  /** One vector too few. */
  | 'wrong-count'
  /** A null where a number belongs (JSON has no NaN). */
  | 'nan'
  /** 100,000 dimensions. */
  | 'huge'
  /** Not JSON. */
  | 'garbage'
  /** More than 16 MiB. */
  | 'oversize'
  /** Accept and never answer. */
  | 'hang'
  /** HTTP 401 whose message repeats the key (as some providers do). */
  | 'reject-key';

export interface FakeEmbeddings {
  /** Base URL of the OpenAI-style API: http://127.0.0.1:PORT/v1 */
  url: string;
  /** Base URL of the Gemini-style API: http://127.0.0.1:PORT/v1beta */
  googleUrl: string;
  mode: FakeMode;
  requests: number;
  /** Every input text received, in order. */
  inputs: string[];
  /** Authorization / x-goog-api-key values seen. */
  keys: string[];
  close(): Promise<void>;
}

export async function startFakeEmbeddings(apiKey: string): Promise<FakeEmbeddings> {
  const sockets = new Set<Socket>();
  const state: FakeEmbeddings = {
    url: '',
    googleUrl: '',
    mode: 'ok',
    requests: 0,
    inputs: [],
    keys: [],
    close: async () => undefined,
  };
  const send = (res: ServerResponse, status: number, body: string) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  };
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    state.requests++;
    const google = /:batchEmbedContents$/.test(req.url ?? '');
    const openai = /\/embeddings$/.test(req.url ?? '');
    if (req.method !== 'POST' || (!google && !openai)) return send(res, 404, '{"error":"not found"}');
    const key = google
      ? String(req.headers['x-goog-api-key'] ?? '')
      : String(req.headers.authorization ?? '').replace(/^Bearer /, '');
    state.keys.push(key);
    if (state.mode === 'reject-key' || key !== apiKey)
      return send(res, 401, JSON.stringify({ error: { message: `Incorrect API key provided: ${key}` } }));
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const texts: string[] = google
      ? body.requests.map((r: { content: { parts: Array<{ text: string }> } }) => r.content.parts[0]?.text)
      : body.input;
    state.inputs.push(...texts);
    let vectors = texts.map(fakeVector);
    switch (state.mode) {
      case 'hang':
        return; // never answered; closed by close()
      case 'down':
        return send(res, 500, '{"error":{"message":"internal error"}}');
      case 'garbage':
        return send(res, 200, 'NaN, not JSON');
      case 'oversize':
        return send(res, 200, `{"data": [], "pad": "${'x'.repeat(17 * 1024 * 1024)}"}`);
      case 'wrong-count':
        vectors = vectors.slice(1);
        break;
      case 'nan':
        vectors = vectors.map((v) => v.map((x, i) => (i === 3 ? Number.NaN : x)));
        break;
      case 'huge':
        vectors = vectors.map(() => new Array(100_000).fill(0.5));
        break;
    }
    if (google) send(res, 200, JSON.stringify({ embeddings: vectors.map((values) => ({ values })) }));
    else
      send(
        res,
        200,
        JSON.stringify({
          object: 'list',
          data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })),
          model: body.model,
        }),
      );
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  state.url = `http://127.0.0.1:${port}/v1`;
  state.googleUrl = `http://127.0.0.1:${port}/v1beta`;
  state.close = async () => {
    for (const s of sockets) s.destroy();
    server.close();
    await once(server, 'close');
  };
  return state;
}
