/**
 * slack, github, jira and ci-trigger (GitLab) end to end against one local mock of the four APIs: each request is
 * checked for method, path, query, headers (auth included) and body, and service errors become tool errors.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectStdio } from '../helpers/mcp.js';
import { buildTemplate, fails, json, type Mock, ok, startMock } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'mcpf-tpl-svc-'));
let mock: Mock;
const bundles: Record<string, string> = {};

const SLACK_TOKEN = 'slack-bot-token-for-tests';
const GITHUB_TOKEN = 'github-token-for-tests';
const JIRA_BASIC = `Basic ${Buffer.from('ops@example.com:jira-token').toString('base64')}`;

beforeAll(async () => {
  mock = await startMock((req, res) => {
    const p = req.path;
    if (p.startsWith('/slack/ratelimited/')) return json(res, 429, { ok: false }, { 'retry-after': '30' });
    if (p.startsWith('/slack/')) {
      if (req.headers.authorization !== `Bearer ${SLACK_TOKEN}`)
        return json(res, 200, { ok: false, error: 'invalid_auth' });
      if (p === '/slack/chat.postMessage') {
        const body = JSON.parse(req.body) as { channel: string };
        if (body.channel === 'C0NOTHERE') return json(res, 200, { ok: false, error: 'channel_not_found' });
        if (body.channel === 'C0NOSCOPE')
          return json(res, 200, { ok: false, error: 'missing_scope', needed: 'chat:write' });
        return json(res, 200, { ok: true, channel: body.channel, ts: '1700000000.000100', message: {} });
      }
      if (p === '/slack/conversations.list')
        return json(res, 200, {
          ok: true,
          channels: [
            {
              id: 'C01',
              name: 'general',
              is_private: false,
              is_archived: false,
              num_members: 12,
              topic: { value: 'hi' },
            },
          ],
          response_metadata: { next_cursor: 'dXNlcjpVMDYx' },
        });
      if (p === '/slack/conversations.history')
        return json(res, 200, {
          ok: true,
          messages: [
            {
              type: 'message',
              user: 'U1',
              text: 'deploy done',
              ts: '1700000001.000200',
              thread_ts: '1700000001.000200',
              reply_count: 2,
            },
            { type: 'message', bot_id: 'B1', text: 'beep', ts: '1700000000.000100' },
          ],
          has_more: false,
          response_metadata: { next_cursor: '' },
        });
    }
    if (p.startsWith('/github/')) {
      if (p.endsWith('/dispatches')) return res.writeHead(204).end();
      if (p === '/github/repos/octocat/hello-world/issues' && req.method === 'POST')
        return json(res, 201, { number: 43, html_url: 'https://github.com/octocat/hello-world/issues/43' });
      if (p === '/github/repos/octocat/hello-world/issues/404')
        return json(res, 404, { message: 'Not Found' });
      return json(
        res,
        200,
        p.startsWith('/github/search') ? { total_count: 1, items: [{ full_name: 'a/b' }] } : [{ number: 1 }],
      );
    }
    if (p.startsWith('/jira/')) {
      if (req.headers.authorization !== JIRA_BASIC)
        return json(res, 401, { errorMessages: ['unauthorized'] });
      if (p === '/jira/rest/api/3/issue' && req.method === 'POST') {
        const { fields } = JSON.parse(req.body) as { fields: { summary: string } };
        if (fields.summary === 'invalid')
          return json(res, 400, { errorMessages: [], errors: { issuetype: 'Specify a valid issue type' } });
        return json(res, 201, {
          id: '10042',
          key: 'OPS-42',
          self: `${mock.url}/jira/rest/api/3/issue/10042`,
        });
      }
      if (p === '/jira/rest/api/3/search/jql')
        return json(res, 200, { issues: [{ key: 'OPS-1' }], isLast: true });
      if (p === '/jira/rest/api/3/issue/OPS-1')
        return json(res, 200, { key: 'OPS-1', fields: { summary: 'x' } });
    }
    if (p.startsWith('/gitlab/')) {
      if (p.endsWith('/trigger/pipeline'))
        return json(res, 201, {
          id: 99,
          iid: 5,
          status: 'created',
          ref: 'main',
          sha: 'abc',
          web_url: 'https://gitlab/p/99',
          created_at: 't',
        });
      if (req.headers['private-token'] !== 'gitlab-pat')
        return json(res, 401, { message: '401 Unauthorized' });
      return json(res, 200, { id: 99, status: 'running' });
    }
    json(res, 404, { error: `no route ${req.method} ${p}` });
  });

  const builds: Array<[string, Record<string, string>]> = [
    ['slack', { defaultChannel: 'C0123456789' }],
    ['github', { owner: 'octocat', repo: 'hello-world' }],
    ['jira', { projectKey: 'OPS' }],
    ['ci-trigger', { project: 'group/app' }],
  ];
  for (const [template, set] of builds) bundles[template] = (await buildTemplate(template, set, work)).bundle;
});

afterAll(async () => {
  await mock?.close();
  rmSync(work, { recursive: true, force: true });
});

async function withClient(name: string, env: Record<string, string>, fn: (c: Client) => Promise<void>) {
  const client = await connectStdio(bundles[name]!, '2026-07-28', env);
  try {
    await fn(client);
  } finally {
    await client.close();
  }
}

describe('slack', () => {
  const env = () => ({ SLACK_API_URL: `${mock.url}/slack/`, SLACK_BOT_TOKEN: SLACK_TOKEN });

  it('posts with chat.postMessage (JSON body, bearer token, default channel)', async () => {
    await withClient('slack', env(), async (c) => {
      expect(await ok(c, 'post_message', { text: 'Deploy *done*', thread_ts: '1700000000.000100' })).toEqual({
        channel: 'C0123456789',
        ts: '1700000000.000100',
      });
      const req = mock.last('/slack/chat.postMessage');
      expect(req.method).toBe('POST');
      expect(req.headers.authorization).toBe(`Bearer ${SLACK_TOKEN}`);
      expect(req.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(JSON.parse(req.body)).toEqual({
        channel: 'C0123456789',
        text: 'Deploy *done*',
        thread_ts: '1700000000.000100',
      });
    });
  });

  it('lists channels and reads history with GET query parameters', async () => {
    await withClient('slack', env(), async (c) => {
      expect(await ok(c, 'list_channels', { limit: 2 })).toEqual({
        channels: [
          {
            id: 'C01',
            name: 'general',
            is_private: false,
            is_archived: false,
            num_members: 12,
            topic: 'hi',
            purpose: '',
          },
        ],
        nextCursor: 'dXNlcjpVMDYx',
      });
      const list = mock.last('/slack/conversations.list');
      expect(list.method).toBe('GET');
      expect(Object.fromEntries(list.query)).toEqual({
        types: 'public_channel',
        exclude_archived: 'true',
        limit: '2',
      });
      expect(list.headers.authorization).toBe(`Bearer ${SLACK_TOKEN}`);

      expect(await ok(c, 'get_channel_history', { oldest: '1699999999.000000' })).toEqual({
        messages: [
          {
            ts: '1700000001.000200',
            user: 'U1',
            text: 'deploy done',
            thread_ts: '1700000001.000200',
            reply_count: 2,
          },
          { ts: '1700000000.000100', user: 'B1', text: 'beep' },
        ],
        hasMore: false,
      });
      expect(Object.fromEntries(mock.last('/slack/conversations.history').query)).toEqual({
        channel: 'C0123456789',
        limit: '20',
        oldest: '1699999999.000000',
      });
    });
  });

  it('turns { ok: false, error } (HTTP 200) and rate limits into tool errors', async () => {
    await withClient('slack', env(), async (c) => {
      expect(await fails(c, 'post_message', { channel: 'C0NOTHERE', text: 'x' })).toBe(
        'Slack API error from chat.postMessage: channel_not_found',
      );
      expect(await fails(c, 'post_message', { channel: 'C0NOSCOPE', text: 'x' })).toContain(
        'missing_scope (the token lacks the scope chat:write)',
      );
    });
    await withClient('slack', { ...env(), SLACK_BOT_TOKEN: 'wrong' }, async (c) => {
      expect(await fails(c, 'list_channels')).toContain('invalid_auth');
    });
    await withClient('slack', { ...env(), SLACK_API_URL: `${mock.url}/slack/ratelimited` }, async (c) => {
      expect(await fails(c, 'list_channels')).toBe('rate limited by Slack; retry after 30 seconds');
    });
    await withClient('slack', { SLACK_API_URL: `${mock.url}/slack` }, async (c) => {
      expect(await fails(c, 'list_channels')).toContain('SLACK_BOT_TOKEN is not set');
    });
  });
});

describe('github', () => {
  const env = () => ({ GITHUB_API_URL: `${mock.url}/github`, GITHUB_TOKEN });
  const expectHeaders = (headers: Record<string, unknown>) =>
    expect(headers).toMatchObject({
      authorization: `Bearer ${GITHUB_TOKEN}`,
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      'user-agent': 'tpl-github/0.1.0',
    });

  it('lists and reads issues of the default repository', async () => {
    await withClient('github', env(), async (c) => {
      await ok(c, 'list_issues', { labels: ['bug', 'ui'], state: 'all' });
      const list = mock.last('/github/repos/octocat/hello-world/issues');
      expect(list.method).toBe('GET');
      expect(Object.fromEntries(list.query)).toEqual({
        state: 'all',
        labels: 'bug,ui',
        per_page: '30',
        page: '1',
      });
      expectHeaders(list.headers);

      await ok(c, 'get_issue', { owner: 'nodejs', repo: 'node', issue_number: 7 });
      expect(mock.last('/github/repos/nodejs/node/issues/7').method).toBe('GET');
      expect(await fails(c, 'get_issue', { issue_number: 404 })).toContain('HTTP 404');
      expect(await fails(c, 'get_issue', { owner: '..', issue_number: 1 })).toBeTruthy();
    });
  });

  it('creates issues, searches repositories and triggers a workflow_dispatch', async () => {
    await withClient('github', env(), async (c) => {
      expect(
        await ok(c, 'create_issue', { title: 'Crash on start', body: 'Steps…', labels: ['bug'] }),
      ).toEqual({
        number: 43,
        html_url: 'https://github.com/octocat/hello-world/issues/43',
      });
      const created = mock.last('/github/repos/octocat/hello-world/issues');
      expect(created.method).toBe('POST');
      expect(created.headers['content-type']).toBe('application/json');
      expectHeaders(created.headers);
      expect(JSON.parse(created.body)).toEqual({ title: 'Crash on start', body: 'Steps…', labels: ['bug'] });

      await ok(c, 'search_repositories', { q: 'mcp language:typescript', sort: 'stars' });
      expect(mock.last('/github/search/repositories').url).toBe(
        '/github/search/repositories?q=mcp+language%3Atypescript&sort=stars&order=desc&per_page=30&page=1',
      );

      const dispatched = await c.callTool({
        name: 'trigger_workflow',
        arguments: { workflow_id: 'deploy.yml', ref: 'main', inputs: { environment: 'staging' } },
      });
      expect(dispatched.isError).toBeFalsy();
      const dispatch = mock.last('/github/repos/octocat/hello-world/actions/workflows/deploy.yml/dispatches');
      expect(dispatch.method).toBe('POST');
      expectHeaders(dispatch.headers);
      expect(JSON.parse(dispatch.body)).toEqual({ ref: 'main', inputs: { environment: 'staging' } });
    });
  });
});

describe('jira', () => {
  const env = () => ({
    JIRA_BASE_URL: `${mock.url}/jira`,
    JIRA_EMAIL: 'ops@example.com',
    JIRA_API_TOKEN: 'jira-token',
  });

  it('searches with JQL and reads an issue with basic auth', async () => {
    await withClient('jira', env(), async (c) => {
      expect(
        await ok(c, 'search_issues', { jql: 'project = OPS AND status != Done', maxResults: 5 }),
      ).toEqual({
        issues: [{ key: 'OPS-1' }],
        isLast: true,
      });
      const search = mock.last('/jira/rest/api/3/search/jql');
      expect(search.method).toBe('GET');
      expect(search.headers.authorization).toBe(JIRA_BASIC);
      expect(Object.fromEntries(search.query)).toEqual({
        jql: 'project = OPS AND status != Done',
        maxResults: '5',
        fields: 'summary,status,assignee,reporter,priority,issuetype,labels,created,updated',
      });
      await ok(c, 'get_issue', { issueKey: 'OPS-1', fields: 'summary' });
      expect(mock.last('/jira/rest/api/3/issue/OPS-1').url).toBe(
        '/jira/rest/api/3/issue/OPS-1?fields=summary',
      );
      await fails(c, 'get_issue', { issueKey: '../../admin' });
    });
  });

  it('creates an issue with an Atlassian Document Format description', async () => {
    await withClient('jira', env(), async (c) => {
      expect(
        await ok(c, 'create_issue', {
          summary: 'Disk full on db-1',
          description: 'Line one\nline two\n\nSecond paragraph',
          labels: ['ops'],
        }),
      ).toEqual({ id: '10042', key: 'OPS-42', url: `${mock.url}/jira/browse/OPS-42` });
      const req = mock.last('/jira/rest/api/3/issue');
      expect(req.method).toBe('POST');
      expect(req.headers.authorization).toBe(JIRA_BASIC);
      expect(req.headers['content-type']).toBe('application/json');
      expect(JSON.parse(req.body)).toEqual({
        fields: {
          project: { key: 'OPS' },
          summary: 'Disk full on db-1',
          issuetype: { name: 'Task' },
          labels: ['ops'],
          description: {
            type: 'doc',
            version: 1,
            content: [
              {
                type: 'paragraph',
                content: [
                  { type: 'text', text: 'Line one' },
                  { type: 'hardBreak' },
                  { type: 'text', text: 'line two' },
                ],
              },
              { type: 'paragraph', content: [{ type: 'text', text: 'Second paragraph' }] },
            ],
          },
        },
      });
      expect(await fails(c, 'create_issue', { summary: 'invalid' })).toContain(
        'HTTP 400: issuetype: Specify a valid issue type',
      );
    });
    await withClient('jira', { JIRA_EMAIL: 'a', JIRA_API_TOKEN: 'b' }, async (c) => {
      expect(await fails(c, 'create_issue', { summary: 'x' })).toContain('JIRA_BASE_URL is not set');
      expect(await fails(c, 'search_issues', { jql: 'x' })).toContain('JIRA_BASE_URL is not set');
    });
  });
});

describe('ci-trigger (GitLab)', () => {
  const env = () => ({
    GITLAB_API_URL: `${mock.url}/gitlab/api/v4`,
    GITLAB_TRIGGER_TOKEN: 'trigger-token',
    GITLAB_TOKEN: 'gitlab-pat',
  });

  it('triggers a pipeline with token, ref and variables as a form body (token not in the URL)', async () => {
    await withClient('ci-trigger', env(), async (c) => {
      expect(
        await ok(c, 'trigger_pipeline', { variables: { DEPLOY_ENV: 'staging', DRY_RUN: true } }),
      ).toMatchObject({
        id: 99,
        status: 'created',
        web_url: 'https://gitlab/p/99',
      });
      const req = mock.last('/gitlab/api/v4/projects/');
      expect(req.method).toBe('POST');
      expect(req.url).toBe('/gitlab/api/v4/projects/group%2Fapp/trigger/pipeline');
      expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect([...new URLSearchParams(req.body)]).toEqual([
        ['token', 'trigger-token'],
        ['ref', 'main'],
        ['variables[DEPLOY_ENV]', 'staging'],
        ['variables[DRY_RUN]', 'true'],
      ]);
      const before = mock.seen.length;
      expect(await fails(c, 'trigger_pipeline', { variables: { 'bad-name': 'x' } })).toContain(
        'invalid CI variable name',
      );
      expect(mock.seen.length).toBe(before);
    });
  });

  it('reads a pipeline with the PRIVATE-TOKEN header', async () => {
    await withClient('ci-trigger', env(), async (c) => {
      expect(await ok(c, 'get_pipeline', { pipeline_id: 99 })).toEqual({ id: 99, status: 'running' });
      const req = mock.last('/gitlab/api/v4/projects/group%2Fapp/pipelines/99');
      expect(req.method).toBe('GET');
      expect(req.headers['private-token']).toBe('gitlab-pat');
    });
  });
});
