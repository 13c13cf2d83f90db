/**
 * The console's main flow in a real browser against a real factory (real builds, the local target): sign in,
 * create from a template, deploy, call a tool in the playground, read the logs, roll back to an earlier revision
 * and remove — each step checked by its effect through the API, each page with axe and a screenshot, and no
 * console error or CSP violation on the way. Screenshots: test-results/console/flow-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUIRE_SERVICES } from '../helpers/services.js';
import {
  type Browsing,
  browserMissing,
  checkPage,
  ensureConsoleBuilt,
  type Factory,
  openBrowser,
  startFactory,
} from './harness.js';

const missing = browserMissing();
const NAME = 'console-hello';

interface Status {
  server: { currentRevision: number; status: string };
  deployments: Array<{ status: string; revision: number }>;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe.skipIf(missing !== undefined && !REQUIRE_SERVICES)('console flows in Chromium', () => {
  let factory: Factory;
  let web: Browsing;
  const status = async () => (await factory.api<Status>('GET', `/mcp/servers/${NAME}`)).body;

  beforeAll(async () => {
    if (missing) throw new Error(missing);
    ensureConsoleBuilt();
    factory = await startFactory(['--role', 'admin']);
    web = await openBrowser();
    await web.page.goto(`${factory.url}/ui/`);
    await web.page.getByRole('button', { name: 'API token' }).click();
    await web.page.getByLabel('API token').fill(factory.token);
    await web.page.getByRole('button', { name: 'Sign in' }).click();
    await web.page.getByRole('navigation', { name: 'Main' }).waitFor();
  }, 180_000);

  afterAll(async () => {
    await factory?.api('DELETE', `/mcp/servers/${NAME}`).catch(() => undefined);
    await web?.close();
    await factory?.stop();
  });

  it('creates a server from a template', { timeout: 240_000 }, async () => {
    const { page } = web;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Create' }).click();
    await page.getByRole('tab', { name: 'Template' }).click();
    await page.getByRole('combobox', { name: 'Template' }).selectOption('custom');
    const name = page.getByLabel('Server name');
    await name.fill(NAME);
    expect(await checkPage(page, 'flow-01-create-template')).toEqual([]);
    await page.getByRole('button', { name: 'Create from template' }).click();
    await page.getByRole('link', { name: `Open ${NAME}` }).waitFor({ timeout: 200_000 });
    expect((await status()).server.currentRevision).toBe(1);
    expect(await checkPage(page, 'flow-02-created')).toEqual([]);
  });

  it('deploys it on the local target', { timeout: 180_000 }, async () => {
    const { page } = web;
    await page.getByRole('link', { name: `Open ${NAME}` }).click();
    await page.getByRole('heading', { level: 1, name: NAME }).waitFor();
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('combobox', { name: 'Target' }).selectOption('local');
    expect(await checkPage(page, 'flow-03-deploy-dialog')).toEqual([]);
    await dialog.getByRole('button', { name: 'Deploy', exact: true }).click();
    await until('a running deployment', async () =>
      (await status()).deployments.some((d) => d.status === 'running') ? true : undefined,
    );
  });

  it('calls its tool in the playground', { timeout: 120_000 }, async () => {
    const { page } = web;
    await page.goto(`${factory.url}/ui/playground?server=${NAME}`);
    await page.getByRole('heading', { level: 1, name: 'Playground' }).waitFor();
    await page.getByRole('combobox', { name: 'Tool' }).selectOption('hello');
    await page.getByLabel('name').fill('Console');
    await page.getByRole('button', { name: 'Call hello' }).click();
    await page.getByText('Hello, Console!').first().waitFor({ timeout: 60_000 });
    expect(await checkPage(page, 'flow-04-playground')).toEqual([]);
  });

  it('reads the logs', { timeout: 60_000 }, async () => {
    const { page } = web;
    await page.goto(`${factory.url}/ui/servers/${NAME}`);
    await page.getByRole('tab', { name: 'Logs' }).click();
    const log = page.getByRole('list', { name: `Log of ${NAME}` });
    await log.waitFor();
    await until(
      'log lines',
      async () => ((await log.getByRole('listitem').count()) > 0 ? true : undefined),
      30_000,
    );
    expect(await checkPage(page, 'flow-05-logs')).toEqual([]);
  });

  it('shows the stored health timeline and the list’s health and call columns', {
    timeout: 90_000,
  }, async () => {
    const { page } = web;
    // The supervisor's health monitor stored the checks; the playground's call counts in the last hour.
    const stored = await until('a stored health check', async () => {
      const r = await factory.api<{ history: Array<{ health: string }> }>(
        'GET',
        `/mcp/servers/${NAME}/health?minutes=60`,
      );
      return r.body.history?.some((c) => c.health === 'healthy') ? r.body.history : undefined;
    });
    expect(stored.length).toBeGreaterThan(0);
    await page.goto(`${factory.url}/ui/servers/${NAME}`);
    await page.getByRole('heading', { level: 2, name: 'Health history' }).waitFor();
    const timeline = page.getByRole('list', { name: 'Health over the last hour, oldest first' });
    await timeline.waitFor();
    expect(await timeline.getByRole('listitem').count()).toBe(60);
    // A minute's slot shows the worst check in it (a check during the start, or a slow one under load, can
    // outweigh the healthy one in the same minute): every state shown is a stored one, and one at least is.
    const shown = (
      await timeline.locator('li').evaluateAll((items) => items.map((li) => li.getAttribute('data-health')))
    ).filter((health) => health !== 'none');
    expect(shown.length).toBeGreaterThan(0);
    const history = await factory.api<{ history: Array<{ health: string }> }>(
      'GET',
      `/mcp/servers/${NAME}/health?minutes=60`,
    );
    const states = history.body.history.map((c) => c.health);
    for (const health of shown) expect(states).toContain(health);
    expect(await checkPage(page, 'flow-06-health-timeline')).toEqual([]);

    const list = await factory.api<{ servers: Array<{ name: string; summary?: { calls?: number } }> }>(
      'GET',
      '/mcp/servers?summary=1',
    );
    const calls = list.body.servers.find((s) => s.name === NAME)?.summary?.calls ?? 0;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Servers' }).click();
    const table = page.getByRole('table', { name: 'Servers' });
    await table.getByRole('columnheader', { name: /Health/ }).waitFor();
    await table.getByRole('columnheader', { name: /Calls \(1 h\)/ }).waitFor();
    const row = table.getByRole('row').filter({ hasText: NAME });
    await row.getByText('healthy').waitFor();
    await row.getByText(String(calls), { exact: true }).first().waitFor();
    expect(await checkPage(page, 'flow-07-servers-summary')).toEqual([]);
  });

  it('rolls back to revision 1 after a second revision', { timeout: 240_000 }, async () => {
    const { page } = web;
    const made = await factory.api<{ specText: string }>('POST', '/mcp/templates/custom/spec', {
      name: NAME,
    });
    const second = await factory.api('POST', '/mcp/create', {
      spec: made.body.specText.replaceAll('Hello, ', 'Hi, '),
      force: true,
    });
    expect(second.status, JSON.stringify(second.body)).toBe(201);
    await factory.api('POST', `/mcp/deploy/${NAME}`, { target: 'local' });
    expect((await status()).server.currentRevision).toBe(2);
    await page.goto(`${factory.url}/ui/servers/${NAME}`);
    await page.getByRole('tab', { name: 'Revisions' }).click();
    await page.getByRole('button', { name: 'Roll back to revision 1' }).click();
    expect(await checkPage(page, 'flow-06-rollback-confirm')).toEqual([]);
    await page.getByRole('dialog').getByRole('button', { name: 'Roll back' }).click();
    await until('revision 1 running again', async () => {
      const s = await status();
      return s.server.currentRevision === 1 &&
        s.deployments.some((d) => d.revision === 1 && d.status === 'running')
        ? true
        : undefined;
    });
  });

  it('removes it', { timeout: 120_000 }, async () => {
    const { page } = web;
    await page.goto(`${factory.url}/ui/servers/${NAME}`);
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    expect(await checkPage(page, 'flow-07-remove-confirm')).toEqual([]);
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(/to confirm/).fill(NAME);
    await dialog.getByRole('button', { name: 'Remove server' }).click();
    await until('the server removed', async () => {
      const list = await factory.api<{ servers: Array<{ name: string }> }>('GET', '/mcp/servers');
      return list.body.servers.some((s) => s.name === NAME) ? undefined : true;
    });
  });

  it('saw no console errors, no CSP violations and no failed API call', () => {
    // /mcp/capabilities is not implemented yet: the create page degrades on its 404 by design.
    const unexpected = web.failedRequests.filter(
      (r) => !/^401 GET \/auth\/me /.test(r) && !/^404 GET \/mcp\/capabilities /.test(r),
    );
    expect({ problems: web.problems, unexpected }).toEqual({ problems: [], unexpected: [] });
  });
});
