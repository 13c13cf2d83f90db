/**
 * Properties a body schema requires stay required tool parameters when the body itself is optional (Twilio marks
 * no request body as required, yet CreateMessage cannot be sent without `To`).
 */
import { describe, expect, it } from 'vitest';
import { importOpenApi } from '../../../src/sources/openapi/index.js';
import { expectValid, importDoc, oas, TWILIO, toolOf } from './helpers.js';

describe('required body properties', () => {
  it('Twilio: every schema-required field of a flattened body is a required parameter', async () => {
    const { spec, operations, report } = await importOpenApi(TWILIO, { dynamic: false });
    expectValid(spec);
    const create = toolOf(spec, 'CreateMessage');
    expect(operations.find((o) => o.operationId === 'CreateMessage')!.requestBody!.required).toBe(false);
    expect(create.parameters!.To).toMatchObject({ type: 'string', required: true });
    expect(create.parameters!.Body?.required).toBeUndefined();
    let schemaRequired = 0;
    let kept = 0;
    for (const op of operations) {
      const schema = op.requestBody?.content[0]?.schema as { required?: string[] } | undefined;
      const tool = spec.tools!.find((t) => t.name === report.names[op.key]);
      for (const field of schema?.required ?? []) {
        schemaRequired++;
        const value = (tool?.http?.body as Record<string, unknown> | undefined)?.[field];
        const id = typeof value === 'string' ? value.replace(/^\{\{(.*)\}\}$/, '$1') : undefined;
        if (id && tool!.parameters![id]?.required === true) kept++;
        // The one exception: a credential field the server fills from its environment.
        else expect(JSON.stringify(value)).toMatch(/env/i);
      }
    }
    expect(schemaRequired).toBe(47);
    expect(kept).toBeGreaterThanOrEqual(46);
  });

  it('an optional body keeps its required properties required; optional ones stay optional', async () => {
    const { spec } = await importDoc(
      oas({
        '/things': {
          post: {
            operationId: 'createThing',
            requestBody: {
              content: {
                'application/x-www-form-urlencoded': {
                  schema: {
                    type: 'object',
                    required: ['name'],
                    properties: { name: { type: 'string' }, note: { type: 'string' } },
                  },
                },
              },
            },
            responses: { '201': { description: 'ok' } },
          },
        },
      }),
      { dynamic: false },
    );
    expect(toolOf(spec, 'createThing').parameters).toEqual({
      name: { type: 'string', required: true },
      note: { type: 'string' },
    });
  });
});
