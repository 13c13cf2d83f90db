/**
 * The catalog kind (dynamic mode of large APIs): one of three tools — search, describe, invoke — over the
 * operations of a catalog declared under `catalogs:`. Its parameters follow from the action.
 */
import { z } from 'zod';
import { lit } from '../codegen/literals.js';
import type { ValueSchema } from '../spec/model.js';
import { identifier } from '../spec/primitives.js';
import { requestEnvValues } from './http.js';
import type { KindEnvVar, ToolKind } from './types.js';

export const CatalogImpl = z.strictObject({
  catalog: identifier,
  action: z.enum(['search', 'describe', 'invoke']),
});
export type CatalogImpl = z.infer<typeof CatalogImpl>;

const OPERATION: ValueSchema = {
  type: 'string',
  required: true,
  description: 'Operation name, as returned by the search tool.',
};

const PARAMETERS: Record<CatalogImpl['action'], Record<string, ValueSchema>> = {
  search: {
    query: {
      type: 'string',
      required: true,
      maxLength: 500,
      description: 'Words to look for in operation names and descriptions.',
    },
    limit: {
      type: 'integer',
      minimum: 1,
      maximum: 100,
      default: 10,
      description: 'How many operations to return.',
    },
  },
  describe: { operation: OPERATION },
  invoke: {
    operation: OPERATION,
    arguments: {
      type: 'object',
      description: 'Arguments matching the operation input schema (see the describe tool).',
    },
  },
};

export const catalogKind: ToolKind<'catalog', CatalogImpl> = {
  name: 'catalog',
  schema: CatalogImpl,
  fieldDescription: 'Search, describe or invoke the operations of a catalog (dynamic mode).',
  importerOnly: true,

  check(impl, { spec, params, at, add }) {
    if (!spec.catalogs.some((c) => c.name === impl.catalog)) {
      add(
        'SPEC_UNDEFINED_REFERENCE',
        `catalog "${impl.catalog}" is not defined`,
        at('catalog', 'catalog'),
        'Declare it under `catalogs:`.',
      );
    }
    if (params.size)
      add(
        'SPEC_INVALID_VALUE',
        'a catalog tool takes no declared parameters (they follow from its action)',
        at('parameters'),
        'Remove `parameters`.',
      );
  },

  parameters: (impl) => PARAMETERS[impl.action],

  // The result is whatever the operation returns: no schema to advertise.
  output: () => ({ mode: 'none' }),

  annotations: (impl) => ({ readOnly: impl.action !== 'invoke' ? true : undefined, openWorld: true }),

  emit: (impl) => ({
    handler: `(args, ctx) => runtime.catalog(${lit(impl.catalog)}, ${lit(impl.action)}, args, ctx.signal)`,
  }),

  testCases(impl, { spec, tool }) {
    const catalog = spec.catalogs.find((c) => c.name === impl.catalog);
    const first = catalog?.operations[0]?.name ?? '';
    switch (impl.action) {
      case 'search':
        return [
          {
            tool: tool.name,
            name: `${tool.name} searches`,
            arguments: { query: first },
            expectError: false,
            contains: first,
            requiresEnv: [],
          },
        ];
      case 'describe':
        return [
          {
            tool: tool.name,
            name: `${tool.name} describes ${first}`,
            arguments: { operation: first },
            expectError: false,
            contains: 'inputSchema',
            requiresEnv: [],
          },
        ];
      case 'invoke':
        return [
          {
            tool: tool.name,
            name: `${tool.name} rejects an unknown operation`,
            arguments: { operation: '\u0000no-such-operation' },
            expectError: true,
            requiresEnv: [],
          },
        ];
    }
  },

  // Every operation of a catalog goes to one API: its first operation's connection stands for all.
  connection: (impl, spec) =>
    spec.catalogs.find((c) => c.name === impl.catalog)?.operations[0]?.http.connection,

  // The invoke tool sends the catalog's operations: the credentials they read from the environment are its own.
  environment: (impl, _tool, spec) => {
    if (impl.action !== 'invoke') return [];
    const seen = new Map<string, KindEnvVar>();
    for (const op of spec.catalogs.find((c) => c.name === impl.catalog)?.operations ?? [])
      for (const { value, where } of requestEnvValues(op.http))
        if (!value.optional && !seen.has(value.env))
          seen.set(value.env, { name: value.env, purpose: `${where} of catalog operations`, secret: true });
    return [...seen.values()];
  },

  label: (impl) => `${impl.action} in catalog \`${impl.catalog}\``,
};
