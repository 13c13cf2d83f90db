/**
 * Webhook trigger source: a route on the HTTP transport (runtime/http-routes.ts). Signed with Standard Webhooks
 * (webhook-id, webhook-timestamp, webhook-signature; the library refuses timestamps more than 5 minutes off)
 * unless the spec says `unsigned: true`. Answers: 202 accepted (the run happens after the answer), 401 bad or
 * missing signature, 400 body that is not JSON, 413 body over the cap, 415 for a non-JSON content type with a
 * schema, 422 payload failing the spec's schema, 409 a webhook-id seen in the replay window, 403 a browser request
 * (Origin header) to an unsigned webhook, 503 too many events waiting. Nothing is run for any refused request.
 */
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { addHttpRoute, releaseHttpRoute, reserveHttpRoute } from '../http-routes.js';
import { describeIssue } from '../json.js';
import type { Logger } from '../logger.js';
import { sharedValidator } from '../tool-table.js';
import type { WebhookDefinition } from './definitions.js';
import type { TriggerDeliver, TriggerSource } from './types.js';

export const DEFAULT_WEBHOOK_BODY_BYTES = 1024 * 1024;
/** Ids are remembered twice the signature tolerance: a replay inside the tolerance is always caught. */
const REPLAY_WINDOW_MS = 10 * 60 * 1000;
const MAX_REMEMBERED_IDS = 100_000;
/** Accepted events not yet finished before new ones get 503 (the sender retries later). */
const MAX_PENDING = 1_000;

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** The body as text, or undefined once it grows past `cap` bytes (the rest is not read). */
async function readCapped(req: Request, cap: number): Promise<string | undefined> {
  if (!req.body) return '';
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > cap) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reserves the spec's webhook routes as soon as the server loads (see runtime/http-routes.ts). */
export function reserveWebhooks(
  definitions: ReadonlyArray<{ type: string; method?: string; path?: string }>,
): void {
  for (const d of definitions)
    if (d.type === 'webhook' && d.method && d.path) reserveHttpRoute(d.method, d.path);
}

export function webhookSource(definition: WebhookDefinition, log: Logger): TriggerSource {
  const cap = definition.maxBodyBytes ?? DEFAULT_WEBHOOK_BODY_BYTES;
  const seen = new Map<string, number>();
  const pending = new Set<Promise<unknown>>();
  let removeRoute: (() => void) | undefined;

  const remembered = (id: string, now: number): boolean => {
    const until = seen.get(id);
    return until !== undefined && until > now;
  };
  const remember = (id: string, now: number) => {
    if (seen.size >= MAX_REMEMBERED_IDS)
      for (const [key, until] of seen) if (until <= now || seen.size >= MAX_REMEMBERED_IDS) seen.delete(key);
    seen.set(id, now + REPLAY_WINDOW_MS);
  };

  async function handle(
    req: Request,
    url: URL,
    deliver: TriggerDeliver,
    verifier: Webhook | undefined,
  ): Promise<Response> {
    // A browser page could POST to an unsigned webhook on this machine (a "simple" request needs no preflight);
    // browsers always send Origin on such requests, server-to-server senders do not.
    if (!verifier && req.headers.get('origin') !== null)
      return json(403, {
        error: 'forbidden',
        message: 'browser requests cannot trigger an unsigned webhook',
      });
    const declared = Number(req.headers.get('content-length') ?? '0');
    if (Number.isFinite(declared) && declared > cap)
      return json(413, { error: 'payload_too_large', limit: cap });
    const body = await readCapped(req, cap);
    if (body === undefined) return json(413, { error: 'payload_too_large', limit: cap });
    const headers = {
      'webhook-id': req.headers.get('webhook-id') ?? '',
      'webhook-timestamp': req.headers.get('webhook-timestamp') ?? '',
      'webhook-signature': req.headers.get('webhook-signature') ?? '',
    };
    if (verifier) {
      try {
        verifier.verify(body, headers, { jsonParse: false });
      } catch (error) {
        log.debug('webhook refused', { reason: (error as Error).message });
        return json(401, { error: 'invalid_signature', message: (error as Error).message });
      }
    }
    const now = Date.now();
    const id = headers['webhook-id'] || (verifier ? '' : randomUUID());
    if (remembered(id, now))
      return json(409, { error: 'replayed', message: `webhook-id ${id} was already accepted` });
    let payload: unknown;
    const type = (req.headers.get('content-type') ?? '').toLowerCase();
    if (req.method === 'GET') payload = Object.fromEntries(url.searchParams);
    else if (body === '') payload = null;
    else if (type.includes('json') || definition.schema) {
      if (!type.includes('json') && type !== '')
        return json(415, { error: 'unsupported_media_type', message: 'send application/json' });
      try {
        payload = JSON.parse(body);
      } catch {
        return json(400, { error: 'invalid_json', message: 'the body is not valid JSON' });
      }
    } else payload = body;
    if (definition.schema) {
      const verdict = await sharedValidator(definition.schema as never)['~standard'].validate(payload);
      if (verdict.issues?.length)
        return json(422, {
          error: 'invalid_payload',
          issues: verdict.issues.slice(0, 10).map((i) => describeIssue(i)),
        });
    }
    if (pending.size >= MAX_PENDING)
      return json(503, { error: 'busy', message: 'too many events waiting' }, { 'retry-after': '5' });
    remember(id, now);
    const event = {
      id,
      payload,
      meta: {
        path: url.pathname,
        method: req.method,
        contentType: type,
        query: Object.fromEntries(url.searchParams),
      },
      receivedAt: now,
    };
    const run = deliver(event)
      .catch((error: unknown) => log.warn('webhook event not run', { id, error: (error as Error).message }))
      .finally(() => pending.delete(run));
    pending.add(run);
    return json(202, { accepted: true, id });
  }

  return {
    type: 'webhook',
    async start(deliver) {
      let verifier: Webhook | undefined;
      if (!definition.unsigned) {
        const secret = definition.secretEnv ? process.env[definition.secretEnv] : undefined;
        if (!secret) {
          releaseHttpRoute(definition.method, definition.path);
          throw new Error(
            `webhook ${definition.method} ${definition.path} needs its signing secret: set ${definition.secretEnv ?? '(secretEnv)'}`,
          );
        }
        verifier = new Webhook(secret);
      }
      removeRoute = addHttpRoute((req, url) =>
        url.pathname === definition.path && req.method === definition.method
          ? handle(req, url, deliver, verifier)
          : undefined,
      );
    },
    async stop() {
      removeRoute?.();
      removeRoute = undefined;
      releaseHttpRoute(definition.method, definition.path);
      await Promise.allSettled([...pending]);
    },
  };
}
