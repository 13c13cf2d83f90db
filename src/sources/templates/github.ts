/** `github`: issues, repository search and workflow_dispatch through the GitHub REST API. */
import { defaultOrRequired, describeServer, flag, flagVariable, patternVariable } from './common.js';
import type { TemplateDefinition, TemplateEnvVar, ToolInput } from './types.js';

const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPO = /^[A-Za-z0-9._-]{1,100}$/;

const environment = (): TemplateEnvVar[] => [
  {
    name: 'GITHUB_TOKEN',
    description: 'personal access token or GitHub App token (issues read/write, actions write for workflows)',
    required: true,
    secret: true,
  },
  {
    name: 'GITHUB_API_URL',
    description: 'API base URL (default https://api.github.com; GitHub Enterprise: https://HOST/api/v3)',
    required: false,
  },
];

export const githubTemplate: TemplateDefinition = {
  name: 'github',
  title: 'GitHub',
  category: 'devops',
  description:
    'List, read and create issues, search repositories and trigger workflow_dispatch runs through the GitHub REST API (GITHUB_TOKEN).',
  variables: [
    patternVariable(
      'owner',
      'Default repository owner (user or organisation).',
      OWNER,
      'a GitHub user or organisation name',
    ),
    patternVariable('repo', 'Default repository name.', REPO, 'a repository name such as my-project'),
    flagVariable('readOnly', 'Leave out create_issue and trigger_workflow.', false),
  ],
  environment,
  build(vars, serverName) {
    const repoParams = {
      owner: {
        type: 'string' as const,
        pattern: OWNER.source,
        description: 'Repository owner (user or organisation).',
        ...defaultOrRequired(vars.owner),
      },
      repo: {
        type: 'string' as const,
        pattern: REPO.source,
        description: 'Repository name.',
        ...defaultOrRequired(vars.repo),
      },
    };
    const page = {
      per_page: { type: 'integer' as const, minimum: 1, maximum: 100, default: 30 },
      page: { type: 'integer' as const, minimum: 1, default: 1 },
    };
    const issueNumber = {
      type: 'integer' as const,
      required: true,
      minimum: 1,
      description: 'Issue number.',
    };
    const sample = { owner: vars.owner ?? 'octocat', repo: vars.repo ?? 'hello-world' };
    const tools: ToolInput[] = [
      {
        name: 'list_issues',
        title: 'List issues',
        description:
          'List issues of a repository (pull requests are included by GitHub and have a pull_request field), newest first.',
        parameters: {
          ...repoParams,
          state: { type: 'string', enum: ['open', 'closed', 'all'], default: 'open' },
          labels: {
            type: 'array',
            items: { type: 'string', maxLength: 100 },
            maxItems: 20,
            description: 'Only issues with all these labels.',
          },
          assignee: { type: 'string', maxLength: 100, description: 'A user name, "none" or "*".' },
          since: {
            type: 'string',
            format: 'date-time',
            description: 'Only issues updated at or after this time.',
          },
          ...page,
        },
        annotations: { readOnly: true, idempotent: true, openWorld: true },
        http: {
          connection: 'github',
          path: '/repos/{{owner}}/{{repo}}/issues',
          query: {
            state: '{{state}}',
            labels: { param: 'labels', style: 'form', explode: false },
            assignee: '{{assignee}}',
            since: '{{since}}',
            per_page: '{{per_page}}',
            page: '{{page}}',
          },
        },
        examples: [{ arguments: { ...sample, state: 'open' }, skip: true }],
      },
      {
        name: 'get_issue',
        title: 'Get an issue',
        description:
          'One issue (or pull request) with its title, body, state, labels, assignees and comment count.',
        parameters: { ...repoParams, issue_number: issueNumber },
        annotations: { readOnly: true, idempotent: true, openWorld: true },
        http: { connection: 'github', path: '/repos/{{owner}}/{{repo}}/issues/{{issue_number}}' },
        examples: [{ arguments: { ...sample, issue_number: 1 }, skip: true }],
      },
      {
        name: 'search_repositories',
        title: 'Search repositories',
        description:
          'Search repositories with GitHub search syntax, e.g. "mcp language:typescript stars:>100". Returns total_count and items.',
        parameters: {
          q: { type: 'string', required: true, minLength: 1, maxLength: 256, description: 'Search query.' },
          sort: { type: 'string', enum: ['stars', 'forks', 'help-wanted-issues', 'updated'] },
          order: { type: 'string', enum: ['desc', 'asc'], default: 'desc' },
          ...page,
        },
        annotations: { readOnly: true, idempotent: true, openWorld: true },
        http: {
          connection: 'github',
          path: '/search/repositories',
          query: {
            q: '{{q}}',
            sort: '{{sort}}',
            order: '{{order}}',
            per_page: '{{per_page}}',
            page: '{{page}}',
          },
        },
        examples: [{ arguments: { q: 'model context protocol' }, skip: true }],
      },
    ];
    if (!flag(vars, 'readOnly')) {
      tools.splice(2, 0, {
        name: 'create_issue',
        title: 'Create an issue',
        description: 'Open a new issue. Returns the created issue (number, html_url, …).',
        parameters: {
          ...repoParams,
          title: { type: 'string', required: true, minLength: 1, maxLength: 256 },
          body: { type: 'string', maxLength: 65_536, description: 'Markdown body.' },
          labels: { type: 'array', items: { type: 'string', maxLength: 100 }, maxItems: 20 },
          assignees: { type: 'array', items: { type: 'string', maxLength: 100 }, maxItems: 10 },
        },
        annotations: { readOnly: false, destructive: false, idempotent: false, openWorld: true },
        http: {
          connection: 'github',
          method: 'POST',
          path: '/repos/{{owner}}/{{repo}}/issues',
          body: { title: '{{title}}', body: '{{body}}', labels: '{{labels}}', assignees: '{{assignees}}' },
        },
        examples: [{ arguments: { ...sample, title: 'Found a bug' }, skip: true }],
      });
      tools.push({
        name: 'trigger_workflow',
        title: 'Trigger a workflow',
        description:
          'Start a GitHub Actions workflow that has a workflow_dispatch trigger, on a branch or tag, with optional inputs. GitHub answers 204 (no content) when the run was queued.',
        parameters: {
          ...repoParams,
          workflow_id: {
            type: 'string',
            required: true,
            pattern: '^[A-Za-z0-9._-]{1,200}$',
            description: 'Workflow file name (e.g. deploy.yml) or numeric id.',
          },
          ref: {
            type: 'string',
            required: true,
            minLength: 1,
            maxLength: 255,
            description: 'Branch or tag name.',
          },
          inputs: { type: 'object', description: 'Values of the workflow inputs (strings).' },
        },
        annotations: { readOnly: false, destructive: false, idempotent: false, openWorld: true },
        http: {
          connection: 'github',
          method: 'POST',
          path: '/repos/{{owner}}/{{repo}}/actions/workflows/{{workflow_id}}/dispatches',
          body: { ref: '{{ref}}', inputs: '{{inputs}}' },
          response: 'text',
        },
        examples: [{ arguments: { ...sample, workflow_id: 'ci.yml', ref: 'main' }, skip: true }],
      });
    }
    return {
      name: serverName,
      version: '0.1.0',
      title: 'GitHub',
      description: describeServer(
        `GitHub issues${flag(vars, 'readOnly') ? '' : ' (list, read, create)'}, repository search${
          flag(vars, 'readOnly') ? '' : ' and workflow_dispatch'
        } through the GitHub REST API${vars.owner && vars.repo ? `; default repository ${vars.owner}/${vars.repo}` : ''}.`,
        environment(),
      ),
      connections: [
        {
          name: 'github',
          type: 'http',
          baseUrl: 'https://api.github.com',
          baseUrlEnv: 'GITHUB_API_URL',
          headers: { Accept: 'application/vnd.github+json', 'X-GitHub-Api-Version': '2022-11-28' },
          auth: { type: 'bearer', envVar: 'GITHUB_TOKEN' },
        },
      ],
      tools,
    };
  },
};
