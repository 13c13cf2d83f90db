/**
 * Routes other modules add to the HTTP transport (webhook triggers): looked up before the MCP endpoint's Host,
 * Origin and client-auth checks, since their callers are other services that authenticate themselves (webhook
 * signatures). A route answers its own method and path only; the MCP path cannot be taken over. A route
 * reserved at load (the spec's webhooks) answers 503 with Retry-After until its source has started, so a
 * sender that calls in during start-up retries instead of taking a 404 as final.
 */
export type HttpRoute = (req: Request, url: URL) => Promise<Response> | undefined;

const routes = new Set<HttpRoute>();
const reserved = new Set<string>();

/** Marks `METHOD /path` as served soon (503 until a route takes it, or until released). */
export function reserveHttpRoute(method: string, path: string): void {
  reserved.add(`${method} ${path}`);
}

/** Gives up a reservation (the trigger is off or could not start): the path answers 404 again. */
export function releaseHttpRoute(method: string, path: string): void {
  reserved.delete(`${method} ${path}`);
}

/** Adds a route; returns its removal. */
export function addHttpRoute(route: HttpRoute): () => void {
  routes.add(route);
  return () => routes.delete(route);
}

/** The first route's answer to this request, or undefined when none takes it. */
export function routeExtra(req: Request, url: URL): Promise<Response> | undefined {
  for (const route of routes) {
    const answer = route(req, url);
    if (answer) return answer;
  }
  if (reserved.has(`${req.method} ${url.pathname}`))
    return Promise.resolve(
      new Response(
        JSON.stringify({ error: 'starting', message: 'this webhook is not accepting events yet' }),
        {
          status: 503,
          headers: { 'content-type': 'application/json', 'retry-after': '1' },
        },
      ),
    );
  return undefined;
}
