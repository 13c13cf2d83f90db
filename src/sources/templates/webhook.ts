/** `webhook`: POST a JSON payload to WEBHOOK_URL, signed with HMAC-SHA256 when WEBHOOK_SECRET is set. */
import { describeServer, flag, flagVariable, lit, READ_BODY_SOURCE } from './common.js';
import type { TemplateDefinition, TemplateEnvVar, TemplateVars } from './types.js';

function sendSource(vars: TemplateVars): string {
  const header = vars.signatureHeader ?? 'X-Signature';
  const requireSecret = flag(vars, 'requireSignature');
  return `const target = ctx.env('WEBHOOK_URL');
let url: URL;
try {
  url = new URL(target);
} catch {
  throw new Error('WEBHOOK_URL is not a valid URL');
}
if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('WEBHOOK_URL must be an http(s) URL');
${READ_BODY_SOURCE}const body = JSON.stringify(args.payload);
const headers = new Headers({ 'content-type': 'application/json', accept: 'application/json, text/plain;q=0.9, */*;q=0.5' });
if (args.event) headers.set('x-webhook-event', args.event);
const secret = ${requireSecret ? "ctx.env('WEBHOOK_SECRET')" : 'process.env.WEBHOOK_SECRET'};
if (secret) {
  const { createHmac } = await import('node:crypto');
  headers.set(${lit(header)}, 'sha256=' + createHmac('sha256', secret).update(body, 'utf8').digest('hex'));
}
const res = await send(url, { method: 'POST', headers, body });
const data = await readBody(res);
if (!res.ok) throw new Error('the webhook answered HTTP ' + res.status + (data === '' ? '' : ': ' + excerpt(data)));
return { status: res.status, signed: Boolean(secret), response: typeof data === 'string' && data.length > 2000 ? data.slice(0, 2000) + '...' : data };`;
}

const environment = (vars: TemplateVars): TemplateEnvVar[] => [
  { name: 'WEBHOOK_URL', description: 'URL the payloads are POSTed to', required: true, secret: true },
  {
    name: 'WEBHOOK_SECRET',
    description: `HMAC-SHA256 key; the ${vars.signatureHeader ?? 'X-Signature'} header carries sha256=<hex of the HMAC of the raw body>`,
    required: flag(vars, 'requireSignature'),
    secret: true,
  },
];

export const webhookTemplate: TemplateDefinition = {
  name: 'webhook',
  title: 'Outgoing webhook',
  category: 'messaging',
  description:
    'POST JSON payloads to a webhook URL (WEBHOOK_URL), signed with HMAC-SHA256 in a signature header when WEBHOOK_SECRET is set.',
  variables: [
    {
      name: 'signatureHeader',
      description: 'Header that carries the signature "sha256=<hex>".',
      default: 'X-Signature',
      format: 'an HTTP header name such as X-Hub-Signature-256',
      validate: (v) =>
        /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/.test(v) ? undefined : 'is not an HTTP header name',
    },
    flagVariable(
      'requireSignature',
      'Refuse to send unsigned payloads (WEBHOOK_SECRET becomes required).',
      false,
    ),
  ],
  environment,
  build(vars, serverName) {
    return {
      name: serverName,
      version: '0.1.0',
      title: 'Webhook',
      description: describeServer(
        'Delivers JSON payloads to one webhook endpoint. Receivers verify the signature by computing HMAC-SHA256 of the raw request body with the shared secret.',
        environment(vars),
      ),
      tools: [
        {
          name: 'send_webhook',
          title: 'Send a webhook',
          description:
            'POST a JSON payload to the configured webhook URL (optionally naming the event in X-Webhook-Event). Returns the HTTP status and the response.',
          parameters: {
            payload: { type: 'object', required: true, description: 'JSON object sent as the request body.' },
            event: {
              type: 'string',
              maxLength: 200,
              pattern: '^[A-Za-z0-9_.:/-]+$',
              description: 'Event name sent in the X-Webhook-Event header.',
            },
          },
          annotations: { readOnly: false, destructive: false, idempotent: false, openWorld: true },
          code: { source: sendSource(vars) },
          examples: [{ arguments: { event: 'build.finished', payload: { status: 'ok' } }, skip: true }],
        },
      ],
    };
  },
};
