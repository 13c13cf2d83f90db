/**
 * `$ref` at every position real documents use it — operations, path items, parameter lists into other files,
 * request bodies, responses, headers, examples, security schemes, whole `properties` maps — each resolved
 * relative to the file that holds it; broken ones are skipped or degraded (and counted), never a clean import;
 * and the file-access rules hold at these positions too.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FactoryError } from '../../../src/core/errors/index.js';
import { type ImportResult, importOpenApi } from '../../../src/sources/openapi/index.js';
import { expectValid, fixture, importDoc, oas, toolOf } from './helpers.js';

describe('a split document (DigitalOcean style)', () => {
  let result: ImportResult;
  beforeAll(async () => {
    result = await importOpenApi(fixture('split/root.yaml'), { dynamic: false });
  });
  const byKey = (key: string) => result.operations.find((o) => o.key === key)!;
  const entriesOf = (key: string) => result.report.entries.filter((e) => e.operation === key);

  it('follows operation $refs into other files: ids, descriptions, parameters, bodies, responses', () => {
    expectValid(result.spec);
    const list = toolOf(result.spec, 'droplets_list');
    expect(list.description).toContain('Lists every droplet of the account.');
    // Parameter refs inside the operation file resolve relative to it (../../shared, and a sibling file whose
    // schema refers on into models/), including a ref chain (page → page_impl).
    expect(list.parameters).toEqual({
      per_page: { type: 'integer', minimum: 1, maximum: 200, default: 20, description: 'Items per page.' },
      page: { type: 'integer', minimum: 1, description: 'Which page to return.' },
      tag_name: { type: 'string', maxLength: 255, description: 'Only droplets with this tag.' },
    });
    expect(list.http!.query).toEqual({
      per_page: '{{per_page}}',
      page: '{{page}}',
      tag_name: '{{tag_name}}',
    });
    // The response file's schema refers to ../models/droplet.yml, whose `properties` map is itself a $ref.
    expect(list.returns).toEqual({
      type: 'object',
      properties: {
        droplets: {
          type: 'array',
          items: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } } },
        },
      },
    });
    expect(byKey('GET /v2/droplets').tags).toEqual(['Droplets']);
  });

  it('keeps the schema-required properties of an optional body as required parameters', () => {
    const create = toolOf(result.spec, 'droplets_create');
    expect(byKey('POST /v2/droplets').requestBody!.required).toBe(false);
    expect(create.parameters!.name).toMatchObject({ type: 'string', required: true });
    expect(create.parameters!.region).toMatchObject({ type: 'string', required: true });
    expect(create.parameters!.size).toEqual({ type: 'string' });
    expect(create.parameters!.tags).toEqual({ type: 'array', items: { type: 'string', maxLength: 255 } });
    expect(create.http!.body).toEqual({
      name: '{{name}}',
      region: '{{region}}',
      size: '{{size}}',
      tags: '{{tags}}',
    });
  });

  it('follows a path item $ref (path-level parameters from its file) and a chain of operation refs', () => {
    for (const name of ['droplets_get', 'droplets_destroy'])
      expect(toolOf(result.spec, name).parameters).toEqual({
        droplet_id: { type: 'integer', minimum: 1, description: "The droplet's id.", required: true },
      });
    expect(toolOf(result.spec, 'droplets_get').returns).toMatchObject({
      properties: { id: { type: 'integer' } },
    });
    expect(toolOf(result.spec, 'volumes_list').description).toContain(
      'Reached through a chain of two references',
    );
    // Keywords written next to an operation $ref win over the referenced file's.
    const renamed = byKey('GET /v2/renamed');
    expect(renamed.operationId).toBe('renamed_list');
    expect(renamed.summary).toBe('Written next to the $ref, so it wins');
    expect(renamed.description).toBe('Reached through a chain of two references.');
  });

  it('takes the security scheme from another file', () => {
    expect(byKey('GET /v2/droplets').security[0]![0]!.scheme).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    expect(result.spec.connections![0]).toMatchObject({ auth: { type: 'bearer' } });
  });

  it('reports a missing file, a cycle and a missing parameter as skipped operations, not crashes', () => {
    expect(entriesOf('GET /v2/missing')).toEqual([
      expect.objectContaining({ severity: 'error', reason: expect.stringContaining('missing.yml') }),
    ]);
    expect(entriesOf('GET /v2/loop')).toEqual([
      expect.objectContaining({
        severity: 'error',
        reason: expect.stringMatching(/circular.*loop_a.*loop_b/),
      }),
    ]);
    expect(entriesOf('GET /v2/missing-parameter')).toEqual([
      expect.objectContaining({ severity: 'error', reason: expect.stringContaining('no_such_parameter') }),
    ]);
    expect(result.report.names['GET /v2/missing']).toBeUndefined();
  });

  it('counts what lost something as degraded, and only that', () => {
    const lossy = entriesOf('GET /v2/lossy');
    expect(lossy).toContainEqual(
      expect.objectContaining({ severity: 'warning', reason: expect.stringContaining('no_such_schema') }),
    );
    expect(lossy).toContainEqual(
      expect.objectContaining({ severity: 'warning', reason: expect.stringContaining('no_such_file.yml') }),
    );
    expect(result.report.counts).toEqual({
      operations: 10,
      excluded: 0,
      skipped: 3,
      imported: 7,
      degraded: 1,
    });
  });
});

describe('degraded counts', () => {
  it('count normalizer warnings of imported operations, not those of skipped ones or the document', async () => {
    const { report } = await importDoc(
      oas({
        '/ok': { get: { operationId: 'ok', responses: { '200': { description: 'ok' } } } },
        // Normalizer warning (a broken response ref), imported: degraded.
        '/lost-response': {
          get: { operationId: 'lostResponse', responses: { '200': { $ref: '#/components/responses/Nope' } } },
        },
        // Normalizer warning AND skipped by the mapping (TRACE is not supported): skipped, not degraded.
        '/skipped': {
          trace: {
            operationId: 'traced',
            parameters: [{ name: 'x', in: 'query', schema: { $ref: '#/components/schemas/Nope' } }],
            responses: { '200': { description: 'ok' } },
          },
        },
        // A dropped parameter (unknown location).
        '/dropped': {
          get: {
            operationId: 'dropped',
            parameters: [{ name: 'y', in: 'body', schema: { type: 'string' } }],
            responses: { '200': { description: 'ok' } },
          },
        },
      }),
      { dynamic: false, validate: 'off' },
    );
    expect(report.counts).toEqual({ operations: 4, excluded: 0, skipped: 1, imported: 3, degraded: 2 });
    expect(report.entries.filter((e) => e.severity === 'warning').map((e) => e.operation)).toEqual(
      expect.arrayContaining(['GET /lost-response', 'GET /dropped', 'TRACE /skipped']),
    );
  });

  it('a document whose operations lost nothing reports 0 degraded', async () => {
    const { report } = await importOpenApi(fixture('split/resources/../root.yaml'), {
      dynamic: false,
      include: { operations: ['droplets_list', 'droplets_create'] },
    });
    expect(report.counts).toMatchObject({ imported: 2, degraded: 0 });
  });
});

describe('access rules at the new $ref positions', () => {
  const CANARY = 'CANARY-7f3a9c-never-in-output';
  let base: string;
  let root: string;
  let outside: string;
  let server: Server;
  let hits = 0;
  let origin = '';

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'mcpf-refs-attack-'));
    root = join(base, 'api');
    outside = join(base, 'outside');
    mkdirSync(root, { recursive: true });
    mkdirSync(outside, { recursive: true });
    const secretOp = `operationId: leaked\ndescription: ${CANARY}\nparameters:\n  - name: ${CANARY}\n    in: query\n    schema: {type: string}\nresponses:\n  '200':\n    description: ${CANARY}\n`;
    writeFileSync(join(outside, 'secret.yml'), secretOp);
    symlinkSync(join(outside, 'secret.yml'), join(root, 'innocent.yml'));
    server = createServer((req, res) => {
      hits++;
      res.setHeader('content-type', 'application/yaml');
      res.end(req.url?.includes('local') ? `$ref: 'file://${join(outside, 'secret.yml')}'\n` : secretOp);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  /** Writes a root document into the allowed directory with `paths` as given. */
  const rootWith = (paths: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    const file = join(root, `root-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(
      file,
      JSON.stringify(
        oas(
          {
            '/fine': { get: { operationId: 'fine', responses: { '200': { description: 'ok' } } } },
            ...paths,
          },
          extra,
        ),
      ),
    );
    return file;
  };
  const refused = async (file: string, code: string, options = {}) => {
    const error = await importOpenApi(file, { dynamic: false, ...options }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FactoryError);
    expect((error as FactoryError).code).toBe(code);
    expect(JSON.stringify(error)).not.toContain(CANARY);
    expect(String((error as Error).message)).not.toContain(CANARY);
  };

  const opRef = (ref: string) => ({ '/x': { get: { $ref: ref } } });
  const cases: Array<[string, () => Record<string, unknown>]> = [
    ['an operation ref climbing out with ../', () => opRef('../outside/secret.yml')],
    ['an operation ref to ../../etc/passwd', () => opRef('../../../../../../../../etc/passwd')],
    ['an operation ref to /proc/self/environ', () => opRef('/proc/self/environ')],
    ['an operation ref to an absolute path', () => opRef(join(outside, 'secret.yml'))],
    ['an operation ref to a file: URL', () => opRef(`file://${join(outside, 'secret.yml')}`)],
    ['an operation ref to a symlink leading out', () => opRef('innocent.yml')],
    ['a path item ref leading out', () => ({ '/x': { $ref: '../outside/secret.yml' } })],
    [
      'a parameter list item leading out',
      () => ({
        '/x': { get: { parameters: [{ $ref: '../outside/secret.yml#/parameters/0' }], responses: {} } },
      }),
    ],
    [
      'an example leading out',
      () => ({
        '/x': {
          get: {
            responses: {
              '200': {
                description: 'ok',
                content: { 'application/json': { examples: { e: { $ref: '../outside/secret.yml' } } } },
              },
            },
          },
        },
      }),
    ],
    [
      'a properties map leading out',
      () => ({
        '/x': {
          post: {
            requestBody: {
              content: {
                'application/json': {
                  schema: { type: 'object', properties: { $ref: '../outside/secret.yml' } },
                },
              },
            },
            responses: {},
          },
        },
      }),
    ],
  ];
  for (const [name, paths] of cases)
    it(`refuses ${name} (OPENAPI_FILE_REF_REFUSED, content never read into the output)`, async () => {
      await refused(rootWith(paths()), 'OPENAPI_FILE_REF_REFUSED');
    });

  it('refuses an operation ref to a URL without allowRemoteRefs, without a request', async () => {
    hits = 0;
    await refused(rootWith(opRef(`${origin}/op.yml`)), 'OPENAPI_REMOTE_REF_REFUSED');
    expect(hits).toBe(0);
  });

  it('with allowRemoteRefs follows a remote operation, but not from it into local files', async () => {
    hits = 0;
    const { operations } = await importOpenApi(rootWith(opRef(`${origin}/op.yml`)), {
      dynamic: false,
      allowRemoteRefs: true,
      validate: 'off',
    });
    expect(hits).toBe(1);
    expect(operations.find((o) => o.key === 'GET /x')!.operationId).toBe('leaked');
    await refused(rootWith(opRef(`${origin}/local.yml`)), 'OPENAPI_REMOTE_REF_REFUSED', {
      allowRemoteRefs: true,
    });
  });

  it('leaves a refused ref inside an x- extension unloaded, and imports the rest', async () => {
    const { spec, operations } = await importOpenApi(
      rootWith({
        '/x': {
          get: {
            operationId: 'withSamples',
            'x-codeSamples': [{ $ref: '../outside/secret.yml' }],
            responses: { '200': { description: 'ok' } },
          },
        },
      }),
      { dynamic: false },
    );
    expect(operations.map((o) => o.operationId).sort()).toEqual(['fine', 'withSamples']);
    expect(JSON.stringify(spec)).not.toContain(CANARY);
  });
});

describe('Swagger 2.0 split across files', () => {
  it('follows operation and body-parameter refs into other files, keeping schema-required fields', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcpf-swagger-split-'));
    mkdirSync(join(dir, 'ops'));
    writeFileSync(
      join(dir, 'root.json'),
      JSON.stringify({
        swagger: '2.0',
        info: { title: 'Split Swagger', version: '1' },
        host: 'api.example.com',
        paths: { '/messages': { post: { $ref: 'ops/create_message.json' } } },
      }),
    );
    writeFileSync(
      join(dir, 'ops', 'create_message.json'),
      JSON.stringify({
        operationId: 'createMessage',
        consumes: ['application/json'],
        parameters: [{ $ref: 'shared.json#/body' }],
        responses: { '201': { description: 'created', schema: { $ref: 'shared.json#/message' } } },
      }),
    );
    writeFileSync(
      join(dir, 'ops', 'shared.json'),
      JSON.stringify({
        body: { name: 'body', in: 'body', schema: { $ref: '#/message' } },
        message: {
          type: 'object',
          required: ['To'],
          properties: { To: { type: 'string' }, Body: { type: 'string' } },
        },
      }),
    );
    const { spec, report } = await importOpenApi(join(dir, 'root.json'), { dynamic: false, validate: 'off' });
    expectValid(spec);
    expect(report.counts).toEqual({ operations: 1, excluded: 0, skipped: 0, imported: 1, degraded: 0 });
    const tool = toolOf(spec, 'createMessage');
    expect(tool.parameters).toEqual({ To: { type: 'string', required: true }, Body: { type: 'string' } });
    expect(tool.returns).toMatchObject({ properties: { To: { type: 'string' } } });
  });
});
