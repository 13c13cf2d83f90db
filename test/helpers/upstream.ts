/** A loopback HTTP upstream that records every request and answers with JSON (the tests' stand-in API). */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RecordingUpstream {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Every request, in arrival order (tests reset it with `seen.length = 0`). */
  seen: SeenRequest[];
  server: Server;
  close(): void;
}

export async function startRecordingUpstream(
  respond: (request: SeenRequest) => { status: number; json: unknown },
): Promise<RecordingUpstream> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      seen.push(request);
      const { status, json } = respond(request);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    server,
    close: () => {
      server.close();
      server.closeAllConnections();
    },
  };
}
