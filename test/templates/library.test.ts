/** The template library without building anything: listing, instantiation, validation and the documented errors. */
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, FactoryError } from '../../src/core/errors/index.js';
import { validateSpec } from '../../src/core/spec/index.js';
import {
  instantiateTemplate,
  listTemplates,
  resolveVariables,
  TEMPLATES,
  type TemplateDefinition,
} from '../../src/sources/templates/index.js';
import { valueProblem } from '../../src/sources/templates/variables.js';
import { REPRESENTATIVE } from './helpers.js';

const EXPECTED = [
  'postgres',
  'mysql',
  'rest-api',
  'graphql',
  'filesystem',
  'slack',
  'email',
  'webhook',
  'github',
  'jira',
  'ci-trigger',
  'embeddings',
  'vector-search',
  'custom',
];

function error(fn: () => unknown): FactoryError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FactoryError);
    return e as FactoryError;
  }
  throw new Error('expected a FactoryError');
}

describe('listing', () => {
  it('has the seed list, each with metadata, valid defaults and documented environment', () => {
    expect(TEMPLATES.map((t) => t.name)).toEqual(EXPECTED);
    const list = listTemplates();
    expect(list.map((t) => t.name)).toEqual(EXPECTED);
    expect(JSON.parse(JSON.stringify(list))).toEqual(list);
    for (const t of TEMPLATES) {
      expect(t.title.length, t.name).toBeGreaterThan(3);
      expect(t.description.length, t.name).toBeGreaterThan(20);
      expect(['database', 'api', 'files', 'messaging', 'devops', 'ai', 'starter']).toContain(t.category);
      expect(new Set(t.variables.map((v) => v.name)).size).toBe(t.variables.length);
      for (const v of t.variables) {
        expect(v.description.length, `${t.name}.${v.name}`).toBeGreaterThan(5);
        if (v.default !== undefined)
          expect(valueProblem(v, v.default), `${t.name}.${v.name}`).toBeUndefined();
      }
    }
    const github = list.find((t) => t.name === 'github')!;
    expect(github.environment.map((e) => e.name)).toEqual(['GITHUB_TOKEN', 'GITHUB_API_URL']);
    expect(github.variables.find((v) => v.name === 'readOnly')).toMatchObject({
      default: 'false',
      enum: ['true', 'false'],
    });
  });
});

describe.each(TEMPLATES.map((t) => [t.name, t] as const))('%s', (name, template: TemplateDefinition) => {
  it('instantiates with defaults into a valid spec that documents its environment', () => {
    const spec = instantiateTemplate(name, { name: 'my-server' });
    const result = validateSpec(spec);
    expect(result.issues).toEqual([]);
    expect(result.spec!.name).toBe('my-server');
    expect(result.spec!.tools.length).toBeGreaterThan(0);
    for (const env of template.environment(resolveVariables(template, {})))
      expect(result.spec!.description, env.name).toContain(env.name);
    for (const tool of result.spec!.tools) {
      expect(tool.annotations, `${tool.name} annotations`).toBeDefined();
      expect(tool.annotations?.readOnly !== undefined || tool.annotations?.destructive !== undefined).toBe(
        true,
      );
    }
  });

  it('instantiates with representative --set values', () => {
    const result = validateSpec(instantiateTemplate(name, { name: 'my-server', set: REPRESENTATIVE[name]! }));
    expect(result.issues).toEqual([]);
  });

  it('instantiates with every allowed value of every enum variable', () => {
    for (const v of template.variables.filter((x) => x.enum))
      for (const value of v.enum!) {
        const result = validateSpec(
          instantiateTemplate(name, { name: 'my-server', set: { [v.name]: value } }),
        );
        expect(result.issues, `${v.name}=${value}`).toEqual([]);
      }
  });
});

describe('variables change the spec', () => {
  const tools = (name: string, set: Record<string, string> = {}) =>
    validateSpec(instantiateTemplate(name, { name: 'x', set })).spec!.tools.map((t) => t.name);

  it('readOnly / writable toggle the write tools', () => {
    expect(tools('postgres')).toEqual(['query', 'list_tables', 'describe_table']);
    expect(tools('postgres', { readOnly: 'false' })).toEqual([
      'query',
      'list_tables',
      'describe_table',
      'execute',
    ]);
    expect(tools('filesystem')).toEqual(['list_directory', 'read_file', 'search_files']);
    expect(tools('filesystem', { writable: 'true' })).toContain('write_file');
    expect(tools('rest-api')).toEqual(['get', 'post', 'put', 'delete']);
    expect(tools('rest-api', { readOnly: 'true' })).toEqual(['get']);
    expect(tools('github')).toEqual([
      'list_issues',
      'get_issue',
      'create_issue',
      'search_repositories',
      'trigger_workflow',
    ]);
    expect(tools('github', { readOnly: 'true' })).toEqual([
      'list_issues',
      'get_issue',
      'search_repositories',
    ]);
    expect(tools('slack', { readOnly: 'true' })).toEqual(['list_channels', 'get_channel_history']);
    expect(tools('jira', { readOnly: 'true' })).toEqual(['search_issues', 'get_issue']);
    expect(tools('vector-search', { readOnly: 'true' })).toEqual([
      'list_collections',
      'get_collection',
      'search_points',
    ]);
    const write = validateSpec(instantiateTemplate('filesystem', { name: 'x', set: { writable: 'true' } }))
      .spec!.tools[3]!;
    expect(write.annotations).toMatchObject({ destructive: true, readOnly: false });
  });

  it('connections follow the variables; credentials are only environment references', () => {
    const pg = validateSpec(instantiateTemplate('postgres', { name: 'x', set: { envVar: 'PG_URL' } })).spec!;
    expect(pg.connections).toEqual([{ name: 'db', type: 'postgresql', envVar: 'PG_URL', readOnly: true }]);
    const gh = validateSpec(instantiateTemplate('github', { name: 'x' })).spec!;
    expect(gh.connections[0]).toMatchObject({
      baseUrl: 'https://api.github.com',
      baseUrlEnv: 'GITHUB_API_URL',
      auth: { type: 'bearer', envVar: 'GITHUB_TOKEN' },
      headers: { Accept: 'application/vnd.github+json', 'X-GitHub-Api-Version': '2022-11-28' },
    });
    const owner = gh.tools[0]!.parameters.owner!;
    expect(owner.required).toBe(true);
    const withRepo = validateSpec(
      instantiateTemplate('github', { name: 'x', set: { owner: 'octocat', repo: 'hello' } }),
    ).spec!;
    expect(withRepo.tools[0]!.parameters.owner).toMatchObject({ default: 'octocat' });
    const qdrant = validateSpec(instantiateTemplate('vector-search', { name: 'x', set: { auth: 'api_key' } }))
      .spec!;
    expect(qdrant.connections[0]).toMatchObject({
      auth: { type: 'api_key', in: 'header', name: 'api-key', envVar: 'QDRANT_API_KEY' },
    });
  });

  it('variable values reach generated code only as JSON literals', () => {
    const root = `/tmp/a"b'c\`d\${process.exit(1)}`;
    const spec = validateSpec(instantiateTemplate('filesystem', { name: 'x', set: { root } })).spec!;
    expect(spec.tools[0]!.code!.source).toContain(`|| ${JSON.stringify(root)};`);
  });
});

describe('errors', () => {
  it('an unknown template is TEMPLATE_NOT_FOUND with the names and a suggestion', () => {
    const e = error(() => instantiateTemplate('postgress', { name: 'x' }));
    expect(e.code).toBe('TEMPLATE_NOT_FOUND');
    expect(e.message).toContain('did you mean "postgres"');
    for (const name of EXPECTED) expect(e.message).toContain(name);
    expect(e.details).toMatchObject({ templates: EXPECTED, suggestion: 'postgres' });
    expect(e.isUserError).toBe(true);
    const plain = error(() => instantiateTemplate('kubernetes', { name: 'x' }));
    expect(plain.message).not.toContain('did you mean');
  });

  it('an unknown --set key is TEMPLATE_INVALID_VARIABLE naming the variables', () => {
    const e = error(() => instantiateTemplate('postgres', { name: 'x', set: { readonly: 'true' } }));
    expect(e.code).toBe('TEMPLATE_INVALID_VARIABLE');
    expect(e.message).toBe('template "postgres" has no variable "readonly"');
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0]).toMatchObject({ path: 'set.readonly', code: 'TEMPLATE_INVALID_VARIABLE' });
    expect(e.issues[0]!.hint).toBe(
      'Did you mean "readOnly"? Its variables are: envVar, readOnly, maxRows, timeoutMs.',
    );
    const custom = error(() => instantiateTemplate('custom', { name: 'x', set: { greeting: 'hi' } }));
    expect(custom.issues[0]!.hint).toContain('takes no variables');
  });

  it('a value outside the enum names the allowed values and how to pass them', () => {
    const e = error(() => instantiateTemplate('filesystem', { name: 'x', set: { writable: 'yes' } }));
    expect(e.code).toBe('TEMPLATE_INVALID_VARIABLE');
    expect(e.message).toBe(
      'variable "writable" of template "filesystem": "yes" is not allowed; allowed values: true, false',
    );
    expect(e.issues[0]!.hint).toBe('Use one of: --set writable=true, --set writable=false.');
  });

  it('malformed values say what a valid one looks like', () => {
    const env = error(() => instantiateTemplate('postgres', { name: 'x', set: { envVar: 'database-url' } }));
    expect(env.message).toContain('is not an upper-case environment variable name');
    expect(env.issues[0]!.hint).toContain(
      '--set envVar=DATABASE_URL (an upper-case environment variable name',
    );
    const url = error(() =>
      instantiateTemplate('rest-api', { name: 'x', set: { baseUrl: 'https://user:secret@api.example.com' } }),
    );
    expect(url.message).toContain('must not contain credentials');
    expect(
      error(() => instantiateTemplate('rest-api', { name: 'x', set: { baseUrl: 'ftp://x' } })).message,
    ).toContain('must use http or https');
    expect(
      error(() => instantiateTemplate('postgres', { name: 'x', set: { maxRows: '0' } })).message,
    ).toContain('is not an integer from 1 to 100000');
    expect(
      error(() => instantiateTemplate('github', { name: 'x', set: { owner: '-bad-' } })).message,
    ).toContain('does not look like a GitHub user or organisation name');
    expect(
      error(() => instantiateTemplate('slack', { name: 'x', set: { defaultChannel: '' } })).message,
    ).toContain('is empty');
    expect(
      error(() => instantiateTemplate('filesystem', { name: 'x', set: { root: '/tmp/a\nb' } })).message,
    ).toContain('control characters');
  });

  it('reports every problem at once', () => {
    const e = error(() =>
      instantiateTemplate('rest-api', { name: 'x', set: { auth: 'oauth', bogus: '1', baseUrlEnv: 'lower' } }),
    );
    expect(e.issues.map((i) => i.path).sort()).toEqual(['set.auth', 'set.baseUrlEnv', 'set.bogus']);
    expect(e.message).toContain('(and 2 more problem(s))');
  });

  it('a required variable without a value is reported with how to set it', () => {
    const synthetic: TemplateDefinition = {
      name: 'synthetic',
      title: 'Synthetic',
      category: 'starter',
      description: 'test only',
      variables: [{ name: 'region', description: 'Cloud region', required: true, enum: ['eu', 'us'] }],
      environment: () => [],
      build: () => ({ name: 'x' }),
    };
    const e = error(() => resolveVariables(synthetic, {}));
    expect(e.code).toBe('TEMPLATE_INVALID_VARIABLE');
    expect(e.message).toBe('template "synthetic" needs variable "region" (Cloud region)');
    expect(e.issues[0]!.hint).toBe('Pass --set region=eu.');
    expect(resolveVariables(synthetic, { region: 'us' })).toEqual({ region: 'us' });
  });

  it('an invalid server name is SPEC_INVALID_NAME', () => {
    const e = error(() => instantiateTemplate('custom', { name: 'My Server' }));
    expect(e.code).toBe('SPEC_INVALID_NAME');
    expect(e.issues[0]!.hint).toContain('lower-case');
  });

  it('the codes are documented', () => {
    expect(ERROR_CODES.TEMPLATE_NOT_FOUND.kind).toBe('user');
    expect(ERROR_CODES.TEMPLATE_INVALID_VARIABLE.kind).toBe('user');
  });
});
