/**
 * email end to end: send_email (nodemailer in the generated server) against a tiny fake SMTP server written here
 * with node:net — greeting, EHLO, AUTH PLAIN/LOGIN, MAIL FROM, RCPT TO, DATA (with dot-unstuffing), RSET, QUIT.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectStdio } from '../helpers/mcp.js';
import { buildTemplate, fails, ok } from './helpers.js';

interface Session {
  ehlo?: string;
  auth?: { user: string; pass: string };
  from?: string;
  rcpt: string[];
  data?: string;
  closed: boolean;
}

const sessions: Session[] = [];
let smtp: Server;
let port: number;
const work = mkdtempSync(join(tmpdir(), 'mcpf-tpl-mail-'));
let bundle: string;

function fakeSmtp(socket: Socket): void {
  const session: Session = { rcpt: [], closed: false };
  sessions.push(session);
  let buffer = '';
  let mode: 'command' | 'data' | 'auth-plain' | 'auth-user' | 'auth-pass' = 'command';
  let data: string[] = [];
  let user = '';
  const reply = (line: string) => socket.write(`${line}\r\n`);
  const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
  const plain = (b64: string) => {
    const [, u = '', p = ''] = decode(b64).split('\u0000');
    session.auth = { user: u, pass: p };
    reply('235 2.7.0 Authentication successful');
  };
  reply('220 fake.smtp.test ESMTP ready');
  socket.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    for (let nl = buffer.indexOf('\r\n'); nl !== -1; nl = buffer.indexOf('\r\n')) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 2);
      if (mode === 'data') {
        if (line === '.') {
          session.data = data.join('\r\n');
          data = [];
          mode = 'command';
          reply('250 2.0.0 Ok: queued as FAKE123');
        } else data.push(line.startsWith('..') ? line.slice(1) : line);
        continue;
      }
      if (mode === 'auth-plain') {
        mode = 'command';
        plain(line);
        continue;
      }
      if (mode === 'auth-user') {
        user = decode(line);
        mode = 'auth-pass';
        reply('334 UGFzc3dvcmQ6');
        continue;
      }
      if (mode === 'auth-pass') {
        session.auth = { user, pass: decode(line) };
        mode = 'command';
        reply('235 2.7.0 Authentication successful');
        continue;
      }
      const [verb = '', ...rest] = line.split(' ');
      const arg = rest.join(' ');
      switch (verb.toUpperCase()) {
        case 'EHLO':
          session.ehlo = arg;
          socket.write('250-fake.smtp.test\r\n250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n');
          break;
        case 'HELO':
          session.ehlo = arg;
          reply('250 fake.smtp.test');
          break;
        case 'AUTH': {
          const [mechanism = '', initial] = rest;
          if (mechanism.toUpperCase() === 'PLAIN') {
            if (initial) plain(initial);
            else {
              mode = 'auth-plain';
              reply('334 ');
            }
          } else if (mechanism.toUpperCase() === 'LOGIN') {
            mode = 'auth-user';
            reply('334 VXNlcm5hbWU6');
          } else reply('504 5.5.4 Unrecognized authentication type');
          break;
        }
        case 'MAIL':
          session.from = /<([^>]*)>/.exec(arg)?.[1];
          reply('250 2.1.0 Ok');
          break;
        case 'RCPT': {
          const to = /<([^>]*)>/.exec(arg)?.[1] ?? '';
          if (to.startsWith('reject')) reply('550 5.1.1 User unknown');
          else {
            session.rcpt.push(to);
            reply('250 2.1.5 Ok');
          }
          break;
        }
        case 'DATA':
          mode = 'data';
          reply('354 End data with <CR><LF>.<CR><LF>');
          break;
        case 'RSET':
        case 'NOOP':
          reply('250 2.0.0 Ok');
          break;
        case 'QUIT':
          reply('221 2.0.0 Bye');
          socket.end();
          break;
        default:
          reply('502 5.5.2 Command not recognized');
      }
    }
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    session.closed = true;
  });
}

/** Unfolded headers (lower-case names) and body of a received message. */
function parse(message: string): { headers: Record<string, string>; body: string } {
  const split = message.indexOf('\r\n\r\n');
  const headers: Record<string, string> = {};
  let last = '';
  for (const line of message.slice(0, split).split('\r\n')) {
    if (/^\s/.test(line) && last) headers[last] += ` ${line.trim()}`;
    else {
      const colon = line.indexOf(':');
      last = line.slice(0, colon).toLowerCase();
      headers[last] = line.slice(colon + 1).trim();
    }
  }
  return { headers, body: message.slice(split + 4) };
}

beforeAll(async () => {
  smtp = createServer(fakeSmtp);
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  port = (smtp.address() as { port: number }).port;
  bundle = (await buildTemplate('email', { allowedDomains: 'example.com' }, work)).bundle;
});

afterAll(async () => {
  await new Promise<void>((resolve) => smtp?.close(() => resolve()));
  rmSync(work, { recursive: true, force: true });
});

const baseEnv = () => ({
  SMTP_HOST: '127.0.0.1',
  SMTP_PORT: String(port),
  SMTP_FROM: 'Reports <reports@example.com>',
});

async function withClient(env: Record<string, string>, fn: (c: Client) => Promise<void>) {
  const client = await connectStdio(bundle, '2026-07-28', env);
  try {
    await fn(client);
  } finally {
    await client.close();
  }
}

describe('send_email', () => {
  it('authenticates and delivers a well-formed message to every recipient (Bcc only in the envelope)', async () => {
    await withClient({ ...baseEnv(), SMTP_USER: 'mailer', SMTP_PASSWORD: 'mail-pass' }, async (c) => {
      const before = sessions.length;
      const result = (await ok(c, 'send_email', {
        to: ['alice@example.com'],
        cc: ['bob@example.com'],
        bcc: ['audit@example.com'],
        replyTo: 'ops@example.com',
        subject: 'Weekly report',
        text: 'Hello team,\r\n.leading dot line\r\nBye',
      })) as { messageId: string; accepted: string[]; rejected: string[]; response: string };
      expect(result.accepted).toEqual(['alice@example.com', 'bob@example.com', 'audit@example.com']);
      expect(result.rejected).toEqual([]);
      expect(result.response).toContain('queued as FAKE123');

      expect(sessions.length).toBe(before + 1);
      const session = sessions.at(-1)!;
      expect(session.ehlo).toBeTruthy();
      expect(session.auth).toEqual({ user: 'mailer', pass: 'mail-pass' });
      expect(session.from).toBe('reports@example.com');
      expect(session.rcpt).toEqual(['alice@example.com', 'bob@example.com', 'audit@example.com']);
      await vi.waitFor(() => expect(session.closed).toBe(true)); // the connection is not left open

      const { headers, body } = parse(session.data!);
      expect(headers.from).toBe('Reports <reports@example.com>');
      expect(headers.to).toBe('alice@example.com');
      expect(headers.cc).toBe('bob@example.com');
      expect(headers['reply-to']).toBe('ops@example.com');
      expect(headers.bcc).toBeUndefined();
      expect(headers.subject).toBe('Weekly report');
      expect(headers['message-id']).toBe(result.messageId);
      expect(headers['content-type']).toMatch(/^text\/plain/);
      expect(body).toContain('Hello team,\r\n.leading dot line\r\nBye');
    });
  });

  it('sends without AUTH when no user is configured, with an HTML alternative, and reports rejected recipients', async () => {
    await withClient(baseEnv(), async (c) => {
      const result = (await ok(c, 'send_email', {
        to: ['carol@example.com', 'reject-me@example.com'],
        subject: 'HTML',
        text: 'plain version',
        html: '<p>html <b>version</b></p>',
      })) as { accepted: string[]; rejected: string[] };
      expect(result).toMatchObject({ accepted: ['carol@example.com'], rejected: ['reject-me@example.com'] });
      const session = sessions.at(-1)!;
      expect(session.auth).toBeUndefined();
      const { headers, body } = parse(session.data!);
      expect(headers['content-type']).toMatch(/^multipart\/alternative/);
      expect(body).toContain('plain version');
      expect(body).toContain('<p>html <b>version</b></p>');
    });
  });

  it('refuses recipients outside the allowed domains and header injection, before connecting', async () => {
    await withClient(baseEnv(), async (c) => {
      const before = sessions.length;
      expect(
        await fails(c, 'send_email', {
          to: ['alice@example.com'],
          bcc: ['leak@evil.test'],
          subject: 'x',
          text: 'y',
        }),
      ).toContain('leak@evil.test is outside the allowed domains (example.com)');
      await fails(c, 'send_email', {
        to: ['alice@example.com'],
        subject: 'Hi\r\nBcc: leak@evil.test',
        text: 'y',
      });
      await fails(c, 'send_email', { to: ['not-an-address'], subject: 'x', text: 'y' });
      await fails(c, 'send_email', { to: [], subject: 'x', text: 'y' });
      expect(sessions.length).toBe(before);
    });
  });

  it('says which setting is missing and reports an unreachable server', async () => {
    await withClient({ SMTP_FROM: 'a@example.com' }, async (c) => {
      expect(await fails(c, 'send_email', { to: ['a@example.com'], subject: 'x', text: 'y' })).toContain(
        'SMTP_HOST is not set',
      );
    });
    await withClient({ ...baseEnv(), SMTP_PORT: '1' }, async (c) => {
      expect(await fails(c, 'send_email', { to: ['a@example.com'], subject: 'x', text: 'y' })).toMatch(
        /^sending failed: .*ECONNREFUSED/,
      );
    });
  });
});
