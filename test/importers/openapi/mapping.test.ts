/** Mapping rules: parameters, bodies, responses, annotations, auth, base URLs, selection and dynamic mode. */
import { describe, expect, it } from 'vitest';
import { operationsToSpec } from '../../../src/sources/openapi/index.js';
import type { ApiOperation } from '../../../src/sources/openapi/model.js';
import { expectValid, hostileDoc, importDoc, oas, op, toolOf } from './helpers.js';

const str = { type: 'string' };

describe('parameters', () => {
  it('map names to identifiers and keep the original names as keys', async () => {
    const doc = oas({
      '/items/{item-id}': {
        get: op({
          operationId: 'getItem',
          parameters: [
            { name: 'item-id', in: 'path', required: true, schema: { type: 'integer' } },
            { name: 'page[size]', in: 'query', schema: { type: 'integer', maximum: 100 } },
            { name: 'X-Request-Id', in: 'header', schema: str },
            { name: 'session_id', in: 'cookie', schema: str },
            { name: 'id', in: 'query', schema: str },
            { name: 'id', in: 'header', schema: str },
            { name: 'Accept', in: 'header', schema: str },
          ],
        }),
      },
    });
    const { spec, report } = await importDoc(doc, { dynamic: false });
    expectValid(spec);
    const tool = toolOf(spec, 'getItem');
    expect(Object.keys(tool.parameters!)).toEqual([
      'item_id',
      'page_size',
      'X_Request_Id',
      'session_id',
      'id',
      'header_id',
    ]);
    expect(tool.parameters!.item_id).toEqual({ type: 'integer', required: true });
    expect(tool.http).toMatchObject({
      method: 'GET',
      path: '/items/{{item_id}}',
      query: { 'page[size]': '{{page_size}}', id: '{{id}}' },
      headers: { 'X-Request-Id': '{{X_Request_Id}}', id: '{{header_id}}' },
      cookies: { session_id: '{{session_id}}' },
    });
    expect(report.entries.some((e) => e.reason.includes('"Accept" ignored'))).toBe(true);
  });

  it('serialise arrays and objects in the query with their style and explode', async () => {
    const doc = oas({
      '/search': {
        get: op({
          operationId: 'search',
          parameters: [
            { name: 'tags', in: 'query', schema: { type: 'array', items: str } },
            {
              name: 'ids',
              in: 'query',
              explode: false,
              schema: { type: 'array', items: { type: 'integer' } },
            },
            { name: 'words', in: 'query', style: 'spaceDelimited', schema: { type: 'array', items: str } },
            {
              name: 'filter',
              in: 'query',
              style: 'deepObject',
              schema: { type: 'object', properties: { color: str } },
            },
            { name: 'coords', in: 'query', style: 'pipeDelimited', schema: { type: 'object' } },
            { name: 'ids2', in: 'path', required: true, schema: { type: 'array', items: str } },
          ],
        }),
      },
    });
    const { spec, report } = await importDoc(doc, { dynamic: false });
    expectValid(spec);
    const tool = toolOf(spec, 'search');
    expect(tool.http!.query).toEqual({
      tags: { param: 'tags', style: 'form', explode: true },
      ids: { param: 'ids', style: 'form', explode: false },
      words: { param: 'words', style: 'spaceDelimited', explode: false },
      filter: { param: 'filter', style: 'deepObject', explode: false },
      coords: { param: 'coords', style: 'form', explode: false },
    });
    expect(tool.parameters!.tags).toEqual({ type: 'array', items: { type: 'string' } });
    // ids2 is declared in the path but not in the template: dropped; the declared array path param would be a string.
    expect(report.entries.some((e) => e.reason.includes('"ids2" does not occur in the path'))).toBe(true);
    expect(
      report.entries.some((e) => e.reason.includes('style "pipeDelimited" is not supported for an object')),
    ).toBe(true);
  });

  it('declare undeclared path placeholders and skip unusable required parameters', async () => {
    const doc = oas({
      '/a/{x}': { get: op({ operationId: 'a' }) },
      '/b': {
        get: op({
          operationId: 'b',
          parameters: [
            {
              name: 'q',
              in: 'query',
              required: true,
              content: { 'application/json': { schema: { type: 'object' } } },
            },
          ],
        }),
      },
      '/c': {
        get: op({
          operationId: 'c',
          parameters: [
            { name: 'q', in: 'query', content: { 'application/json': { schema: { type: 'object' } } } },
          ],
        }),
      },
      '/d': {
        get: op({
          operationId: 'd',
          parameters: [{ name: 'Bad Header', in: 'header', required: true, schema: str }],
        }),
      },
    });
    const { spec, report } = await importDoc(doc, { dynamic: false, validate: 'off' });
    expectValid(spec);
    expect(toolOf(spec, 'a').parameters).toEqual({ x: { type: 'string', required: true } });
    expect(spec.tools!.map((t) => t.name)).toEqual(['a', 'c']);
    expect(report.entries).toContainEqual(
      expect.objectContaining({ operation: 'GET /b', severity: 'error' }),
    );
    expect(report.entries).toContainEqual(
      expect.objectContaining({ operation: 'GET /c', severity: 'warning' }),
    );
    expect(report.entries).toContainEqual(
      expect.objectContaining({ operation: 'GET /d', severity: 'error' }),
    );
    expect(report.counts).toEqual({ operations: 4, excluded: 0, skipped: 2, imported: 2, degraded: 2 });
  });
});

describe('request bodies', () => {
  const pet = {
    type: 'object',
    required: ['name'],
    properties: {
      id: { type: 'integer', readOnly: true },
      name: { type: 'string' },
      'pet-type': { type: 'string', enum: ['cat', 'dog'] },
      tags: { type: 'array', items: str },
    },
  };

  it('flatten a JSON object body into parameters (readOnly fields left out)', async () => {
    const doc = oas({
      '/pets/{name}': {
        post: op({
          operationId: 'addPet',
          parameters: [{ name: 'name', in: 'path', required: true, schema: str }],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: pet }, 'application/xml': { schema: pet } },
          },
        }),
      },
    });
    const { spec } = await importDoc(doc, { dynamic: false });
    expectValid(spec);
    const tool = toolOf(spec, 'addPet');
    expect(Object.keys(tool.parameters!)).toEqual(['name', 'body_name', 'pet_type', 'tags']);
    expect(tool.parameters!.body_name!.required).toBe(true);
    expect(tool.http!.body).toEqual({ name: '{{body_name}}', 'pet-type': '{{pet_type}}', tags: '{{tags}}' });
    expect(tool.http!.bodyEncoding).toBeUndefined();
  });

  it('send arrays, free-form objects and unflattened bodies as one `body` parameter', async () => {
    const doc = oas({
      '/bulk': {
        post: op({
          operationId: 'bulk',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { type: 'array', items: pet } } },
          },
        }),
      },
      '/free': {
        put: op({
          operationId: 'free',
          requestBody: {
            content: { 'application/json': { schema: { type: 'object', additionalProperties: true } } },
          },
        }),
      },
    });
    const { spec } = await importDoc(doc, { dynamic: false });
    expectValid(spec);
    expect(toolOf(spec, 'bulk').parameters!.body).toMatchObject({ type: 'array', required: true });
    expect(toolOf(spec, 'bulk').http!.body).toBe('{{body}}');
    expect(toolOf(spec, 'free').parameters!.body).toEqual({ type: 'object' });
    const unflat = await importDoc(doc, { dynamic: false, flattenBody: false });
    expect(Object.keys(toolOf(unflat.spec, 'bulk').parameters!)).toEqual(['body']);
  });

  it('use form and multipart encodings, with base64 file fields', async () => {
    const doc = oas({
      '/login': {
        post: op({
          operationId: 'login',
          requestBody: {
            required: true,
            content: {
              'application/x-www-form-urlencoded': {
                schema: {
                  type: 'object',
                  required: ['user'],
                  properties: { user: str, 'remember-me': { type: 'boolean' } },
                },
              },
            },
          },
        }),
      },
      '/upload': {
        post: op({
          operationId: 'upload',
          requestBody: {
            required: true,
            content: {
              'multipart/form-data': {
                schema: {
                  type: 'object',
                  required: ['file'],
                  properties: { file: { type: 'string', format: 'binary' }, note: str },
                },
                encoding: { file: { contentType: 'image/png' } },
              },
            },
          },
        }),
      },
    });
    const { spec } = await importDoc(doc, { dynamic: false });
    expectValid(spec);
    expect(toolOf(spec, 'login').http).toMatchObject({
      bodyEncoding: 'form',
      body: { user: '{{user}}', 'remember-me': '{{remember_me}}' },
    });
    const upload = toolOf(spec, 'upload');
    expect(upload.http).toMatchObject({
      bodyEncoding: 'multipart',
      body: {
        file: { file: 'file', filename: '{{file_filename}}', contentType: 'image/png' },
        note: '{{note}}',
      },
    });
    expect(upload.parameters!.file).toMatchObject({ type: 'string', required: true });
    expect(upload.parameters!.file_filename).toMatchObject({ type: 'string', default: 'file' });
  });

  it('send XML/text bodies as text and raw files as base64 binary; skip or degrade bodies that cannot be sent', async () => {
    const doc = oas({
      '/xml': {
        post: op({
          operationId: 'xml',
          requestBody: { required: true, content: { 'application/xml': { schema: str } } },
        }),
      },
      '/xml-optional': {
        post: op({ operationId: 'xmlOptional', requestBody: { content: { 'text/plain': { schema: str } } } }),
      },
      '/raw': {
        post: op({
          operationId: 'raw',
          requestBody: {
            content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
          },
        }),
      },
      '/get-body': {
        get: op({
          operationId: 'getBody',
          requestBody: { content: { 'application/json': { schema: { type: 'object' } } } },
        }),
      },
      '/form-array': {
        post: op({
          operationId: 'formArray',
          requestBody: {
            required: true,
            content: { 'application/x-www-form-urlencoded': { schema: { type: 'array', items: str } } },
          },
        }),
      },
    });
    const { spec, report } = await importDoc(doc, { dynamic: false, validate: 'off' });
    expectValid(spec);
    expect(spec.tools!.map((t) => t.name)).toEqual(['xml', 'xmlOptional', 'raw', 'getBody']);
    const byName = Object.fromEntries(spec.tools!.map((t) => [t.name, t]));
    expect(byName.xml!.http).toMatchObject({
      bodyEncoding: 'text',
      contentType: 'application/xml',
      body: '{{body}}',
    });
    expect(byName.xml!.parameters!.body).toMatchObject({ type: 'string', required: true });
    expect(byName.raw!.http).toMatchObject({
      bodyEncoding: 'binary',
      contentType: 'application/octet-stream',
      body: { file: 'content' },
    });
    const severity = (key: string) =>
      report.entries.filter((e) => e.operation === key).map((e) => e.severity);
    expect(severity('POST /xml')).not.toContain('error');
    expect(severity('POST /raw')).not.toContain('error');
    expect(severity('GET /get-body')).toContain('warning');
    expect(severity('POST /form-array')).toContain('error');
  });
});

describe('responses and annotations', () => {
  it('describe the 2xx JSON response as lenient `returns`, and annotate by method', async () => {
    const item = { type: 'object', properties: { id: { type: 'integer' }, name: str } };
    const doc = oas({
      '/items': {
        get: {
          operationId: 'list',
          responses: {
            '200': {
              description: 'ok',
              content: { 'application/json': { schema: { type: 'array', items: item } } },
            },
          },
        },
        post: {
          operationId: 'create',
          responses: {
            '400': { description: 'bad' },
            '201': { description: 'made', content: { 'application/json': { schema: item } } },
          },
        },
        put: { operationId: 'replace', responses: { '204': { description: 'done' } } },
        delete: {
          operationId: 'clear',
          responses: { '200': { description: 'text', content: { 'text/plain': { schema: str } } } },
        },
        head: { operationId: 'probe', responses: { '200': { description: 'ok' } } },
        patch: {
          operationId: 'tweak',
          'x-mcp': { annotations: { destructive: false, idempotent: true } },
          responses: { default: { description: 'x' } },
        },
      },
    });
    const { spec } = await importDoc(doc, { dynamic: false });
    expectValid(spec);
    expect(toolOf(spec, 'list')).toMatchObject({
      returns: { type: 'array', items: item },
      outputValidation: 'lenient',
      annotations: { readOnly: true, openWorld: true },
      http: { response: 'json' },
    });
    expect(toolOf(spec, 'create')).toMatchObject({
      returns: item,
      annotations: { readOnly: false, openWorld: true },
    });
    expect(toolOf(spec, 'replace').returns).toBeUndefined();
    expect(toolOf(spec, 'replace').annotations).toEqual({
      readOnly: false,
      idempotent: true,
      openWorld: true,
    });
    expect(toolOf(spec, 'clear')).toMatchObject({
      annotations: { readOnly: false, destructive: true, idempotent: true, openWorld: true },
      http: { response: 'text' },
    });
    expect(toolOf(spec, 'clear').outputValidation).toBeUndefined();
    expect(toolOf(spec, 'probe').annotations).toEqual({ readOnly: true, openWorld: true });
    expect(toolOf(spec, 'tweak').annotations).toEqual({
      readOnly: false,
      destructive: false,
      idempotent: true,
      openWorld: true,
    });
    const strict = await importDoc(doc, { dynamic: false, outputValidation: 'strict' });
    expect(toolOf(strict.spec, 'list').outputValidation).toBe('strict');
  });

  it('skip OPTIONS and TRACE', async () => {
    const { spec, report } = await importDoc(oas({ '/a': { options: op(), trace: op(), get: op() } }), {
      dynamic: false,
    });
    expect(spec.tools!.map((t) => t.name)).toEqual(['get_a']);
    expect(report.entries.filter((e) => e.severity === 'error').map((e) => e.operation)).toEqual([
      'OPTIONS /a',
      'TRACE /a',
    ]);
  });
});

describe('authentication', () => {
  const secured = (schemes: Record<string, unknown>, security: unknown[], opSecurity?: unknown[]) =>
    oas(
      {
        '/a': {
          get: op({
            operationId: 'a',
            ...(opSecurity ? { security: opSecurity } : {}),
            parameters: [{ name: 'X-Api-Key', in: 'header', schema: str }],
          }),
        },
      },
      {
        info: { title: 'Acme Store API', version: '1.0.0' },
        components: { securitySchemes: schemes },
        security,
      },
    );

  it('maps apiKey, bearer, basic and OAuth2 client credentials to env-based connection auth', async () => {
    const cases: Array<[Record<string, unknown>, unknown]> = [
      [
        { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
        { type: 'api_key', in: 'header', name: 'X-Api-Key', envVar: 'ACME_STORE_API_KEY' },
      ],
      [
        { type: 'apiKey', in: 'query', name: 'key' },
        { type: 'api_key', in: 'query', name: 'key', envVar: 'ACME_STORE_API_KEY' },
      ],
      [
        { type: 'apiKey', in: 'cookie', name: 'sid' },
        { type: 'api_key', in: 'cookie', name: 'sid', envVar: 'ACME_STORE_API_KEY' },
      ],
      [
        { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        { type: 'bearer', envVar: 'ACME_STORE_TOKEN' },
      ],
      [
        { type: 'http', scheme: 'Basic' },
        { type: 'basic', usernameEnv: 'ACME_STORE_USERNAME', passwordEnv: 'ACME_STORE_PASSWORD' },
      ],
      [
        {
          type: 'oauth2',
          flows: {
            clientCredentials: {
              tokenUrl: 'https://auth.example.com/token',
              scopes: { 'read:items': 'r', write: 'w' },
            },
          },
        },
        {
          type: 'oauth2_client_credentials',
          tokenUrl: 'https://auth.example.com/token',
          clientIdEnv: 'ACME_STORE_CLIENT_ID',
          clientSecretEnv: 'ACME_STORE_CLIENT_SECRET',
          scopes: ['read:items'],
        },
      ],
    ];
    for (const [scheme, auth] of cases) {
      const { spec } = await importDoc(secured({ s: scheme }, [{ s: ['read:items'] }]), { dynamic: false });
      expectValid(spec);
      expect(spec.connections![0]).toMatchObject({
        name: 'acme_store',
        baseUrlEnv: 'ACME_STORE_BASE_URL',
        auth,
      });
    }
  });

  it('drops the parameter the auth scheme sends, and adds further apiKey headers as env headers', async () => {
    const { spec } = await importDoc(
      secured(
        {
          key: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
          app: { type: 'apiKey', in: 'header', name: 'X-App-Id' },
        },
        [{ key: [], app: [] }],
      ),
      { dynamic: false },
    );
    expectValid(spec);
    expect(toolOf(spec, 'a').parameters).toEqual({});
    expect(spec.connections![0]).toMatchObject({ headers: { 'X-App-Id': { env: 'ACME_STORE_X_APP_ID' } } });
  });

  it('resolves relative token URLs and warns where credentials would leak', async () => {
    const cc = (tokenUrl: string) => ({
      s: { type: 'oauth2', flows: { clientCredentials: { tokenUrl, scopes: {} } } },
    });
    const relative = await importDoc(secured(cc('/oauth/token'), [{ s: [] }]), { dynamic: false });
    expectValid(relative.spec);
    expect(relative.spec.connections![0]).toMatchObject({
      auth: { tokenUrl: 'https://api.example.com/oauth/token' },
    });
    const elsewhere = await importDoc(secured(cc('http://collector.evil.test/t'), [{ s: [] }]), {
      dynamic: false,
    });
    const reasons = elsewhere.report.entries.map((e) => e.reason).join('\n');
    expect(reasons).toContain('another site than the API');
    expect(reasons).toContain('would travel unencrypted');
    const plain = await importDoc(
      {
        ...secured({ s: { type: 'http', scheme: 'bearer' } }, [{ s: [] }]),
        servers: [{ url: 'http://api.example.com' }],
      },
      { dynamic: false },
    );
    expect(plain.report.entries.some((e) => e.reason.includes('is not https'))).toBe(true);
  });

  it('sends a bearer token from the environment for OpenID Connect / user OAuth 2 flows, reports unsupported schemes', async () => {
    const { spec, report } = await importDoc(
      secured(
        {
          oidc: { type: 'openIdConnect', openIdConnectUrl: 'https://x.example.com/.well-known' },
          code: {
            type: 'oauth2',
            flows: {
              authorizationCode: {
                authorizationUrl: 'https://x.example.com/a',
                tokenUrl: 'https://x.example.com/t',
                scopes: {},
              },
            },
          },
          digest: { type: 'http', scheme: 'digest' },
        },
        [{ oidc: [] }, { code: [] }, { digest: [] }],
      ),
      { dynamic: false },
    );
    expectValid(spec);
    expect(spec.connections![0]!.type === 'http' && spec.connections![0]!.auth).toEqual({
      type: 'bearer',
      envVar: 'ACME_STORE_ACCESS_TOKEN',
    });
    const reasons = report.entries.map((e) => e.reason).join('\n');
    expect(reasons).toContain('OpenID Connect needs a user to sign in');
    expect(reasons).toContain('HTTP "digest" authentication is not supported');
    expect(report.credentials).toContainEqual(
      expect.objectContaining({ envVar: 'ACME_STORE_ACCESS_TOKEN', kind: 'oauth2' }),
    );
  });
});

describe('base URLs', () => {
  it('substitutes server variables and honours baseUrl / baseUrlEnv options', async () => {
    const doc = oas(
      { '/a': { get: op() } },
      {
        servers: [
          {
            url: 'https://{region}.example.com/{v}',
            variables: { region: { default: 'eu' }, v: { enum: ['v2', 'v1'], default: 'v2' } },
          },
        ],
      },
    );
    const { spec } = await importDoc(doc, { dynamic: false });
    expect(spec.connections![0]).toMatchObject({
      baseUrl: 'https://eu.example.com/v2',
      baseUrlEnv: 'TEST_BASE_URL',
    });
    const over = await importDoc(doc, {
      dynamic: false,
      baseUrl: 'http://127.0.0.1:9/x',
      baseUrlEnv: 'MY_URL',
      envPrefix: 'mine',
    });
    expect(over.spec.connections![0]).toMatchObject({
      name: 'mine',
      baseUrl: 'http://127.0.0.1:9/x',
      baseUrlEnv: 'MY_URL',
    });
    expect(over.spec.name).toBe('mine-mcp');
  });

  it('reports relative server URLs of files, resolves them against document URLs', async () => {
    const doc = oas({ '/a': { get: op() } }, { servers: [{ url: '/api/v3' }] });
    const fromFile = await importDoc(doc, { dynamic: false });
    expectValid(fromFile.spec);
    expect(fromFile.spec.connections![0]).not.toHaveProperty('baseUrl');
    expect(
      fromFile.report.entries.some(
        (e) => e.reason.includes('relative') && e.reason.includes('TEST_BASE_URL'),
      ),
    ).toBe(true);
    const fromUrl = await importDoc(doc, {
      dynamic: false,
      documentUrl: 'https://docs.example.com/specs/openapi.json',
    });
    expect(fromUrl.spec.connections![0]).toMatchObject({ baseUrl: 'https://docs.example.com/api/v3' });
  });

  it('removes credentials from server URLs and gives operations with other servers their own connection', async () => {
    const doc = oas(
      {
        '/a': { get: op() },
        '/b': { get: op() },
        '/c': { servers: [{ url: 'https://uploads.example.com' }], get: op() },
      },
      { servers: [{ url: 'https://user:secret@api.example.com' }] },
    );
    const { spec, report } = await importDoc(doc, { dynamic: false });
    expectValid(spec);
    expect(spec.connections).toMatchObject([
      { name: 'test', baseUrl: 'https://api.example.com', baseUrlEnv: 'TEST_BASE_URL' },
      { name: 'test_2', baseUrl: 'https://uploads.example.com', baseUrlEnv: 'EXAMPLE_UPLOADS_BASE_URL' },
    ]);
    expect(toolOf(spec, 'get_c').http!.connection).toBe('test_2');
    expect(report.entries.some((e) => e.reason.includes('credentials'))).toBe(true);
  });
});

describe('selection and dynamic mode', () => {
  const doc = oas({
    '/pets': { get: op({ tags: ['pet'] }), post: op({ tags: ['pet'] }) },
    '/pets/{id}': {
      delete: op({ tags: ['pet'], parameters: [{ name: 'id', in: 'path', required: true, schema: str }] }),
    },
    '/store/orders': { get: op({ tags: ['store'] }) },
    '/admin/reset': { post: op({ tags: ['admin'], 'x-mcp': { exclude: true } }) },
  });
  const names = async (options: Parameters<typeof importDoc>[1]) =>
    (await importDoc(doc, { dynamic: false, ...options })).spec.tools!.map((t) => t.name);

  it('includes and excludes by tag, path glob or regex, method and operation, and honours x-mcp exclude', async () => {
    expect(await names({})).toEqual(['get_pets', 'post_pets', 'delete_pets_id', 'get_store_orders']);
    expect(await names({ include: { tags: ['store'] } })).toEqual(['get_store_orders']);
    expect(await names({ include: { paths: ['/pets/**'] } })).toEqual(['delete_pets_id']);
    expect(await names({ include: { paths: ['/pets*'] } })).toEqual(['get_pets', 'post_pets']);
    expect(await names({ include: { paths: [/^\/(pets|store)/], methods: ['get'] } })).toEqual([
      'get_pets',
      'get_store_orders',
    ]);
    expect(await names({ exclude: { methods: ['DELETE', 'post'] } })).toEqual([
      'get_pets',
      'get_store_orders',
    ]);
    expect(await names({ exclude: { operations: ['GET /pets'] } })).toEqual([
      'post_pets',
      'delete_pets_id',
      'get_store_orders',
    ]);
    const { report } = await importDoc(doc, { dynamic: false, include: { tags: ['pet'] } });
    expect(report.counts).toEqual({ operations: 5, excluded: 2, skipped: 0, imported: 3, degraded: 0 });
    expect(report.entries).toContainEqual(
      expect.objectContaining({
        operation: 'POST /admin/reset',
        reason: 'excluded by x-mcp: { exclude: true }',
      }),
    );
  });

  it('refuses an empty selection with a clear error', async () => {
    await expect(importDoc(doc, { include: { tags: ['nothing'] } })).rejects.toMatchObject({
      code: 'OPENAPI_NO_OPERATIONS',
    });
  });

  it('goes dynamic above the threshold, or when forced', async () => {
    const auto = await importDoc(doc, { dynamicThreshold: 3 });
    expectValid(auto.spec);
    expect(auto.report.mode).toBe('dynamic');
    expect(auto.spec.tools!.map((t) => [t.name, t.catalog?.action, t.parameters])).toEqual([
      ['search_operations', 'search', {}],
      ['describe_operation', 'describe', {}],
      ['invoke_operation', 'invoke', {}],
    ]);
    expect(auto.spec.catalogs![0]!.operations.map((o) => o.name)).toEqual([
      'get_pets',
      'post_pets',
      'delete_pets_id',
      'get_store_orders',
    ]);
    expect((await importDoc(doc, {})).report.mode).toBe('tools');
    expect((await importDoc(doc, { dynamic: true })).report.mode).toBe('dynamic');
    expect((await importDoc(doc, { dynamic: false, dynamicThreshold: 1 })).report.mode).toBe('tools');
  });
});

describe('untrusted text', () => {
  it('keeps hostile descriptions as strings, stripped of control characters and truncated', async () => {
    const doc = hostileDoc();
    const { spec, report } = await importDoc(doc, { dynamic: false, validate: 'off' });
    expectValid(spec);
    const a = spec.tools![0]!;
    expect(a.name).toBe('a_process.exit_1');
    expect(a.description.length).toBeLessThanOrEqual(2000);
    expect(a.description).toContain('*/ `backticks` ${process.exit(1)}');
    expect(a.description).not.toMatch(/[\u0000\u001b\u202e]/);
    expect(a.title).toBe(
      `Line one line two Ends a comment */ \`backticks\` \${process.exit(1)} </script> [31mred`,
    );
    expect(Object.keys(a.parameters!)).toEqual(['id', 'constructor_']);
    expect(a.parameters!.id).not.toHaveProperty('default');
    expect(a.parameters!.constructor_!.enum).toEqual(['ok']);
    expect(a.http!.query).toEqual({ constructor: '{{constructor_}}' });
    expect(toolOf(spec, 'get_b').description).toBe('Token for tests: [redacted] (do not use)');
    expect(report.entries).toContainEqual(
      expect.objectContaining({ operation: 'GET /c{{x}}', severity: 'error' }),
    );
    expect(spec.title).not.toMatch(/[\u0000\u001b]/);
  });
});

describe('operationsToSpec (pure)', () => {
  it('maps hand-built operations without a document', () => {
    const ops: ApiOperation[] = [
      {
        key: 'GET /things/{id}',
        operationId: 'getThing',
        method: 'GET',
        path: '/things/{id}',
        tags: [],
        deprecated: true,
        parameters: [
          {
            name: 'id',
            in: 'path',
            required: true,
            style: 'simple',
            explode: false,
            schema: { type: 'integer' },
          },
        ],
        response: {
          status: '200',
          contentTypes: ['application/json'],
          contentType: 'application/json',
          schema: { type: 'object', properties: { id: { type: 'integer' } } },
        },
        security: [],
        servers: ['http://127.0.0.1:8080/api'],
        pointer: '#/paths/~1things~1{id}/get',
        problems: [],
      },
    ];
    const { spec, report } = operationsToSpec(ops, {
      title: 'Things',
      version: '2',
      allowPrivateBaseUrl: true,
    });
    expectValid(spec);
    expect(spec).toMatchObject({
      name: 'things-mcp',
      version: '2.0.0',
      connections: [
        { name: 'things', type: 'http', baseUrl: 'http://127.0.0.1:8080/api', baseUrlEnv: 'THINGS_BASE_URL' },
      ],
      tools: [
        {
          name: 'getThing',
          description: 'Deprecated. GET /things/{id}',
          parameters: { id: { type: 'integer', required: true } },
          returns: { type: 'object', properties: { id: { type: 'integer' } } },
          outputValidation: 'lenient',
          http: { connection: 'things', method: 'GET', path: '/things/{{id}}', response: 'json' },
        },
      ],
    });
    expect(report.names).toEqual({ 'GET /things/{id}': 'getThing' });
  });
});
