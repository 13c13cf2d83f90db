/**
 * Shared by the trigger tests that run a generated server: a `record` code tool that appends one JSON line per
 * run to $OUT_FILE (so tests count runs by effect), signed Standard Webhooks requests, and file polling.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';

export const RECORD_TOOL = {
  name: 'record',
  description: 'Appends one line per run to OUT_FILE.',
  parameters: {
    source: { type: 'string', required: true },
    value: { type: 'string' },
    sleepMs: { type: 'integer', minimum: 0, maximum: 60000 },
  },
  code: {
    source: [
      "const fs = await import('node:fs');",
      "fs.appendFileSync(ctx.env('OUT_FILE'), JSON.stringify({ phase: 'start', source: args.source, value: args.value ?? null, at: Date.now() }) + '\\n');",
      'if (args.sleepMs) await new Promise((r) => setTimeout(r, args.sleepMs));',
      "fs.appendFileSync(ctx.env('OUT_FILE'), JSON.stringify({ phase: 'end', source: args.source, value: args.value ?? null, at: Date.now() }) + '\\n');",
      "return 'ok';",
    ].join('\n'),
    hostAccess: { modules: ['fs'], reason: 'records each run in a file the test counts' },
  },
};

export const FLAKY_TOOL = {
  name: 'flaky',
  description: 'Always fails, after recording the attempt.',
  parameters: { value: { type: 'string' } },
  code: {
    source: [
      "const fs = await import('node:fs');",
      "fs.appendFileSync(ctx.env('OUT_FILE'), JSON.stringify({ phase: 'start', source: 'flaky', value: args.value ?? null, at: Date.now() }) + '\\n');",
      "throw new Error('flaky failed on purpose');",
    ].join('\n'),
    hostAccess: { modules: ['fs'], reason: 'records each run in a file the test counts' },
  },
};

export interface RunLine {
  phase: 'start' | 'end';
  source: string;
  value: string | null;
  at: number;
}

export function runLines(file: string): RunLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as RunLine);
}

export function jsonLines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}

export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/** Standard Webhooks headers for `body`, signed with `secret` at `at`. */
export function signedHeaders(
  secret: string,
  id: string,
  body: string,
  at = new Date(),
): Record<string, string> {
  const signature = new Webhook(secret).sign(id, at, body);
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signature,
  };
}

/** Polls until `check` holds (generous deadline: the machine is shared and loaded). */
export async function until(check: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
