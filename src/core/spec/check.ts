/**
 * Semantic checks that a schema cannot express: references, uniqueness, SQL and template placeholders,
 * literal secrets, consistent defaults, triggers. Pure: returns issues, never throws on bad input.
 */
import { Cron } from 'croner';
import { ERROR_CODES, type ErrorCode, type Issue } from '../errors/index.js';
import {
  type Connection,
  type HttpImpl,
  implementationKinds,
  type ServerSpec,
  type ValueSchema,
} from './model.js';
import { formatPath, type PathSegment } from './path.js';
import { describeSecretValue, isSensitiveHeaderName } from './secrets.js';
import { analyzeSql } from './sql.js';
import { parseTemplate, uriTemplateVariables } from './template.js';

export interface PathIssue {
  code: ErrorCode;
  message: string;
  path: PathSegment[];
  hint?: string;
  /** Text inside the value that pinpoints the problem (a placeholder): positions point at it, not at the value. */
  needle?: string;
}

const SQL_KINDS = new Set(['postgresql', 'mysql', 'mariadb', 'sqlite']);

export function checkSpec(spec: ServerSpec): PathIssue[] {
  const issues: PathIssue[] = [];
  const add = (code: ErrorCode, message: string, path: PathSegment[], hint?: string, needle?: string) =>
    issues.push({
      code,
      message,
      path,
      ...(hint === undefined ? {} : { hint }),
      ...(needle === undefined ? {} : { needle }),
    });

  if (spec.tools.length + spec.resources.length + spec.prompts.length === 0) {
    add(
      'SPEC_MISSING_FIELD',
      'the server declares no tools, resources or prompts',
      ['tools'],
      'Add at least one tool.',
    );
  }

  const connections = new Map<string, Connection>();
  spec.connections.forEach((c, i) => {
    if (connections.has(c.name))
      add('SPEC_DUPLICATE_NAME', `connection "${c.name}" is declared twice`, ['connections', i, 'name']);
    connections.set(c.name, c);
    if (c.type === 'sqlite' && !c.path && !c.envVar) {
      add(
        'SPEC_MISSING_FIELD',
        'a sqlite connection needs `path` or `envVar`',
        ['connections', i],
        'Add `path: ./data/app.db`.',
      );
    }
    if (c.type === 'http') {
      if (!c.baseUrl && !c.baseUrlEnv) {
        add('SPEC_MISSING_FIELD', 'an http connection needs `baseUrl` or `baseUrlEnv`', ['connections', i]);
      }
    }
  });

  spec.connections.forEach((c, i) => {
    if (c.type !== 'http') return;
    for (const [header, value] of Object.entries(c.headers ?? {}))
      checkHeader(
        header,
        typeof value === 'string' ? value : undefined,
        ['connections', i, 'headers', header],
        add,
      );
    if (c.passthrough) {
      checkHeader(c.passthrough.header, undefined, ['connections', i, 'passthrough', 'header'], add);
      checkHeader(c.passthrough.target, undefined, ['connections', i, 'passthrough', 'target'], add);
      if (/^authorization$/i.test(c.passthrough.header)) {
        add(
          'SPEC_INVALID_VALUE',
          "the pass-through header cannot be Authorization (that is the MCP client's own credential)",
          ['connections', i, 'passthrough', 'header'],
          'Use a dedicated header such as X-Upstream-Authorization.',
        );
      }
    }
    if (c.auth?.type === 'api_key' && c.auth.in === 'header')
      checkHeader(c.auth.name, undefined, ['connections', i, 'auth', 'name'], add);
  });
  if (spec.auth?.type === 'api_key') checkHeader(spec.auth.header, undefined, ['auth', 'header'], add);

  const connectionRef = (name: string, path: PathSegment[], want: 'sql' | 'http'): Connection | undefined => {
    const c = connections.get(name);
    if (!c) {
      const known = [...connections.keys()];
      add(
        'SPEC_UNDEFINED_REFERENCE',
        `connection "${name}" is not defined`,
        path,
        known.length ? `Use one of: ${known.join(', ')}.` : 'Declare it under `connections:`.',
      );
      return undefined;
    }
    const ok = want === 'sql' ? SQL_KINDS.has(c.type) : c.type === 'http';
    if (!ok)
      add('SPEC_WRONG_CONNECTION_KIND', `connection "${name}" is ${c.type}, not an ${want} connection`, path);
    return ok ? c : undefined;
  };

  const toolNames = new Set<string>();
  spec.tools.forEach((tool, t) => {
    const at = (...rest: PathSegment[]): PathSegment[] => ['tools', t, ...rest];
    if (toolNames.has(tool.name))
      add('SPEC_DUPLICATE_NAME', `tool "${tool.name}" is declared twice`, at('name'));
    toolNames.add(tool.name);

    const kinds = implementationKinds(tool);
    if (kinds.length === 0) {
      add(
        'SPEC_MISSING_FIELD',
        `tool "${tool.name}" has no implementation`,
        at(),
        'Add exactly one of `sql`, `http`, `code` or `static`.',
      );
    } else if (kinds.length > 1) {
      add(
        'SPEC_INVALID_VALUE',
        `tool "${tool.name}" has ${kinds.length} implementations (${kinds.join(', ')})`,
        at(),
        'Keep exactly one.',
      );
    }

    const params = new Set(Object.keys(tool.parameters));
    for (const [name, schema] of Object.entries(tool.parameters))
      checkValueSchema(schema, at('parameters', name), add);
    if (tool.returns) checkValueSchema(tool.returns, at('returns'), add);

    const a = tool.annotations;
    if (a?.readOnly && a.destructive) {
      add('SPEC_INVALID_VALUE', 'a tool cannot be both readOnly and destructive', at('annotations'));
    }

    if (tool.sql) {
      connectionRef(tool.sql.connection, at('sql', 'connection'), 'sql');
      checkSql(tool.sql.statement, params, at('sql', 'statement'), add);
      if (tool.sql.paginate) {
        if (tool.sql.result !== 'rows')
          add('SPEC_INVALID_VALUE', '`paginate` needs `result: rows`', at('sql', 'paginate'));
        for (const reserved of ['limit', 'cursor']) {
          if (params.has(reserved)) {
            add(
              'SPEC_INVALID_VALUE',
              `parameter "${reserved}" is added by \`paginate\` and cannot be declared`,
              at('parameters', reserved),
            );
          }
        }
      }
    }
    if (tool.http) {
      connectionRef(tool.http.connection, at('http', 'connection'), 'http');
      checkHttp(tool.http, params, at('http'), add);
    }
    if (tool.query) {
      connectionRef(tool.query.connection, at('query', 'connection'), 'sql');
      if (params.size)
        add(
          'SPEC_INVALID_VALUE',
          'a query tool takes no declared parameters (sql and params are added)',
          at('parameters'),
          'Remove `parameters`.',
        );
    }
    if (tool.catalog) {
      if (!spec.catalogs.some((c) => c.name === tool.catalog?.catalog)) {
        add(
          'SPEC_UNDEFINED_REFERENCE',
          `catalog "${tool.catalog.catalog}" is not defined`,
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
    }
    if (tool.outputValidation === 'lenient' && !tool.returns) {
      add(
        'SPEC_INVALID_VALUE',
        '`outputValidation: lenient` needs a `returns` schema',
        at('outputValidation'),
        'Add `returns` or remove the option.',
      );
    }
    if (tool.static) checkTemplate(tool.static.text, params, at('static', 'text'), add);

    tool.examples?.forEach((ex, e) => {
      for (const key of Object.keys(ex.arguments)) {
        if (!params.has(key) && !(tool.sql?.paginate && (key === 'limit' || key === 'cursor'))) {
          add(
            'SPEC_UNDEFINED_REFERENCE',
            `example argument "${key}" is not a parameter of "${tool.name}"`,
            at('examples', e, 'arguments', key),
          );
        }
      }
    });
  });

  const resourceNames = new Set<string>();
  const resourceUris = new Set<string>();
  spec.resources.forEach((r, i) => {
    const at = (...rest: PathSegment[]): PathSegment[] => ['resources', i, ...rest];
    if (resourceNames.has(r.name))
      add('SPEC_DUPLICATE_NAME', `resource "${r.name}" is declared twice`, at('name'));
    if (resourceUris.has(r.uri))
      add('SPEC_DUPLICATE_NAME', `resource URI "${r.uri}" is declared twice`, at('uri'));
    resourceNames.add(r.name);
    resourceUris.add(r.uri);
    if (!/^[a-z][a-z0-9+.-]*:/i.test(r.uri)) {
      add(
        'SPEC_INVALID_VALUE',
        `resource URI "${r.uri}" has no scheme`,
        at('uri'),
        'Use a URI such as inventory://categories.',
      );
    }
    const vars = uriTemplateVariables(r.uri);
    const canonical = canonicalUri(r.uri);
    if (canonical !== undefined && canonical !== r.uri) {
      add(
        'SPEC_INVALID_VALUE',
        `resource URI "${r.uri}" is not in canonical form, so clients could not read it back`,
        at('uri'),
        `Write it as "${canonical}" (lower-case scheme, percent-encoded special characters).`,
      );
    }
    for (const v of vars) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(v))
        add('SPEC_INVALID_TEMPLATE', `URI template variable "{${v}}" is not a valid name`, at('uri'));
    }
    const varSet = new Set(vars);
    if ((r.text === undefined) === (r.sql === undefined)) {
      add('SPEC_MISSING_FIELD', `resource "${r.name}" needs exactly one of \`text\` or \`sql\``, at());
    }
    if (r.text !== undefined) checkTemplate(r.text, varSet, at('text'), add);
    if (r.sql) {
      connectionRef(r.sql.connection, at('sql', 'connection'), 'sql');
      checkSql(r.sql.statement, varSet, at('sql', 'statement'), add);
    }
  });

  const promptNames = new Set<string>();
  spec.prompts.forEach((p, i) => {
    if (promptNames.has(p.name))
      add('SPEC_DUPLICATE_NAME', `prompt "${p.name}" is declared twice`, ['prompts', i, 'name']);
    promptNames.add(p.name);
    const args = new Set<string>();
    p.arguments.forEach((arg, a) => {
      if (args.has(arg.name))
        add('SPEC_DUPLICATE_NAME', `prompt argument "${arg.name}" is declared twice`, [
          'prompts',
          i,
          'arguments',
          a,
          'name',
        ]);
      args.add(arg.name);
    });
    p.messages.forEach((m, j) => {
      checkTemplate(m.text, args, ['prompts', i, 'messages', j, 'text'], add);
    });
  });

  const catalogNames = new Set<string>();
  spec.catalogs.forEach((catalog, c) => {
    if (catalogNames.has(catalog.name))
      add('SPEC_DUPLICATE_NAME', `catalog "${catalog.name}" is declared twice`, ['catalogs', c, 'name']);
    catalogNames.add(catalog.name);
    const names = new Set<string>();
    catalog.operations.forEach((op, o) => {
      const at = (...rest: PathSegment[]): PathSegment[] => ['catalogs', c, 'operations', o, ...rest];
      if (names.has(op.name))
        add(
          'SPEC_DUPLICATE_NAME',
          `operation "${op.name}" is declared twice in catalog "${catalog.name}"`,
          at('name'),
        );
      names.add(op.name);
      for (const [name, schema] of Object.entries(op.parameters))
        checkValueSchema(schema, at('parameters', name), add);
      connectionRef(op.http.connection, at('http', 'connection'), 'http');
      checkHttp(op.http, new Set(Object.keys(op.parameters)), at('http'), add);
    });
  });

  const webhookPaths = new Set<string>();
  spec.triggers.forEach((trigger, i) => {
    const at = (...rest: PathSegment[]): PathSegment[] => ['triggers', i, ...rest];
    if (!toolNames.has(trigger.tool)) {
      add(
        'SPEC_UNDEFINED_REFERENCE',
        `trigger calls tool "${trigger.tool}", which is not defined`,
        at('tool'),
        `Define tool "${trigger.tool}" or call one of: ${[...toolNames].join(', ') || '(none)'}.`,
      );
    }
    if (trigger.type === 'cron') {
      try {
        new Cron(trigger.schedule, {
          paused: true,
          ...(trigger.timezone ? { timezone: trigger.timezone } : {}),
        }).stop();
      } catch (error) {
        add(
          'SPEC_INVALID_TRIGGER',
          `invalid cron schedule "${trigger.schedule}": ${(error as Error).message}`,
          at('schedule'),
          'Use five fields: minute hour day-of-month month day-of-week, e.g. "0 */6 * * *".',
        );
      }
    }
    if (trigger.type === 'webhook') {
      const key = `${trigger.method} ${trigger.path}`;
      if (webhookPaths.has(key)) add('SPEC_DUPLICATE_NAME', `webhook ${key} is declared twice`, at('path'));
      webhookPaths.add(key);
    }
    if (trigger.type === 'database') {
      const c = connections.get(trigger.connection);
      if (!c)
        add(
          'SPEC_UNDEFINED_REFERENCE',
          `connection "${trigger.connection}" is not defined`,
          at('connection'),
        );
      else if (c.type !== 'postgresql') {
        add(
          'SPEC_INVALID_TRIGGER',
          'database triggers use PostgreSQL LISTEN/NOTIFY and need a postgresql connection',
          at('connection'),
        );
      }
    }
  });

  return issues;
}

/**
 * Literal secrets, found on the raw document so they are reported even when the schema check fails
 * (a secret is the one problem worth reporting from a document that is otherwise broken).
 */
export function findLiteralSecrets(data: unknown): PathIssue[] {
  const issues: PathIssue[] = [];
  const connections = (data as { connections?: unknown })?.connections;
  if (Array.isArray(connections)) {
    connections.forEach((c, i) => {
      const headers = (c as { headers?: unknown })?.headers;
      if (!headers || typeof headers !== 'object') return;
      for (const [header, value] of Object.entries(headers)) {
        if (typeof value === 'string' && (isSensitiveHeaderName(header) || describeSecretValue(value))) {
          issues.push({
            code: 'SPEC_LITERAL_SECRET',
            message: `header "${header}" has a literal value; credentials must come from the environment`,
            path: ['connections', i, 'headers', header],
            hint: `Write \`${header}: { env: ${envNameFor(header)} }\` and set ${envNameFor(header)} when running the server.`,
          });
        }
      }
    });
  }
  walkStrings(data, [], (s, p) => {
    const what = describeSecretValue(s);
    if (what && !issues.some((x) => formatPath(x.path) === formatPath(p))) {
      issues.push({ code: 'SPEC_LITERAL_SECRET', message: `this value looks like ${what}`, path: p });
    }
  });
  return issues;
}

function checkHttp(
  http: HttpImpl,
  params: Set<string>,
  at: PathSegment[],
  add: (c: ErrorCode, m: string, p: PathSegment[], h?: string, needle?: string) => void,
) {
  checkTemplate(http.path, params, [...at, 'path'], add);
  if (/^[a-z][a-z0-9+.-]*:/i.test(http.path) || http.path.startsWith('//')) {
    add(
      'SPEC_INVALID_VALUE',
      'the path must be relative to the connection base URL',
      [...at, 'path'],
      'Write a path such as /items/{{id}}.',
    );
  }
  for (const [k, v] of Object.entries(http.query ?? {})) {
    if (typeof v === 'string') checkTemplate(v, params, [...at, 'query', k], add);
    else if (!params.has(v.param))
      add('SPEC_UNDEFINED_REFERENCE', `query parameter "${k}" names no parameter "${v.param}"`, [
        ...at,
        'query',
        k,
        'param',
      ]);
  }
  for (const [k, v] of Object.entries(http.headers ?? {})) {
    checkTemplate(v, params, [...at, 'headers', k], add);
    checkHeader(k, v, [...at, 'headers', k], add);
    if (isSensitiveHeaderName(k) && !/\{\{/.test(v)) {
      add(
        'SPEC_LITERAL_SECRET',
        `header "${k}" has a literal value`,
        [...at, 'headers', k],
        'Move credentials to the connection `auth` or `headers: { name: { env: VAR } }`.',
      );
    }
  }
  for (const [k, v] of Object.entries(http.cookies ?? {})) {
    checkTemplate(v, params, [...at, 'cookies', k], add);
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k))
      add('SPEC_INVALID_VALUE', `"${k}" is not a valid cookie name`, [...at, 'cookies', k]);
  }
  if (http.bodyEncoding === 'text' && http.body !== undefined && typeof http.body !== 'string') {
    add(
      'SPEC_INVALID_VALUE',
      'a text body is a template string',
      [...at, 'body'],
      'Write body: "{{content}}".',
    );
  }
  if (http.bodyEncoding === 'binary') {
    const file = (http.body as { file?: unknown } | undefined)?.file;
    if (typeof file !== 'string' || !params.has(file)) {
      add(
        'SPEC_INVALID_VALUE',
        'a binary body is { file: <parameter holding base64 content> }',
        [...at, 'body'],
        'Write body: { file: content } and declare a string parameter "content".',
      );
    }
  }
  if (
    (http.bodyEncoding === 'form' || http.bodyEncoding === 'multipart') &&
    http.body !== undefined &&
    (typeof http.body !== 'object' || http.body === null || Array.isArray(http.body))
  ) {
    add('SPEC_INVALID_VALUE', `a ${http.bodyEncoding} body must be a mapping of field names to templates`, [
      ...at,
      'body',
    ]);
  }
  walkStrings(http.body, [...at, 'body'], (s, p) => {
    if (p[p.length - 1] === 'file' && (http.bodyEncoding === 'multipart' || http.bodyEncoding === 'binary')) {
      if (!params.has(s)) add('SPEC_UNDEFINED_REFERENCE', `file field names no parameter "${s}"`, p);
    } else if (!(p[p.length - 1] === 'contentType' && http.bodyEncoding === 'multipart'))
      checkTemplate(s, params, p, add);
  });
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function checkHeader(
  name: string,
  value: string | undefined,
  path: PathSegment[],
  add: (c: ErrorCode, m: string, p: PathSegment[], h?: string, needle?: string) => void,
) {
  if (!HEADER_NAME.test(name)) {
    add(
      'SPEC_INVALID_VALUE',
      `"${name}" is not a valid HTTP header name`,
      path,
      'Header names use letters, digits and - (no spaces or colons).',
    );
  }
  if (value !== undefined && /[\r\n\0]/.test(value)) {
    add(
      'SPEC_INVALID_VALUE',
      `the value of header "${name}" contains a line break or NUL`,
      path,
      'Header values are a single line.',
    );
  }
}

/** The form the SDK matches resource reads against (`new URL(uri).href`); templates are checked on their literal text. */
function canonicalUri(uri: string): string | undefined {
  const probe = uri.replace(/\{[^{}]*\}/g, 'x');
  let href: string;
  try {
    href = new URL(probe).href;
  } catch {
    return undefined;
  }
  if (href === probe) return uri;
  if (probe !== uri) return `${uri} (template literal parts must already be canonical)`;
  return href;
}

function envNameFor(header: string): string {
  const base = header
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return /^[A-Z_]/.test(base) ? base : `H_${base}`;
}

function checkSql(
  statement: string,
  params: Set<string>,
  path: PathSegment[],
  add: (c: ErrorCode, m: string, p: PathSegment[], h?: string, needle?: string) => void,
) {
  const analysis = analyzeSql(statement);
  if (analysis.unterminated)
    add('SPEC_INVALID_SQL', `unterminated ${analysis.unterminated} in SQL statement`, path);
  if (analysis.multipleStatements) {
    add(
      'SPEC_INVALID_SQL',
      'the SQL contains more than one statement',
      path,
      'Use a single statement per tool.',
    );
  }
  const used = new Set<string>();
  for (const { name } of analysis.placeholders) {
    used.add(name);
    if (!params.has(name)) {
      add(
        'SPEC_INVALID_SQL',
        `SQL placeholder ":${name}" has no matching parameter`,
        path,
        `Declare parameter "${name}" or fix the placeholder.`,
        `:${name}`,
      );
    }
  }
  return used;
}

function checkTemplate(
  template: string,
  vars: Set<string>,
  path: PathSegment[],
  add: (c: ErrorCode, m: string, p: PathSegment[], h?: string, needle?: string) => void,
) {
  const { parts, problems } = parseTemplate(template);
  for (const problem of problems) add('SPEC_INVALID_TEMPLATE', problem.message, path);
  for (const part of parts) {
    if (part.variable !== undefined && !vars.has(part.variable)) {
      add(
        'SPEC_INVALID_TEMPLATE',
        `placeholder {{${part.variable}}} names no parameter`,
        path,
        vars.size ? `Use one of: ${[...vars].join(', ')}.` : 'Declare the parameter first.',
        part.variable,
      );
    }
  }
}

function walkStrings(
  value: unknown,
  path: PathSegment[],
  visit: (s: string, path: PathSegment[]) => void,
): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) {
    value.forEach((v, i) => {
      walkStrings(v, [...path, i], visit);
    });
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) walkStrings(v, [...path, k], visit);
  }
}

function checkValueSchema(
  schema: ValueSchema,
  path: PathSegment[],
  add: (c: ErrorCode, m: string, p: PathSegment[], h?: string, needle?: string) => void,
) {
  const t = schema.type;
  const numeric = t === 'number' || t === 'integer';
  const misplaced = (field: string, kind: string) =>
    add('SPEC_INVALID_SCHEMA', `\`${field}\` applies to ${kind} values, not ${t}`, [...path, field]);
  if (!numeric)
    for (const f of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'] as const)
      if (schema[f] !== undefined) misplaced(f, 'number');
  if (t !== 'string')
    for (const f of ['minLength', 'maxLength', 'pattern', 'format'] as const)
      if (schema[f] !== undefined) misplaced(f, 'string');
  if (t !== 'array')
    for (const f of ['items', 'minItems', 'maxItems'] as const)
      if (schema[f] !== undefined) misplaced(f, 'array');
  if (t !== 'object')
    for (const f of ['properties', 'additionalProperties'] as const)
      if (schema[f] !== undefined) misplaced(f, 'object');
  if (schema.minimum !== undefined && schema.maximum !== undefined && schema.minimum > schema.maximum) {
    add('SPEC_INVALID_SCHEMA', `minimum ${schema.minimum} is greater than maximum ${schema.maximum}`, path);
  }
  if (
    schema.minLength !== undefined &&
    schema.maxLength !== undefined &&
    schema.minLength > schema.maxLength
  ) {
    add(
      'SPEC_INVALID_SCHEMA',
      `minLength ${schema.minLength} is greater than maxLength ${schema.maxLength}`,
      path,
    );
  }
  let pattern: RegExp | undefined;
  if (schema.pattern !== undefined) {
    try {
      pattern = new RegExp(schema.pattern, 'u');
    } catch (error) {
      add('SPEC_INVALID_SCHEMA', `pattern is not a valid regular expression: ${(error as Error).message}`, [
        ...path,
        'pattern',
      ]);
    }
  }
  schema.enum?.forEach((v, i) => {
    const problem = valueProblem(v, schema, pattern, false);
    if (problem)
      add('SPEC_INVALID_SCHEMA', `enum value ${JSON.stringify(v)} ${problem}`, [...path, 'enum', i]);
  });
  if (schema.default !== undefined) {
    const problem = valueProblem(schema.default, schema, pattern, true);
    if (problem)
      add('SPEC_INVALID_SCHEMA', `default ${JSON.stringify(schema.default)} ${problem}`, [
        ...path,
        'default',
      ]);
  }
  if (schema.items) checkValueSchema(schema.items, [...path, 'items'], add);
  for (const [k, v] of Object.entries(schema.properties ?? {}))
    checkValueSchema(v, [...path, 'properties', k], add);
}

function valueProblem(
  value: unknown,
  schema: ValueSchema,
  pattern: RegExp | undefined,
  checkEnum: boolean,
): string | undefined {
  if (value === null) return schema.nullable ? undefined : 'is null but the value is not nullable';
  const t = schema.type;
  const actual = Array.isArray(value) ? 'array' : typeof value;
  if (t === 'integer' ? !Number.isInteger(value) : t === 'number' ? actual !== 'number' : actual !== t) {
    return `is not of type ${t}`;
  }
  if (checkEnum && schema.enum && !schema.enum.some((e) => e === value))
    return `is not one of the enum values`;
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) return `is below minimum ${schema.minimum}`;
    if (schema.maximum !== undefined && value > schema.maximum) return `is above maximum ${schema.maximum}`;
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum)
      return `is not above ${schema.exclusiveMinimum}`;
    if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum)
      return `is not below ${schema.exclusiveMaximum}`;
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength)
      return `is shorter than minLength ${schema.minLength}`;
    if (schema.maxLength !== undefined && value.length > schema.maxLength)
      return `is longer than maxLength ${schema.maxLength}`;
    if (pattern && !pattern.test(value)) return `does not match pattern ${schema.pattern}`;
  }
  return undefined;
}

export function hintFor(code: ErrorCode, hint: string | undefined): string {
  return hint ?? ERROR_CODES[code].hint;
}

export type { Issue };
