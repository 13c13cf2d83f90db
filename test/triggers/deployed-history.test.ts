/**
 * Triggers of a server deployed on the local target (in the supervisor's sandbox when the machine has one):
 * a webhook and a cron trigger run the tool, the server writes its history into its data directory, and the
 * factory shows it — `status` (per trigger: runs by outcome), the trigger-runs operation, and
 * `mcp-factory logs --triggers` — with the supervisor importing it without being asked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/surfaces/cli/main.js';
import {
  createText,
  ensureBuilt,
  fastEnv,
  newHome,
  type TestHome,
  waitUntil,
} from '../supervisor/helpers.js';

const NAME = 'trigger-history';
let t: TestHome;

beforeAll(() => {
  ensureBuilt();
  t = newHome('trigger-history', fastEnv('23400-23449'));
});

afterAll(async () => {
  await t?.cleanup();
});

async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli([...argv, '--home', t.home], {
    stdout: (s) => {
      out += s;
    },
    stderr: (s) => {
      err += s;
    },
    isTTY: false,
  });
  return { code, out, err };
}

describe('trigger history of a deployed server', () => {
  it('runs a webhook and a cron trigger and shows their runs in status, the API operation and logs', async () => {
    await createText(t.cp, NAME, {
      triggers: [
        {
          type: 'webhook',
          path: '/hooks/words',
          method: 'POST',
          unsigned: true,
          tool: 'word_stats',
          arguments: { text: '{{event.payload.text}}' },
        },
        { type: 'cron', schedule: '* * * * * *', tool: 'word_stats', arguments: { text: 'tick tock' } },
      ],
    });
    const d = await t.cp.deploy({ name: NAME, target: 'local', actor: 'test' });
    expect(d.status).toBe('running');
    const base = new URL(d.endpoint!).origin;
    const answer = await fetch(`${base}/hooks/words`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': 'msg_history_1' },
      body: JSON.stringify({ text: 'one two three' }),
    });
    expect(answer.status).toBe(202);

    const status = await waitUntil(
      'both triggers in status',
      async () => {
        const s = await t.cp.status(NAME);
        const hook = s.triggers?.find((x) => x.trigger === 0);
        const cron = s.triggers?.find((x) => x.trigger === 1);
        return hook && hook.counts.succeeded >= 1 && cron && cron.counts.succeeded >= 4 ? s : undefined;
      },
      60_000,
      500,
    );
    expect(status.triggers?.find((x) => x.trigger === 0)).toMatchObject({
      type: 'webhook',
      tool: 'word_stats',
      lastOutcome: 'succeeded',
    });

    const runs = await t.cp.triggerRuns(NAME, { trigger: 0 });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ type: 'webhook', attempt: 1, outcome: 'succeeded' });
    expect(runs[0]?.key).toContain('msg_history_1');

    const text = await cli('status', NAME);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/trigger #0 webhook → word_stats: 1 succeeded/);
    expect(text.out).toMatch(/trigger #1 cron → word_stats: \d+ succeeded/);
    const logs = await cli('logs', NAME, '--triggers', '--tail', '5');
    expect(logs.code).toBe(0);
    expect(logs.out.trim().split('\n')).toHaveLength(5);
    expect(logs.out).toMatch(/trigger #1 cron → word_stats attempt 1 succeeded in \d+ ms key /);
    const bad = await cli('logs', NAME, '--triggers', '--follow');
    expect(bad.code).not.toBe(0);
  });

  it('the supervisor imports the history on its own', async () => {
    const registry = await t.cp.registry();
    const before = (await registry.triggers.list(NAME, { trigger: 1, limit: 1000 })).length;
    // No reader asks: only the supervisor's periodic import can bring new cron runs into the registry.
    await waitUntil(
      'new cron runs imported by the supervisor',
      async () => (await registry.triggers.list(NAME, { trigger: 1, limit: 1000 })).length > before,
      45_000,
      1000,
    );
  });
});
