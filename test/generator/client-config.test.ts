/**
 * Where a generated project says which environment variables are needed: the HTTP transport's own key
 * (`auth.envVar`) only where HTTP is served (server.json remote header, docker run, README "over HTTP"),
 * never in the stdio launches (server.json package, .mcpb manifest, client snippets), which also select
 * stdio explicitly when the spec's default transport is HTTP.
 */
import { describe, expect, it } from 'vitest';
import { generateProject } from '../../src/build/generator/index.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { runtimeFiles } from '../../src/platform/factory-files.js';

const options = { runtimeFiles: runtimeFiles(), dependencyVersions: {}, generatorVersion: '0.0.0-test' };

function project(extra: Record<string, unknown>) {
  const result = validateSpec({
    name: 'posts-mcp',
    version: '1.2.3',
    connections: [
      {
        name: 'posts',
        type: 'http',
        baseUrl: 'https://api.example.com',
        auth: { type: 'bearer', envVar: 'POSTS_TOKEN' },
      },
    ],
    tools: [
      {
        name: 'list_posts',
        description: 'List posts',
        http: { connection: 'posts', method: 'GET', path: '/posts' },
      },
    ],
    ...extra,
  });
  expect(result.issues).toEqual([]);
  return generateProject(result.spec!, options).files;
}

// biome-ignore lint/suspicious/noExplicitAny: generated JSON documents, checked by the assertions
const json = (text: string | undefined): any => JSON.parse(text!);

describe('the HTTP-only key of a server with auth', () => {
  const files = project({
    transport: 'http',
    http: { path: '/api/mcp' },
    auth: { type: 'bearer', envVar: 'SERVER_TOKEN' },
  });

  it('server.json: the stdio package needs only the upstream secret; the remote asks for the header', () => {
    const doc = json(files['server.json']);
    const pkg = doc.packages[0];
    expect(pkg.transport).toEqual({ type: 'stdio' });
    expect(pkg.environmentVariables.map((e: { name: string }) => e.name)).toEqual(['POSTS_TOKEN']);
    expect(pkg.environmentVariables[0]).toMatchObject({ isRequired: true, isSecret: true });
    // The spec's default transport is HTTP: the stdio package selects stdio itself.
    expect(pkg.packageArguments).toEqual([{ type: 'named', name: '--transport', value: 'stdio' }]);
    expect(doc.remotes).toHaveLength(1);
    expect(doc.remotes[0]).toMatchObject({
      type: 'streamable-http',
      url: 'https://{host}/api/mcp',
      variables: { host: { isRequired: true } },
      headers: [{ name: 'Authorization', isRequired: true, isSecret: true }],
    });
    expect(doc.remotes[0].headers[0].description).toContain('SERVER_TOKEN');
  });

  it('manifest.json (.mcpb, started over stdio) leaves the key out', () => {
    const manifest = json(files['manifest.json']);
    expect(Object.keys(manifest.server.mcp_config.env)).toEqual(['POSTS_TOKEN']);
    expect(Object.keys(manifest.user_config)).toEqual(['posts_token']);
    expect(manifest.server.mcp_config.args).toEqual(['${__dirname}/dist/server.mjs', '--transport', 'stdio']);
  });

  it('README: stdio snippets without the key, docker run (HTTP) with it, the table says "over HTTP"', () => {
    const readme = files['README.md']!;
    const snippet = json(/```json\n([\s\S]*?)\n```/.exec(readme)![1]);
    expect(snippet.mcpServers['posts-mcp']).toEqual({
      command: 'node',
      args: ['/absolute/path/to/posts-mcp/dist/server.mjs', '--transport', 'stdio'],
      env: { POSTS_TOKEN: '<POSTS_TOKEN>' },
    });
    expect(readme).toMatch(/docker run [^\n]*-e POSTS_TOKEN -e SERVER_TOKEN/);
    expect(readme).toContain(
      '| `SERVER_TOKEN` | bearer token clients must present over HTTP | over HTTP | yes |',
    );
    expect(readme).toContain('| `POSTS_TOKEN` | bearer token for posts | yes | yes |');
    expect(files['.env.example']).toContain('over HTTP (required over HTTP)\nSERVER_TOKEN=');
  });
});

describe('without HTTP auth, or with the key shared', () => {
  it('a stdio-default server gets no transport argument and a remote without headers', () => {
    const files = project({});
    const doc = json(files['server.json']);
    expect(doc.packages[0]).not.toHaveProperty('packageArguments');
    expect(doc.remotes).toEqual([
      expect.objectContaining({ type: 'streamable-http', url: 'https://{host}/mcp' }),
    ]);
    expect(doc.remotes[0]).not.toHaveProperty('headers');
    expect(json(files['manifest.json']).server.mcp_config.args).toEqual(['${__dirname}/dist/server.mjs']);
  });

  it('a variable the tools read too stays required for stdio', () => {
    const files = project({ auth: { type: 'api_key', header: 'X-Key', envVar: 'POSTS_TOKEN' } });
    const doc = json(files['server.json']);
    expect(doc.packages[0].environmentVariables).toEqual([
      expect.objectContaining({ name: 'POSTS_TOKEN', isRequired: true }),
    ]);
    expect(doc.remotes[0].headers).toEqual([expect.objectContaining({ name: 'X-Key', isSecret: true })]);
  });
});
