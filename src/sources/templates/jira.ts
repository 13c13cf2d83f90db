/** `jira`: Jira Cloud REST API v3 — JQL search, get and create issues — with basic auth (email + API token). */
import {
  defaultOrRequired,
  describeServer,
  flag,
  flagVariable,
  lit,
  patternVariable,
  READ_BODY_SOURCE,
  urlVariable,
} from './common.js';
import type { TemplateDefinition, TemplateEnvVar, TemplateVars, ToolInput } from './types.js';

const PROJECT_KEY = /^[A-Z][A-Z0-9_]{1,49}$/;
const ISSUE_KEY = '^[A-Z][A-Z0-9_]{1,49}-[0-9]{1,12}$';
const DEFAULT_FIELDS = 'summary,status,assignee,reporter,priority,issuetype,labels,created,updated';

/** Creates an issue; the description is turned into Atlassian Document Format (paragraphs and line breaks). */
function createSource(vars: TemplateVars): string {
  return `const baseText = process.env.JIRA_BASE_URL || ${lit(vars.baseUrl ?? '')};
if (!baseText) throw new Error('environment variable JIRA_BASE_URL is not set; set it to your site, e.g. https://your-company.atlassian.net');
const base = baseText.endsWith('/') ? baseText : baseText + '/';
let url: URL;
try {
  url = new URL('rest/api/3/issue', base);
} catch {
  throw new Error('JIRA_BASE_URL is not a valid URL');
}
${READ_BODY_SOURCE}const credentials = Buffer.from(ctx.env('JIRA_EMAIL') + ':' + ctx.env('JIRA_API_TOKEN')).toString('base64');
const paragraphs = (args.description ?? '')
  .split(/\\r?\\n\\s*\\r?\\n/)
  .map((p) => p.replace(/^\\s+|\\s+$/g, ''))
  .filter((p) => p !== '')
  .map((p) => ({
    type: 'paragraph',
    content: p.split(/\\r?\\n/).flatMap((line, i) => [
      ...(i > 0 ? [{ type: 'hardBreak' }] : []),
      ...(line === '' ? [] : [{ type: 'text', text: line }]),
    ]),
  }));
const fields: Record<string, unknown> = {
  project: { key: args.projectKey },
  summary: args.summary,
  issuetype: { name: args.issueType },
  ...(paragraphs.length ? { description: { type: 'doc', version: 1, content: paragraphs } } : {}),
  ...(args.labels?.length ? { labels: args.labels } : {}),
};
const res = await send(url, {
  method: 'POST',
  headers: { authorization: 'Basic ' + credentials, accept: 'application/json', 'content-type': 'application/json' },
  body: JSON.stringify({ fields }),
});
const data = await readBody(res);
if (!res.ok) {
  const problem = data as { errorMessages?: string[]; errors?: Record<string, string> };
  const messages = [...(problem?.errorMessages ?? []), ...Object.entries(problem?.errors ?? {}).map(([k, v]) => k + ': ' + v)];
  throw new Error('Jira refused the issue: HTTP ' + res.status + (messages.length ? ': ' + messages.join('; ') : data === '' ? '' : ': ' + excerpt(data)));
}
const created = data as { id?: string; key?: string; self?: string };
return { id: created.id, key: created.key, url: new URL('browse/' + encodeURIComponent(String(created.key)), base).href };`;
}

const environment = (vars: TemplateVars): TemplateEnvVar[] => [
  {
    name: 'JIRA_BASE_URL',
    description: `Jira site URL, e.g. https://your-company.atlassian.net${vars.baseUrl ? ` (default ${vars.baseUrl})` : ''}`,
    required: !vars.baseUrl,
  },
  { name: 'JIRA_EMAIL', description: 'Atlassian account email', required: true, secret: true },
  {
    name: 'JIRA_API_TOKEN',
    description: 'API token from https://id.atlassian.com/manage-profile/security/api-tokens',
    required: true,
    secret: true,
  },
];

export const jiraTemplate: TemplateDefinition = {
  name: 'jira',
  title: 'Jira',
  category: 'devops',
  description:
    'Search issues with JQL, read and create issues through the Jira Cloud REST API v3 (JIRA_BASE_URL, JIRA_EMAIL, JIRA_API_TOKEN).',
  variables: [
    urlVariable('baseUrl', 'Default site URL (JIRA_BASE_URL overrides it).'),
    patternVariable(
      'projectKey',
      'Default project key for create_issue.',
      PROJECT_KEY,
      'a project key such as OPS',
    ),
    {
      name: 'issueType',
      description: 'Default issue type for create_issue.',
      default: 'Task',
      format: 'an issue type name such as Task, Bug or Story',
      validate: (v) => (v.length <= 60 ? undefined : 'is longer than 60 characters'),
    },
    flagVariable('readOnly', 'Leave out create_issue.', false),
  ],
  environment,
  build(vars, serverName) {
    const fields = {
      type: 'string' as const,
      default: DEFAULT_FIELDS,
      maxLength: 2000,
      description: 'Comma-separated fields to return (*all for every field).',
    };
    const tools: ToolInput[] = [
      {
        name: 'search_issues',
        title: 'Search issues (JQL)',
        description:
          'Find issues with JQL, e.g. project = OPS AND status != Done ORDER BY updated DESC. Returns issues and nextPageToken when there are more.',
        parameters: {
          jql: { type: 'string', required: true, minLength: 1, maxLength: 10_000 },
          maxResults: { type: 'integer', minimum: 1, maximum: 100, default: 25 },
          fields,
          nextPageToken: {
            type: 'string',
            maxLength: 2000,
            description: 'nextPageToken of the previous page.',
          },
        },
        annotations: { readOnly: true, idempotent: true, openWorld: true },
        http: {
          connection: 'jira',
          path: '/rest/api/3/search/jql',
          query: {
            jql: '{{jql}}',
            maxResults: '{{maxResults}}',
            fields: '{{fields}}',
            nextPageToken: '{{nextPageToken}}',
          },
        },
        examples: [{ arguments: { jql: 'assignee = currentUser() ORDER BY updated DESC' }, skip: true }],
      },
      {
        name: 'get_issue',
        title: 'Get an issue',
        description: 'One issue by key (e.g. OPS-123) with the requested fields.',
        parameters: {
          issueKey: {
            type: 'string',
            required: true,
            pattern: ISSUE_KEY,
            description: 'Issue key such as OPS-123.',
          },
          fields,
        },
        annotations: { readOnly: true, idempotent: true, openWorld: true },
        http: { connection: 'jira', path: '/rest/api/3/issue/{{issueKey}}', query: { fields: '{{fields}}' } },
        examples: [{ arguments: { issueKey: 'OPS-1' }, skip: true }],
      },
    ];
    if (!flag(vars, 'readOnly'))
      tools.push({
        name: 'create_issue',
        title: 'Create an issue',
        description:
          'Create an issue in a project. The description is plain text (blank lines separate paragraphs). Returns the new key and its browse URL.',
        parameters: {
          projectKey: {
            type: 'string',
            pattern: PROJECT_KEY.source,
            description: 'Project key such as OPS.',
            ...defaultOrRequired(vars.projectKey),
          },
          summary: { type: 'string', required: true, minLength: 1, maxLength: 255, pattern: '^[^\\r\\n]*$' },
          issueType: { type: 'string', default: vars.issueType ?? 'Task', minLength: 1, maxLength: 60 },
          description: { type: 'string', maxLength: 30_000 },
          labels: { type: 'array', items: { type: 'string', pattern: '^\\S{1,255}$' }, maxItems: 20 },
        },
        annotations: { readOnly: false, destructive: false, idempotent: false, openWorld: true },
        code: { source: createSource(vars) },
        examples: [
          {
            arguments: { projectKey: vars.projectKey ?? 'OPS', summary: 'Investigate the alert' },
            skip: true,
          },
        ],
      });
    return {
      name: serverName,
      version: '0.1.0',
      title: 'Jira',
      description: describeServer(
        `Jira issues: JQL search and issue details${flag(vars, 'readOnly') ? '' : ', and creating issues'}.`,
        environment(vars),
      ),
      connections: [
        {
          name: 'jira',
          type: 'http',
          ...(vars.baseUrl ? { baseUrl: vars.baseUrl } : {}),
          baseUrlEnv: 'JIRA_BASE_URL',
          auth: { type: 'basic', usernameEnv: 'JIRA_EMAIL', passwordEnv: 'JIRA_API_TOKEN' },
        },
      ],
      tools,
    };
  },
};
