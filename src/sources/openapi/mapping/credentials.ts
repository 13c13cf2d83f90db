/**
 * Credentials an API declares as ordinary parameters (a `token` query, an `X-Api-Key` header, a
 * `client_secret` form field…): bound to environment variables instead of becoming tool arguments the model
 * would have to supply. A parameter is bound by `x-mcp: { env: NAME }`, by the credentialParams option, or
 * automatically when its name or `format: password` says it is a credential. Also collects the report's list
 * of every variable the server reads for upstream authentication.
 */
import { FactoryError } from '../../../core/errors/index.js';
import { ENV_VAR } from '../../../core/spec/model.js';
import { describeSecretValue } from '../../../core/spec/secrets.js';
import type { ApiOperation, ImportCredential, JsonSchema } from '../model.js';
import { toEnvName } from '../names.js';
import { flatten } from '../schema.js';
import type { AuthPlan } from './auth.js';
import type { ConnectionInput, MappedOperation, ReportAdd } from './model.js';

/** Parameter names that are credentials, compared lower-case without separators (and without an `x-`). */
const CREDENTIAL_NAMES = new Set([
  'token',
  'apikey',
  'accesstoken',
  'key',
  'authtoken',
  'clientsecret',
  'password',
  'authorization',
]);

export function isCredentialName(name: string): boolean {
  const folded = name
    .toLowerCase()
    .replace(/^x[-_.]/, '')
    .replace(/[-_.\s]+/g, '');
  return CREDENTIAL_NAMES.has(folded);
}

type Place = 'query' | 'header' | 'cookie' | 'form' | 'path';

interface Binding {
  envVar: string;
  connection: string;
  in: Place;
  name: string;
  operation: string;
}

export interface BindRequest {
  operation: string;
  connection: string;
  in: Place;
  name: string;
  schema?: JsonSchema | undefined;
  xMcpEnv?: string | undefined;
  /** Per-operation report (entries about this operation). */
  add: (reason: string, severity: 'info' | 'warning') => void;
}

export class CredentialBinder {
  readonly bindings: Binding[] = [];
  private readonly explicit = new Map<string, string>();
  private readonly used = new Set<string>();

  constructor(
    private readonly prefix: string,
    credentialParams: Record<string, string> | undefined,
  ) {
    for (const [name, env] of Object.entries(credentialParams ?? {})) {
      if (typeof env !== 'string' || !ENV_VAR.test(env) || describeSecretValue(env))
        throw new FactoryError(
          'OPENAPI_INVALID_OPTION',
          `credentialParams.${name.slice(0, 80)}: "${String(env).slice(0, 8)}…" is not an environment variable name (upper-case letters, digits and _)`,
        );
      this.explicit.set(name, env);
    }
  }

  /** The variable the parameter is read from, or undefined when it stays a tool argument. */
  bind(r: BindRequest): string | undefined {
    const where = `${r.in === 'form' ? 'form field' : `${r.in} parameter`} "${r.name.slice(0, 80)}"`;
    let env: string | undefined;
    let why = '';
    if (r.xMcpEnv !== undefined) {
      if (ENV_VAR.test(r.xMcpEnv) && !describeSecretValue(r.xMcpEnv)) {
        env = r.xMcpEnv;
        why = 'x-mcp env';
      } else
        r.add(
          `${where}: x-mcp env "${r.xMcpEnv.slice(0, 8)}…" is not an environment variable name (upper-case letters, digits and _); ignored`,
          'warning',
        );
    }
    if (!env) {
      const key = this.explicitKey(r.name);
      if (key !== undefined) {
        this.used.add(key);
        env = this.explicit.get(key)!;
        why = 'the credentialParams option';
      }
    }
    if (!env && r.in !== 'path' && (isCredentialName(r.name) || r.schema?.format === 'password')) {
      env = `${this.prefix}_${toEnvName(r.name)}`.slice(0, 127);
      why = r.schema?.format === 'password' && !isCredentialName(r.name) ? 'format: password' : 'its name';
    }
    if (!env) return undefined;
    if (r.in === 'path') {
      r.add(
        `${where} cannot be read from an environment variable (only query, header, cookie and form values can); it stays an argument`,
        'warning',
      );
      return undefined;
    }
    this.bindings.push({
      envVar: env,
      connection: r.connection,
      in: r.in,
      name: r.name,
      operation: r.operation,
    });
    r.add(
      `${where} is a credential (by ${why}): the server reads it from the environment variable ${env}; it is not a tool argument`,
      'info',
    );
    return env;
  }

  /** Option keys that matched no parameter (reported once, after mapping). */
  reportUnused(add: ReportAdd): void {
    for (const key of this.explicit.keys())
      if (!this.used.has(key))
        add('', `the credentialParams option "${key.slice(0, 80)}" matches no parameter`, 'warning');
  }

  private explicitKey(name: string): string | undefined {
    if (this.explicit.has(name)) return name;
    const lower = name.toLowerCase();
    return [...this.explicit.keys()].find((k) => k.toLowerCase() === lower);
  }
}

const TEMPLATE = /^\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}$/;

/**
 * Form and multipart fields that are credentials become `{ env }` body fields and leave the parameters.
 * (JSON bodies are left alone: a `password` there is usually data, e.g. of a new user.)
 */
export function bindBodyCredentials(
  op: ApiOperation,
  mapped: MappedOperation,
  binder: CredentialBinder,
  add: (reason: string, severity: 'info' | 'warning') => void,
): void {
  const http = mapped.http;
  if (http.bodyEncoding !== 'form' && http.bodyEncoding !== 'multipart') return;
  const body = http.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) return;
  const fields = body as Record<string, unknown>;
  const schemas = fieldSchemas(op);
  for (const [field, template] of Object.entries(fields)) {
    const id = typeof template === 'string' ? TEMPLATE.exec(template)?.[1] : undefined;
    if (!id || !mapped.parameters[id]) continue;
    const env = binder.bind({
      operation: op.key,
      connection: http.connection,
      in: 'form',
      name: field,
      schema: schemas[field],
      add,
    });
    if (!env) continue;
    const required = mapped.parameters[id]!.required === true;
    fields[field] = { env, ...(required ? {} : { optional: true }) };
    delete mapped.parameters[id];
  }
}

/** Field schemas of the form/multipart media types of the request body (first declaration wins). */
function fieldSchemas(op: ApiOperation): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const media of op.requestBody?.content ?? []) {
    if (!/form/i.test(media.contentType) || !media.schema) continue;
    const props = flatten(media.schema, new Set()).properties;
    if (!props || typeof props !== 'object') continue;
    for (const [k, v] of Object.entries(props as Record<string, JsonSchema>)) {
      if (!(k in out) && v && typeof v === 'object') out[k] = flatten(v, new Set());
    }
  }
  return out;
}

/**
 * Every environment variable the server reads for upstream authentication: each connection's auth and
 * credential headers, then the bound parameters (one entry per variable; operations merged).
 */
export function collectCredentials(
  connections: ConnectionInput[],
  plan: AuthPlan,
  binder: CredentialBinder | undefined,
  imported: ReadonlySet<string>,
): ImportCredential[] {
  const byEnv = new Map<string, ImportCredential>();
  const put = (c: ImportCredential) => {
    if (!byEnv.has(c.envVar)) byEnv.set(c.envVar, c);
  };
  const fromUserFlow = plan.primary?.type === 'oauth2' || plan.primary?.type === 'openIdConnect';
  for (const c of connections) {
    if (c.type !== 'http') continue;
    for (const [name, v] of Object.entries(c.headers ?? {}))
      if (typeof v !== 'string')
        put({ envVar: v.env, connection: c.name, kind: 'api_key', in: 'header', name });
    const a = c.auth;
    if (!a) continue;
    if (a.type === 'bearer')
      put({ envVar: a.envVar, connection: c.name, kind: fromUserFlow ? 'oauth2' : 'bearer' });
    else if (a.type === 'api_key')
      put({ envVar: a.envVar, connection: c.name, kind: 'api_key', in: a.in ?? 'header', name: a.name });
    else if (a.type === 'basic') {
      put({ envVar: a.usernameEnv, connection: c.name, kind: 'basic' });
      put({ envVar: a.passwordEnv, connection: c.name, kind: 'basic' });
    } else {
      put({ envVar: a.clientIdEnv, connection: c.name, kind: 'oauth2' });
      put({ envVar: a.clientSecretEnv, connection: c.name, kind: 'oauth2' });
    }
  }
  for (const b of binder?.bindings ?? []) {
    if (!imported.has(b.operation)) continue;
    const existing = byEnv.get(b.envVar);
    if (!existing) {
      byEnv.set(b.envVar, {
        envVar: b.envVar,
        connection: b.connection,
        kind: 'parameter',
        in: b.in,
        name: b.name,
        operations: [b.operation],
      });
    } else if (existing.kind === 'parameter' && !existing.operations!.includes(b.operation))
      existing.operations!.push(b.operation);
  }
  return [...byEnv.values()];
}
