/** A local fake of Tavily's search endpoint (POST /search, bearer key), loopback, port 0. */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeTavily {
  url: string;
  queries: Array<{ query: string; maxResults: unknown; authorization: string | undefined }>;
  close(): Promise<void>;
}

export async function startFakeTavily(
  apiKey: string,
  results: Array<{ title: string; url: string; content: string }>,
): Promise<FakeTavily> {
  const queries: FakeTavily['queries'] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || req.url !== '/search') return reply(404, { detail: 'not found' });
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
      query?: string;
      max_results?: unknown;
    };
    queries.push({
      query: body.query ?? '',
      maxResults: body.max_results,
      authorization: req.headers.authorization,
    });
    if (req.headers.authorization !== `Bearer ${apiKey}`)
      return reply(401, { detail: { error: 'Unauthorized: missing or invalid API key.' } });
    reply(200, {
      query: body.query,
      answer: null,
      images: [],
      results: results.map((r, i) => ({ ...r, score: 0.9 - i / 10, raw_content: null })),
      response_time: 0.01,
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    queries,
    close: async () => {
      server.close();
      await once(server, 'close').catch(() => undefined);
    },
  };
}
