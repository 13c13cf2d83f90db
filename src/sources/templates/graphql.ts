/** `graphql`: POST { query, variables } to one GraphQL endpoint; errors in the response become tool errors. */
import {
  describeServer,
  envNameVariable,
  flag,
  flagVariable,
  lit,
  READ_BODY_SOURCE,
  urlVariable,
} from './common.js';
import type { TemplateDefinition, TemplateEnvVar, TemplateVars } from './types.js';

function endpointSource(vars: TemplateVars): string {
  const env = vars.endpointEnv ?? 'GRAPHQL_URL';
  const auth =
    vars.auth === 'bearer'
      ? `headers.set('authorization', 'Bearer ' + ctx.env(${lit(vars.tokenEnv ?? 'GRAPHQL_TOKEN')}));\n`
      : '';
  return `const endpointText = process.env[${lit(env)}] || ${lit(vars.endpoint ?? '')};
if (!endpointText) throw new Error(${lit(`environment variable ${env} is not set; set it to the GraphQL endpoint URL, e.g. https://api.example.com/graphql`)});
let endpoint: URL;
try {
  endpoint = new URL(endpointText);
} catch {
  throw new Error(${lit(`${env} is not a valid URL`)});
}
if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') throw new Error(${lit(`${env} must be an http(s) URL`)});
${READ_BODY_SOURCE}const headers = new Headers({
  accept: 'application/graphql-response+json, application/json;q=0.9',
  'content-type': 'application/json',
});
${auth}async function graphql(query: string, variables?: Record<string, unknown>, operationName?: string): Promise<{ data?: unknown; errors?: Array<{ message?: string }>; extensions?: unknown }> {
  const res = await send(endpoint, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, ...(variables ? { variables } : {}), ...(operationName ? { operationName } : {}) }),
  });
  const body = await readBody(res);
  const result = (typeof body === 'object' && body !== null ? body : {}) as { data?: unknown; errors?: Array<{ message?: string }>; extensions?: unknown };
  const messages = Array.isArray(result.errors) ? result.errors.map((e) => e?.message ?? JSON.stringify(e)).join('; ') : '';
  if (!res.ok) throw new Error('GraphQL request failed: HTTP ' + res.status + (messages ? ': ' + messages : body === '' ? '' : ': ' + excerpt(body)));
  if (typeof body !== 'object' || body === null) throw new Error('the endpoint did not return a GraphQL JSON response: ' + excerpt(body));
  if (messages && (result.data === undefined || result.data === null)) throw new Error('GraphQL errors: ' + messages);
  return result;
}
`;
}

/** Refuses mutation and subscription operations (readOnly=true): keywords at brace depth 0, outside strings and comments. */
const READ_ONLY_GUARD = `let depth = 0;
let k = 0;
const doc = args.query;
while (k < doc.length) {
  const ch = doc[k]!;
  if (ch === '#') {
    const nl = doc.indexOf('\\n', k);
    k = nl === -1 ? doc.length : nl + 1;
  } else if (doc.startsWith('"""', k)) {
    const close = doc.indexOf('"""', k + 3);
    k = close === -1 ? doc.length : close + 3;
  } else if (ch === '"') {
    k++;
    while (k < doc.length && doc[k] !== '"') k += doc[k] === '\\\\' ? 2 : 1;
    k++;
  } else if (ch === '{') {
    depth++;
    k++;
  } else if (ch === '}') {
    depth--;
    k++;
  } else if (depth === 0 && /[A-Za-z_]/.test(ch)) {
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(doc.slice(k))![0];
    if (word === 'mutation' || word === 'subscription')
      throw new Error('this server is read-only: ' + word + ' operations are not allowed');
    k += word.length;
  } else k++;
}
`;

const environment = (vars: TemplateVars): TemplateEnvVar[] => [
  {
    name: vars.endpointEnv ?? 'GRAPHQL_URL',
    description: `GraphQL endpoint URL${vars.endpoint ? ` (default ${vars.endpoint})` : ''}`,
    required: !vars.endpoint,
  },
  ...(vars.auth === 'bearer'
    ? [{ name: vars.tokenEnv ?? 'GRAPHQL_TOKEN', description: 'bearer token', required: true, secret: true }]
    : []),
];

export const graphqlTemplate: TemplateDefinition = {
  name: 'graphql',
  title: 'GraphQL API',
  category: 'api',
  description:
    'Run GraphQL queries (and mutations unless readOnly) against one endpoint and read its schema by introspection; GraphQL errors become tool errors.',
  variables: [
    urlVariable('endpoint', 'Default endpoint URL (the endpoint environment variable overrides it).'),
    envNameVariable('endpointEnv', 'Environment variable holding the endpoint URL.', 'GRAPHQL_URL'),
    { name: 'auth', description: 'How requests authenticate.', default: 'none', enum: ['none', 'bearer'] },
    envNameVariable(
      'tokenEnv',
      'Environment variable holding the bearer token (auth=bearer).',
      'GRAPHQL_TOKEN',
    ),
    flagVariable('readOnly', 'Refuse mutation and subscription operations.', false),
  ],
  environment,
  build(vars, serverName) {
    const readOnly = flag(vars, 'readOnly');
    return {
      name: serverName,
      version: '0.1.0',
      title: 'GraphQL API',
      description: describeServer(
        `Runs GraphQL ${readOnly ? 'queries (read-only: mutations are refused)' : 'queries and mutations'} against one endpoint. Call graphql_schema first to learn the types.`,
        environment(vars),
      ),
      tools: [
        {
          name: 'graphql_query',
          title: 'Run a GraphQL operation',
          description: `Execute a GraphQL ${readOnly ? 'query' : 'query or mutation'} with optional variables. Returns { data } (and { errors } for partial results); a response with errors and no data is a tool error.`,
          parameters: {
            query: {
              type: 'string',
              required: true,
              minLength: 1,
              maxLength: 100_000,
              description: 'GraphQL document.',
            },
            variables: { type: 'object', description: 'Values of the operation variables.' },
            operationName: {
              type: 'string',
              maxLength: 200,
              description: 'Operation to run when the document has several.',
            },
          },
          annotations: readOnly
            ? { readOnly: true, idempotent: true, openWorld: true }
            : { readOnly: false, destructive: true, openWorld: true },
          code: {
            source: `${readOnly ? READ_ONLY_GUARD : ''}${endpointSource(vars)}const result = await graphql(args.query, args.variables, args.operationName);
return result.errors ? { data: result.data ?? null, errors: result.errors } : { data: result.data ?? null };`,
          },
          examples: [{ arguments: { query: '{ __typename }' }, skip: true }],
        },
        {
          name: 'graphql_schema',
          title: 'Describe the GraphQL schema',
          description:
            'Introspect the schema: root operation types and every object, input, enum and interface type with its fields (built-in __ types left out).',
          annotations: { readOnly: true, idempotent: true, openWorld: true },
          code: {
            source: `${endpointSource(vars)}const INTROSPECTION = 'query { __schema { queryType { name } mutationType { name } subscriptionType { name } types { kind name description fields(includeDeprecated: false) { name args { name type { ...T } } type { ...T } } inputFields { name type { ...T } } enumValues(includeDeprecated: false) { name } } } } fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }';
type TypeRef = { kind: string; name: string | null; ofType?: TypeRef | null };
function typeName(t: TypeRef | null | undefined): string {
  if (!t) return '?';
  if (t.kind === 'NON_NULL') return typeName(t.ofType) + '!';
  if (t.kind === 'LIST') return '[' + typeName(t.ofType) + ']';
  return t.name ?? '?';
}
const result = await graphql(INTROSPECTION);
const schema = (result.data as { __schema?: { queryType?: { name: string } | null; mutationType?: { name: string } | null; subscriptionType?: { name: string } | null; types: Array<{ kind: string; name: string; description?: string | null; fields?: Array<{ name: string; args: Array<{ name: string; type: TypeRef }>; type: TypeRef }> | null; inputFields?: Array<{ name: string; type: TypeRef }> | null; enumValues?: Array<{ name: string }> | null }> } } | null)?.__schema;
if (!schema) throw new Error('the endpoint returned no introspection data (introspection may be disabled)');
return {
  queryType: schema.queryType?.name ?? null,
  mutationType: schema.mutationType?.name ?? null,
  subscriptionType: schema.subscriptionType?.name ?? null,
  types: schema.types
    .filter((t) => !t.name.startsWith('__') && t.kind !== 'SCALAR')
    .map((t) => ({
      kind: t.kind,
      name: t.name,
      ...(t.description ? { description: t.description } : {}),
      ...(t.fields ? { fields: t.fields.map((f) => f.name + (f.args.length ? '(' + f.args.map((a) => a.name + ': ' + typeName(a.type)).join(', ') + ')' : '') + ': ' + typeName(f.type)) } : {}),
      ...(t.inputFields ? { inputFields: t.inputFields.map((f) => f.name + ': ' + typeName(f.type)) } : {}),
      ...(t.enumValues ? { values: t.enumValues.map((v) => v.name) } : {}),
    })),
};`,
          },
          examples: [{ arguments: {}, skip: true }],
        },
      ],
    };
  },
};
