/**
 * Semantic checks that a schema cannot express: references, uniqueness, SQL and template placeholders,
 * literal secrets, consistent defaults, triggers. Each tool kind checks its own field (core/kinds).
 * Pure: returns issues, never throws on bad input.
 */
import { Cron } from 'croner';
import { ERROR_CODES, type ErrorCode, type Issue } from '../errors/index.js';
import { checkHttpRequest } from '../kinds/http.js';
import { implementationsOf, KINDS, type KindCheckContext } from '../kinds/index.js';
import { annotationHints } from '../kinds/tool.js';
import { checkBase64, checkFileRef, checkMimeType, hasMediaExtension } from './files.js';
import type { Connection, ServerSpec, ValueSchema } from './model.js';
import { formatPath, type PathSegment } from './path.js';
import { checkQueueTrigger } from './queue-trigger-check.js';
import { type AddIssue, checkHeader, checkSql, checkTemplate, walkStrings } from './rules.js';
import { describeSecretValue, isSensitiveHeaderName } from './secrets.js';
import { uriTemplateVariables } from './template.js';
import { checkTriggerCommon } from './trigger-check.js';

export interface PathIssue {
  code: ErrorCode;
  message: string;
  path: PathSegment[];
  hint?: string;
  /** Text inside the value that pinpoints the problem (a placeholder): positions point at it, not at the value. */
  needle?: string;
}

const SQL_KINDS = new Set(['postgresql', 'mysql', 'mariadb', 'sqlite']);

/** The kinds offered to authors by name, for the "no implementation" hint: "`sql`, `http`, `code` or `static`". */
const AUTHORED_KINDS = KINDS.filter((kind) => kind.authoring)
  .map((kind) => `\`${kind.name}\``)
  .join(', ')
  .replace(/, ([^,]*)$/, ' or $1');

export function checkSpec(spec: ServerSpec): PathIssue[] {
  const issues: PathIssue[] = [];
  const add: AddIssue = (code, message, path, hint, needle) =>
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

  const connectionRef = (
    name: string,
    path: PathSegment[],
    want: 'sql' | 'http' | 'dataset',
  ): Connection | undefined => {
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
    const ok = want === 'sql' ? SQL_KINDS.has(c.type) : c.type === want;
    if (!ok)
      add(
        'SPEC_WRONG_CONNECTION_KIND',
        `connection "${name}" is ${c.type}, not ${want === 'dataset' ? 'a' : 'an'} ${want} connection`,
        path,
      );
    return ok ? c : undefined;
  };

  const toolNames = new Set<string>();
  spec.tools.forEach((tool, t) => {
    const at = (...rest: PathSegment[]): PathSegment[] => ['tools', t, ...rest];
    if (toolNames.has(tool.name))
      add('SPEC_DUPLICATE_NAME', `tool "${tool.name}" is declared twice`, at('name'));
    toolNames.add(tool.name);

    const implementations = implementationsOf(tool);
    if (implementations.length === 0) {
      add(
        'SPEC_MISSING_FIELD',
        `tool "${tool.name}" has no implementation`,
        at(),
        `Add exactly one of ${AUTHORED_KINDS}.`,
      );
    } else if (implementations.length > 1) {
      add(
        'SPEC_INVALID_VALUE',
        `tool "${tool.name}" has ${implementations.length} implementations (${implementations.map((i) => i.kind.name).join(', ')})`,
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

    if (tool.scopes?.length && spec.auth?.type !== 'oauth') {
      add(
        'SPEC_INVALID_VALUE',
        '`scopes` needs a server with `auth: { type: oauth }` (nothing else carries scopes)',
        at('scopes'),
        'Set `auth: { type: oauth, issuer: … }` or remove `scopes`.',
      );
    }

    // A cached answer is only safe for a call that changes nothing (read-only, declared or inferred by the kind).
    if (tool.cache && annotationHints(tool)?.readOnlyHint !== true)
      add(
        'SPEC_INVALID_VALUE',
        '`cache` is only allowed on read-only tools',
        at('cache'),
        'Set `annotations: { readOnly: true }` if the tool changes nothing, or remove `cache`.',
      );

    // Confirmation is for calls with effects; a {{placeholder}} must name a parameter (or it would print blank).
    if (tool.confirm !== undefined && annotationHints(tool)?.readOnlyHint === true)
      add(
        'SPEC_INVALID_VALUE',
        '`confirm` is for tools that change something; this tool is read-only',
        at('confirm'),
        'Remove `confirm`, or drop `annotations: { readOnly: true }` if the tool has effects.',
      );
    if (typeof tool.confirm === 'string')
      for (const [, name] of tool.confirm.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g))
        if (!params.has(name ?? ''))
          add(
            'SPEC_INVALID_VALUE',
            `\`confirm\` mentions {{${name}}}, which is not a parameter of the tool`,
            at('confirm'),
            `Use one of: ${[...params].join(', ') || '(the tool has no parameters)'}.`,
          );
    const context: KindCheckContext = { spec, tool, params, at, add, connection: connectionRef };
    for (const { kind, impl } of implementations) kind.check?.(impl, context);
    if (tool.outputValidation === 'lenient' && !tool.returns) {
      add(
        'SPEC_INVALID_VALUE',
        '`outputValidation: lenient` needs a `returns` schema',
        at('outputValidation'),
        'Add `returns` or remove the option.',
      );
    }

    const added = new Set(implementations.flatMap(({ kind, impl }) => kind.addedParameters?.(impl) ?? []));
    tool.examples?.forEach((ex, e) => {
      for (const key of Object.keys(ex.arguments)) {
        if (!params.has(key) && !added.has(key)) {
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
    const sources = [r.text, r.sql, r.file, r.blob].filter((x) => x !== undefined).length;
    if (sources !== 1) {
      add(
        'SPEC_MISSING_FIELD',
        `resource "${r.name}" needs exactly one of \`text\`, \`sql\`, \`file\` or \`blob\``,
        at(),
      );
    }
    if (r.text !== undefined) checkTemplate(r.text, varSet, at('text'), add);
    if (r.sql) {
      connectionRef(r.sql.connection, at('sql', 'connection'), 'sql');
      checkSql(r.sql.statement, varSet, at('sql', 'statement'), add);
    }
    if ((r.file !== undefined || r.blob !== undefined) && vars.length)
      add(
        'SPEC_INVALID_VALUE',
        `resource "${r.name}" serves fixed bytes, so its URI cannot be a template`,
        at('uri'),
        'Give `file`/`blob` resources a fixed URI, or use `text`/`sql` for templates.',
      );
    if (r.file !== undefined) checkFileRef(r.file, at('file'), add);
    if (r.blob !== undefined) checkBase64(r.blob, at('blob'), add);
    if (r.mimeType !== undefined) checkMimeType(r.mimeType, undefined, at('mimeType'), add);
    if (r.list !== undefined) {
      if (!r.sql || !vars.length)
        add(
          'SPEC_INVALID_VALUE',
          '`list` needs a SQL resource with a URI template',
          at('list'),
          'Use `list` on a resource with `sql` and {var} placeholders.',
        );
      else checkSql(r.list, new Set(), at('list'), add);
    }
    if (r.watch !== undefined && !r.sql)
      add(
        'SPEC_INVALID_VALUE',
        '`watch` needs a SQL resource (other resources never change in a built server)',
        at('watch'),
        'Remove `watch`, or serve the resource with `sql`.',
      );
    for (const [v, values] of Object.entries(r.complete ?? {})) {
      if (!Array.isArray(values)) {
        if (!r.sql)
          add(
            'SPEC_INVALID_VALUE',
            'SQL completions need a SQL resource (they run on its connection)',
            at('complete', v, 'sql'),
          );
        else checkSql(values.sql, new Set(['value']), at('complete', v, 'sql'), add);
      }
      if (!varSet.has(v))
        add(
          'SPEC_UNDEFINED_REFERENCE',
          `completion values for "${v}", which is not a variable of ${r.uri}`,
          at('complete', v),
          vars.length ? `Use one of: ${vars.join(', ')}.` : 'Only URI templates take completions.',
        );
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
      if (arg.enum && arg.complete)
        add(
          'SPEC_INVALID_VALUE',
          `prompt argument "${arg.name}" has both \`enum\` and \`complete\``,
          ['prompts', i, 'arguments', a],
          '`enum` values are offered as completions already; keep one of the two.',
        );
    });
    p.messages.forEach((m, j) => {
      const at = (...rest: PathSegment[]): PathSegment[] => ['prompts', i, 'messages', j, ...rest];
      const kinds = [m.text, m.image, m.resource].filter((x) => x !== undefined).length;
      if (kinds !== 1)
        add(
          'SPEC_MISSING_FIELD',
          'a prompt message needs exactly one of `text`, `image` or `resource`',
          at(),
        );
      if (m.text !== undefined) checkTemplate(m.text, args, at('text'), add);
      if (m.when !== undefined) {
        const arg = p.arguments.find((x) => x.name === m.when);
        if (!arg)
          add('SPEC_UNDEFINED_REFERENCE', `\`when: ${m.when}\` names no argument of "${p.name}"`, at('when'));
        else if (arg.required)
          add(
            'SPEC_INVALID_VALUE',
            `\`when: ${m.when}\` names a required argument, so the message is always included`,
            at('when'),
            'Use `when` with an optional argument, or drop it.',
          );
      }
      if (m.image) {
        if ('file' in m.image) checkFileRef(m.image.file, at('image', 'file'), add);
        else checkBase64(m.image.data, at('image', 'data'), add);
        if (m.image.mimeType !== undefined)
          checkMimeType(m.image.mimeType, 'image', at('image', 'mimeType'), add);
        else if ('file' in m.image && !hasMediaExtension(m.image.file, 'image'))
          add(
            'SPEC_MISSING_FIELD',
            'an image file without a known image extension needs `mimeType`',
            at('image'),
          );
      }
      if (m.resource !== undefined) {
        const target = spec.resources.find((r) => r.uri === m.resource);
        if (!target)
          add(
            'SPEC_UNDEFINED_REFERENCE',
            `prompt message embeds ${m.resource}, which is not a declared resource`,
            at('resource'),
            'Use the `uri` of a resource with a fixed URI.',
          );
        else if (uriTemplateVariables(target.uri).length)
          add('SPEC_INVALID_VALUE', 'a prompt can embed only a resource with a fixed URI', at('resource'));
      }
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
      checkHttpRequest(op.http, new Set(Object.keys(op.parameters)), at('http'), add);
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
    if (trigger.type === 'queue') checkQueueTrigger(trigger, at, add);
    checkTriggerCommon(spec, trigger, at, add);
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

function checkValueSchema(schema: ValueSchema, path: PathSegment[], add: AddIssue) {
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
