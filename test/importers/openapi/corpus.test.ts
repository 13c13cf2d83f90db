/** The corpus documents (test/fixtures/corpus): Petstore 3.0 (19 operations) and Twilio (197). */
import { describe, expect, it } from 'vitest';
import { importOpenApi } from '../../../src/sources/openapi/index.js';
import { expectValid, PETSTORE, TWILIO, toolOf } from './helpers.js';

describe('petstore-3.0.yaml', () => {
  it('imports all 19 operations as tools with api-key auth (the image upload as a binary body)', async () => {
    const { spec, report, operations } = await importOpenApi(PETSTORE);
    const valid = expectValid(spec);
    expect(operations).toHaveLength(19);
    expect(report).toMatchObject({
      specification: 'openapi-3.0',
      title: 'Swagger Petstore - OpenAPI 3.0',
      apiVersion: '1.0.27-SNAPSHOT',
      mode: 'tools',
      counts: { operations: 19, excluded: 0, skipped: 0, imported: 19 },
    });
    expect(valid).toMatchObject({ name: 'petstore-mcp', version: '1.0.27-SNAPSHOT' });
    expect(spec.connections).toEqual([
      {
        name: 'petstore',
        type: 'http',
        baseUrl: 'https://petstore3.swagger.io/api/v3',
        baseUrlEnv: 'PETSTORE_BASE_URL',
        auth: { type: 'api_key', in: 'header', name: 'api_key', envVar: 'PETSTORE_API_KEY' },
      },
    ]);
    expect(report.entries.filter((e) => e.severity === 'error')).toEqual([]);
    expect(toolOf(spec, 'uploadFile').http).toMatchObject({
      method: 'POST',
      bodyEncoding: 'binary',
      contentType: 'application/octet-stream',
    });
    expect(spec.tools!.map((t) => t.name)).toEqual([
      'updatePet',
      'addPet',
      'findPetsByStatus',
      'findPetsByTags',
      'getPetById',
      'updatePetWithForm',
      'deletePet',
      'uploadFile',
      'getInventory',
      'placeOrder',
      'getOrderById',
      'deleteOrder',
      'createUser',
      'createUsersWithListInput',
      'loginUser',
      'logoutUser',
      'getUserByName',
      'updateUser',
      'deleteUser',
    ]);
    // deletePet's `api_key` header parameter is the auth scheme's: the connection sends it.
    expect(toolOf(spec, 'deletePet').parameters).toEqual({
      petId: { type: 'integer', description: 'Pet id to delete', required: true },
    });
    expect(toolOf(spec, 'findPetsByTags').http!.query).toEqual({
      tags: { param: 'tags', style: 'form', explode: true },
    });
    expect(toolOf(spec, 'findPetsByStatus').parameters!.status).toMatchObject({
      type: 'string',
      default: 'available',
    });
  });

  it('is deterministic', async () => {
    const a = await importOpenApi(PETSTORE);
    const b = await importOpenApi(PETSTORE);
    expect(JSON.stringify(a.spec)).toBe(JSON.stringify(b.spec));
    expect(a.report).toEqual(b.report);
  });
});

describe('twilio_api_v2010.json', () => {
  it('imports all 197 operations, dynamic by default, with basic auth from TWILIO_* variables', async () => {
    const started = performance.now();
    const { spec, report } = await importOpenApi(TWILIO);
    const ms = performance.now() - started;
    expectValid(spec);
    expect(report.counts).toEqual({ operations: 197, excluded: 0, skipped: 0, imported: 197, degraded: 0 });
    expect(report.entries.filter((e) => e.severity !== 'info')).toEqual([]);
    expect(report.mode).toBe('dynamic');
    expect(spec.name).toBe('twilio-mcp');
    expect(spec.connections).toEqual([
      {
        name: 'twilio',
        type: 'http',
        baseUrl: 'https://api.twilio.com',
        baseUrlEnv: 'TWILIO_BASE_URL',
        auth: { type: 'basic', usernameEnv: 'TWILIO_USERNAME', passwordEnv: 'TWILIO_PASSWORD' },
      },
    ]);
    expect(spec.tools!.map((t) => t.name)).toEqual([
      'search_operations',
      'describe_operation',
      'invoke_operation',
    ]);
    const catalog = spec.catalogs![0]!;
    expect(catalog.operations).toHaveLength(197);
    const create = catalog.operations.find((o) => o.name === 'CreateMessage')!;
    expect(create.http).toMatchObject({
      method: 'POST',
      path: '/2010-04-01/Accounts/{{AccountSid}}/Messages.json',
      bodyEncoding: 'form',
      body: expect.objectContaining({ To: '{{To}}', From: '{{From}}', Body: '{{Body}}' }),
    });
    const list = catalog.operations.find((o) => o.name === 'ListCall')!;
    expect(list.http.query).toMatchObject({
      StartTime: '{{StartTime}}',
      'StartTime<': '{{StartTime_lt}}',
      'StartTime>': '{{StartTime_gt}}',
    });
    expect(ms).toBeLessThan(10_000);
  });

  it('imports as 197 tools when dynamic mode is off, and honours filters', async () => {
    const all = await importOpenApi(TWILIO, { dynamic: false, validate: 'off' });
    expectValid(all.spec);
    expect(all.spec.tools).toHaveLength(197);
    expect(new Set(all.spec.tools!.map((t) => t.name)).size).toBe(197);
    const calls = await importOpenApi(TWILIO, { include: { tags: ['Api20100401Call'] }, validate: 'off' });
    expect(calls.report.mode).toBe('tools');
    expect(calls.spec.tools!.map((t) => t.name)).toEqual([
      'CreateCall',
      'ListCall',
      'DeleteCall',
      'FetchCall',
      'UpdateCall',
    ]);
  });
});
