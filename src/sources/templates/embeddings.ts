/** `embeddings`: an OpenAI-compatible `POST /v1/embeddings` endpoint (OpenAI, Ollama, vLLM, LM Studio, …). */
import { describeServer } from './common.js';
import type { TemplateDefinition, TemplateEnvVar, TemplateVars } from './types.js';

const environment = (vars: TemplateVars): TemplateEnvVar[] => [
  {
    name: 'EMBEDDINGS_API_URL',
    description: 'API root; requests go to <root>/v1/embeddings (default https://api.openai.com)',
    required: false,
  },
  ...(vars.auth === 'none'
    ? []
    : [
        {
          name: 'EMBEDDINGS_API_KEY',
          description: 'API key sent as a bearer token',
          required: true,
          secret: true,
        },
      ]),
];

export const embeddingsTemplate: TemplateDefinition = {
  name: 'embeddings',
  title: 'Text embeddings (OpenAI-compatible)',
  category: 'ai',
  description:
    'Turn texts into embedding vectors with any OpenAI-compatible /v1/embeddings API (EMBEDDINGS_API_URL, EMBEDDINGS_API_KEY).',
  variables: [
    {
      name: 'model',
      description: 'Default embedding model.',
      default: 'text-embedding-3-small',
      format: 'a model name such as text-embedding-3-small or nomic-embed-text',
      validate: (v) => (/^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,199}$/.test(v) ? undefined : 'is not a model name'),
    },
    {
      name: 'auth',
      description: 'bearer sends EMBEDDINGS_API_KEY; none for local servers without keys.',
      default: 'bearer',
      enum: ['bearer', 'none'],
    },
  ],
  environment,
  build(vars, serverName) {
    return {
      name: serverName,
      version: '0.1.0',
      title: 'Embeddings',
      description: describeServer(
        `Creates text embeddings with ${vars.model ?? 'text-embedding-3-small'} (or another model) through an OpenAI-compatible API.`,
        environment(vars),
      ),
      connections: [
        {
          name: 'embeddings',
          type: 'http',
          baseUrl: 'https://api.openai.com',
          baseUrlEnv: 'EMBEDDINGS_API_URL',
          ...(vars.auth === 'none'
            ? {}
            : { auth: { type: 'bearer' as const, envVar: 'EMBEDDINGS_API_KEY' } }),
        },
      ],
      tools: [
        {
          name: 'embed',
          title: 'Embed texts',
          description:
            'Embedding vectors for one or more texts, in input order. Returns the API response: data[i].embedding, model and usage.',
          parameters: {
            input: {
              type: 'array',
              required: true,
              minItems: 1,
              maxItems: 2048,
              items: { type: 'string', minLength: 1, maxLength: 100_000 },
              description: 'Texts to embed.',
            },
            model: { type: 'string', default: vars.model ?? 'text-embedding-3-small', maxLength: 200 },
            dimensions: {
              type: 'integer',
              minimum: 1,
              maximum: 65_536,
              description: 'Shorten the vectors to this many dimensions (models that support it).',
            },
          },
          annotations: { readOnly: true, idempotent: true, openWorld: true },
          http: {
            connection: 'embeddings',
            method: 'POST',
            path: '/v1/embeddings',
            body: {
              model: '{{model}}',
              input: '{{input}}',
              dimensions: '{{dimensions}}',
              encoding_format: 'float',
            },
            response: 'json',
          },
          examples: [{ arguments: { input: ['hello world'] }, skip: true }],
        },
      ],
    };
  },
};
