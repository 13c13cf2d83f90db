/** `vector-search`: a Qdrant vector database over its REST API — list collections, search and upsert points. */
import { defaultOrRequired, describeServer, flag, flagVariable, patternVariable } from './common.js';
import type { TemplateDefinition, TemplateEnvVar, TemplateVars, ToolInput } from './types.js';

const COLLECTION = /^[A-Za-z0-9_.-]{1,255}$/;

const environment = (vars: TemplateVars): TemplateEnvVar[] => [
  { name: 'QDRANT_URL', description: 'Qdrant REST URL (default http://localhost:6333)', required: false },
  ...(vars.auth === 'api_key'
    ? [
        {
          name: 'QDRANT_API_KEY',
          description: 'API key sent in the api-key header',
          required: true,
          secret: true,
        },
      ]
    : []),
];

export const vectorSearchTemplate: TemplateDefinition = {
  name: 'vector-search',
  title: 'Vector search (Qdrant)',
  category: 'ai',
  description:
    'Search and upsert points in a Qdrant vector database (QDRANT_URL, optional QDRANT_API_KEY) and list its collections.',
  variables: [
    patternVariable('collection', 'Default collection.', COLLECTION, 'a collection name such as documents'),
    {
      name: 'auth',
      description:
        'api_key sends QDRANT_API_KEY in the api-key header (Qdrant Cloud); none for a local Qdrant.',
      default: 'none',
      enum: ['none', 'api_key'],
    },
    flagVariable('readOnly', 'Leave out upsert_points.', false),
  ],
  environment,
  build(vars, serverName) {
    const collection = {
      type: 'string' as const,
      pattern: COLLECTION.source,
      description: 'Collection name.',
      ...defaultOrRequired(vars.collection),
    };
    const sample = vars.collection ?? 'documents';
    const tools: ToolInput[] = [
      {
        name: 'list_collections',
        title: 'List collections',
        description: 'Names of the collections in the Qdrant instance.',
        annotations: { readOnly: true, idempotent: true, openWorld: true },
        http: { connection: 'qdrant', path: '/collections' },
        examples: [{ arguments: {}, skip: true }],
      },
      {
        name: 'get_collection',
        title: 'Describe a collection',
        description: 'A collection’s status, point count and vector configuration (size, distance).',
        parameters: { collection },
        annotations: { readOnly: true, idempotent: true, openWorld: true },
        http: { connection: 'qdrant', path: '/collections/{{collection}}' },
        examples: [{ arguments: { collection: sample }, skip: true }],
      },
      {
        name: 'search_points',
        title: 'Search points',
        description:
          'Nearest points to a query vector (Qdrant query API), best first, with their payloads and scores. Optionally filter by payload (Qdrant filter syntax) and a minimum score.',
        parameters: {
          collection,
          vector: {
            type: 'array',
            required: true,
            minItems: 1,
            maxItems: 65_536,
            items: { type: 'number' },
            description: 'Query vector (same size as the collection’s vectors).',
          },
          limit: { type: 'integer', minimum: 1, maximum: 1000, default: 10 },
          filter: {
            type: 'object',
            description: 'Qdrant filter, e.g. { "must": [{ "key": "lang", "match": { "value": "en" } }] }.',
          },
          score_threshold: { type: 'number', description: 'Leave out points scoring below this.' },
          using: {
            type: 'string',
            maxLength: 255,
            description: 'Named vector to search (collections with several).',
          },
        },
        annotations: { readOnly: true, idempotent: true, openWorld: true },
        http: {
          connection: 'qdrant',
          method: 'POST',
          path: '/collections/{{collection}}/points/query',
          body: {
            query: '{{vector}}',
            limit: '{{limit}}',
            filter: '{{filter}}',
            score_threshold: '{{score_threshold}}',
            using: '{{using}}',
            with_payload: true,
          },
        },
        examples: [{ arguments: { collection: sample, vector: [0.1, 0.2, 0.3] }, skip: true }],
      },
    ];
    if (!flag(vars, 'readOnly'))
      tools.push({
        name: 'upsert_points',
        title: 'Upsert points',
        description:
          'Insert or replace points: each { id: unsigned integer or UUID, vector: number[] (or named vectors), payload?: object }. Waits until the change is applied.',
        parameters: {
          collection,
          points: {
            type: 'array',
            required: true,
            minItems: 1,
            maxItems: 10_000,
            items: { type: 'object', description: '{ id, vector, payload? }' },
          },
        },
        annotations: { readOnly: false, destructive: true, idempotent: true, openWorld: true },
        http: {
          connection: 'qdrant',
          method: 'PUT',
          path: '/collections/{{collection}}/points',
          query: { wait: 'true' },
          body: { points: '{{points}}' },
        },
        examples: [
          {
            arguments: {
              collection: sample,
              points: [{ id: 1, vector: [0.1, 0.2, 0.3], payload: { title: 'a' } }],
            },
            skip: true,
          },
        ],
      });
    return {
      name: serverName,
      version: '0.1.0',
      title: 'Vector search',
      description: describeServer(
        `Vector search over a Qdrant instance${vars.collection ? ` (default collection ${vars.collection})` : ''}: list and describe collections, search by vector${flag(vars, 'readOnly') ? '' : ', upsert points'}.`,
        environment(vars),
      ),
      connections: [
        {
          name: 'qdrant',
          type: 'http',
          baseUrl: 'http://localhost:6333',
          baseUrlEnv: 'QDRANT_URL',
          ...(vars.auth === 'api_key'
            ? {
                auth: {
                  type: 'api_key' as const,
                  in: 'header' as const,
                  name: 'api-key',
                  envVar: 'QDRANT_API_KEY',
                },
              }
            : {}),
        },
      ],
      tools,
    };
  },
};
