/**
 * Credentials an API declares as ordinary parameters are bound to environment variables (by name,
 * `format: password`, `x-mcp: { env }` or the credentialParams option): they leave the tool's input, go into
 * the request as `{ env }` values, and are listed in report.credentials with every other variable the server
 * reads for upstream auth.
 */
import { describe, expect, it } from 'vitest';
import { collectEnv } from '../../../src/build/generator/env.js';
import { FactoryError } from '../../../src/core/errors/index.js';
import { validateSpec } from '../../../src/core/spec/load.js';
import { isCredentialName } from '../../../src/sources/openapi/mapping/credentials.js';
import { expectValid, importDoc, oas, toolOf } from './helpers.js';

const str = { type: 'string' };
const ok = { '200': { description: 'ok' } };
const get = (operationId: string, parameters: unknown[]) => ({
  get: { operationId, parameters, responses: ok },
});

describe('credential names', () => {
  it('match the listed names case- and separator-insensitively, and nothing that merely contains them', () => {
    for (const n of [
      'token',
      'api_key',
      'API-Key',
      'apiKey',
      'X-Api-Key',
      'access_token',
      'apikey',
      'key',
      'Auth-Token',
      'x_auth_token',
      'client_secret',
      'ClientSecret',
      'password',
      'PASSWORD',
    ])
      expect(isCredentialName(n), n).toBe(true);
    for (const n of [
      'q',
      'keyword',
      'keys',
      'monkey',
      'page_token',
      'next_token',
      'tokens',
      'passwordHint',
      'username',
      'x',
      'secret_santa',
    ])
      expect(isCredentialName(n), n).toBe(false);
  });
});

describe('binding parameters to environment variables', () => {
  it('removes credential parameters from the input and sends them from the environment', async () => {
    const doc = oas({
      '/items/{key}': get('listItems', [
        { name: 'key', in: 'path', required: true, schema: str }, // a path value stays an argument
        { name: 'api_key', in: 'query', required: true, schema: str },
        { name: 'X-Auth-Token', in: 'header', schema: str },
        { name: 'session', in: 'cookie', schema: { type: 'string', format: 'password' } },
        { name: 'q', in: 'query', schema: str },
      ]),
    });
    const { spec, report } = await importDoc(doc, { dynamic: false });
    const valid = expectValid(spec);
    const tool = toolOf(spec, 'listItems');
    expect(Object.keys(tool.parameters!)).toEqual(['key', 'q']);
    expect(tool.http).toMatchObject({
      path: '/items/{{key}}',
      query: { api_key: { env: 'TEST_API_KEY' }, q: '{{q}}' },
      headers: { 'X-Auth-Token': { env: 'TEST_X_AUTH_TOKEN', optional: true } },
      cookies: { session: { env: 'TEST_SESSION', optional: true } },
    });
    expect((tool.http!.query as Record<string, unknown>).api_key).not.toHaveProperty('optional');
    const notes = report.entries
      .filter((e) => e.operation === 'GET /items/{key}')
      .map((e) => [e.severity, e.reason]);
    expect(notes).toContainEqual([
      'info',
      'query parameter "api_key" is a credential (by its name): the server reads it from the environment variable TEST_API_KEY; it is not a tool argument',
    ]);
    expect(notes.some(([, r]) => r!.includes('"session" is a credential (by format: password)'))).toBe(true);
    expect(report.credentials).toEqual([
      {
        envVar: 'TEST_API_KEY',
        connection: 'test',
        kind: 'parameter',
        in: 'query',
        name: 'api_key',
        operations: ['GET /items/{key}'],
      },
      {
        envVar: 'TEST_X_AUTH_TOKEN',
        connection: 'test',
        kind: 'parameter',
        in: 'header',
        name: 'X-Auth-Token',
        operations: ['GET /items/{key}'],
      },
      {
        envVar: 'TEST_SESSION',
        connection: 'test',
        kind: 'parameter',
        in: 'cookie',
        name: 'session',
        operations: ['GET /items/{key}'],
      },
    ]);
    // The generated server's environment lists the required one for the tool (README, .env.example).
    const env = collectEnv(valid);
    expect(env.find((e) => e.name === 'TEST_API_KEY')).toMatchObject({ secret: true, tools: ['listItems'] });
    expect(env.find((e) => e.name === 'TEST_SESSION')).toBeUndefined();
    // Dynamic mode: catalog operations carry the same request values and validate.
    const dynamic = await importDoc(doc, { dynamic: true });
    const catalogOp = expectValid(dynamic.spec).catalogs[0]!.operations[0]!;
    expect(Object.keys(catalogOp.parameters)).toEqual(['key', 'q']);
    expect(catalogOp.http.query).toMatchObject({ api_key: { env: 'TEST_API_KEY' } });
    // …and the invoke tool needs the variable (README, .env.example, server.json list it for that tool).
    const dynamicEnv = collectEnv(expectValid(dynamic.spec));
    const invoke = dynamic.spec.tools.find((t) => t.catalog?.action === 'invoke')!.name;
    expect(dynamicEnv.find((e) => e.name === 'TEST_API_KEY')).toMatchObject({
      required: true,
      secret: true,
      tools: [invoke],
    });
    expect(dynamicEnv.find((e) => e.name === 'TEST_SESSION')).toBeUndefined();
  });

  it('binds an Authorization header parameter when no security scheme sends one, and ignores it otherwise', async () => {
    const auth = { name: 'Authorization', in: 'header', required: true, schema: str };
    const bare = oas({ '/me': get('me', [auth]) });
    const { spec, report } = await importDoc(bare, { dynamic: false });
    const tool = toolOf(expectValid(spec), 'me');
    expect(tool.parameters ?? {}).toEqual({});
    expect(tool.http?.headers).toEqual({ Authorization: { env: 'TEST_AUTHORIZATION' } });
    expect(report.counts.skipped).toBe(0);
    expect(report.credentials.map((c) => c.envVar)).toContain('TEST_AUTHORIZATION');
    // With a bearer scheme the connection sends the header: the parameter stays ignored, as OpenAPI says.
    const withScheme = oas({ '/me': get('me', [auth]) });
    (withScheme as Record<string, unknown>).components = {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    };
    (withScheme as Record<string, unknown>).security = [{ bearer: [] }];
    const second = await importDoc(withScheme, { dynamic: false });
    const secondTool = toolOf(expectValid(second.spec), 'me');
    expect(secondTool.http?.headers ?? {}).not.toHaveProperty('Authorization');
    expect(second.spec.connections[0]).toMatchObject({ auth: { type: 'bearer' } });
  });

  it('honours x-mcp env and the credentialParams option, and reports what does not fit', async () => {
    const doc = oas({
      '/a': get('a', [
        { name: 'sig', in: 'query', schema: str, 'x-mcp': { env: 'ACME_SIGNATURE' } },
        { name: 'token', in: 'query', schema: str, 'x-mcp': { env: 'not a name' } },
        { name: 'Tenant', in: 'header', required: true, schema: str },
        { name: 'id', in: 'path', required: true, schema: str, 'x-mcp': { env: 'ACME_ID' } },
      ]),
    });
    doc.paths = { '/a/{id}': (doc.paths as Record<string, unknown>)['/a'] };
    const { spec, report } = await importDoc(doc, {
      dynamic: false,
      credentialParams: { tenant: 'ACME_TENANT', nothing: 'ACME_NOTHING' },
    });
    expectValid(spec);
    const tool = toolOf(spec, 'a');
    expect(Object.keys(tool.parameters!)).toEqual(['id']);
    expect(tool.http).toMatchObject({
      query: { sig: { env: 'ACME_SIGNATURE', optional: true }, token: { env: 'TEST_TOKEN', optional: true } },
      headers: { Tenant: { env: 'ACME_TENANT' } },
    });
    const reasons = report.entries.map((e) => `${e.severity}: ${e.reason}`);
    expect(reasons.some((r) => r.startsWith('warning: query parameter "token": x-mcp env'))).toBe(true);
    expect(reasons.some((r) => r.includes('"sig" is a credential (by x-mcp env)'))).toBe(true);
    expect(reasons.some((r) => r.includes('"Tenant" is a credential (by the credentialParams option)'))).toBe(
      true,
    );
    expect(reasons).toContain('warning: the credentialParams option "nothing" matches no parameter');
    expect(
      reasons.some((r) =>
        r.startsWith('warning: path parameter "id" cannot be read from an environment variable'),
      ),
    ).toBe(true);

    const bad = await importDoc(doc, {
      dynamic: false,
      credentialParams: { tenant: 'my-secret-value' },
    }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(FactoryError);
    expect((bad as FactoryError).code).toBe('OPENAPI_INVALID_OPTION');
    expect((bad as FactoryError).message).not.toContain('my-secret-value');
  });

  it('binds form and multipart credential fields, but leaves JSON bodies (a password there is data)', async () => {
    const body = (type: string, required: string[]) => ({
      required: true,
      content: {
        [type]: {
          schema: {
            type: 'object',
            required,
            properties: { client_secret: str, pin: { type: 'string', format: 'password' }, name: str },
          },
        },
      },
    });
    const doc = oas({
      '/form': {
        post: {
          operationId: 'form',
          requestBody: body('application/x-www-form-urlencoded', ['client_secret']),
          responses: ok,
        },
      },
      '/multi': {
        post: { operationId: 'multi', requestBody: body('multipart/form-data', []), responses: ok },
      },
      '/json': {
        post: {
          operationId: 'json',
          requestBody: body('application/json', ['client_secret']),
          responses: ok,
        },
      },
    });
    const { spec, report } = await importDoc(doc, { dynamic: false });
    expectValid(spec);
    expect(Object.keys(toolOf(spec, 'form').parameters!)).toEqual(['name']);
    expect(toolOf(spec, 'form').http).toMatchObject({
      bodyEncoding: 'form',
      body: {
        client_secret: { env: 'TEST_CLIENT_SECRET' },
        pin: { env: 'TEST_PIN', optional: true },
        name: '{{name}}',
      },
    });
    expect(toolOf(spec, 'multi').http!.body).toMatchObject({
      client_secret: { env: 'TEST_CLIENT_SECRET', optional: true },
    });
    expect(Object.keys(toolOf(spec, 'json').parameters!).sort()).toEqual(['client_secret', 'name', 'pin']);
    expect(report.credentials.find((c) => c.envVar === 'TEST_CLIENT_SECRET')).toEqual({
      envVar: 'TEST_CLIENT_SECRET',
      connection: 'test',
      kind: 'parameter',
      in: 'form',
      name: 'client_secret',
      operations: ['POST /form', 'POST /multi'],
    });
  });

  it('lists every variable the connection reads for auth, once each', async () => {
    const doc = oas(
      { '/a': get('a', [{ name: 'password', in: 'query', schema: str }]) },
      {
        info: { title: 'Acme', version: '1' },
        components: {
          securitySchemes: {
            basic: { type: 'http', scheme: 'basic' },
            app: { type: 'apiKey', in: 'header', name: 'X-App' },
          },
        },
        security: [{ basic: [], app: [] }],
      },
    );
    const { report } = await importDoc(doc, { dynamic: false });
    expect(report.credentials).toEqual([
      { envVar: 'ACME_X_APP', connection: 'acme', kind: 'api_key', in: 'header', name: 'X-App' },
      { envVar: 'ACME_USERNAME', connection: 'acme', kind: 'basic' },
      // The password parameter reads the same variable as basic auth: one entry.
      { envVar: 'ACME_PASSWORD', connection: 'acme', kind: 'basic' },
    ]);
  });

  it('sends a bearer token from the environment for user OAuth 2 flows and OpenID Connect', async () => {
    const code = {
      type: 'oauth2',
      flows: {
        authorizationCode: {
          authorizationUrl: 'https://id.example.com/a',
          tokenUrl: 'https://id.example.com/t',
          scopes: {},
        },
      },
    };
    for (const scheme of [
      code,
      { type: 'openIdConnect', openIdConnectUrl: 'https://id.example.com/.well-known/openid-configuration' },
    ]) {
      const { spec, report } = await importDoc(
        oas(
          { '/a': get('a', []) },
          { components: { securitySchemes: { s: scheme } }, security: [{ s: [] }] },
        ),
        { dynamic: false },
      );
      expectValid(spec);
      expect(spec.connections![0]).toMatchObject({ auth: { type: 'bearer', envVar: 'TEST_ACCESS_TOKEN' } });
      expect(report.credentials).toEqual([
        { envVar: 'TEST_ACCESS_TOKEN', connection: 'test', kind: 'oauth2' },
      ]);
      expect(
        report.entries.some((e) => e.severity === 'warning' && e.reason.includes('needs a user to sign in')),
      ).toBe(true);
      // The operation is satisfied: no per-operation warning.
      expect(report.entries.filter((e) => e.operation === 'GET /a' && e.severity === 'warning')).toEqual([]);
    }
    // A scheme usable without a user wins over one that needs a user, whatever the counts.
    const mixed = await importDoc(
      oas(
        {
          '/a': get('a', []),
          '/b': get('b', []),
          '/c': { get: { operationId: 'c', security: [{ key: [] }], responses: ok } },
        },
        {
          components: { securitySchemes: { s: code, key: { type: 'apiKey', in: 'header', name: 'X-Key' } } },
          security: [{ s: [] }],
        },
      ),
      { dynamic: false },
    );
    expect(mixed.spec.connections![0]).toMatchObject({ auth: { type: 'api_key', name: 'X-Key' } });
  });
});

describe('the spec extension', () => {
  const base = {
    name: 'x',
    connections: [{ name: 'api', type: 'http', baseUrlEnv: 'API_BASE_URL' }],
  };
  const tool = (http: Record<string, unknown>) => ({
    ...base,
    tools: [{ name: 't', description: 'd', http: { connection: 'api', path: '/x', ...http } }],
  });

  it('accepts { env } request values and rejects invalid variable names', () => {
    expect(
      validateSpec(
        tool({
          query: { k: { env: 'API_KEY' } },
          headers: { 'X-K': { env: 'K', optional: true } },
          cookies: { c: { env: 'C' } },
        }),
      ).ok,
    ).toBe(true);
    expect(
      validateSpec(tool({ bodyEncoding: 'form', method: 'POST', body: { secret: { env: 'S' } } })).ok,
    ).toBe(true);
    for (const bad of [
      { query: { k: { env: 'lower' } } },
      { headers: { 'X-K': { env: 'K', extra: 1 } } },
      { method: 'POST', bodyEncoding: 'form', body: { secret: { env: 'not valid' } } },
    ])
      expect(validateSpec(tool(bad)).ok, JSON.stringify(bad)).toBe(false);
  });
});
