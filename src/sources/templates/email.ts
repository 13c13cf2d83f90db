/** `email`: send mail over SMTP with nodemailer (shipped with MCP Factory); settings from SMTP_* variables. */
import { describeServer, lit } from './common.js';
import type { TemplateDefinition, TemplateEnvVar, TemplateVars } from './types.js';

function sendSource(vars: TemplateVars): string {
  const domains = (vars.allowedDomains ?? '')
    .split(',')
    .map((d) => d.trim().toLowerCase())
    .filter(Boolean);
  return `const allowedDomains: string[] = ${lit(domains)};
const recipients = [...args.to, ...(args.cc ?? []), ...(args.bcc ?? [])];
for (const address of recipients) {
  if (/[\\r\\n<>,;]/.test(address)) throw new Error('invalid recipient address: ' + JSON.stringify(address));
  const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
  if (allowedDomains.length > 0 && !allowedDomains.includes(domain))
    throw new Error('recipient ' + address + ' is outside the allowed domains (' + allowedDomains.join(', ') + ')');
}
const host = ctx.env('SMTP_HOST');
const from = ctx.env('SMTP_FROM');
const portText = process.env.SMTP_PORT || '587';
const port = Number(portText);
if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error('SMTP_PORT is not a port number: ' + portText);
const secureText = (process.env.SMTP_SECURE || '').toLowerCase();
const secure = secureText === '' ? port === 465 : secureText === 'true' || secureText === '1';
const user = process.env.SMTP_USER;
const mail = await import('nodemailer');
const createTransport = mail.createTransport ?? mail.default.createTransport;
const transport = createTransport({
  host,
  port,
  secure,
  ...(user ? { auth: { user, pass: process.env.SMTP_PASSWORD ?? '' } } : {}),
  connectionTimeout: 15000,
  greetingTimeout: 15000,
  socketTimeout: 30000,
});
try {
  const info = await transport.sendMail({
    from,
    to: args.to,
    ...(args.cc?.length ? { cc: args.cc } : {}),
    ...(args.bcc?.length ? { bcc: args.bcc } : {}),
    ...(args.replyTo ? { replyTo: args.replyTo } : {}),
    subject: args.subject,
    text: args.text,
    ...(args.html ? { html: args.html } : {}),
  });
  const list = (value: unknown): string[] =>
    (Array.isArray(value) ? value : []).map((a: unknown) =>
      typeof a === 'string' ? a : String((a as { address?: unknown }).address ?? a),
    );
  return { messageId: info.messageId, accepted: list(info.accepted), rejected: list(info.rejected), response: info.response };
} catch (error) {
  throw new Error('sending failed: ' + (error as Error).message);
} finally {
  transport.close();
}`;
}

const environment = (): TemplateEnvVar[] => [
  { name: 'SMTP_HOST', description: 'SMTP server host name', required: true },
  { name: 'SMTP_PORT', description: 'SMTP port (default 587; 465 means implicit TLS)', required: false },
  {
    name: 'SMTP_SECURE',
    description: 'true for implicit TLS (default: true on port 465); otherwise STARTTLS is used when offered',
    required: false,
  },
  {
    name: 'SMTP_USER',
    description: 'user name for SMTP authentication (leave unset for none)',
    required: false,
  },
  { name: 'SMTP_PASSWORD', description: 'password for SMTP authentication', required: false, secret: true },
  { name: 'SMTP_FROM', description: 'sender address, e.g. "Reports <reports@example.com>"', required: true },
];

const addresses = (description: string, required = false) => ({
  type: 'array' as const,
  items: { type: 'string' as const, format: 'email' as const, maxLength: 320 },
  maxItems: 50,
  description,
  ...(required ? { required: true, minItems: 1 } : {}),
});

export const emailTemplate: TemplateDefinition = {
  name: 'email',
  title: 'Email (SMTP)',
  category: 'messaging',
  description:
    'Send email through an SMTP server (SMTP_HOST, SMTP_PORT, optional SMTP_USER/SMTP_PASSWORD, SMTP_FROM), optionally only to allowed recipient domains.',
  variables: [
    {
      name: 'allowedDomains',
      description: 'Comma-separated recipient domains the server may send to (default: any).',
      format: 'domains such as example.com,example.org',
      validate: (v) =>
        v
          .split(',')
          .every((d) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*$/.test(d.trim()))
          ? undefined
          : 'is not a comma-separated list of domain names',
    },
  ],
  environment,
  build(vars, serverName) {
    return {
      name: serverName,
      version: '0.1.0',
      title: 'Email',
      description: describeServer(
        `Sends email from SMTP_FROM through an SMTP server${
          vars.allowedDomains ? ` (only to addresses at ${vars.allowedDomains})` : ''
        }.`,
        environment(),
      ),
      tools: [
        {
          name: 'send_email',
          title: 'Send an email',
          description:
            'Send a plain-text email (optionally with an HTML alternative) to one or more recipients. Returns the message id and which recipients the server accepted.',
          parameters: {
            to: addresses('Recipient addresses.', true),
            cc: addresses('Copy recipients.'),
            bcc: addresses('Blind-copy recipients.'),
            replyTo: { type: 'string', format: 'email', maxLength: 320 },
            subject: {
              type: 'string',
              required: true,
              minLength: 1,
              maxLength: 998,
              pattern: '^[^\\r\\n]*$',
            },
            text: { type: 'string', required: true, maxLength: 1_000_000, description: 'Plain-text body.' },
            html: { type: 'string', maxLength: 2_000_000, description: 'HTML body (optional alternative).' },
          },
          annotations: { readOnly: false, destructive: false, idempotent: false, openWorld: true },
          code: { source: sendSource(vars) },
          examples: [
            {
              arguments: { to: ['someone@example.com'], subject: 'Hello', text: 'Sent by MCP.' },
              skip: true,
            },
          ],
        },
      ],
    };
  },
};
