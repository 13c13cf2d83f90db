/**
 * `ci-trigger`: GitLab CI pipeline triggers. trigger_pipeline calls `POST /projects/:id/trigger/pipeline` with a
 * pipeline trigger token, the ref and `variables[KEY]=value` as a form body (the token never goes into the URL);
 * get_pipeline reads the pipeline's status with an access token.
 */
import { defaultOrRequired, describeServer, patternVariable, READ_BODY_SOURCE } from './common.js';
import type { TemplateDefinition, TemplateEnvVar } from './types.js';

const PROJECT = /^(?:[0-9]{1,12}|[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+){1,20})$/;
const REF = /^[^\s~^:?*[\\]{1,255}$/;

const TRIGGER_SOURCE = `const baseText = (process.env.GITLAB_API_URL || 'https://gitlab.com/api/v4').replace(/\\/+$/, '');
let url: URL;
try {
  url = new URL(baseText + '/projects/' + encodeURIComponent(args.project) + '/trigger/pipeline');
} catch {
  throw new Error('GITLAB_API_URL is not a valid URL');
}
${READ_BODY_SOURCE}const form = new URLSearchParams();
form.set('token', ctx.env('GITLAB_TRIGGER_TOKEN'));
form.set('ref', args.ref);
for (const [key, value] of Object.entries(args.variables ?? {})) {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,254}$/.test(key)) throw new Error('invalid CI variable name: ' + JSON.stringify(key));
  if (value === undefined || value === null) continue;
  form.set('variables[' + key + ']', typeof value === 'object' ? JSON.stringify(value) : String(value));
}
const res = await send(url, {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
  body: form,
});
const data = await readBody(res);
if (!res.ok) throw new Error('GitLab refused the trigger: HTTP ' + res.status + (data === '' ? '' : ': ' + excerpt(data)));
const p = data as { id?: number; iid?: number; status?: string; ref?: string; sha?: string; web_url?: string; created_at?: string };
return { id: p.id, iid: p.iid, status: p.status, ref: p.ref, sha: p.sha, web_url: p.web_url, created_at: p.created_at };`;

const environment = (): TemplateEnvVar[] => [
  {
    name: 'GITLAB_TRIGGER_TOKEN',
    description: 'pipeline trigger token (project Settings > CI/CD > Pipeline trigger tokens)',
    required: true,
    secret: true,
  },
  {
    name: 'GITLAB_TOKEN',
    description: 'access token with read_api, for get_pipeline',
    required: false,
    secret: true,
  },
  {
    name: 'GITLAB_API_URL',
    description: 'API base URL (default https://gitlab.com/api/v4; self-managed: https://HOST/api/v4)',
    required: false,
  },
];

export const ciTriggerTemplate: TemplateDefinition = {
  name: 'ci-trigger',
  title: 'CI pipeline trigger (GitLab)',
  category: 'devops',
  description:
    'Start GitLab CI pipelines with a pipeline trigger token (POST /projects/:id/trigger/pipeline with token, ref and variables) and read their status.',
  variables: [
    patternVariable(
      'project',
      'Default project: numeric id or full path such as group/app.',
      PROJECT,
      'a project id such as 1234 or a path such as group/app',
    ),
    patternVariable('ref', 'Default branch or tag to run.', REF, 'a branch or tag name such as main', 'main'),
  ],
  environment,
  build(vars, serverName) {
    const project = {
      type: 'string' as const,
      pattern: PROJECT.source,
      description: 'Project id or full path (group/app).',
      ...defaultOrRequired(vars.project),
    };
    return {
      name: serverName,
      version: '0.1.0',
      title: 'CI trigger',
      description: describeServer(
        'Triggers GitLab CI pipelines and reports their status. trigger_pipeline needs a pipeline trigger token; get_pipeline an access token.',
        environment(),
      ),
      connections: [
        {
          name: 'gitlab',
          type: 'http',
          baseUrl: 'https://gitlab.com/api/v4',
          baseUrlEnv: 'GITLAB_API_URL',
          auth: { type: 'api_key', in: 'header', name: 'PRIVATE-TOKEN', envVar: 'GITLAB_TOKEN' },
        },
      ],
      tools: [
        {
          name: 'trigger_pipeline',
          title: 'Trigger a pipeline',
          description:
            'Start a CI pipeline on a branch or tag, passing CI/CD variables. Returns the pipeline id, status and web_url.',
          parameters: {
            project,
            ref: {
              type: 'string',
              pattern: REF.source,
              default: vars.ref ?? 'main',
              description: 'Branch or tag to run the pipeline on.',
            },
            variables: { type: 'object', description: 'CI/CD variables, e.g. { "DEPLOY_ENV": "staging" }.' },
          },
          annotations: { readOnly: false, destructive: false, idempotent: false, openWorld: true },
          code: { source: TRIGGER_SOURCE },
          examples: [
            {
              arguments: { project: vars.project ?? 'group/app', variables: { DEPLOY: 'staging' } },
              skip: true,
            },
          ],
        },
        {
          name: 'get_pipeline',
          title: 'Get a pipeline',
          description:
            'Status and details of one pipeline (status, ref, sha, web_url, timings). Needs GITLAB_TOKEN.',
          parameters: {
            project,
            pipeline_id: {
              type: 'integer',
              required: true,
              minimum: 1,
              description: 'Pipeline id from trigger_pipeline.',
            },
          },
          annotations: { readOnly: true, idempotent: true, openWorld: true },
          http: { connection: 'gitlab', path: '/projects/{{project}}/pipelines/{{pipeline_id}}' },
          examples: [{ arguments: { project: vars.project ?? 'group/app', pipeline_id: 1 }, skip: true }],
        },
      ],
    };
  },
};
